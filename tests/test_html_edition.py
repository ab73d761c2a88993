"""The HTML edition builder (tools.html_edition, make html), without a browser.

tests/browser/test_html_pages.py opens the real edition in Chromium; these check the
pieces on tiny notebooks: titles, math, widgets, folded or omitted solutions, links,
and that a page names nothing on the internet to fetch.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.exercises import BEGIN, END, SOLUTION_TAG
from tools.html_edition import (
    WIDGET_STATE,
    WIDGET_VIEW,
    build_html_edition,
    notebook_summary,
    notebook_title,
    render_math,
    replace_widget_outputs,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()  # content does not matter here


def widget_notebook(with_state: bool = True) -> nbformat.NotebookNode:
    nb = new_notebook()
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    cell = new_code_cell("# NBVAL_IGNORE_OUTPUT\ninteract(draw, k=(1, 9))")
    cell.outputs = [new_output("display_data", data={WIDGET_VIEW: view, "text/plain": "interactive(...)"})]
    nb.cells = [new_markdown_cell("# 04 · Widgets"), cell]
    if with_state:
        state = {
            "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_k", "IPY_MODEL_out"]}},
            "k": {"model_name": "IntSliderModel", "state": {"description": "k", "value": 5}},
            "out": {
                "model_name": "OutputModel",
                "state": {"outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG}}]},
            },
        }
        nb.metadata["widgets"] = {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def course_notebooks(folder: Path) -> Path:
    """Two tiny notebooks: a tour that links to the second, which has math, a widget and a solution."""
    folder.mkdir()
    tour = new_notebook(cells=[
        new_markdown_cell("# 00 · Tour\n\nA *short* tour. Next: [the widgets](01_widgets.ipynb#Widgets)."),
    ])
    nbformat.write(tour, folder / "00_tour.ipynb")
    nb = widget_notebook()
    nb.cells[0].source = (
        "# 01 · Widgets\n\nThe code is $z = f(W_e x + b_e)$, priced at $5 and $10:\n\n$$\\sum_j z_j^2$$"
    )
    code = f"# Solution (expand to compare with yours)\n{BEGIN}\nanswer = 6 * 7\n{END}\nprint(answer)"
    solution = new_code_cell(code)
    solution.metadata = {"tags": [SOLUTION_TAG], "jupyter": {"source_hidden": True, "outputs_hidden": True}}
    solution.outputs = [new_output("stream", name="stdout", text="42\n")]
    nb.cells += [new_code_cell("answer = None  # replace None"), solution]
    nbformat.write(nb, folder / "01_widgets.ipynb")
    return folder


def test_title_and_summary_come_from_the_first_markdown_cell() -> None:
    intro = "# 02 · **Autoencoders**\n\nAn [encoder](x.md) squeezes.\n\nMore."
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell(intro)])
    assert notebook_title(nb) == "02 · Autoencoders"
    assert notebook_summary(nb) == "An encoder squeezes."
    assert notebook_title(new_notebook(), default="03_x") == "03_x"
    long = new_notebook(cells=[new_markdown_cell("# T\n\n" + "word " * 100)])
    assert len(notebook_summary(long, limit=50)) <= 50 and notebook_summary(long, limit=50).endswith("…")


def test_math_becomes_svg_images_and_code_stays_code() -> None:
    out = render_math("Inline $x_i^2$ and\n\n$$\\sum_j \\rho_j$$\n\nbut `$HOME` and $5 or $10 stay.")
    images = re.findall(r'<img class="(ae-math[-a-z]*)"[^>]*alt="([^"]*)" src="data:image/svg\+xml;base64,', out)
    assert images == [("ae-math", "x_i^2"), ("ae-math-display", "\\sum_j \\rho_j")]
    assert "`$HOME`" in out and "$5 or $10" in out
    assert render_math("$\\notacommand{x}$") == "$\\notacommand{x}$"  # mathtext cannot: left as TeX
    assert render_math("$z_j \\ge 0$").startswith("<img")  # MathJax's \\ge is mathtext's \\geq
    assert render_math("$x$") == render_math("$x$")  # deterministic (no dates or random ids)


def test_widget_views_become_their_stored_figure() -> None:
    nb = widget_notebook()
    assert replace_widget_outputs(nb) == 1
    note, figure = nb.cells[1].outputs
    assert "k = 5" in note["data"]["text/plain"] and "JupyterLab" in note["data"]["text/html"]
    assert figure["data"]["image/png"] == PNG
    assert "widgets" not in nb.metadata  # so nbconvert adds no widget-manager script
    bare = widget_notebook(with_state=False)
    assert replace_widget_outputs(bare) == 1 and len(bare.cells[1].outputs) == 1


def test_edition_pages_work_offline_and_fold_solutions(tmp_path: Path) -> None:
    src = course_notebooks(tmp_path / "notebooks")
    dest = tmp_path / "html"
    dest.mkdir()
    (dest / "about.html").write_text("written by hand")  # not the builder's: it stays
    extra = src / "99_removed.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 99 · Removed")]), extra)
    assert (dest / "99_removed.html") in build_html_edition(src, dest)
    extra.unlink()  # the notebook is gone: its page goes with the next build
    pages = build_html_edition(src, dest)
    assert [p.name for p in pages] == ["index.html", "00_tour.html", "01_widgets.html"]
    assert not (dest / "99_removed.html").exists()
    assert (dest / "about.html").read_text() == "written by hand"

    index = (dest / "index.html").read_text()
    assert index.index("00 · Tour") < index.index("01 · Widgets") and 'href="01_widgets.html"' in index
    tour, widgets = (dest / "00_tour.html").read_text(), (dest / "01_widgets.html").read_text()
    assert 'href="01_widgets.html#Widgets"' in tour  # links between notebooks lead to pages
    for page in (index, tour, widgets):  # nothing to fetch from the internet: no scripts, no remote CSS
        assert "<script" not in page
        assert not re.search(r"""src=["']?https?:|<link[^>]+https?:|@import|url\(["']?https?:""", page)
    assert widgets.count('<details class="ae-solution">') == 1
    folded = widgets[widgets.index('<details class="ae-solution">'):]
    assert folded.index("answer") > folded.index("</summary>")  # the code is inside the fold
    assert "# Solution (expand to compare with yours)</summary>" in widgets
    assert "Interactive widget" in widgets and f"data:image/png;base64,{PNG}" in widgets
    assert "ae-math-display" in widgets and "priced at $5 and $10" in widgets

    build_html_edition(src, dest, solutions="omit")
    omitted = (dest / "01_widgets.html").read_text()
    assert "6 * 7" not in omitted and BEGIN not in omitted and "left out of this edition" in omitted


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="src"):
        build_html_edition(tmp_path, tmp_path / "html")
    src = course_notebooks(tmp_path / "notebooks")
    with pytest.raises(ValueError, match="solutions"):
        build_html_edition(src, tmp_path / "html", solutions="hidden")
