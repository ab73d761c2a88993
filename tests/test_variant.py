"""tools/variant.py: the one-line switch of a notebook's parameter cell."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools.variant import with_parameter


def _nb(tags: list[str] | None = None, source: str = 'DATASET = "digits"  # or "mnist"\nN = 3') -> dict:
    cell = new_code_cell(source, outputs=[new_output("stream", text="x")], execution_count=1)
    cell.metadata["tags"] = ["parameters"] if tags is None else tags
    return new_notebook(cells=[cell, new_code_cell("print(DATASET)", execution_count=2)])


def test_sets_the_line_and_clears_outputs() -> None:
    nb = _nb()
    out = with_parameter(nb, "DATASET", '"mnist"')
    assert out["cells"][0]["source"] == 'DATASET = "mnist"  # set by tools.variant\nN = 3'
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in out["cells"])
    assert nb["cells"][0]["source"].startswith('DATASET = "digits"')  # the original is untouched


@pytest.mark.parametrize(("nb", "problem"), [
    (_nb(tags=[]), "exactly one cell tagged 'parameters'"),
    (_nb(source="N = 3"), "no line 'DATASET = ...'"),
])
def test_a_notebook_without_the_switch_is_an_error(nb: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        with_parameter(nb, "DATASET", '"mnist"', "nb.ipynb")
