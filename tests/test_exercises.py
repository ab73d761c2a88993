"""aecourse.exercises: the self-checks, the exercise format and the student edition,
tested on small hand-made notebooks and on every notebook of the course."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aecourse import exercises as ex

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STUB = re.escape(ex._NOT_ATTEMPTED.format(name="NAME")).replace("NAME", "{}")


def _not_attempted(out: str, name: str) -> bool:
    return re.fullmatch(STUB.format(re.escape(name)) + r"\n", out) is not None


# ---- check ----------------------------------------------------------------------


def test_check_stub_wrong_right(capsys: pytest.CaptureFixture[str]) -> None:
    for stub in (None, ...):
        ex.check(stub, lambda v: v < 0.05, name="val_loss")
        assert _not_attempted(capsys.readouterr().out, "val_loss")
    with pytest.raises(ex.ExerciseError, match=r"^val_loss: not right yet \(your answer: 0.2\)\nHint: train longer$"):
        ex.check(0.2, lambda v: v < 0.05, name="val_loss", hint="train longer")
    with pytest.raises(ex.ExerciseError, match=r"^answer: too large \(your answer: 0.2\)$"):  # no "Hint:" line
        ex.check(0.2, lambda v: v < 0.05, problem="too large")
    with pytest.raises(ex.ExerciseError, match=r"your answer: ndarray of shape \(3, 2\)"):
        ex.check(np.zeros((3, 2)), lambda v: v.shape == (2, 3))
    ex.check(0.01, lambda v: v < 0.05, name="val_loss")
    assert capsys.readouterr().out == "val_loss: correct, well done.\n"
    assert issubclass(ex.ExerciseError, AssertionError)  # fails a test like an assert would


def test_check_turns_errors_into_hints(capsys: pytest.CaptureFixture[str]) -> None:
    problem = r"z: could not be checked \(AttributeError: .*shape.*\); your answer: list \[1, 2\]\nHint: a tensor"
    with pytest.raises(ex.ExerciseError, match=problem) as info:
        ex.check([1, 2], lambda z: z.shape == (2,), name="z", hint="a tensor")
    assert info.value.__context__ is None and info.value.__cause__ is None  # one message, not a chained traceback
    assert info.value._render_traceback_() == [f"ExerciseError: {info.value}"]  # how IPython shows it: no stack
    assert capsys.readouterr().out == ""
    ex.check(0, lambda v: v == 0)  # falsy answers are answers, not stubs
    assert "correct" in capsys.readouterr().out


# ---- check_close ----------------------------------------------------------------


def test_check_close(capsys: pytest.CaptureFixture[str]) -> None:
    ex.check_close(None, 1.0, name="mse")
    assert _not_attempted(capsys.readouterr().out, "mse")
    with pytest.raises(ex.ExerciseError, match=r"^w: expected shape \(2, 3\), got \(3, 2\)\nHint: transpose\?$"):
        ex.check_close(np.zeros((3, 2)), np.zeros((2, 3)), name="w", hint="transpose?")
    with pytest.raises(ex.ExerciseError, match="w: contains NaN or infinity"):
        ex.check_close(np.array([1.0, np.nan]), np.array([1.0, 2.0]), name="w")
    with pytest.raises(ex.ExerciseError, match=r"w: values differ from the expected ones \(largest difference 0\.5\)"):
        ex.check_close([1.0, 2.5], [1.0, 2.0], name="w")
    ex.check_close(torch.tensor([1.0, 2.0], requires_grad=True) * 1, np.array([1.0, 2.00001]), name="w")
    ex.check_close(3, 3.0)
    assert capsys.readouterr().out == "w: correct, well done.\nanswer: correct, well done.\n"
    with pytest.raises(ex.ExerciseError, match="largest difference"):
        ex.check_close(1.0, 1.01, atol=0, rtol=1e-3)
    ex.check_close(1.0, 1.01, atol=0.02)


def test_check_close_wrong_type_is_an_exercise_error() -> None:
    with pytest.raises(ex.ExerciseError, match=r"k: could not be compared .*\nHint: a number"):
        ex.check_close("three", 3, name="k", hint="a number")
    with pytest.raises(ex.ExerciseError, match="k: could not be compared"):
        ex.check_close({"a": 1}, 3, name="k")


# ---- check_function -------------------------------------------------------------


def _reference(x: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(x)[:, :k] * 2


INPUTS = [(np.ones((4, 5)), 2), (np.arange(12.0).reshape(3, 4), 3)]


def test_check_function(capsys: pytest.CaptureFixture[str]) -> None:
    def stub(x, k):  # noqa: ANN001, ANN202 - the learner's stub
        ...

    def not_implemented(x, k):  # noqa: ANN001, ANN202
        raise NotImplementedError

    def right(x, k):  # noqa: ANN001, ANN202
        return torch.as_tensor(x)[:, :k] * 2.0

    def wrong(x, k):  # noqa: ANN001, ANN202
        return np.asarray(x)[:, :k] * 2 + (x.shape[1] == 4)  # right for the first input only

    def wrong_shape(x, k):  # noqa: ANN001, ANN202
        return np.asarray(x)[:, : k + 1] * 2

    ex.check_function(stub, _reference, INPUTS)
    assert _not_attempted(capsys.readouterr().out, "stub")
    ex.check_function(not_implemented, _reference, INPUTS, name="halve")
    assert _not_attempted(capsys.readouterr().out, "halve")
    with pytest.raises(ex.ExerciseError, match=r"^wrong: for inputs of shapes \[\(3, 4\), \(\)\] the output differs"):
        ex.check_function(wrong, _reference, INPUTS)
    with pytest.raises(ex.ExerciseError, match=r"expected output shape \(4, 2\), got \(4, 3\)\nHint: slice"):
        ex.check_function(wrong_shape, _reference, INPUTS, hint="slice")
    ex.check_function(right, _reference, iter(INPUTS))  # any iterable of argument tuples
    assert capsys.readouterr().out == "right: correct, well done.\n"


def test_check_function_wrong_output_type_is_an_exercise_error() -> None:
    with pytest.raises(ex.ExerciseError, match="f: could not be compared"):
        ex.check_function(lambda x, k: "a string", _reference, INPUTS, name="f")


# ---- the notebook format --------------------------------------------------------

GOOD_SOLUTION = (
    "# Solution (expand to compare with yours)\n"
    "### BEGIN SOLUTION\n"
    "answer = secret_recipe(42)\n"
    "### END SOLUTION\n"
    'ex.check(answer, lambda v: v > 0, name="answer")'
)


def _nb(*sources: str, solution: tuple[int, ...] = ()) -> nbformat.NotebookNode:
    """A notebook of code cells; the cells at the indices in ``solution`` are tagged."""
    cells = [new_markdown_cell("# Title")]
    for i, src in enumerate(sources):
        cell = new_code_cell(src, execution_count=i + 1)
        cell.outputs = [new_output("stream", name="stdout", text=f"output {i}\n")]
        if i in solution:
            cell.metadata["tags"] = ["solution"]
        cells.append(cell)
    return new_notebook(cells=cells)


def test_solution_metadata() -> None:
    meta = ex.solution_metadata("03_x-solution-2")
    assert meta["tags"] == ["solution"]
    assert meta["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert meta["nbgrader"] == {
        "grade": False, "grade_id": "03_x-solution-2", "locked": False,
        "schema_version": 3, "solution": True, "task": False,
    }
    assert ex.solution_metadata("a") is not ex.solution_metadata("a")


def test_normalize_notebook() -> None:
    nb = _nb("x = 1", GOOD_SOLUTION, "y = 2", GOOD_SOLUTION, solution=(1, 3))
    nb.cells[4].metadata["tags"] = ["solution", "keep-me"]
    nb.cells.append(new_markdown_cell("text", metadata={"tags": ["solution"]}))  # not a code cell: untouched
    assert ex.normalize_notebook(nb, "07_demo") == 2
    first, second = nb.cells[2].metadata, nb.cells[4].metadata
    assert first == ex.solution_metadata("07_demo-solution-1")
    assert second["tags"] == ["keep-me", "solution"]
    assert second["nbgrader"]["grade_id"] == "07_demo-solution-2"
    assert nb.cells[1].metadata == {} and nb.cells[-1].metadata == {"tags": ["solution"]}
    assert ex.validate_notebook(nb) == [
        "notebook cell 5: a solution cell must be a code cell"
    ]
    nb.cells.pop()
    assert ex.validate_notebook(nb) == []
    before = copy.deepcopy(nb)
    assert ex.normalize_notebook(nb, "07_demo") == 2  # idempotent
    assert nb == before


@pytest.mark.parametrize(
    "source, problem",
    [
        ("# Solution\nanswer = 42", "needs one '### BEGIN SOLUTION' line followed by one '### END SOLUTION' line"),
        ("# Solution\n### END SOLUTION\nanswer = 42\n### BEGIN SOLUTION", "followed by one '### END SOLUTION'"),
        ("# Solution\n### BEGIN SOLUTION\na = 1\n### END SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "needs one"),
        ("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "the first line must be a non-spoiler comment"),
        ("answer = 42  # spoiler\n### BEGIN SOLUTION\n### END SOLUTION", "the first line must be a non-spoiler"),
        ("", "the first line must be a non-spoiler comment"),
    ],
)
def test_validate_notebook_finds_format_problems(source: str, problem: str) -> None:
    nb = _nb(source, solution=(0,))
    ex.normalize_notebook(nb, "x")
    problems = ex.validate_notebook(nb, "nb.ipynb")
    assert any(p.startswith("nb.ipynb cell 1: ") and problem in p for p in problems), problems


def test_validate_notebook_finds_metadata_problems() -> None:
    nb = _nb(GOOD_SOLUTION, GOOD_SOLUTION, solution=(0, 1))
    problems = ex.validate_notebook(nb)
    assert "notebook cell 1: source and outputs must be hidden (run 'make normalize')" in problems
    assert "notebook cell 1: nbgrader metadata missing or incomplete (run 'make normalize')" in problems
    ex.normalize_notebook(nb, "x")
    nb.cells[2].metadata["nbgrader"]["grade_id"] = nb.cells[1].metadata["nbgrader"]["grade_id"]
    assert ex.validate_notebook(nb) == ["notebook cell 2: duplicate nbgrader grade_id 'x-solution-1'"]
    nb.cells[2].metadata["jupyter"]["outputs_hidden"] = False
    assert "notebook cell 2: source and outputs must be hidden" in ex.validate_notebook(nb)[0]


def test_validate_notebook_finds_markers_outside_solution_cells() -> None:
    """Solution markers in an untagged code cell: the format is broken, say so."""
    nb = _nb("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    problems = ex.validate_notebook(nb, "nb.ipynb")
    assert len(problems) == 1 and problems[0].startswith("nb.ipynb cell 1: ") and "tagged" in problems[0]
    # markdown may talk about the markers
    assert ex.validate_notebook(new_notebook(cells=[new_markdown_cell("use `### BEGIN SOLUTION`")])) == []


def test_strip_solutions() -> None:
    nb = _nb("x = 1", GOOD_SOLUTION, solution=(1,))
    ex.normalize_notebook(nb, "t")
    original = copy.deepcopy(nb)
    student = ex.strip_solutions(nb)
    assert nb == original  # the input is not modified
    assert student.cells[2].source == (
        "# Solution (expand to compare with yours)\n"
        f"{ex.STUDENT_STUB}\n"
        'ex.check(answer, lambda v: v > 0, name="answer")'
    )
    assert student.cells[1].source == "x = 1"
    for cell in student.cells[1:]:
        assert cell.outputs == [] and cell.execution_count is None
    meta = student.cells[2].metadata
    assert "source_hidden" not in meta["jupyter"] and meta["jupyter"]["outputs_hidden"]  # code shown
    assert meta["nbgrader"]["solution"] and meta["tags"] == ["solution"]


def test_strip_solutions_several_regions_and_indentation() -> None:
    source = (
        "# Solution\n"
        "### BEGIN SOLUTION\n"
        "a = 1\n"
        "### END SOLUTION\n"
        "b = 2\n"
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return x * secret\n"
        "    ### END SOLUTION\n"
        "check(f)\n"
    )
    student = ex.strip_solutions(_nb(source, solution=(0,)))
    got = student.cells[1].source
    assert "a = 1" not in got and "secret" not in got
    assert "b = 2\ndef f(x):\n    " + ex.STUDENT_STUB in got
    assert got.count(ex.STUDENT_STUB) == 2 and got.endswith("check(f)\n")
    ast.parse(got)  # the stub leaves the function a valid body: the cell still runs
    namespace: dict = {"check": lambda f: None}
    exec(compile(got, "cell", "exec"), namespace)
    assert namespace["f"](3) is None  # a stub, as check_function expects


def test_strip_solutions_refuses_unbalanced_markers() -> None:
    nb = _nb("# Solution\n### BEGIN SOLUTION\nanswer = secret_recipe(42)", solution=(0,))
    with pytest.raises(ValueError, match="cell 1.*BEGIN SOLUTION"):
        ex.strip_solutions(nb)


def test_strip_solutions_untagged_cell_with_markers() -> None:
    nb = _nb("# a cell someone forgot to tag\n### BEGIN SOLUTION\nanswer = secret_recipe(42)\n### END SOLUTION\n")
    assert "secret_recipe" not in ex.strip_solutions(nb).cells[1].source


def test_build_student_edition(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("02_b.ipynb", "01_a.ipynb"):
        nb = _nb("x = 1", GOOD_SOLUTION, solution=(1,))
        ex.normalize_notebook(nb, name[:-6])
        nbformat.write(nb, src / name)
    (src / "notes.txt").write_text("not a notebook")
    written = ex.build_student_edition(src, tmp_path / "out" / "student")
    assert written == [tmp_path / "out" / "student" / "01_a.ipynb", tmp_path / "out" / "student" / "02_b.ipynb"]
    for path in written:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert "secret_recipe" not in path.read_text()
        assert all(c.get("outputs", []) == [] for c in nb.cells)
    with pytest.raises(FileNotFoundError, match="holds no notebooks"):
        ex.build_student_edition(tmp_path / "out", tmp_path / "x")


# ---- every notebook of the course -----------------------------------------------


def _split_lines(source: str) -> tuple[list[str], list[str]]:
    """(lines strictly between BEGIN/END SOLUTION markers, the other lines), stripped."""
    inside, marked, unmarked = False, [], []
    for line in source.splitlines():
        if line.strip().startswith(ex.BEGIN):
            inside = True
        elif line.strip().startswith(ex.END):
            inside = False
        else:
            (marked if inside else unmarked).append(line.strip())
    return marked, unmarked


def test_split_lines() -> None:
    marked, unmarked = _split_lines("a\n  ### BEGIN SOLUTION\n  b\na\n### END SOLUTION\nc")
    assert marked == ["b", "a"] and unmarked == ["a", "c"]


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("student")
    written = ex.build_student_edition(ROOT / "notebooks", dest)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    return dest


def test_the_course_has_notebooks_with_exercises() -> None:
    assert NOTEBOOKS, "no notebooks found"
    assert any(ex._is_solution(c) for c in nbformat.read(NOTEBOOKS[0], as_version=4).cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_exercise_format(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert ex.validate_notebook(nb, path.name) == []
    solutions = [c for c in nb.cells if ex._is_solution(c)]
    for cell in solutions:
        jupyter = cell.metadata.get("jupyter", {})
        assert jupyter.get("source_hidden") is True and jupyter.get("outputs_hidden") is True  # collapsed
        first = cell.source.splitlines()[0]
        assert first.startswith("#") and ex.BEGIN not in first
    if not path.name.startswith("00_"):
        assert len(solutions) >= 3, f"{path.name}: the template asks for at least three exercises"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_edition_leaks_no_solution(path: Path, student_dir: Path) -> None:
    source_nb = nbformat.read(path, as_version=4)
    student_nb = nbformat.read(student_dir / path.name, as_version=4)
    nbformat.validate(student_nb)
    assert len(student_nb.cells) == len(source_nb.cells)

    outside = {line for c in source_nb.cells for line in _split_lines(c.source)[1]}
    secret = {
        line
        for cell in source_nb.cells
        if cell.cell_type == "code"
        for line in _split_lines(cell.source)[0]
        # non-trivial: has a word or a number, and is not also written outside a solution
        if re.search(r"\w", line) and line not in outside
    }
    n_regions = sum(c.source.count(ex.BEGIN) for c in source_nb.cells if c.cell_type == "code")
    assert (n_regions == 0) == (not secret), "solution regions should contain code"
    student_lines = {line.strip() for cell in student_nb.cells for line in cell.source.splitlines()}
    assert not secret & student_lines, f"solution lines in the student edition: {sorted(secret & student_lines)}"
    student_text = nbformat.writes(student_nb)
    assert ex.BEGIN not in student_text and ex.END not in student_text
    assert student_text.count(ex.STUDENT_STUB) == n_regions

    for cell in student_nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            if not cell.source.lstrip().startswith(("%", "!")):
                ast.parse(cell.source)  # every cell of the student edition still runs
