"""The command line (python -m tools ...) and the notebook runner behind `make execute`."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import exercises as ex
from tools.__main__ import main
from tools.notebooks import NotebookRun, run_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ("# Solution\ndef solution():\n    ### BEGIN SOLUTION\n    answer = 6 * 7\n    ### END SOLUTION\n"
            "    return answer\n\n\nae.checks.the_answer.reference(solution())")
EXERCISE = ("answer = None", "ae.checks.the_answer(answer)", SOLUTION)


def _write(path: Path, *sources: str, solution: tuple[int, ...] = ()) -> Path:
    cells = [new_markdown_cell("# A notebook")]
    for i, src in enumerate(sources):
        cell = new_code_cell(src)
        if i in solution:
            cell.metadata["tags"] = ["solution"]
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_normalize_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "05_demo.ipynb", "x = 1", *EXERCISE, solution=(3,))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} cell 4: source and outputs must be hidden (run 'make normalize')" in err
    assert main(["normalize", str(path)]) == 0
    assert capsys.readouterr().out == f"normalized {path}\n"
    cells = nbformat.read(path, as_version=4).cells
    assert cells[3].metadata["nbgrader"]["grade_id"] == "05_demo-ex1-check"
    assert cells[4].metadata["jupyter"]["source_hidden"]
    before = path.read_bytes()
    assert main(["normalize", str(path)]) == 0  # nothing left to do: the file is not rewritten
    assert capsys.readouterr().out == "" and path.read_bytes() == before
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().err == ""
    # normalize also reports what it cannot fix
    broken = _write(tmp_path / "06_broken.ipynb", "answer = None", "ae.checks.the_answer(answer)", "answer = 1",
                    solution=(2,))
    assert main(["normalize", str(broken), str(path)]) == 1
    captured = capsys.readouterr()
    assert f"normalized {broken}" in captured.out
    assert f"{broken} cell 3: needs one '### BEGIN SOLUTION'" in captured.err


def test_student(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    path = _write(src / "01_x.ipynb", *EXERCISE, solution=(2,))
    assert main(["normalize", str(path)]) == 0
    assert main(["student", str(src), str(tmp_path / "build")]) == 0
    assert capsys.readouterr().out.endswith(f"wrote {tmp_path / 'build' / '01_x.ipynb'}\n")
    student = nbformat.read(tmp_path / "build" / "01_x.ipynb", as_version=4)
    expected = [f"answer = None\n{ex.STUDENT_STUB}", "ae.checks.the_answer(answer)"]
    assert [c.source for c in student.cells[1:]] == expected


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["frobnicate"], ["validate"], ["student", "only-src"]):
        with pytest.raises(SystemExit) as err:
            main(argv)
        assert err.value.code == 2
    assert "usage: python -m tools" in capsys.readouterr().err


def test_every_tool_module_is_a_subcommand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m tools html ...` is `python -m tools.html_edition ...`, and so on: the rest goes to that main."""
    import importlib

    from tools.__main__ import TOOLS

    assert {m for m, _ in TOOLS.values()} == {
        p.stem for p in (ROOT / "tools").glob("*.py") if "\ndef main(" in p.read_text()
    } - {"__main__"}
    calls = []
    for name, (module, _) in TOOLS.items():
        mod = importlib.import_module(f"tools.{module}")
        monkeypatch.setattr(mod, "main", lambda argv, module=module: calls.append((module, argv)) or 3)
        assert main([name, "--flag", "a b"]) == 3  # its status comes back
        assert calls[-1] == (module, ["--flag", "a b"])
    monkeypatch.undo()
    src, work = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    (src / "01_a.ipynb").write_text("{}")
    assert main(["workcopy", str(src), str(work)]) == 0  # a real run
    assert (work / "01_a.ipynb").read_text() == "{}"
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["reading-time", "--help"])  # the tool's own help
    assert done.value.code == 0 and "usage: python -m tools.reading_time" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in TOOLS), out


def test_execute_runs_a_fresh_kernel_in_the_notebook_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "data.txt").write_text("21")
    path = _write(
        folder / "01_run.ipynb",
        "import os\nprint(os.path.basename(os.getcwd()))",
        "x = int(open('data.txt').read())",
        "print(x * 2)",
    )
    assert main(["execute", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"executed {path} in ") and "; slowest cell " in out
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    assert code[0].outputs[0].text == "course\n"  # it ran in the notebook's own folder
    assert code[2].outputs[0].text == "42\n"
    assert "execution" not in code[0].metadata  # no volatile timestamps stored


def test_run_notebook_timings_and_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run_notebook(tmp_path / "missing.ipynb")
    path = _write(tmp_path / "02_fail.ipynb", "y = 1", "raise RuntimeError('boom in a cell')", "z = 2")
    before = path.read_bytes()
    with pytest.raises(CellExecutionError, match="boom in a cell"):
        run_notebook(path, write=True)
    assert path.read_bytes() == before  # a failed run does not overwrite the notebook
    good = _write(tmp_path / "03_ok.ipynb", "a = 1", "b = a + 1")
    before = good.read_bytes()
    run = run_notebook(good, write=False)
    assert isinstance(run, NotebookRun) and run.path == good
    assert good.read_bytes() == before  # write=False leaves the file alone
    assert [index for index, _, _ in run.cell_seconds] == [1, 2]
    assert [first for _, _, first in run.cell_seconds] == ["a = 1", "b = a + 1"]
    assert run.seconds >= sum(s for _, s, _ in run.cell_seconds) > 0


def test_python_dash_m(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m tools` (what the Makefile calls) runs main and exits with its status."""
    good = _write(tmp_path / "07_demo.ipynb", "x = 1")
    bad = _write(tmp_path / "08_demo.ipynb", "answer = 1", solution=(0,))
    monkeypatch.delitem(sys.modules, "tools.__main__")  # run it afresh, as python -m does
    for path, status in ((good, 0), (bad, 1)):
        monkeypatch.setattr(sys, "argv", ["python -m tools", "validate", str(path)])
        with pytest.raises(SystemExit) as done:
            runpy.run_module("tools", run_name="__main__", alter_sys=False)
        assert done.value.code == status


def test_stored_prints_are_merged_into_one_output_per_stream() -> None:
    """However the kernel cut the prints into messages, a cell stores one stdout output."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from tools.notebooks import _merge_streams

    cell = new_code_cell("print('a'); print('b')")
    cell.outputs = [
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="w\n"),
        new_output("stream", name="stdout", text="c\n"),
    ]
    nb = new_notebook(cells=[cell])
    _merge_streams(nb)
    merged = [(o.name, o.text) for o in nb.cells[0].outputs]
    assert merged == [("stdout", "a\nb\n"), ("stderr", "w\n"), ("stdout", "c\n")]
