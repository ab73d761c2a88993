"""The exercise format of the course's notebooks, and the editions made from it.

Course tooling, not part of the learners' package. An exercise in a notebook is

1. a markdown prompt;
2. an **answer** cell (tag ``answer``): the stub the learner replaces;
3. a **check** cell (tag ``check``): ``ae.checks.<name>(answer, ...)``, nothing else
   that gives the answer away; optional hidden tests for grading live in its metadata
   (``aecourse.hidden_tests``), never in the notebook the learner reads;
4. a **solution** cell (tag ``solution``), collapsed: a comment line, then
   ``def solution():`` holding the solution between nbgrader's markers, returning the
   answer, then ``ae.checks.<name>.reference(solution(), ...)``. Nothing else at the top
   level, so running it changes none of the learner's names.

A markdown cell tagged ``about-solutions`` talks about the solution cells; the
editions without solutions leave it out. From one notebook come:

- the **student edition** (:func:`student_notebook`): no solution cells, outputs
  cleared; what nbgrader's release of the instructor version looks like;
- the **instructor version** (:func:`instructor_notebook`), nbgrader's source: each
  answer cell holds the stub and then the solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; each check cell is a graded test cell with points, followed by
  its hidden tests between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

``python -m tools normalize|validate|student`` (used by the Makefile) wraps
:func:`normalize_notebook`, :func:`validate_notebook` and :func:`build_student_edition`.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SOLUTION_TAG",
    "ANSWER_TAG",
    "CHECK_TAG",
    "ABOUT_TAG",
    "BEGIN",
    "END",
    "BEGIN_HIDDEN",
    "END_HIDDEN",
    "STUDENT_STUB",
    "Exercise",
    "exercises",
    "solution_body",
    "normalize_notebook",
    "validate_notebook",
    "instructor_notebook",
    "solved_notebook",
    "student_notebook",
    "build_student_edition",
]

SOLUTION_TAG, ANSWER_TAG, CHECK_TAG, ABOUT_TAG = "solution", "answer", "check", "about-solutions"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUDENT_STUB = "# YOUR CODE HERE"  # what nbgrader's release leaves of a solution (ClearSolutions.code_stub)
_CHECK_CALL = re.compile(r"\bae\.checks\.(\w+)\(")
_REFERENCE_CALL = re.compile(r"\bae\.checks\.(\w+)\.reference\(")


def _tags(cell: dict[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines); tools/html_edition, tools/slides use it."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


@dataclass(frozen=True)
class Exercise:
    """Cell indices of one exercise, and the name of its check."""

    number: int
    answer: int
    check: int
    solution: int
    name: str | None


def exercises(nb: dict[str, Any]) -> list[Exercise]:
    """Every exercise of ``nb``: each solution cell with the check and answer cells before it."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if SOLUTION_TAG in _tags(cell):
            match = _REFERENCE_CALL.search(_source(cell))
            found.append(Exercise(len(found) + 1, i - 2, i - 1, i, match.group(1) if match else None))
    return found


def solution_body(source: str) -> str:
    """The code between a solution cell's markers, dedented: what the learner would write."""
    lines = source.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
        stop = next(i for i, line in enumerate(lines) if line.strip() == END)
    except StopIteration:
        raise ValueError(f"no '{BEGIN}' ... '{END}' region") from None
    return textwrap.dedent("\n".join(lines[start + 1:stop])).strip("\n")


def _grader(grade_id: str, kind: str, points: float = 1) -> dict[str, Any]:
    meta = {"grade": kind == "check", "grade_id": grade_id, "locked": kind == "check",
            "schema_version": 3, "solution": kind == "answer", "task": False}
    if kind == "check":
        meta["points"] = points
    return meta


def normalize_notebook(nb: dict[str, Any], stem: str) -> int:
    """Give each exercise's cells their metadata (tags, collapsed solution, nbgrader); return how many.

    Also drops a newline at the end of any cell's source (Jupyter never stores one; nbgrader's
    release would keep it where the student edition does not, so the two would differ).
    """
    for cell in nb["cells"]:
        if _source(cell).endswith("\n"):
            cell["source"] = _source(cell).rstrip("\n")
    found = exercises(nb)
    for ex in found:
        cells = nb["cells"]
        if ex.check < 0:
            continue
        for index, kind in ((ex.answer, ANSWER_TAG), (ex.check, CHECK_TAG)):
            meta = cells[index].setdefault("metadata", {})
            meta["tags"] = sorted(set(meta.get("tags", [])) | {kind})
            points = meta.get("nbgrader", {}).get("points", 1)
            meta["nbgrader"] = _grader(f"{stem}-ex{ex.number}-{kind}", kind, points)
        meta = cells[ex.solution].setdefault("metadata", {})
        meta["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
        meta.pop("nbgrader", None)  # not an nbgrader cell: the instructor version moves it into the answer cell
    return len(found)


def validate_notebook(nb: dict[str, Any], path: str = "notebook") -> list[str]:
    """Problems with a notebook's exercise cells (an empty list when it is fine)."""
    problems, ids = [], set()
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        src = _source(cell)
        if cell["cell_type"] == "code" and SOLUTION_TAG not in _tags(cell) and (BEGIN in src or END in src):
            problems.append(f"{path} cell {i}: has solution markers but is not tagged '{SOLUTION_TAG}'")
        if src.endswith("\n"):
            problems.append(f"{path} cell {i}: its source ends with a newline (run 'make normalize')")
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is not None and grade_id in ids:
            problems.append(f"{path} cell {i}: duplicate nbgrader grade_id {grade_id!r}")
        ids.add(grade_id)
    for ex in exercises(nb):
        where = f"{path} cell {ex.solution}"
        problems += [f"{where}: {p}" for p in _solution_problems(cells[ex.solution])]
        if ex.check < 1 or cells[ex.check]["cell_type"] != "code" or cells[ex.answer]["cell_type"] != "code":
            problems.append(f"{where}: needs an answer cell and a check cell (code) just before it")
            continue
        check_names = _CHECK_CALL.findall(_source(cells[ex.check]))
        if ex.name is None or check_names != [ex.name]:
            name = ex.name or "<name>"
            problems.append(f"{path} cell {ex.check}: the check cell must call ae.checks.{name}(...) once,"
                            f" as the solution's reference call does (found {check_names})")
        for index, kind in ((ex.answer, ANSWER_TAG), (ex.check, CHECK_TAG)):
            meta = cells[index].get("metadata", {})
            grader = meta.get("nbgrader", {})
            if kind not in meta.get("tags", []) or grader.get("schema_version") != 3 or "grade_id" not in grader:
                problems.append(f"{path} cell {index}: {kind} cell metadata missing (run 'make normalize')")
            elif kind == CHECK_TAG and not (grader.get("grade") and grader.get("points", 0) > 0
                                            and grader.get("locked")):
                problems.append(f"{path} cell {index}: a check cell must be a locked, graded test with points")
    return problems


def _solution_problems(cell: dict[str, Any]) -> list[str]:
    src = _source(cell)
    if cell["cell_type"] != "code":
        return ["a solution cell must be a code cell"]
    problems = []
    first = src.splitlines()[0] if src else ""
    if not first.startswith("#") or first.strip() == BEGIN:
        problems.append("the first line must be a non-spoiler comment (JupyterLab shows it)")
    if src.count(BEGIN) != 1 or src.count(END) != 1 or src.index(BEGIN) > src.index(END):
        problems.append(f"needs one '{BEGIN}' line followed by one '{END}' line")
    try:
        body = ast.parse(src).body
    except SyntaxError as err:
        return [*problems, f"does not parse ({err.msg}, line {err.lineno})"]
    shape_ok = (len(body) == 2 and isinstance(body[0], ast.FunctionDef) and body[0].name == "solution"
                and isinstance(body[1], ast.Expr)
                and _REFERENCE_CALL.search(ast.get_source_segment(src, body[1]) or ""))
    if not shape_ok:
        problems.append("must hold only 'def solution(): ...' and one 'ae.checks.<name>.reference(...)' call, "
                        "so that running it leaves the learner's names alone")
    elif any(isinstance(node, (ast.Global, ast.Nonlocal)) for node in ast.walk(body[0])):
        problems.append("the solution function must not assign global names")
    jup = cell.get("metadata", {}).get("jupyter", {})
    if not (jup.get("source_hidden") and jup.get("outputs_hidden")):
        problems.append("source and outputs must be hidden (run 'make normalize')")
    return problems


def _drop(nb: dict[str, Any], indices: set[int]) -> None:
    nb["cells"] = [c for i, c in enumerate(nb["cells"]) if i not in indices]


def _clear_outputs(nb: dict[str, Any]) -> None:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None


def instructor_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """nbgrader's source version: solutions inside the answer cells, hidden tests in the checks."""
    nb = copy.deepcopy(nb)
    drop = {i for i, c in enumerate(nb["cells"]) if ABOUT_TAG in _tags(c)}
    for ex in exercises(nb):
        answer, check = nb["cells"][ex.answer], nb["cells"][ex.check]
        body = solution_body(_source(nb["cells"][ex.solution]))
        answer["source"] = f"{_source(answer).rstrip()}\n{BEGIN}\n{body}\n{END}"
        hidden = check.get("metadata", {}).pop("aecourse", {}).get("hidden_tests")
        if hidden:
            check["source"] = f"{_source(check).rstrip()}\n{BEGIN_HIDDEN}\n{hidden.strip()}\n{END_HIDDEN}"
        drop.add(ex.solution)
    _drop(nb, drop)
    _clear_outputs(nb)
    return nb


def solved_notebook(nb: dict[str, Any], wrong: dict[str, str] | None = None) -> dict[str, Any]:
    """A submission with every exercise solved (the instructor version, markers removed).

    ``wrong`` maps a check's name to code put in that answer cell instead of the solution.
    """
    wrong = dict(wrong or {})
    names = {ex.answer: ex.name for ex in exercises(nb)}
    solved = instructor_notebook(nb)
    answers = [i for i, c in enumerate(solved["cells"]) if ANSWER_TAG in _tags(c)]
    for i, name in zip(answers, names.values(), strict=True):
        cell = solved["cells"][i]
        src = _source(cell)
        if name in wrong:
            src = src[: src.index(BEGIN)] + wrong.pop(name)
        cell["source"] = src.replace(f"{BEGIN}\n", "").replace(f"\n{END}", "")
    if wrong:
        raise ValueError(f"no exercise checked by {sorted(wrong)}")
    return solved


def _release(src: str, begin: str, end: str, stub: str) -> str:
    pattern = re.compile(rf"^([ \t]*){re.escape(begin)}.*?^[ \t]*{re.escape(end)}[^\n]*(\n|$)", re.M | re.S)
    out = pattern.sub(lambda m: f"{m.group(1)}{stub}\n" if stub else "", src)
    if begin in out or end in out:  # a region left unclosed would leak
        raise ValueError(f"unbalanced '{begin}' / '{end}' markers")
    return out.rstrip("\n")


def student_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """The student edition: the instructor version with solutions and hidden tests taken out,
    as ``nbgrader generate_assignment`` releases it (one answer cell per exercise)."""
    nb = instructor_notebook(nb)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        try:
            src = _release(_source(cell), BEGIN, END, STUDENT_STUB)
            cell["source"] = _release(src, BEGIN_HIDDEN, END_HIDDEN, "")
        except ValueError as err:
            raise ValueError(f"cell {i}: {err}") from None
    return nb


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
        student = nbformat.from_dict(student_notebook(nbformat.read(path, as_version=4)))
        nbformat.validate(student)
        out = dest / path.name
        nbformat.write(student, out)
        written.append(out)
    return written
