"""How exercise checks behave (aecourse.exercises), the exercise format and the editions
made from it (tools.exercises), on small hand-made notebooks and on every notebook of
the course. The checks themselves are tested in test_checks.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from aecourse.checks._common import same_outputs
from aecourse.exercises import ExerciseError, NotAttempted, Wrong, call, describe, exercise
from tools import exercises as fmt

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@exercise("answer", hint="the default hint")
def _is_42(answer: object, plus: int = 0) -> None:
    if answer + plus != 42:  # a str answer raises TypeError here: "could not be checked"
        raise Wrong(describe(answer), "42")


@exercise("fn")
def _returns_42(fn: object) -> None:
    if call(fn) != 42:
        raise Wrong("another number", "42", "return 6 * 7")


# ---- how a check behaves ------------------------------------------------------------------


def test_stub_wrong_right(capsys: pytest.CaptureFixture[str]) -> None:
    for stub in (None, ...):
        _is_42(stub)
        assert capsys.readouterr().out.startswith("answer: not attempted yet. Write your answer")
    with pytest.raises(ExerciseError) as info:
        _is_42(41)
    assert str(info.value) == "answer: not right yet. Your answer: 41; expected: 42.\nHint: the default hint"
    assert info.value._render_traceback_() == [f"ExerciseError: {info.value}"]  # IPython shows no stack
    assert info.value.__context__ is None and info.value.__cause__ is None
    _is_42(40, plus=2)
    assert capsys.readouterr().out == "answer: correct, well done.\n"
    assert issubclass(ExerciseError, AssertionError)  # fails a test like an assert would


def test_a_check_that_cannot_handle_the_answer_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    problem = r"^answer: could not be checked \(TypeError: .*\)\. Your answer: a str"
    with pytest.raises(ExerciseError, match=problem) as info:
        _is_42("42")
    assert info.value.__context__ is None


def test_the_learners_own_error_keeps_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def broken():
        return [1, 2][5]

    with pytest.raises(IndexError) as info:
        _returns_42(broken)
    assert any(frame.name == "broken" for frame in info.traceback)
    _returns_42(lambda: None)  # a stub function
    assert "not attempted" in capsys.readouterr().out

    def unfinished():
        raise NotImplementedError

    _returns_42(unfinished)
    assert "not attempted" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="Your answer: 3, not a function; expected: a function"):
        _returns_42(3)


def test_reference_mode_is_silent_and_strict(capsys: pytest.CaptureFixture[str]) -> None:
    _is_42.reference(42)
    assert capsys.readouterr().out == ""
    with pytest.raises(ExerciseError, match="not attempted"):
        _is_42.reference(None)
    with pytest.raises(ExerciseError, match="not right yet"):
        _is_42.reference(7)


@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_under_nbgrader_a_stub_fails(mode: str, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    with pytest.raises(ExerciseError, match="not attempted"):
        _is_42(None)
    _is_42(42)
    assert "correct" in capsys.readouterr().out


def test_describe() -> None:
    import numpy as np

    assert describe(0.123456) == "0.1235" and describe(3) == "3" and describe(None) == "None"
    assert describe(np.zeros((2, 3))) == "a ndarray of shape (2, 3)"
    assert describe("x" * 100).endswith("...") and len(describe("x" * 100)) < 80
    with pytest.raises(NotAttempted):
        call(lambda: ...)


# ---- the format, on small notebooks -------------------------------------------------------

SOLUTION = """# Solution (expand to compare with yours)
def solution():
    ### BEGIN SOLUTION
    answer = 6 * 7
    print("the answer is", answer)
    ### END SOLUTION
    return answer


ae.checks.the_answer.reference(solution())"""


def _exercise_nb(solution: str = SOLUTION, check: str = "ae.checks.the_answer(answer)",
                 stub: str = "answer = None  # replace None") -> nbformat.NotebookNode:
    about = new_markdown_cell("The solution is in the collapsed cell.")
    about.metadata["tags"] = [fmt.ABOUT_TAG]
    sol = new_code_cell(solution)
    sol.metadata["tags"] = [fmt.SOLUTION_TAG]
    return new_notebook(cells=[new_markdown_cell("# Demo"), about, new_markdown_cell("**Exercise 1.** 6 x 7?"),
                               new_code_cell(stub), new_code_cell(check), sol, new_code_cell("print('after')")])


def test_normalize_then_validate() -> None:
    nb = _exercise_nb()
    assert fmt.validate_notebook(nb, "nb")  # metadata missing before normalizing
    assert fmt.normalize_notebook(nb, "07_demo") == 1
    assert fmt.validate_notebook(nb, "nb") == []
    answer, check, solution = nb.cells[3].metadata, nb.cells[4].metadata, nb.cells[5].metadata
    assert answer["tags"] == ["answer"] and answer["nbgrader"]["solution"] and not answer["nbgrader"]["grade"]
    assert check["nbgrader"] == {"grade": True, "grade_id": "07_demo-ex1-check", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    assert solution["jupyter"] == {"source_hidden": True, "outputs_hidden": True} and "nbgrader" not in solution
    check["nbgrader"]["points"] = 3  # an author's choice of points survives normalizing
    fmt.normalize_notebook(nb, "07_demo")
    assert nb.cells[4].metadata["nbgrader"]["points"] == 3


@pytest.mark.parametrize(("solution", "check", "problem"), [
    (SOLUTION.replace("# Solution (expand to compare with yours)\n", ""), None, "non-spoiler comment"),
    (SOLUTION.replace("    ### END SOLUTION\n", ""), None, "needs one '### BEGIN SOLUTION'"),
    (SOLUTION.replace("def solution():\n", "if True:\n"), None, "only 'def solution()"),
    (SOLUTION + "\nanswer = solution()", None, "only 'def solution()"),  # would overwrite the learner's name
    (SOLUTION.replace("    answer = 6 * 7", "    global answer\n    answer = 6 * 7"), None, "global"),
    (SOLUTION, "ae.checks.other(answer)", "must call ae.checks.the_answer"),
    (SOLUTION, "print(answer == 42)", "must call ae.checks.the_answer"),
])
def test_validate_finds_format_problems(solution: str, check: str | None, problem: str) -> None:
    nb = _exercise_nb(solution, check or "ae.checks.the_answer(answer)")
    fmt.normalize_notebook(nb, "x")
    problems = fmt.validate_notebook(nb, "nb.ipynb")
    assert any(problem in p for p in problems), problems


def test_a_source_ending_in_a_newline_is_found_and_normalized_away() -> None:
    """nbgrader's release keeps a final newline the student edition drops: the grade demo compares them."""
    nb = _exercise_nb()
    nb.cells[6].source = "print('after')\n"
    fmt.normalize_notebook(nb, "x")
    assert nb.cells[6].source == "print('after')" and fmt.validate_notebook(nb, "nb") == []
    nb.cells[6].source = "print('after')\n"
    assert fmt.validate_notebook(nb, "nb") == ["nb cell 6: its source ends with a newline (run 'make normalize')"]


def test_validate_finds_markers_outside_solution_cells() -> None:
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    assert fmt.validate_notebook(nb, "nb") == ["nb cell 0: has solution markers but is not tagged 'solution'"]


def test_instructor_version_is_nbgraders_source() -> None:
    nb = _exercise_nb()
    nb.cells[4].metadata["aecourse"] = {"hidden_tests": "ae.checks.the_answer(answer, strict=True)"}
    fmt.normalize_notebook(nb, "x")
    source = fmt.instructor_notebook(nb)
    assert [c.source.splitlines()[0] for c in source.cells] == [
        "# Demo", "**Exercise 1.** 6 x 7?", "answer = None  # replace None", "ae.checks.the_answer(answer)",
        "print('after')"]  # the solution cell and the note about solutions are gone
    assert source.cells[2].source == ("answer = None  # replace None\n### BEGIN SOLUTION\nanswer = 6 * 7\n"
                                      'print("the answer is", answer)\n### END SOLUTION')
    assert source.cells[3].source == ("ae.checks.the_answer(answer)\n### BEGIN HIDDEN TESTS\n"
                                      "ae.checks.the_answer(answer, strict=True)\n### END HIDDEN TESTS")
    assert "aecourse" not in source.cells[3].metadata


def test_student_edition_is_the_release() -> None:
    nb = _exercise_nb()
    nb.cells[4].metadata["aecourse"] = {"hidden_tests": "ae.checks.the_answer(answer, strict=True)"}
    fmt.normalize_notebook(nb, "x")
    student = fmt.student_notebook(nb)
    assert [c.source for c in student.cells if c.cell_type == "code"] == [
        f"answer = None  # replace None\n{fmt.STUDENT_STUB}", "ae.checks.the_answer(answer)", "print('after')"]
    assert not any("solution" in c.source.lower() for c in student.cells)
    solved = fmt.solved_notebook(nb)
    assert solved.cells[2].source == 'answer = None  # replace None\nanswer = 6 * 7\nprint("the answer is", answer)'
    wrong = fmt.solved_notebook(nb, wrong={"the_answer": "answer = 41"})
    assert wrong.cells[2].source == "answer = None  # replace None\nanswer = 41"
    with pytest.raises(ValueError, match="no exercise checked by"):
        fmt.solved_notebook(nb, wrong={"nope": "x = 1"})


def test_build_student_edition(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    nb = _exercise_nb()
    fmt.normalize_notebook(nb, "01_a")
    nbformat.write(nb, src / "01_a.ipynb")
    written = fmt.build_student_edition(src, tmp_path / "out")
    assert [p.name for p in written] == ["01_a.ipynb"]
    assert "6 * 7" not in (tmp_path / "out" / "01_a.ipynb").read_text()
    with pytest.raises(FileNotFoundError, match="holds no notebooks"):
        fmt.build_student_edition(tmp_path / "out" / "nothing", tmp_path / "x")


# ---- every notebook of the course ------------------------------------------------------------


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("student")
    written = fmt.build_student_edition(ROOT / "notebooks", dest)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    return dest


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_exercise_format(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert fmt.validate_notebook(nb, path.name) == []
    found = fmt.exercises(nb)
    assert len(found) >= (1 if path.name.startswith("00_") else 3), "the template asks for three exercises"
    for ex in found:  # stored as Run All leaves them: every check "not attempted", no solution with a verdict
        check = "".join(o.get("text", "") for o in nb.cells[ex.check].outputs)
        assert check.startswith(f"{ex.name}: not attempted yet.") or "not attempted yet." in check, check
        solution = "".join(o.get("text", "") for o in nb.cells[ex.solution].outputs)
        assert "correct" not in solution and "not attempted" not in solution


def _solution_lines(nb: nbformat.NotebookNode) -> set[str]:
    """Non-trivial lines of the solutions that are not also written outside them."""
    outside = {line.strip() for c in nb.cells if fmt.SOLUTION_TAG not in c.metadata.get("tags", [])
               for line in c.source.splitlines()}
    body = [line.strip() for ex in fmt.exercises(nb) for line in fmt.solution_body(nb.cells[ex.solution].source)
            .splitlines()]
    return {line for line in body if re.search(r"\w", line) and line not in outside and not line.startswith("#")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_edition_leaks_no_solution(path: Path, student_dir: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    nbformat.validate(student)
    secret = _solution_lines(nb)
    assert secret, "solutions should contain code"
    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    assert not secret & student_lines, f"solution lines in the student edition: {sorted(secret & student_lines)}"
    text = nbformat.writes(student)
    for marker in (fmt.BEGIN, fmt.END, fmt.BEGIN_HIDDEN, fmt.END_HIDDEN, "collapsed", "def solution"):
        assert marker not in text, marker
    answers = [c for c in student.cells if fmt.ANSWER_TAG in c.metadata.get("tags", [])]
    assert len(answers) == len(fmt.exercises(nb))  # one answer cell per exercise
    assert all(c.source.endswith(fmt.STUDENT_STUB) for c in answers)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            if not cell.source.lstrip().startswith(("%", "!")):
                ast.parse(cell.source)  # every cell of the student edition still parses


@pytest.mark.parametrize("name", ["00_course_tour.ipynb", "01_latent_representations.ipynb"])
def test_run_all_then_rerun_every_check_says_not_attempted(name: str) -> None:
    """Run All with nothing written (solutions run too), then each check again: none says correct."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    checks = [nb.cells[ex.check].source for ex in fmt.exercises(nb)]
    nb.cells.extend(new_code_cell(source) for source in checks)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}},
                   ).execute()
    for cell in nb.cells[-len(checks):]:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "not attempted yet" in text and "correct" not in text, text


def test_same_outputs_is_not_fooled_by_an_answer_that_edits_its_input() -> None:
    """A wrong answer that zeroes its input in place must not make the reference agree with it."""
    def reference(x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=0)

    def zero_in_place(x: np.ndarray) -> np.ndarray:
        x[:] = 0.0
        return np.zeros_like(x)

    x = np.arange(12.0).reshape(4, 3)
    with pytest.raises(Wrong):
        same_outputs(zero_in_place, reference, [(x,)])
    assert np.array_equal(x, np.arange(12.0).reshape(4, 3))  # the caller's inputs are untouched too
    same_outputs(lambda x: x - x.mean(axis=0), reference, [(x,)])  # a right answer passes
