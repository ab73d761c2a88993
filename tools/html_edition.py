"""The course as static web pages: ``make html`` writes ``build/html``.

``python -m tools.html_edition notebooks build/html`` renders every executed
notebook with nbconvert's JupyterLab template into one page each, plus
``index.html``, the notebook map (titles read from each notebook's first heading).
The pages work offline, from ``file://``: nothing is fetched from the internet
when they are viewed.

- Figures are embedded in the page (``data:`` URLs), as nbconvert does by default.
- No scripts: nbconvert's require.js, MathJax, mermaid and widget-manager tags all
  point at CDNs, so the page template (``templates/aecourse_page.html.j2``) leaves
  them out. Math (``$...$``, ``$$...$$``) is drawn ahead of time by matplotlib's
  mathtext into small SVG images; TeX that mathtext cannot draw stays as text.
- Widgets cannot run without a kernel. Each widget output is replaced by what the
  notebook stored for it: the figure its output area showed when the notebook was
  executed, and a line naming the starting values of its controls.
- Solution cells are folded away in a ``<details>`` element that shows only their
  first line (a non-spoiler comment), as JupyterLab does; ``--omit-solutions``
  leaves them out entirely.

``tests/browser`` (``make test-browser``) opens the pages in Chromium and checks
their links, figures, hidden solutions and that no request leaves the machine.
"""

from __future__ import annotations

import argparse
import base64
import copy
import functools
import html
import io
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.exercises import SOLUTION_TAG, _source

__all__ = [
    "WIDGET_VIEW",
    "notebook_title",
    "notebook_summary",
    "render_math",
    "replace_widget_outputs",
    "prepare_notebook",
    "build_html_edition",
]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEMPLATES = Path(__file__).parent / "templates"
SOLUTION_MODES = ("collapsed", "omit")
MANIFEST = ".html-edition-pages"  # the pages the last build wrote: the only ones it may remove
_OMITTED = "*The solution is left out of this edition; it is in the notebook (`make lab`).*"


# ---- titles for the notebook map ---------------------------------------------------


def notebook_title(nb: dict[str, Any], default: str = "") -> str:
    """The text of the notebook's first markdown heading (``default`` when it has none)."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in _source(cell).splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return _plain(match.group(1))
    return default


def notebook_summary(nb: dict[str, Any], limit: int = 220) -> str:
    """The first paragraph after the title, as plain text, cut to about ``limit`` characters."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        paragraphs = re.split(r"\n\s*\n", _source(cell))
        for para in paragraphs[1:] if paragraphs and paragraphs[0].lstrip().startswith("#") else paragraphs:
            text = _plain(" ".join(para.split()))
            if text and not para.lstrip().startswith(("#", "|", "-", "*", ">", "```")):
                return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
        break
    return ""


def _plain(markdown: str) -> str:
    """Markdown inline text without its markup: links keep their text, emphasis goes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", text)
    return text.strip()


# ---- math, drawn ahead of time ---------------------------------------------------

_CODE = re.compile(r"(^```.*?^```[^\n]*$|^~~~.*?^~~~[^\n]*$|`[^`\n]+`)", re.M | re.S)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?![$\d])")
# MathJax spellings that matplotlib's mathtext lacks, and its own for the same symbol
_TEX_ALIASES = {"ge": r"\geq", "le": r"\leq", "lVert": r"\Vert", "rVert": r"\Vert", "lvert": "|", "rvert": "|",
                "tfrac": r"\frac", "dfrac": r"\frac"}
_TEX_ALIAS = re.compile(r"\\(" + "|".join(_TEX_ALIASES) + r")(?![a-zA-Z])")


def render_math(markdown: str, size: float = 11.0) -> str:
    """Replace ``$...$`` and ``$$...$$`` in ``markdown`` by inline SVG images of the formula.

    Code spans and fenced code blocks are left alone; so is any formula matplotlib's
    mathtext cannot parse (it stays TeX source, still readable). The TeX is kept as
    the image's ``alt`` text.
    """
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are prose, odd parts are code
        text = _DISPLAY_MATH.sub(lambda m: _math_img(m.group(1), m.group(0), size * 1.15, display=True), parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: _math_img(m.group(1), m.group(0), size, display=False), text)
    return "".join(parts)


def _math_img(tex: str, original: str, size: float, display: bool) -> str:
    tex = " ".join(tex.split())
    rendered = _math_svg(tex, size)
    if rendered is None:
        return original
    data, depth = rendered
    style = "display:block;margin:0.6em auto" if display else f"vertical-align:{-depth:.1f}pt"
    kind = "ae-math-display" if display else "ae-math"
    return f'<img class="{kind}" style="{style}" alt="{html.escape(tex)}" src="data:image/svg+xml;base64,{data}">'


@functools.lru_cache(maxsize=4096)
def _math_svg(tex: str, size: float) -> tuple[str, float] | None:
    """A formula as a base64 SVG and its depth below the baseline; None where mathtext cannot parse it.

    Cached: the same formula recurs within a notebook, and in the HTML edition and the slides.
    """
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import math_to_image

    buffer = io.BytesIO()
    try:
        with matplotlib.rc_context({"svg.hashsalt": "aecourse", "svg.fonttype": "path"}), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a formula with no height divides by zero
            mathtext = _TEX_ALIAS.sub(lambda m: _TEX_ALIASES[m.group(1)], tex)
            depth = math_to_image(f"${mathtext}$", buffer, prop=FontProperties(size=size), format="svg")
    except (ValueError, RuntimeError):  # mathtext's parse errors are ValueErrors
        return None
    svg = re.sub(rb"<metadata>.*?</metadata>", b"", buffer.getvalue(), flags=re.S)  # drop the date
    return base64.b64encode(svg).decode("ascii"), depth


# ---- widgets: their stored figure instead of a live view ---------------------------


def replace_widget_outputs(nb: dict[str, Any]) -> int:
    """Replace every widget view in ``nb`` (in place) by its stored static content.

    A widget's live view needs a kernel and JavaScript from a CDN. What the notebook
    stores for it is its state (``metadata.widgets``), which holds the outputs its
    ``Output`` areas showed when the notebook was executed (for ``interact``, the
    figure drawn for the starting values) and the values of its controls. The view
    becomes a short note naming those values, followed by those outputs. The widget
    state is then removed, so nbconvert adds no widget-manager script. Returns the
    number of widget views replaced.
    """
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            replaced += 1
            controls, shown = [], []
            _walk_widget(view.get("model_id", ""), state, controls, shown, seen=set())
            outputs.append(_widget_note(controls, bool(shown)))
            outputs.extend(copy.deepcopy(shown))
        cell["outputs"] = outputs
    nb.get("metadata", {}).pop("widgets", None)
    return replaced


def _walk_widget(model_id: str, state: dict, controls: list[str], shown: list, seen: set) -> None:
    model = state.get(model_id)
    if model is None or model_id in seen:
        return
    seen.add(model_id)
    name, values = model.get("model_name", ""), model.get("state", {})
    if name == "OutputModel":
        shown.extend(values.get("outputs", []))
    elif "value" in values or "index" in values:
        controls.append(_control_text(name, values))
    for ref in values.get("children", []):
        if isinstance(ref, str) and ref.startswith("IPY_MODEL_"):
            _walk_widget(ref.removeprefix("IPY_MODEL_"), state, controls, shown, seen)


def _control_text(name: str, values: dict) -> str:
    label = values.get("description") or name.removesuffix("Model")
    value = values.get("value")
    labels, index = values.get("_options_labels"), values.get("index")
    if labels and isinstance(index, int) and 0 <= index < len(labels):
        value = labels[index]
    elif isinstance(value, float) and values.get("readout_format"):
        try:
            value = format(value, values["readout_format"])
        except (ValueError, TypeError):
            pass
    return f"{label} = {value}"


def _widget_note(controls: list[str], has_figure: bool) -> dict[str, Any]:
    if controls and has_figure:
        what = "Below: what it showed for the starting values " + ", ".join(controls) + "."
    elif has_figure:
        what = "Below: what it showed when the notebook was executed."
    else:
        what = "Its stored output holds no figure; the cells around it show the result."
    text = f"Interactive widget: it runs in JupyterLab (make lab), not on this page. {what}"
    body = (
        '<div class="ae-widget-note"><strong>Interactive widget</strong>: it runs in JupyterLab '
        f"(<code>make lab</code>), not on this page. {html.escape(what)}</div>"
    )
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": body, "text/plain": text}}


# ---- one notebook, then the whole edition -------------------------------------------


def prepare_notebook(nb: dict[str, Any], solutions: str = "collapsed") -> dict[str, Any]:
    """A copy of ``nb`` ready for the page template: math drawn, widgets made static.

    ``solutions="collapsed"`` keeps solution cells (the template folds them);
    ``"omit"`` replaces each by a one-line note.
    """
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, got {solutions!r}")
    nb = copy.deepcopy(nb)
    replace_widget_outputs(nb)
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = render_math(_source(cell))
        elif SOLUTION_TAG in cell.get("metadata", {}).get("tags", []) and solutions == "omit":
            cell = {"cell_type": "markdown", "metadata": {}, "source": _OMITTED}
            if "id" in nb["cells"][0]:
                cell["id"] = f"omitted-solution-{len(cells)}"
        cells.append(cell)
    nb["cells"] = cells
    return nb


def build_html_edition(src: str | Path, dest: str | Path, solutions: str = "collapsed") -> list[Path]:
    """Render every notebook in ``src`` to ``dest/<name>.html`` and write ``dest/index.html``.

    Returns the pages written, the index first. Pages an earlier build wrote (listed in
    ``dest/.html-edition-pages``) whose notebook is gone are removed; any other file in
    ``dest`` is left alone.
    """
    import nbformat
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup
    from nbconvert import HTMLExporter

    src, dest = Path(src), Path(dest)
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"src {src} holds no notebooks")
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, got {solutions!r}")
    dest.mkdir(parents=True, exist_ok=True)
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    pages = [
        {"file": f"{path.stem}.html", "stem": path.stem, "title": notebook_title(nb, path.stem),
         "summary": notebook_summary(nb)}
        for path, nb in zip(paths, notebooks, strict=True)
    ]
    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(TEMPLATES)],
        template_file="aecourse_page.html.j2",
        embed_images=True,  # images a markdown cell links to become data: URLs too
    )
    stems = {path.stem for path in paths}
    written = []
    for i, (path, nb) in enumerate(zip(paths, notebooks, strict=True)):
        nav = {
            "prev": pages[i - 1] if i > 0 else None,
            "next": pages[i + 1] if i + 1 < len(pages) else None,
            "source": path.name,
        }
        resources = {"metadata": {"name": pages[i]["title"], "path": str(path.parent)}, "aecourse_nav": nav}
        body, _ = exporter.from_notebook_node(nbformat.from_dict(prepare_notebook(nb, solutions)), resources)
        out = dest / pages[i]["file"]
        out.write_text(_link_notebooks_to_pages(body, stems), encoding="utf-8")
        written.append(out)
    for page in pages:  # the summary is plain text, but may hold a formula
        page["summary"] = Markup(render_math(html.escape(page["summary"], quote=False)))
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    index = dest / "index.html"
    index.write_text(env.get_template("aecourse_index.html.j2").render(pages=pages), encoding="utf-8")
    manifest = dest / MANIFEST
    earlier = manifest.read_text(encoding="utf-8").split() if manifest.exists() else []
    for name in set(earlier) - {p.name for p in written}:
        if Path(name).name == name and name.endswith(".html"):  # only pages this builder wrote
            (dest / name).unlink(missing_ok=True)
    manifest.write_text("".join(f"{p.name}\n" for p in written), encoding="utf-8")
    return [index, *written]


def _link_notebooks_to_pages(page: str, stems: set[str]) -> str:
    """Point links between notebooks (``02_autoencoders.ipynb#x``) at their pages."""

    def fix(match: re.Match[str]) -> str:
        stem = Path(match.group(2)).name.removesuffix(".ipynb")
        if stem not in stems:
            return match.group(0)
        return f'{match.group(1)}{stem}.html{match.group(3) or ""}"'

    return re.sub(r'(href=")(?![a-z][a-z0-9+.-]*:)([^"#?]*\.ipynb)(#[^"]*)?"', fix, page)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m tools.html_edition SRC DEST [--omit-solutions]``."""
    parser = argparse.ArgumentParser(prog="python -m tools.html_edition", description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="folder of executed notebooks (notebooks)")
    parser.add_argument("dest", type=Path, help="output folder (build/html)")
    parser.add_argument(
        "--omit-solutions", action="store_true", help="leave solution cells out instead of folding them"
    )
    args = parser.parse_args(argv)
    pages = build_html_edition(args.src, args.dest, "omit" if args.omit_solutions else "collapsed")
    for page in pages:
        print(f"wrote {page}")
    print(f"open {pages[0].resolve().as_uri()} in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
