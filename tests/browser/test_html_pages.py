"""The HTML edition (make html) as a reader sees it: offline pages in headless Chromium.

Opens the index from file://, follows every link, and checks: every notebook is on the
map with its title; every page is reached; every link and anchor resolves; every image
loaded and every stored figure is on its page; widget views became their stored figure;
solution cells are folded and none of their code is visible (opening one shows it, so
the check can fail); and no request went anywhere but file:// and data:.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urldefrag, urlparse
from urllib.request import url2pathname

import nbformat
from browser_support import WIDGET_VIEW, RecordedPage, is_solution, solution_lines

from tools.html_edition import notebook_title, prepare_notebook

_BROKEN_IMAGES = """() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.alt || i.src.slice(0, 80))"""
_LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href])"
_IDS = "() => [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name'))"


def expected_figures(nb: dict) -> int:
    """PNG/JPEG outputs the page must show as <img> (widget views count with their stored figure)."""
    prepared = prepare_notebook(nb)
    return sum(
        any(k in o.get("data", {}) for k in ("image/png", "image/jpeg"))
        for c in prepared["cells"]
        for o in c.get("outputs", [])
    )


def check_page(page, nb: dict, name: str) -> list[str]:  # a Playwright Page
    """Problems with one notebook page: figures, widgets, folded solutions."""
    problems = []
    shown = page.locator(".jp-OutputArea img").count()
    if shown != expected_figures(nb):
        problems.append(f"{name}: {shown} figures on the page, {expected_figures(nb)} stored")
    views = sum(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    notes = page.locator(".ae-widget-note").count()
    if notes != views:
        problems.append(f"{name}: {views} widget views stored, {notes} replaced by their static figure")
    solutions = [i for i, c in enumerate(nb.cells) if is_solution(c)]
    folded = page.locator("details.ae-solution")
    if folded.count() != len(solutions):
        problems.append(f"{name}: {len(solutions)} solution cells, {folded.count()} folded")
    if page.evaluate("() => [...document.querySelectorAll('details.ae-solution')].some(d => d.open)"):
        problems.append(f"{name}: a solution is unfolded when the page opens")
    for i in solutions:
        leaked = [line for line in solution_lines(nb, i) if page.get_by_text(line).filter(visible=True).count()]
        if leaked:
            problems.append(f"{name}: solution text visible: {leaked[:2]}")
    if solutions and not problems:  # the check can fail: unfold one, its code shows
        i = next((s for s in solutions if solution_lines(nb, s)), None)
        if i is not None:
            details = folded.nth(solutions.index(i))
            details.locator("summary").click()
            line = solution_lines(nb, i)[0]
            if not page.get_by_text(line).filter(visible=True).count():
                problems.append(f"{name}: unfolded solution {i}, yet {line!r} is not seen")
            details.locator("summary").click()
    return problems


def test_html_edition_reads_offline(
    html_edition: Path, notebooks_dir: Path, recorded_page: RecordedPage, screenshots: Path
) -> None:
    page = recorded_page.page
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted(notebooks_dir.glob("*.ipynb"))}
    index = (html_edition / "index.html").as_uri()
    page.goto(index)
    page.screenshot(path=screenshots / "html-index.png", full_page=True)
    entries = page.locator("ol.ae-map a").evaluate_all("as => as.map(a => [a.href, a.textContent.trim()])")
    expected = [[(html_edition / f"{stem}.html").as_uri(), notebook_title(nb, stem)] for stem, nb in notebooks.items()]
    assert entries == expected, "the notebook map lists every notebook, in order, by its first heading"

    queue, visited, ids, anchors, problems = [index], set(), {}, [], []
    while queue:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        page.goto(url)
        name = Path(url2pathname(urlparse(url).path)).name
        broken = page.evaluate(_BROKEN_IMAGES)
        if broken:
            problems.append(f"{name}: images not loaded: {broken[:3]}")
        ids[url] = set(page.evaluate(_IDS))
        for raw, absolute in page.evaluate(_LINKS):
            target, fragment = urldefrag(absolute)
            parsed = urlparse(target)
            if parsed.scheme in ("http", "https", "mailto"):
                continue  # a link out is fine; fetching from out there is what must not happen
            path = Path(url2pathname(parsed.path))
            if parsed.scheme != "file" or not path.exists():
                problems.append(f"{name}: broken link {raw!r}")
                continue
            if path.suffix == ".html":
                queue.append(target)
            if fragment:
                anchors.append((target, fragment, name, raw))
        stem = Path(name).stem
        if stem in notebooks:
            page.screenshot(path=screenshots / f"html-{stem}.png")
            problems += check_page(page, notebooks[stem], name)
            for selector, shot in (("details.ae-solution", "folded"), (".ae-widget-note", "widget")):
                first = page.locator(selector).first
                if first.count():
                    first.scroll_into_view_if_needed()
                    page.screenshot(path=screenshots / f"html-{stem}-{shot}.png")
    for target, fragment, name, raw in anchors:
        if target in ids and fragment not in ids[target]:
            problems.append(f"{name}: link {raw!r} points at a missing anchor")
    missing = sorted(f"{stem}.html" for stem in notebooks if (html_edition / f"{stem}.html").as_uri() not in visited)
    assert missing == [], "pages no link leads to"
    assert problems == [], "\n".join(problems)
    external = recorded_page.external(("file://",))
    assert external == [], f"requests left the machine: {external}"
