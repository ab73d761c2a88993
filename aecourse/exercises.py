"""Exercise self-checks, and the tools that keep the exercise format honest.

Every exercise in the course is four cells (see the README, "Exercises"):

1. a markdown prompt;
2. a learner cell with a stub (it runs, but returns ``None`` or holds ``...``);
3. a check cell calling one of the ``check_*`` functions below, which says
   "not attempted yet" for a stub, raises :class:`ExerciseError` with a hint for a
   wrong answer, and prints "Correct" for a right one;
4. a solution cell tagged ``solution``: collapsed in JupyterLab, its code between
   nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, followed by the
   same check, so running the notebook tests the solution.

The command line (``python -m aecourse normalize|validate|student``, used by the
Makefile) wraps :func:`normalize_notebook`, :func:`validate_notebook` and
:func:`build_student_edition`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ExerciseError",
    "SOLUTION_TAG",
    "BEGIN",
    "END",
    "STUDENT_STUB",
    "check",
    "check_close",
    "check_function",
    "solution_metadata",
    "normalize_notebook",
    "validate_notebook",
    "strip_solutions",
    "build_student_edition",
]

SOLUTION_TAG = "solution"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUDENT_STUB = "# YOUR CODE HERE: this edition has no solution; write yours in the exercise cell above."
_NOT_ATTEMPTED = (
    "{name}: not attempted yet. Fill in the exercise cell above, run it, then run this "
    "cell again. (A solution is in the collapsed cell below.)"
)


class ExerciseError(AssertionError):
    """A wrong answer; the message says what is wrong and gives a hint.

    In a notebook it shows as its message alone, not as a traceback through this
    module: the learner's own code is not at fault. (An exception raised inside the
    learner's own function is not an ExerciseError and keeps its traceback.)
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an error is shown
        return [f"{type(self).__name__}: {self}"]


def _is_stub(value: object) -> bool:
    return value is None or value is Ellipsis


def _fail(name: str, problem: str, hint: str) -> None:
    message = f"{name}: {problem}"
    if hint:
        message += f"\nHint: {hint}"
    raise ExerciseError(message)


def _correct(name: str) -> None:
    print(f"{name}: correct, well done.")


def check(
    answer: Any,
    passes: Callable[[Any], bool],
    name: str = "answer",
    problem: str = "not right yet",
    hint: str = "",
) -> None:
    """Pass when ``passes(answer)`` is true; otherwise raise :class:`ExerciseError`.

    Use it for answers checked by a property rather than a value, e.g.
    ``check(val_loss, lambda v: v < 0.05, name="val_loss", hint="train longer")``.
    While ``answer`` is still a stub it only says so.
    """
    if _is_stub(answer):
        print(_NOT_ATTEMPTED.format(name=name))
        return
    try:
        ok = bool(passes(answer))
        failure = None
    except Exception as err:  # a wrong type or shape: turn it into a hint, not a traceback
        ok, failure = False, f"could not be checked ({type(err).__name__}: {err})"
    if failure is not None:  # raised outside the except block: one message, no chained traceback
        _fail(name, f"{failure}; your answer: {_describe(answer)}", hint)
    if not ok:
        _fail(name, f"{problem} (your answer: {_describe(answer)})", hint)
    _correct(name)


def _describe(value: Any) -> str:
    """A short description of a learner's answer for a message: the number, or the type and shape."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):.4g}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def check_close(
    answer: Any,
    expected: Any,
    name: str = "answer",
    atol: float = 1e-4,
    rtol: float = 1e-3,
    hint: str = "",
) -> None:
    """Pass when ``answer`` matches ``expected`` in shape and value (within tolerances).

    Works for numbers, NumPy arrays and tensors. While ``answer`` is still a stub
    (``None`` or ``...``) it only says so.
    """
    if _is_stub(answer):
        print(_NOT_ATTEMPTED.format(name=name))
        return
    got, want = _answer_array(answer, name, hint), _as_array(expected)
    if got.shape != want.shape:
        _fail(name, f"expected shape {want.shape}, got {got.shape}", hint)
    if not np.all(np.isfinite(got)):
        _fail(name, "contains NaN or infinity", hint)
    if not np.allclose(got, want, atol=atol, rtol=rtol):
        worst = float(np.max(np.abs(got - want)))
        _fail(name, f"values differ from the expected ones (largest difference {worst:.3g})", hint)
    _correct(name)


def check_function(
    fn: Callable[..., Any],
    reference: Callable[..., Any],
    inputs: Iterable[Sequence[Any]],
    name: str | None = None,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    hint: str = "",
) -> None:
    """Pass when ``fn(*args)`` matches ``reference(*args)`` for every ``args`` in ``inputs``."""
    name = name or getattr(fn, "__name__", "your function")
    results = []
    for args in inputs:
        want = reference(*copy.deepcopy(args))  # on copies: an answer that edits its input in place
        try:                                    # cannot change what it is compared with
            got = fn(*copy.deepcopy(args))
        except NotImplementedError:
            got = None
        if _is_stub(got):
            print(_NOT_ATTEMPTED.format(name=name))
            return
        results.append((args, got, want))
    for args, got, want in results:
        got_a, want_a = _answer_array(got, name, hint), _as_array(want)
        if got_a.shape != want_a.shape:
            problem = f"for inputs of shapes {_shapes(args)} expected output shape {want_a.shape}, got {got_a.shape}"
            _fail(name, problem, hint)
        if not np.allclose(got_a, want_a, atol=atol, rtol=rtol):
            _fail(name, f"for inputs of shapes {_shapes(args)} the output differs from the expected one", hint)
    _correct(name)


def _shapes(args: Sequence[Any]) -> list[tuple[int, ...]]:
    return [tuple(np.shape(_as_array(a))) for a in args]


def _answer_array(value: Any, name: str, hint: str) -> np.ndarray:
    """A learner's answer as an array; one that is not numbers is a wrong answer, not a crash."""
    try:
        return _as_array(value)
    except (TypeError, ValueError) as err:
        _fail(name, f"could not be compared with the expected numbers ({type(err).__name__}: {err})", hint)
        raise  # unreachable: _fail raises


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


# ---- the notebook format -------------------------------------------------------


def solution_metadata(grade_id: str) -> dict[str, Any]:
    """The metadata every solution cell carries: collapsed in JupyterLab, nbgrader-ready."""
    return {
        "tags": [SOLUTION_TAG],
        "jupyter": {"source_hidden": True, "outputs_hidden": True},
        "nbgrader": {
            "grade": False,
            "grade_id": grade_id,
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        },
    }


def _is_solution(cell: dict[str, Any]) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def normalize_notebook(nb: dict[str, Any], stem: str) -> int:
    """Give each cell tagged ``solution`` the full solution metadata; return how many."""
    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and _is_solution(cell):
            n += 1
            meta = cell.setdefault("metadata", {})
            for key, value in solution_metadata(f"{stem}-solution-{n}").items():
                if key == "tags":
                    meta["tags"] = sorted(set(meta.get("tags", [])) | set(value))
                else:
                    meta[key] = value
    return n


def validate_notebook(nb: dict[str, Any], path: str = "notebook") -> list[str]:
    """Problems with a notebook's exercise cells (an empty list when it is fine)."""
    problems = []
    ids = set()
    for i, cell in enumerate(nb["cells"]):
        where = f"{path} cell {i}"
        if not _is_solution(cell):
            if cell["cell_type"] == "code" and (BEGIN in _source(cell) or END in _source(cell)):
                problems.append(f"{where}: has solution markers but is not tagged '{SOLUTION_TAG}'")
            continue
        src = _source(cell)
        meta = cell.get("metadata", {})
        if cell["cell_type"] != "code":
            problems.append(f"{where}: a solution cell must be a code cell")
            continue
        if src.count(BEGIN) != 1 or src.count(END) != 1 or src.index(BEGIN) > src.index(END):
            problems.append(f"{where}: needs one '{BEGIN}' line followed by one '{END}' line")
        first = src.splitlines()[0] if src else ""
        if not first.startswith("#") or first.strip() == BEGIN:
            problems.append(f"{where}: the first line must be a non-spoiler comment (JupyterLab shows it)")
        jup = meta.get("jupyter", {})
        if not (jup.get("source_hidden") and jup.get("outputs_hidden")):
            problems.append(f"{where}: source and outputs must be hidden (run 'make normalize')")
        grader = meta.get("nbgrader", {})
        if not grader.get("solution") or grader.get("schema_version") != 3 or "grade_id" not in grader:
            problems.append(f"{where}: nbgrader metadata missing or incomplete (run 'make normalize')")
        elif grader["grade_id"] in ids:
            problems.append(f"{where}: duplicate nbgrader grade_id {grader['grade_id']!r}")
        else:
            ids.add(grader["grade_id"])
    return problems


def strip_solutions(nb: dict[str, Any]) -> dict[str, Any]:
    """A student copy: solution code replaced by a stub, every output cleared."""
    nb = copy.deepcopy(nb)
    pattern = re.compile(
        rf"^([ \t]*){re.escape(BEGIN)}.*?^[ \t]*{re.escape(END)}[^\n]*(\n|$)", re.M | re.S
    )
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        # every marked region goes, also in a cell someone forgot to tag
        if _is_solution(cell) or BEGIN in _source(cell) or END in _source(cell):
            src = pattern.sub(_stub, _source(cell))
            if BEGIN in src or END in src:  # a region left unclosed would leak
                raise ValueError(f"cell {i}: unbalanced '{BEGIN}' / '{END}' markers")
            cell["source"] = src
        if _is_solution(cell):
            cell["metadata"].get("jupyter", {}).pop("source_hidden", None)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def _stub(match: re.Match[str]) -> str:
    indent = match.group(1)
    # an indented region is a block's body (e.g. a def): keep the block valid Python
    return f"{indent}{STUDENT_STUB}\n" + (f"{indent}pass\n" if indent else "")


def build_student_edition(src: str | Path, dest: str | Path) -> list[Path]:
    """Write the student edition of every notebook in ``src`` into ``dest``."""
    import nbformat

    src, dest = Path(src), Path(dest)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"src {src} holds no notebooks")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = nbformat.from_dict(strip_solutions(nb))
        nbformat.validate(student)
        out = dest / path.name
        nbformat.write(student, out)
        written.append(out)
    return written
