"""tools.reading_time: the one method behind every notebook's "Time:" line."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import reading_time as rt


def test_counts_prose_code_and_exercises_not_solutions() -> None:
    check = new_code_cell("ae.checks.x(x)")
    check.metadata["tags"] = ["check"]
    solution = new_code_cell("def solution():\n    return 1\n\n\nae.checks.x.reference(solution())")
    solution.metadata["tags"] = ["solution"]
    nb = new_notebook(cells=[new_markdown_cell("# Title\n\nSix words of prose, don't they?"),
                             new_code_cell("a = 1\n\nb = 2"), check, solution,
                             new_markdown_cell("## 8. Optional\n\nmore words here"), new_code_cell("c = 3")])
    found = rt.estimate(nb)
    assert (found.words, found.code_lines, found.exercises) == (12, 4, 1)
    assert found.minutes(run_seconds=60) == 12 / rt.WORDS_PER_MINUTE + 4 / rt.CODE_LINES_PER_MINUTE + 10 + 1
    core = rt.estimate(nb, until="## 8.")
    assert (core.words, core.code_lines, core.exercises) == (7, 3, 1)
    assert rt.estimate(new_notebook(cells=[new_markdown_cell("one two")])).minutes() == 2 / rt.WORDS_PER_MINUTE
