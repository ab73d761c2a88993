"""Lecture slides from the course's notebooks: live in JupyterLab (RISE) and offline.

Course tooling, not part of the learners' package. A lecturer presents a notebook as
it is: jupyterlab-rise (``make lab``) shows it as reveal.js slides whose cells still
run, and ``make slides`` writes every notebook as a static deck. Both read the same
cell metadata, ``metadata.slideshow.slide_type``, which :func:`slide_metadata`
derives from the notebook's structure and its stored outputs (``python -m tools
normalize`` applies it, and ``python -m tools execute`` again after a run, since the
height budget reads the outputs; ``python -m tools.slides mark NOTEBOOK...`` applies
it alone). The rules, the first that applies winning:

1. A tag ``slides-<type>`` (``slides-notes``, ``slides-skip``, ``slides-slide``,
   ``slides-subslide``, ``slides-fragment``, ``slides-continue``) is the author's
   choice and is kept: the way to add speaker notes the rules cannot guess.
2. **Skipped:** solution cells (``solution``), the markdown about them
   (``about-solutions``) and the parameter cell (``parameters``).
3. **Housekeeping** sections (``## Setup``, ``## Cleaning up``: imports, seeds,
   parameters, temporary files): their code is skipped and their prose becomes the
   speaker **notes** of the slide before (the title slide, for the setup).
4. A markdown cell with a ``#`` or ``##`` heading starts a **slide** (one section,
   one horizontal slide); one with a ``###`` heading a **subslide**.
5. An exercise prompt (``**Exercise N.**``) and a paragraph with another bold
   run-in heading (``**Autograd.**``) start a **subslide**: one idea each.
   A ``**Takeaway:**`` is a **fragment**: it appears on the next key press, below
   what it sums up.
6. A code cell longer than :data:`LONG_CODE` lines (not an exercise's own cells)
   starts a **subslide**.
7. Any other cell continues the current slide (``-``) while the slide's estimated
   height (:func:`cell_height`: prose and code lines, text outputs, figures by their
   pixel size) stays within :data:`BUDGET` lines; the cell that would overflow it
   starts a subslide (together with the short prose just before it, when the two
   fit). A fragment that would overflow becomes a subslide too.

The notebook's ``metadata.rise`` gets RISE's settings for the course (unless the
author set them): the white theme (its fonts are bundled, no Google Fonts), tall
slides scroll, the slideshow starts at the beginning. Only metadata changes: no
source and no output.

The offline deck (:func:`build_slides`, ``make slides``) renders each notebook with
its stored outputs through nbconvert's reveal.js template (``templates/
aecourse_slides.html.j2``): reveal.js :data:`REVEAL_VERSION` (the version
jupyterlab-rise bundles) is vendored from npm into the deck's folder, checked
against :data:`REVEAL_INTEGRITY`; math is drawn ahead of time and widgets become
their stored figure (``tools.html_edition.prepare_notebook``), so no MathJax,
require.js or jQuery is needed and nothing is fetched from the internet when the
deck is shown. Solutions are left out (or folded, ``--fold-solutions``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import hashlib
import html
import math
import re
import shutil
import struct
import subprocess
import sys
import tarfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.exercises import ABOUT_TAG, ANSWER_TAG, CHECK_TAG, SOLUTION_TAG, _source

__all__ = [
    "SLIDE_TYPES",
    "OVERRIDE_PREFIX",
    "BUDGET",
    "LONG_CODE",
    "RISE_SETTINGS",
    "REVEAL_VERSION",
    "REVEAL_INTEGRITY",
    "cell_height",
    "slide_metadata",
    "slide_types",
    "slides_of",
    "mark_notebooks",
    "vendor_reveal",
    "build_slides",
]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
OVERRIDE_PREFIX = "slides-"  # tags slides-notes, slides-skip, ..., slides-continue ("-")
PARAMETERS_TAG = "parameters"  # papermill's tag, which the course's parameter cells carry
HOUSEKEEPING = ("setup", "cleaning up", "clean up")  # sections a lecture does not show

# The slide's height in "lines" of its body text: a 1280x720 deck at the template's
# 20 px text holds about 25; the budget keeps a margin for headings' spacing.
BUDGET = 22
LONG_CODE = 12  # a code cell with more lines starts a subslide of its own
LINE_CHARS = 90  # characters of prose in one line of a slide
LINE_PX = 28  # one line's height in pixels, for figures
SLIDE_WIDTH_PX = 1150  # the deck's content width: wider figures are scaled down
FIGURE_ZOOM = 1.5  # figures are drawn for a screen at arm's length: larger on a projector ...
FIGURE_MAX_HEIGHT_PX = 460  # ... up to about two thirds of the slide's height
OUTPUT_LINES = 12  # a long text output counts this much (it scrolls beyond)
FIGURE_LINES = 12  # a figure of unknown size
TEXT_BUDGET_MD = 8  # prose this short moves with the code cell it introduces

RISE_SETTINGS = {"theme": "white", "scroll": True, "start_slideshow_at": "beginning"}

REVEAL_VERSION = "4.4.0"  # the reveal.js that jupyterlab-rise 0.43.1 bundles: one engine, live and offline
REVEAL_INTEGRITY = "sha512-jIV6C9V2NEUjGzU8L6dUFGpk1KJmq7/EzP2fOW67ggc2c0Cp/PdprWxZ9Qgp46F0T2ZWDCjQ1p3Ytzy5jA6a2w=="
REVEAL_FILES = ("package/LICENSE", "package/dist/", "package/plugin/notes/")  # what the deck needs
REVEAL_DIR = "reveal.js"  # under the deck's folder
ROOT = Path(__file__).resolve().parents[1]
NPM_CACHE = ROOT / ".cache" / "npm"
TEMPLATES = Path(__file__).parent / "templates"
MANIFEST = ".slides-edition-files"  # the decks the last build wrote: the only ones it may remove

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_RUN_IN = re.compile(r"^\s*\*\*([^*\n]{1,80}?)([.:?!])\*\*")  # "**Autograd.** ..." starts an idea


def _tags(cell: dict[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _headings(cell: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(line number, level, text) of each markdown heading of ``cell``, outside code fences."""
    if cell["cell_type"] != "markdown":
        return []
    found, fenced = [], False
    for number, line in enumerate(_source(cell).splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((number, len(match.group(1)), match.group(2)))
    return found


def _first_content_line(cell: dict[str, Any]) -> int:
    return next((i for i, line in enumerate(_source(cell).splitlines()) if line.strip()), 0)


# ---- how tall a cell is on a slide ---------------------------------------------------


def _png_size(data: str) -> tuple[int, int] | None:
    try:
        head = base64.b64decode(data[:44])
    except (binascii.Error, ValueError):
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def _figure_size(output: dict[str, Any]) -> tuple[str, int, int] | None:
    """(mime type, width, height) of a figure output as the notebook shows it, in pixels."""
    data, meta = output.get("data", {}), output.get("metadata", {})
    for mime in ("image/png", "image/jpeg"):
        if mime not in data:
            continue
        shown = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
        if shown.get("width") and shown.get("height"):
            return mime, int(shown["width"]), int(shown["height"])
        if mime == "image/png":
            size = _png_size(data[mime] if isinstance(data[mime], str) else "".join(data[mime]))
            if size and all(size):
                return mime, *size
    return None


def figure_scale(width: float, height: float) -> float:
    """How much the deck enlarges a figure of ``width`` x ``height`` pixels.

    :data:`FIGURE_ZOOM` at most, less where the figure would get wider than the slide
    or taller than :data:`FIGURE_MAX_HEIGHT_PX`; never smaller than it is, unless it
    is wider than the slide.
    """
    natural = min(1.0, SLIDE_WIDTH_PX / width)
    return max(natural, min(FIGURE_ZOOM, SLIDE_WIDTH_PX / width, FIGURE_MAX_HEIGHT_PX / height))


def _figure_lines(output: dict[str, Any]) -> float:
    size = _figure_size(output)
    if size is None:
        return FIGURE_LINES
    _, width, height = size
    return height * figure_scale(width, height) / LINE_PX


def _text_lines(text: str | list[str]) -> float:
    text = "".join(text) if isinstance(text, list) else text
    lines = sum(max(1, math.ceil(len(line) / LINE_CHARS)) for line in text.rstrip("\n").splitlines())
    return min(lines, OUTPUT_LINES)


def _output_lines(output: dict[str, Any]) -> float:
    kind, data = output.get("output_type"), output.get("data", {})
    if kind == "stream":
        return _text_lines(output.get("text", ""))
    if kind == "error":
        return OUTPUT_LINES
    if any(mime.startswith("image/") for mime in data) or "application/vnd.jupyter.widget-view+json" in data:
        return _figure_lines(output)
    if "text/html" in data:
        page = data["text/html"]
        page = "".join(page) if isinstance(page, list) else page
        return min(OUTPUT_LINES, 1 + page.count("<tr") + page.count("<p") + page.count("<li"))
    return _text_lines(data.get("text/plain", ""))


def cell_height(cell: dict[str, Any]) -> float:
    """The estimated height of ``cell`` on a slide, in lines of body text.

    Prose: each line wrapped at :data:`LINE_CHARS`, headings two lines, blank lines
    half one, an image :data:`FIGURE_LINES`. Code: one line each (a hidden source one
    in all), plus its outputs: text wrapped and capped at :data:`OUTPUT_LINES`, a
    figure by its pixel height scaled to the slide's width.
    """
    src = _source(cell)
    if cell["cell_type"] == "markdown":
        lines = 0.0
        for line in src.splitlines():
            if not line.strip():
                lines += 0.5
            elif _HEADING.match(line):
                lines += 2
            elif "![" in line or "<img" in line:
                lines += FIGURE_LINES
            else:
                lines += math.ceil(len(line) / LINE_CHARS)
        return lines
    if cell["cell_type"] != "code":
        return float(len(src.splitlines()))
    hidden = cell.get("metadata", {}).get("jupyter", {})
    lines = 1.0 if hidden.get("source_hidden") else 1.0 + len(src.splitlines())
    if not hidden.get("outputs_hidden"):
        lines += sum(_output_lines(o) for o in cell.get("outputs", []))
    return lines


# ---- the rules -----------------------------------------------------------------------


def _override(cell: dict[str, Any]) -> str | None:
    for tag in _tags(cell):
        if tag.startswith(OVERRIDE_PREFIX):
            kind = tag.removeprefix(OVERRIDE_PREFIX)
            kind = "-" if kind == "continue" else kind
            if kind not in SLIDE_TYPES:
                choices = ", ".join((*SLIDE_TYPES[:-1], "continue"))
                raise ValueError(f"unknown slide tag {tag!r}: use {OVERRIDE_PREFIX}<one of {choices}>")
            return kind
    return None


def _structural(cell: dict[str, Any]) -> str | None:
    """The type a cell's own structure asks for (rules 4 to 6), or None."""
    if cell["cell_type"] == "markdown":
        levels = [level for _, level, _ in _headings(cell)]
        if levels and min(levels) <= 2:
            return "slide"
        if levels and min(levels) == 3:
            return "subslide"
        run_in = _RUN_IN.match(_source(cell))
        if run_in:
            return "fragment" if run_in.group(1).strip().lower() == "takeaway" else "subslide"
        return None
    if cell["cell_type"] == "code" and not {ANSWER_TAG, CHECK_TAG} & set(_tags(cell)):
        hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)
        if not hidden and len(_source(cell).strip().splitlines()) > LONG_CODE:
            return "subslide"
    return None


def slide_types(nb: dict[str, Any]) -> list[str]:
    """The slide type of every cell of ``nb``, by the rules of this module's docstring."""
    types: list[str] = []
    height, housekeeping = 0.0, False
    for cell in nb["cells"]:
        heads = [(line, text) for line, level, text in _headings(cell) if level <= 2]
        if heads:  # a section begins: housekeeping when its heading opens the cell
            line, text = heads[-1]
            housekeeping = text.strip().lower().startswith(HOUSEKEEPING)
            starts_cell = len(heads) == 1 and line == _first_content_line(cell)
            in_housekeeping = housekeeping and starts_cell
        else:
            in_housekeeping = housekeeping
        kind = _override(cell)
        if kind is None:
            tags = set(_tags(cell))
            if tags & {SOLUTION_TAG, ABOUT_TAG, PARAMETERS_TAG}:
                kind = "skip"
            elif in_housekeeping:
                kind = "notes" if cell["cell_type"] == "markdown" else "skip"
            elif cell["cell_type"] not in ("markdown", "code"):
                kind = "skip"  # raw cells are for conversions, not for the audience
            else:
                kind = _structural(cell) or "-"
        if kind in ("skip", "notes"):
            types.append(kind)
            continue
        h = cell_height(cell)
        if kind in ("slide", "subslide"):
            height = h
        elif height + h <= BUDGET or not types:
            height += h
        else:  # it would overflow: a new subslide, with the short prose introducing it
            previous = len(types) - 1
            intro = nb["cells"][previous]
            intro_h = cell_height(intro)
            if (kind == "-" and cell["cell_type"] == "code" and types[previous] == "-"
                    and intro["cell_type"] == "markdown" and intro_h <= TEXT_BUDGET_MD and intro_h + h <= BUDGET):
                types[previous], height = "subslide", intro_h + h
            else:
                kind, height = "subslide", h
        types.append(kind)
    return types


def slide_metadata(nb: dict[str, Any]) -> dict[str, Any]:
    """Give every cell of ``nb`` its ``metadata.slideshow.slide_type`` (in place); return ``nb``.

    Other keys under ``slideshow`` are kept; sources and outputs are not touched. The
    notebook's ``metadata.rise`` gets :data:`RISE_SETTINGS` where it has no value of its own.
    """
    for cell, kind in zip(nb["cells"], slide_types(nb), strict=True):
        cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind
    rise = nb.setdefault("metadata", {}).setdefault("rise", {})
    for key, value in RISE_SETTINGS.items():
        rise.setdefault(key, value)
    return nb


def slides_of(nb: dict[str, Any]) -> list[list[int]]:
    """The cells shown on each (sub)slide of ``nb`` as marked, in order (notes and skipped left out)."""
    slides: list[list[int]] = []
    for i, cell in enumerate(nb["cells"]):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not slides:
            slides.append([])
        slides[-1].append(i)
    return slides


def _summary(nb: dict[str, Any]) -> str:
    counts = Counter(c.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for c in nb["cells"])
    over = sum(sum(cell_height(nb["cells"][i]) for i in s) > BUDGET for s in slides_of(nb))
    return (f"{counts['slide']} slides, {counts['subslide']} subslides, {counts['fragment']} fragments, "
            f"{counts['notes']} notes, {counts['skip']} skipped; {over} taller than a slide (they scroll)")


def mark_notebooks(paths: Sequence[str | Path]) -> list[tuple[Path, bool, str]]:
    """Apply :func:`slide_metadata` to each notebook in place; (path, changed, summary) for each."""
    import nbformat

    done = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        slide_metadata(nb)
        changed = nbformat.writes(nb) != before
        if changed:
            nbformat.write(nb, path)
        done.append((path, changed, _summary(nb)))
    return done


# ---- the offline deck ------------------------------------------------------------------


def _npm_pack(cache: Path) -> Path:
    npm = shutil.which("npm")
    tarball = cache / f"reveal.js-{REVEAL_VERSION}.tgz"
    if npm is None:
        raise RuntimeError(f"npm is needed once to fetch reveal.js {REVEAL_VERSION} (apt-get install npm), "
                           f"or put reveal.js-{REVEAL_VERSION}.tgz (npm pack reveal.js@{REVEAL_VERSION}) at {tarball}")
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "pack", f"reveal.js@{REVEAL_VERSION}", "--pack-destination", str(cache), "--silent"],
                   check=True, stdout=subprocess.DEVNULL, timeout=300)
    return tarball


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode("ascii")


def vendor_reveal(dest: str | Path, tarball: str | Path | None = None, integrity: str | None = None) -> Path:
    """Copy reveal.js's ``dist/`` and notes plugin into ``dest/reveal.js``; return that folder.

    The package is npm's tarball ``tarball``, by default ``.cache/npm/reveal.js-<version>.tgz``,
    fetched with ``npm pack`` when missing; its sha512 must be ``integrity`` (by default
    :data:`REVEAL_INTEGRITY`, npm's own ``dist.integrity`` of the pinned version), else
    nothing is copied.
    """
    integrity = integrity or REVEAL_INTEGRITY
    path = Path(tarball) if tarball else NPM_CACHE / f"reveal.js-{REVEAL_VERSION}.tgz"
    if tarball is None and not path.exists():
        path = _npm_pack(NPM_CACHE)
    got = _integrity(path)
    if got != integrity:
        raise RuntimeError(f"{path}: integrity {got} is not the pinned {integrity}; delete it to fetch it again")
    out = Path(dest) / REVEAL_DIR
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            if not member.isfile() or not name.startswith(REVEAL_FILES) or name.endswith((".map", ".esm.js")):
                continue
            relative = Path(name).relative_to("package")
            if ".." in relative.parts:
                raise RuntimeError(f"{path}: unsafe member {name!r}")
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
    if not (out / "dist" / "reveal.js").exists():
        raise RuntimeError(f"{path} holds no package/dist/reveal.js")
    return out


def deck_notebook(nb: dict[str, Any], solutions: str = "omit") -> dict[str, Any]:
    """A copy of ``nb`` ready for the deck: slide metadata, math drawn, widgets static.

    ``solutions="omit"``: each solution cell is replaced by a one-line note (on the
    exercise's slide); ``"collapsed"``: it is kept, on a subslide of its own, and the
    template folds it. The cell that talks about solutions is left out either way.
    """
    from tools.html_edition import prepare_notebook

    marked = slide_metadata(copy.deepcopy(nb))
    prepared = prepare_notebook(marked, solutions)  # one cell for one cell, the same order
    for cell in prepared["cells"]:
        for output in cell.get("outputs", []):  # figures at projector size (the template reads these)
            size = _figure_size(output)
            if size:
                mime, width, height = size
                scale = figure_scale(width, height)
                shown = output.setdefault("metadata", {}).setdefault(mime, {})
                shown["width"], shown["height"] = round(width * scale), round(height * scale)
        meta = cell.setdefault("metadata", {})
        if SOLUTION_TAG in meta.get("tags", []):  # "collapsed": a folded solution, after its check
            meta.setdefault("slideshow", {})["slide_type"] = "subslide"
        elif "slideshow" not in meta:  # "omit": the note that replaced a solution
            meta["slideshow"] = {"slide_type": "-"}
    return prepared


def build_slides(src: str | Path, dest: str | Path, solutions: str = "omit",
                 reveal_tarball: str | Path | None = None) -> list[Path]:
    """Write every notebook in ``src`` as ``dest/<name>.slides.html``, plus ``dest/index.html``.

    reveal.js goes to ``dest/reveal.js`` (:func:`vendor_reveal`). Returns the files
    written, the index first. Decks an earlier build wrote (listed in
    ``dest/.slides-edition-files``) whose notebook is gone are removed; nothing else is.
    """
    import nbformat
    from nbconvert import SlidesExporter

    from tools.html_edition import SOLUTION_MODES, notebook_title

    src, dest = Path(src), Path(dest)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"src {src} holds no notebooks")
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, got {solutions!r}")
    dest.mkdir(parents=True, exist_ok=True)
    vendor_reveal(dest, reveal_tarball)
    exporter = SlidesExporter(
        extra_template_paths=[str(TEMPLATES)],
        template_file="aecourse_slides.html.j2",
        reveal_url_prefix=REVEAL_DIR,
        reveal_theme="white",
        reveal_transition="none",
        reveal_width="1280",
        reveal_height="720",
        reveal_number="c/t",
        reveal_scroll=True,
        embed_images=True,
        exclude_input_prompt=True,  # "In [3]:" tells an audience nothing, and takes a tenth of the width
        exclude_output_prompt=True,
    )
    decks, written = [], []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        title = notebook_title(nb, path.stem)
        resources = {"metadata": {"name": title, "path": str(path.parent)}}
        body, _ = exporter.from_notebook_node(nbformat.from_dict(deck_notebook(nb, solutions)), resources)
        out = dest / f"{path.stem}.slides.html"
        out.write_text(body, encoding="utf-8")
        written.append(out)
        decks.append((out.name, title, len(slides_of(slide_metadata(copy.deepcopy(nb))))))
    index = dest / "index.html"
    index.write_text(_index_page(decks, solutions), encoding="utf-8")
    manifest = dest / MANIFEST
    earlier = manifest.read_text(encoding="utf-8").split() if manifest.exists() else []
    for name in set(earlier) - {p.name for p in written}:
        if Path(name).name == name and name.endswith(".slides.html"):  # only decks this builder wrote
            (dest / name).unlink(missing_ok=True)
    manifest.write_text("".join(f"{p.name}\n" for p in written), encoding="utf-8")
    return [index, *written]


def _index_page(decks: list[tuple[str, str, int]], solutions: str) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(file)}">{html.escape(title)}</a> <span>({count} slides)</span></li>'
        for file, title, count in decks
    )
    folded = "folded (click to open)" if solutions == "collapsed" else "left out"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Autoencoders: lecture slides</title>
<style>
body {{ font-family: system-ui, sans-serif; line-height: 1.5; max-width: 760px; margin: 2em auto; padding: 0 1em; }}
li {{ margin: 0.6em 0; }} a {{ font-weight: 600; color: #1565c0; text-decoration: none; }} span {{ color: #616161; }}
</style>
</head>
<body>
<h1>Autoencoders: lecture slides</h1>
<p>One deck per notebook, with the outputs stored in it; solutions are {folded}. Arrow keys or space
move on, <kbd>Esc</kbd> shows the overview, <kbd>S</kbd> the speaker notes. To run the cells during
the talk, open the notebook in JupyterLab (<code>make lab</code>) and start RISE.</p>
<ol class="ae-decks">
{items}
</ol>
</body>
</html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.slides mark NOTEBOOK...`` or ``build SRC DEST [--fold-solutions]``."""
    parser = argparse.ArgumentParser(prog="python -m tools.slides", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("mark", help="give every cell its slide metadata, in place")
    p.add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("build", help="write the offline slides edition")
    p.add_argument("src", type=Path, help="folder of executed notebooks (notebooks)")
    p.add_argument("dest", type=Path, help="output folder (build/slides)")
    p.add_argument("--fold-solutions", action="store_true", help="keep solutions, folded, instead of leaving them out")
    p.add_argument("--reveal-tarball", type=Path, help=f"npm's reveal.js-{REVEAL_VERSION}.tgz (default: npm pack)")
    args = parser.parse_args(argv)
    if args.command == "mark":
        for path, changed, summary in mark_notebooks(args.notebooks):
            print(f"{'marked' if changed else 'unchanged'} {path}: {summary}")
        return 0
    files = build_slides(args.src, args.dest, "collapsed" if args.fold_solutions else "omit", args.reveal_tarball)
    for path in files:
        print(f"wrote {path}")
    print(f"open {files[0].resolve().as_uri()} in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
