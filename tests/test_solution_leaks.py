"""No solution line leaks into an edition made from the notebooks.

Three editions come from the one set of notebooks: the student edition (make student),
the HTML edition (make html) and the slides (make slides). For every notebook, every
line of every solution that appears nowhere else in the notebook (no other cell's
source or stored output holds it) must be absent from the text a reader of each
edition gets: the student notebook's sources and outputs; the HTML page's and the
deck's text with solutions left out; and, with solutions folded, their text outside
the folded ``<details class="ae-solution">`` elements. The folded editions must show
each such line inside the fold: the extraction sees code, so the check can fail.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tools import exercises as fmt
from tools import html_edition, slides
from tools.html_edition import build_html_edition

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MIN_CHARS = 8  # shorter lines ("return x") may well be written elsewhere in the notebook


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _squash(text: str) -> str:
    return " ".join(text.split())


def secret_lines(nb: nbformat.NotebookNode) -> set[str]:
    """The solution lines (whitespace squashed) that no other cell of ``nb`` holds."""
    solutions = [c for c in nb.cells if fmt.SOLUTION_TAG in c.metadata.get("tags", [])]
    elsewhere = []
    for cell in nb.cells:
        if cell in solutions:
            continue
        elsewhere.append(cell.source)
        for output in cell.get("outputs", []):
            elsewhere.append(_text(output.get("text")))
            elsewhere += [_text(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    seen = _squash("\n".join(elsewhere))
    lines = {_squash(line) for c in solutions for line in fmt.solution_body(c.source).splitlines()}
    return {line for line in lines if len(line) >= MIN_CHARS and line not in seen}


class _Text(HTMLParser):
    """A page's text, split into what lies inside folded solutions and what does not."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outside, self.inside, self._depth, self._skip = [], [], 0, 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "details":
            if self._depth or "ae-solution" in (dict(attrs).get("class") or "").split():
                self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag == "details" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            (self.inside if self._depth else self.outside).append(data)


def page_text(path: Path) -> tuple[str, str]:
    """(text outside folded solutions, text inside them) of an HTML file, whitespace squashed."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    # pygments splits a code line into spans: joined without separators, the line is whole again
    return _squash("".join(parser.outside)), _squash("".join(parser.inside))


def leaked(secret: set[str], text: str) -> list[str]:
    return sorted(line for line in secret if line in text)


@pytest.fixture(scope="module")
def fake_reveal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """reveal.js as the deck needs it, without npm: the leak test looks at the pages only."""
    import io
    import tarfile

    path = tmp_path_factory.mktemp("reveal") / "reveal.js.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name in ("package/dist/reveal.js", "package/plugin/notes/notes.js"):
            info = tarfile.TarInfo(name)
            tar.addfile(info, io.BytesIO(b""))
    return path


def check_page(page: Path, secret: set[str], edition: str, mode: str) -> None:
    outside, inside = page_text(page)
    assert leaked(secret, outside) == [], f"solution lines in the {edition} ({mode} solutions)"
    if mode == "collapsed":  # the same lines are there, folded: the extraction would see a leak
        assert leaked(secret, inside) == sorted(secret), f"{edition}: a folded solution is incomplete"
    else:
        assert inside == "", f"{edition}: solutions left out, yet a folded one is there"


def build_pages(path: Path, tmp_path: Path, fake_reveal: Path, html_mode: str, slides_mode: str) -> tuple[Path, Path]:
    """The notebook's HTML page and deck. Formulas stay TeX (drawing them is most of the time,
    and solutions are code): test_html_edition tests the drawing."""
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(nbformat.read(path, as_version=4), src / path.name)
    page = build_html_edition(src, tmp_path / "html", html_mode)[1]
    return page, slides.build_slides(src, tmp_path / "slides", slides_mode, fake_reveal)[1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_line_leaks_into_any_edition(path: Path, tmp_path: Path, fake_reveal: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edition as its make target writes it: HTML with solutions folded, slides without."""
    nb = nbformat.read(path, as_version=4)
    secret = secret_lines(nb)
    assert secret, f"{path.name}: its solutions should hold code of their own"

    student = nbformat.from_dict(fmt.student_notebook(nb))
    student_text = _squash("\n".join(
        [c.source for c in student.cells]
        + [_text(o.get("text")) + _text(o.get("data", {}).get("text/plain")) for c in student.cells
           for o in c.get("outputs", [])]))
    assert leaked(secret, student_text) == [], "solution lines in the student edition"

    monkeypatch.setattr(slides, "REVEAL_INTEGRITY", slides._integrity(fake_reveal))
    monkeypatch.setattr(html_edition, "_math_svg", lambda tex, size: None)
    html_page, deck = build_pages(path, tmp_path, fake_reveal, "collapsed", "omit")
    check_page(html_page, secret, "HTML edition", "collapsed")
    check_page(deck, secret, "slides", "omit")


def test_the_other_solution_modes_leak_nothing_either(tmp_path: Path, fake_reveal: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """make html --omit-solutions, and slides with --fold-solutions (one notebook: the same code paths)."""
    path = NOTEBOOKS[0]
    secret = secret_lines(nbformat.read(path, as_version=4))
    monkeypatch.setattr(slides, "REVEAL_INTEGRITY", slides._integrity(fake_reveal))
    monkeypatch.setattr(html_edition, "_math_svg", lambda tex, size: None)
    html_page, deck = build_pages(path, tmp_path, fake_reveal, "omit", "collapsed")
    check_page(html_page, secret, "HTML edition", "omit")
    check_page(deck, secret, "slides", "collapsed")
