"""Slides as a lecturer uses them, in headless Chromium (make test-browser).

RISE in JupyterLab: the lecturer's preparation (open the notebook, run the setup), then the
slideshow (jupyterlab-rise's page for the notebook): it opens on the title slide, moves
forward slide by slide (each press shows another slide), reaches the first slide with
a code cell, runs it in slide mode (Shift+Enter) and sees its prompt and output come
back from the kernel; no error dialog, no request leaves the machine.

The offline deck (make slides): opened from file://, the index lists every notebook's
deck; each deck starts reveal.js from its own folder with the number of slides the
rules give, every image loaded, speaker notes on the title slide, no solution line
visible, and moves forward on a key press; nothing is requested from outside the
folder. Screenshots: build/screenshots/rise-*.png and slides-*.png.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import Lab, RecordedPage, solution_lines
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_in_jupyterlab import _RUN_FINISHED, RUN_ALL_S, assert_no_dialog, menu, open_notebook

from tools.html_edition import notebook_title
from tools.slides import deck_notebook, mark_notebooks, slide_metadata, slides_of

RISE_NOTEBOOK = "00_course_tour.ipynb"  # the shortest run: the lecturer's Run All takes seconds
MAX_STEPS = 12  # key presses to reach the first slide with a code cell
RUN_CELL_S = 120
_PRESENT = """() => { const s = [...document.querySelectorAll('.reveal .slides section.present')]
    .filter(x => !x.classList.contains('stack')); return s.length ? s[s.length - 1].innerText : null; }"""


def _first_code_on_a_slide(nb: nbformat.NotebookNode) -> int:
    """The first code cell a slideshow shows (after the title slide)."""
    return next(i for s in slides_of(nb)[1:] for i in s if nb.cells[i].cell_type == "code")


def test_rise_slideshow_runs_a_cell(lab: Lab, recorded_page: RecordedPage, screenshots: Path,
                                    notebooks_dir: Path) -> None:
    name = RISE_NOTEBOOK if (notebooks_dir / RISE_NOTEBOOK).exists() else sorted(notebooks_dir.glob("*.ipynb"))[0].name
    path = lab.root / "notebooks" / name
    mark_notebooks([path])  # the lab's copy carries the slide metadata make normalize stores
    nb = nbformat.read(path, as_version=4)
    target = _first_code_on_a_slide(nb)
    first_line = nb.cells[target].source.strip().splitlines()[0]
    stored_prompt = f"[{nb.cells[target].execution_count}]:"
    page = recorded_page.page
    try:
        # the lecturer's preparation: the setup cells do not show on slides, so they run first
        # (Run All works too; on a loaded machine it takes minutes, the cells above the slide seconds)
        cells = open_notebook(page, lab, path, len(nb.cells))
        started = time.monotonic()
        cells.nth(target).locator(".jp-InputPrompt").first.click()
        menu(page, "Run", "Run All Above Selected Cell")
        page.wait_for_timeout(1000)
        try:
            page.wait_for_function(_RUN_FINISHED, timeout=RUN_ALL_S * 1000, polling=500)
        except PlaywrightTimeout:
            page.screenshot(path=screenshots / "FAILED-rise-setup.png")
            pytest.fail(f"{name}: the cells above cell {target} did not finish in {RUN_ALL_S} s")
        print(f"{name}: the {target} cells above the first slide with code ran in {time.monotonic() - started:.0f} s")

        started = time.monotonic()
        page.goto(f"{lab.url}/rise/notebooks/{name}?token={lab.token}")
        page.locator(".reveal .slides section.present").first.wait_for(timeout=180_000)
        page.wait_for_function(f"() => ({_PRESENT})() && ({_PRESENT})().length > 0")
        page.wait_for_timeout(1000)  # RISE lays the slides out once the cells are rendered
        print(f"{name}: RISE slideshow up in {time.monotonic() - started:.0f} s")
        assert_no_dialog(page, f"rise-{path.stem}", screenshots)
        title = notebook_title(nb)
        shown = page.evaluate(_PRESENT)
        assert title.split(":")[0].lower() in shown.lower(), f"the slideshow opens on the title slide: {shown[:80]!r}"
        page.screenshot(path=screenshots / f"rise-{path.stem}-0.png")

        selected = page.locator(".reveal .jp-Cell.jp-mod-selected")
        for step in range(1, MAX_STEPS + 1):
            before = page.evaluate(_PRESENT)
            page.keyboard.press("Space")
            page.wait_for_function(f"(before) => ({_PRESENT})() !== before", arg=before, timeout=30_000)
            page.wait_for_timeout(700)  # RISE selects the slide's first code cell after a moment
            page.screenshot(path=screenshots / f"rise-{path.stem}-{step}.png")
            if first_line in page.evaluate(_PRESENT) and first_line in (selected.first.inner_text() or ""):
                break
        else:
            pytest.fail(f"{name}: {MAX_STEPS} slides on, the first slide with code ({first_line[:40]!r}) not reached")

        # pinned to this cell's element: smart-exec selects the next cell of the slide once it has run
        handle = selected.first.element_handle()
        prompt_text = "e => e.querySelector('.jp-InputPrompt').textContent.trim()"
        assert handle.evaluate(prompt_text) == stored_prompt, "the slide shows the stored notebook"
        # the stored outputs are marked: running the cell clears them, and what comes back is new
        assert handle.evaluate("c => { const o = c.querySelectorAll('.jp-OutputArea-output');"
                               " o.forEach(e => e.dataset.aeStored = '1'); return o.length; }") > 0
        handle.query_selector(".jp-InputPrompt").click()  # the lecturer's click: the notebook has the keyboard
        page.keyboard.press("Shift+Enter")  # RISE's smart-exec: run the cell, stay on the slide
        try:
            page.wait_for_function(  # done (a number, not [*]), and an output that was not there before
                """(cell) => /^\\[\\d+\\]:$/.test(cell.querySelector('.jp-InputPrompt').textContent.trim())
                    && cell.querySelector('.jp-OutputArea-output')
                    && ![...cell.querySelectorAll('.jp-OutputArea-output')].some(e => e.dataset.aeStored)""",
                arg=handle, timeout=RUN_CELL_S * 1000, polling=250)
        except PlaywrightTimeout:
            page.screenshot(path=screenshots / f"FAILED-rise-{path.stem}-run.png")
            pytest.fail(f"{name}: Shift+Enter in slide mode: no new output in {RUN_CELL_S} s; prompt "
                        f"{handle.evaluate(prompt_text)!r}, output {handle.inner_text()[-300:]!r}")
        print(f"{name}: ran {first_line[:40]!r} in slide mode, {handle.evaluate(prompt_text)} (stored {stored_prompt})")
        handle.query_selector(".jp-OutputArea-output").wait_for_element_state("visible")
        text = handle.query_selector(".jp-OutputArea").inner_text()
        assert "Traceback" not in text and "Error" not in text, f"{name}: the cell failed in slide mode: {text[-500:]}"
        expected = [o for o in nb.cells[target].outputs if o.output_type == "stream"]
        if expected:  # the same first line of printed text as the stored output
            assert expected[0].text.splitlines()[0].split()[0] in text
        if any("image/png" in o.get("data", {}) for o in nb.cells[target].outputs):
            page.wait_for_function("c => [...c.querySelectorAll('.jp-OutputArea-output img')].some(i => i.complete"
                                   " && i.naturalWidth > 0)", arg=handle, timeout=30_000)
        if first_line not in page.evaluate(_PRESENT):  # smart-exec went on to the next slide: back to the one run
            before = page.evaluate(_PRESENT)
            page.keyboard.press("Shift+Space")
            page.wait_for_function(f"(before) => ({_PRESENT})() !== before", arg=before, timeout=30_000)
        page.wait_for_timeout(700)
        assert first_line in page.evaluate(_PRESENT)
        page.screenshot(path=screenshots / f"rise-{path.stem}-ran-cell.png")
        assert_no_dialog(page, f"rise-{path.stem}", screenshots)
        external = recorded_page.external((lab.url, lab.url.replace("http:", "ws:")))
        assert external == [], f"{name}: requests left the machine: {external}"
    finally:
        lab.shutdown_kernels()


# ---- the offline deck ------------------------------------------------------------------

_BROKEN_IMAGES = """() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.alt || i.src.slice(0, 80))"""


def test_offline_deck_shows_from_its_folder(slides_edition: Path, notebooks_dir: Path,
                                            recorded_page: RecordedPage, screenshots: Path) -> None:
    page = recorded_page.page
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted(notebooks_dir.glob("*.ipynb"))}
    page.goto((slides_edition / "index.html").as_uri())
    page.screenshot(path=screenshots / "slides-index.png", full_page=True)
    links = page.locator("ol.ae-decks a").evaluate_all("as => as.map(a => [a.href, a.textContent.trim()])")
    expected = [[(slides_edition / f"{stem}.slides.html").as_uri(), notebook_title(nb, stem)]
                for stem, nb in notebooks.items()]
    assert links == expected, "the index lists every notebook's deck, in order, by its title"

    problems = []
    for number, (stem, nb) in enumerate(notebooks.items()):
        page.goto((slides_edition / f"{stem}.slides.html").as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        deck = deck_notebook(nb, "omit")
        want = len(slides_of(deck))
        got = page.evaluate("() => Reveal.getTotalSlides()")
        if got != want:
            problems.append(f"{stem}: {got} slides, the rules give {want}")
        if not page.evaluate("() => Reveal.hasPlugin('notes')"):
            problems.append(f"{stem}: the speaker-notes plugin is not loaded")
        notes = page.evaluate("() => (document.querySelector('.slides > section aside.notes') || {}).textContent || ''")
        marked = slide_metadata(copy.deepcopy(nb))
        if "notes" in [c.metadata["slideshow"]["slide_type"] for c in marked.cells] and not notes.strip():
            problems.append(f"{stem}: no speaker notes on the title slide")
        page.screenshot(path=screenshots / f"slides-{stem}-title.png")
        steps = 4 if number == 0 else 1
        for step in range(1, steps + 1):
            before = page.evaluate("() => JSON.stringify(Reveal.getIndices())")
            page.keyboard.press("Space")
            page.wait_for_function("(b) => JSON.stringify(Reveal.getIndices()) !== b", arg=before, timeout=10_000)
            page.wait_for_timeout(300)
            if number == 0:
                page.screenshot(path=screenshots / f"slides-{stem}-{step}.png")
        broken = page.evaluate(_BROKEN_IMAGES)
        if broken:
            problems.append(f"{stem}: images not loaded: {broken[:3]}")
        text = " ".join(page.evaluate("() => document.querySelector('.reveal .slides').textContent").split())
        for i, cell in enumerate(nb.cells):
            leaked = [line for line in solution_lines(nb, i) if line in text] if "solution" in cell.metadata.get(
                "tags", []) else []
            if leaked:
                problems.append(f"{stem} cell {i}: solution text in the deck: {leaked[:2]}")
    assert problems == [], "\n".join(problems)
    folder = slides_edition.as_uri() + "/"
    external = recorded_page.external((folder,))
    assert external == [], f"requests went outside the deck's folder: {external}"
    assert any(url.startswith(folder + "reveal.js/dist/") for url in recorded_page.requests)
