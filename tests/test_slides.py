"""Slides (tools/slides.py): the slide-type rules, the `mark` command, the offline deck.

The rules are checked on small notebooks built here, one rule each, and on the course's
own notebooks: slide metadata changes nothing but metadata, is idempotent, skips every
solution, starts a slide at every section; the stored notebooks carry it (make
normalize). The deck is built from a fake reveal.js package (no network): it refers
to nothing outside its folder, skips what is skipped and keeps speaker notes.
"""

from __future__ import annotations

import base64
import copy
import io
import re
import struct
import tarfile
import zlib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import slides
from tools.__main__ import main as tools_main
from tools.exercises import SOLUTION_TAG, normalize_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION = ("# Solution\ndef solution():\n    ### BEGIN SOLUTION\n    secret_answer_value = 6 * 7\n"
            "    ### END SOLUTION\n    return secret_answer_value\n\n\nae.checks.the_answer.reference(solution())")


def png(width: int, height: int) -> str:
    """A real (blank) PNG of the given size, base64 as a notebook stores it."""
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")).decode("ascii")


def figure_cell(source: str, width: int = 600, height: int = 400) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.outputs = [new_output("display_data", data={"image/png": png(width, height), "text/plain": "<Figure>"})]
    return cell


def tagged(cell: nbformat.NotebookNode, *tags: str) -> nbformat.NotebookNode:
    cell.metadata["tags"] = list(tags)
    return cell


def lecture() -> nbformat.NotebookNode:
    """A notebook with one cell for each rule (the index of each is named in the test)."""
    return new_notebook(cells=[
        new_markdown_cell("# 09 · A lecture\n\nWhat it is about."),                       # 0 title
        new_markdown_cell("## Setup\n\nImports and the seed."),                            # 1 setup prose
        new_code_cell("import aecourse as ae"),                                           # 2 setup code
        new_markdown_cell("**Parameters.** The data set."),                               # 3 setup prose
        tagged(new_code_cell('DATASET = "digits"'), "parameters"),                         # 4 parameters
        new_markdown_cell("## 1. A section\n\nShort text."),                               # 5 section
        new_code_cell("x = 1"),                                                           # 6 continues
        new_markdown_cell("### 1.1 A subsection"),                                        # 7 subsection
        new_markdown_cell("**Autograd.** A new idea in a run-in heading."),               # 8 new idea
        new_code_cell("\n".join(f"line_{i} = {i}" for i in range(slides.LONG_CODE + 3))),  # 9 long code
        new_markdown_cell("**Takeaway:** what it means."),                                # 10 fragment
        new_markdown_cell("**Exercise 1.** Compute the answer."),                          # 11 exercise
        new_code_cell("answer = None"),                                                   # 12 answer
        new_code_cell("ae.checks.the_answer(answer)"),                                    # 13 check
        tagged(new_code_cell(SOLUTION), SOLUTION_TAG),                                    # 14 solution
        tagged(new_markdown_cell("Below the check, a solution."), "about-solutions"),    # 15 about solutions
        new_markdown_cell("Some prose that introduces the figure below."),                # 16 intro
        figure_cell("plot()", 900, 420),                                                  # 17 figure
        tagged(new_markdown_cell("Say this aloud: the figure took 2 minutes."), "slides-notes"),  # 18 override
        new_markdown_cell("Takeaway first.\n\n## Cleaning up\n\nThe files go."),         # 19 heading mid-cell
        new_code_cell("workdir.cleanup()"),                                               # 20 housekeeping code
        new_markdown_cell("## Summary\n\n- one\n- two"),                                  # 21 section again
    ])


def types(nb: nbformat.NotebookNode) -> list[str]:
    return [c["metadata"]["slideshow"]["slide_type"] for c in nb["cells"]]


def test_each_rule_gives_its_slide_type() -> None:
    nb = lecture()
    normalize_notebook(nb, "09_lecture")  # tags the answer and check cells, as make normalize does first
    got = types(slides.slide_metadata(nb))
    expected = {
        0: "slide", 1: "notes", 2: "skip", 3: "notes", 4: "skip", 5: "slide", 6: "-", 7: "subslide",
        8: "subslide", 9: "subslide", 10: "fragment", 11: "subslide", 12: "-", 13: "-", 14: "skip", 15: "skip",
        18: "notes", 19: "slide", 20: "skip", 21: "slide",
    }
    assert {i: got[i] for i in expected} == expected
    # the figure overflows the exercise's slide: it starts a subslide together with its short introduction
    assert (got[16], got[17]) == ("subslide", "-")
    assert nb.metadata["rise"] == slides.RISE_SETTINGS


def test_the_budget_splits_long_runs_of_cells() -> None:
    cells = [new_markdown_cell("## A section")] + [figure_cell(f"plot({i})", 800, 300) for i in range(6)]
    nb = slides.slide_metadata(new_notebook(cells=cells))
    marked = slides.slides_of(nb)
    assert len(marked) > 1 and types(nb)[0] == "slide"
    for cells_on_slide in marked:
        height = sum(slides.cell_height(nb.cells[i]) for i in cells_on_slide)
        assert height <= slides.BUDGET or len(cells_on_slide) == 1, cells_on_slide


def test_heights_of_prose_code_and_figures() -> None:
    assert slides.cell_height(new_markdown_cell("## Title\n\n" + "word " * 36)) == 2 + 0.5 + 2
    code = new_code_cell("a = 1\nb = 2")
    code.outputs = [new_output("stream", name="stdout", text="x\n" * 100)]
    assert slides.cell_height(code) == 1 + 2 + slides.OUTPUT_LINES  # long text output is capped
    small, wide = figure_cell("f()", 400, 280), figure_cell("f()", 2300, 560)
    assert slides.cell_height(small) == pytest.approx(2 + 280 * slides.FIGURE_ZOOM / slides.LINE_PX)
    assert slides.cell_height(wide) == pytest.approx(2 + 560 * (slides.SLIDE_WIDTH_PX / 2300) / slides.LINE_PX)
    assert slides.figure_scale(400, 280) == slides.FIGURE_ZOOM  # small figures get larger ...
    assert slides.figure_scale(600, 600) == 1.0  # ... never smaller than drawn, unless wider than the slide
    assert slides.figure_scale(2300, 100) == pytest.approx(slides.SLIDE_WIDTH_PX / 2300)


def test_author_choices_are_kept() -> None:
    nb = lecture()
    nb.metadata["rise"] = {"theme": "serif"}
    nb.cells[6].metadata["slideshow"] = {"slide_type": "slide", "data": {"x": "1"}}
    nb.cells[6].metadata["tags"] = ["slides-fragment"]
    nb.cells[8].metadata["tags"] = ["slides-continue"]
    slides.slide_metadata(nb)
    assert nb.cells[6].metadata["slideshow"] == {"slide_type": "fragment", "data": {"x": "1"}}
    assert nb.cells[8].metadata["slideshow"]["slide_type"] == "-"
    assert nb.metadata["rise"]["theme"] == "serif" and nb.metadata["rise"]["scroll"] is True
    nb.cells[8].metadata["tags"] = ["slides-sideways"]
    with pytest.raises(ValueError, match="unknown slide tag 'slides-sideways'"):
        slides.slide_metadata(nb)


def _without_slide_metadata(nb: dict) -> dict:
    nb = copy.deepcopy(nb)
    nb["metadata"].pop("rise", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("slideshow", None)
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_course_notebooks_present_well(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    marked = slides.slide_metadata(copy.deepcopy(nb))
    assert _without_slide_metadata(marked) == _without_slide_metadata(nb), "only slide metadata may change"
    assert slides.slide_metadata(copy.deepcopy(marked)) == marked, "marking twice changes nothing"
    kinds = types(marked)
    assert set(kinds) <= set(slides.SLIDE_TYPES)
    assert kinds[0] == "slide", "the title opens the deck"
    for i, cell in enumerate(marked.cells):
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            assert kinds[i] == "skip", f"cell {i}: a solution is never on a slide"
        if cell.cell_type == "markdown" and re.search(r"^## ", cell.source, re.M):
            assert kinds[i] in ("slide", "notes"), f"cell {i}: a section starts a slide"
    shown = slides.slides_of(marked)
    assert len(shown) >= 10, "a notebook is more than a handful of slides"
    crowded = [s for s in shown if len(s) > 1 and sum(slides.cell_height(marked.cells[i]) for i in s) > slides.BUDGET]
    # only a section's opening slide may overflow: its heading, prose and first cell stay together
    assert all(kinds[s[0]] in ("slide", "subslide") for s in crowded)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebooks_carry_slide_metadata(path: Path) -> None:
    """`make normalize` (run by `make execute`) stores what the rules give: RISE shows it."""
    nb = nbformat.read(path, as_version=4)
    assert slides.slide_metadata(copy.deepcopy(nb)) == nb, (
        f"{path.name}: slide metadata missing or stale: run make normalize NB=notebooks/{path.name}")


def test_mark_and_normalize_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "09_lecture.ipynb"
    nbformat.write(lecture(), path)
    outputs = [c.get("outputs") for c in lecture().cells]
    assert slides.main(["mark", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"marked {path}: 4 slides, ") and "skipped" in out
    assert [c.get("outputs") for c in nbformat.read(path, as_version=4).cells] == outputs
    before = path.read_bytes()
    assert slides.main(["mark", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"unchanged {path}") and path.read_bytes() == before
    bare = tmp_path / "09_bare.ipynb"
    nbformat.write(lecture(), bare)
    tools_main(["normalize", str(bare)])  # normalize marks slides too
    assert types(nbformat.read(bare, as_version=4))[14] == "skip"


# ---- the offline deck -------------------------------------------------------------------

FAKE_REVEAL = {
    "package/LICENSE": b"MIT",
    "package/dist/reveal.js": b"window.Reveal = {initialize() {}, on() {}};",
    "package/dist/reveal.js.map": b"{}",
    "package/dist/reveal.esm.js": b"export default {};",
    "package/dist/reveal.css": b".reveal {}",
    "package/dist/theme/white.css": b"@import url(./fonts/source-sans-pro/source-sans-pro.css);",
    "package/dist/theme/fonts/source-sans-pro/source-sans-pro.css": b"",
    "package/plugin/notes/notes.js": b"window.RevealNotes = {};",
    "package/plugin/zoom/zoom.js": b"",
    "package/test/test.html": b"",
}


@pytest.fixture
def fake_reveal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An npm-like reveal.js tarball, and its integrity pinned in its place."""
    path = tmp_path / "reveal.js-fake.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in FAKE_REVEAL.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(slides, "REVEAL_INTEGRITY", slides._integrity(path))
    return path


def test_vendor_reveal_copies_what_the_deck_needs(tmp_path: Path, fake_reveal: Path) -> None:
    out = slides.vendor_reveal(tmp_path / "deck", fake_reveal)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["LICENSE", "dist/reveal.css", "dist/reveal.js",
                     "dist/theme/fonts/source-sans-pro/source-sans-pro.css", "dist/theme/white.css",
                     "plugin/notes/notes.js"]
    with pytest.raises(RuntimeError, match="is not the pinned"):
        slides.vendor_reveal(tmp_path / "other", fake_reveal, integrity="sha512-somethingelse")
    assert not (tmp_path / "other").exists()
    assert slides.REVEAL_INTEGRITY.startswith("sha512-") and slides._integrity(fake_reveal) == slides.REVEAL_INTEGRITY


def _refs(page: str) -> list[str]:
    return re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="([^"]*)"', page)


@pytest.mark.parametrize("mode", ["omit", "collapsed"])
def test_deck_is_self_contained(tmp_path: Path, fake_reveal: Path, mode: str) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    nb = lecture()
    normalize_notebook(nb, "09_lecture")
    nbformat.write(nb, src / "09_lecture.ipynb")
    dest = tmp_path / "slides"
    (dest / "keep.txt").parent.mkdir()
    (dest / "keep.txt").write_text("not the builder's")
    (dest / "08_gone.slides.html").write_text("old")
    (dest / slides.MANIFEST).write_text("08_gone.slides.html\n")
    written = slides.build_slides(src, dest, mode, fake_reveal)
    assert [p.name for p in written] == ["index.html", "09_lecture.slides.html"]
    assert (dest / "keep.txt").exists() and not (dest / "08_gone.slides.html").exists()
    page = (dest / "09_lecture.slides.html").read_text()
    for ref in _refs(page):  # every script, style and image from the folder itself
        if not ref.startswith(("data:", "#")):
            assert "://" not in ref and not ref.startswith("//"), ref
            assert (dest / ref.split("?")[0]).is_file(), f"{ref} is not in the deck's folder"
    assert "reveal.js/dist/reveal.js" in _refs(page) and "reveal.js/plugin/notes/notes.js" in _refs(page)
    for absent in ("require.js", "require.min.js", "jquery", "MathJax", "mathjax", "unpkg", "cdnjs", "mermaid"):
        assert absent not in page, absent
    deck = slides.deck_notebook(nb, mode)  # a <section> for each slide, holding one for each of its subslides
    assert page.count("<section") == len(slides.slides_of(deck)) + types(deck).count("slide")
    assert '<aside class="notes">' in page and "Imports and the seed." in page  # the setup's prose: notes
    assert "import aecourse as ae" not in page and "workdir.cleanup" not in page  # skipped cells
    if mode == "omit":
        assert "secret_answer_value" not in page and "left out of this edition" in page
    else:
        assert page.count('<details class="ae-solution">') == 1 and "secret_answer_value" in page
    index = (dest / "index.html").read_text()
    assert 'href="09_lecture.slides.html"' in index and "09 · A lecture" in index
