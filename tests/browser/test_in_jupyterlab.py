"""The course as a learner sees it in JupyterLab, in headless Chromium (make test-browser).

For every notebook: it opens with no error dialog; every solution cell shows collapsed
(only its first, non-spoiler line) and no line of its solution is visible; every other
code cell shows its code. Each run also expands one solution and sees its text appear,
so the "not visible" check is proven able to fail. For every notebook with widgets:
clear the outputs, run all cells, move each widget's first slider with the keyboard and
see the widget's figure change.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import WIDGET_VIEW, Lab, RecordedPage, is_solution, solution_lines, source
from playwright.sync_api import TimeoutError as PlaywrightTimeout

RUN_ALL_S = 300  # notebook 04 trains, then projects with t-SNE and UMAP, on a busy 2-core CPU
REDRAW_S = 120  # one slider step may refit a projection


def open_notebook(page, lab: Lab, path: Path, n_cells: int):  # Playwright objects
    """Open ``notebooks/<path.name>`` alone and wait until all its cells are attached."""
    page.goto(lab.tree_url(f"notebooks/{path.name}"))
    panel = page.locator(".jp-NotebookPanel").filter(visible=True)
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
    cells = panel.locator(".jp-Notebook > .jp-WindowedPanel-outer .jp-Cell[data-windowed-list-index]")
    deadline = time.monotonic() + 60
    while cells.count() != n_cells:
        assert time.monotonic() < deadline, f"{path.name}: {cells.count()} cells in the page, {n_cells} in the file"
        page.wait_for_timeout(200)
    # the kernel has started (or failed, which shows a dialog) once the status bar says so
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| (Idle|Busy)")).wait_for(timeout=120_000)
    return cells


def assert_no_dialog(page, where: str, screenshots: Path) -> None:
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        page.screenshot(path=screenshots / f"FAILED-dialog-{where}.png")
        pytest.fail(f"{where}: an error dialog is open: {dialogs.first.inner_text()[:500]!r}")


def bring_into_view(page, cell, target, timeout_s: float = 15) -> bool:
    """Scroll ``cell`` into view until ``target`` (a locator inside it) is visible.

    JupyterLab skips rendering cells out of view (content-visibility), and figures
    decoding above a cell can push it out again, so one scroll is not always enough.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        cell.scroll_into_view_if_needed()
        if target.filter(visible=True).count():
            return True
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(250)


# What a reader sees of each cell, looked at in one pass through the page: every cell is
# scrolled into view (JupyterLab renders only what is in view) until it has rendered, then
# its visible parts and its visible text (innerText holds only what is shown) are read.
_SWEEP = """async ([panel, wanted]) => {
    const cells = [...panel.querySelectorAll(
        '.jp-Notebook > .jp-WindowedPanel-outer .jp-Cell[data-windowed-list-index]')];
    const shown = el => !!el && el.offsetParent !== null && el.getBoundingClientRect().height > 0
        && getComputedStyle(el).visibility !== 'hidden';
    const text = el => (el ? el.innerText : '').replace(/\\s+/g, ' ').toLowerCase();
    const frame = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    const seen = {};
    for (const [index, first] of wanted) {
        const cell = cells[index];
        let state = null;
        for (let tries = 0; tries < 60; tries++) {  // up to about 15 s: figures above may still be decoding
            cell.scrollIntoView({block: 'center'});
            await frame();
            const input = cell.querySelector('.jp-Cell-inputArea');
            state = {input: shown(input), placeholder: shown(cell.querySelector('.jp-InputPlaceholder')),
                     output: shown(cell.querySelector('.jp-Cell-outputArea')), text: text(cell)};
            const done = first === null ? (state.input || state.placeholder)
                                        : state.input && text(input).includes(first.toLowerCase());
            if (done) break;
            await new Promise(r => setTimeout(r, 200));
        }
        seen[index] = state;
    }
    return seen;
}"""


def test_notebook_opens_with_solutions_collapsed(
    notebook: Path, lab: Lab, recorded_page: RecordedPage, screenshots: Path
) -> None:
    page = recorded_page.page
    nb = nbformat.read(notebook, as_version=4)
    try:
        cells = open_notebook(page, lab, notebook, len(nb.cells))
        page.wait_for_function("() => [...document.querySelectorAll('.jp-NotebookPanel img')].every(i => i.complete)")
        page.wait_for_timeout(500)  # let late dialogs (kernel errors) appear
        page.screenshot(path=screenshots / f"lab-{notebook.stem}.png")
        assert_no_dialog(page, notebook.stem, screenshots)

        wanted = {}  # cell index -> the first line its code shows (None: a solution, shown collapsed)
        for i, cell_data in enumerate(nb.cells):
            hidden = cell_data.metadata.get("jupyter", {}).get("source_hidden", False)
            if cell_data.cell_type != "code" or not source(cell_data).strip():
                continue
            if hidden and not is_solution(cell_data):  # an author's own folded cell: nothing to see
                continue
            first = " ".join(source(cell_data).strip().splitlines()[0].split())
            wanted[i] = None if is_solution(cell_data) else first
        panel = page.locator(".jp-NotebookPanel").filter(visible=True).element_handle()
        seen = {int(k): v for k, v in page.evaluate(_SWEEP, [panel, list(wanted.items())]).items()}

        problems, solutions = [], [i for i, first in wanted.items() if first is None]
        for i, first in wanted.items():
            state = seen[i]
            if first is not None:  # a plain code cell shows its code: the eye works
                if not (state["input"] and first.lower() in state["text"]):
                    problems.append(f"cell {i}: its code ({first[:40]!r}) is not visible")
                continue
            if not state["placeholder"]:
                problems.append(f"cell {i}: solution cell is not collapsed (no input placeholder shown)")
            if state["input"]:
                problems.append(f"cell {i}: the solution's editor is visible")
            if state["output"]:
                problems.append(f"cell {i}: the solution's output is visible")
            leaked = [line for line in solution_lines(nb, i) if line.lower() in state["text"]]
            if leaked:
                problems.append(f"cell {i}: solution text visible: {leaked[:2]}")
        if problems:
            page.screenshot(path=screenshots / f"FAILED-lab-{notebook.stem}.png")
        assert problems == [], f"{notebook.name}: " + "; ".join(problems)

        if solutions:  # the checks above can fail: open one solution, and the sweep sees its text
            i = next((s for s in solutions if solution_lines(nb, s)), solutions[0])
            cell = cells.nth(i)
            bring_into_view(page, cell, cell.locator(".jp-InputPlaceholder"))
            page.wait_for_timeout(500)  # JupyterLab paints cells scrolled into view a moment later
            page.screenshot(path=screenshots / f"lab-{notebook.stem}-solution-collapsed.png")
            cell.locator(".jp-InputPlaceholder .jp-Placeholder-content").click()
            cell.locator(".jp-Cell-inputArea").wait_for(state="visible")
            state = page.evaluate(_SWEEP, [panel, [[i, None]]])[str(i)]
            where = f"{notebook.name} cell {i}: expanded"
            assert state["input"] and not state["placeholder"], f"{where}, yet shown collapsed"
            lines = solution_lines(nb, i)
            if lines:
                assert lines[0].lower() in state["text"], f"{where}, yet its text is not seen"
        external = recorded_page.external((lab.url, lab.url.replace("http:", "ws:")))
        assert external == [], f"{notebook.name}: requests left the machine: {external}"
    finally:
        lab.shutdown_kernels()


# ---- widgets ---------------------------------------------------------------------------

# The figures of one cell (inside the widget, or the PNG the explorer keeps under its sliders):
# loaded or not, and a hash of each whole data URL
_IMAGES = """(cell) => [...cell.querySelectorAll('.widget-output img, .jp-OutputArea-output img')]
    .filter(i => i.offsetParent !== null)
    .map(i => { let h = 0; for (let k = 0; k < i.src.length; k++) h = (h * 31 + i.src.charCodeAt(k)) | 0;
                return (i.complete && i.naturalWidth > 0 ? 'ok:' : 'loading:') + h; })"""

_RUN_FINISHED = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-Cell-inputArea .jp-InputPrompt')]
        .filter(p => p.offsetParent !== null).map(p => p.textContent);
    const errors = document.querySelectorAll('.jp-NotebookPanel [data-mime-type="application/vnd.jupyter.error"], '
        + '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
    const failed = [...errors].some(e => /Traceback \\(most recent call last\\)/.test(e.textContent));
    return !prompts.some(t => t.includes('*')) && (failed || prompts.every(t => /\\[\\d+\\]/.test(t)));
}"""


def menu(page, top: str, item: str) -> None:
    page.get_by_role("menuitem", name=top, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def test_widgets_respond(widget_notebook: Path, lab: Lab, recorded_page: RecordedPage, screenshots: Path) -> None:
    page, path = recorded_page.page, widget_notebook
    nb = nbformat.read(path, as_version=4)
    widget_cells = [
        i for i, c in enumerate(nb.cells) if any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))
    ]
    try:
        cells = open_notebook(page, lab, path, len(nb.cells))
        assert_no_dialog(page, path.stem, screenshots)
        menu(page, "Edit", "Clear Outputs of All Cells")  # the widgets seen next come from this run
        page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel .jupyter-widgets')")
        started = time.monotonic()
        menu(page, "Run", "Run All Cells")
        page.wait_for_timeout(1000)
        try:
            page.wait_for_function(_RUN_FINISHED, timeout=RUN_ALL_S * 1000, polling=500)
        except PlaywrightTimeout:
            page.screenshot(path=screenshots / f"FAILED-run-{path.stem}.png")
            prompts = page.locator(".jp-NotebookPanel .jp-InputPrompt").all_inner_texts()
            pytest.fail(f"{path.name}: Run All did not finish in {RUN_ALL_S} s; prompts: {prompts}")
        ran = time.monotonic() - started
        errors = page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type*='stderr']").filter(
            has_text="Traceback (most recent call last)"
        )
        if errors.count():
            page.screenshot(path=screenshots / f"FAILED-run-{path.stem}.png")
            pytest.fail(f"{path.name}: Run All raised: {errors.first.inner_text()[-800:]}")
        assert_no_dialog(page, path.stem, screenshots)

        moved = []
        for i in widget_cells:
            cell = cells.nth(i)
            rendered = bring_into_view(page, cell, cell.locator(".jupyter-widgets"), timeout_s=60)
            assert rendered, f"{path.name} cell {i}: its widget did not render after Run All"
            handle = cell.locator(".widget-slider .noUi-handle[role=slider]").first
            if not handle.count():
                continue
            element = cell.element_handle()
            before = element.evaluate(_IMAGES)
            assert before and all(s.startswith("ok:") for s in before), f"{path.name} cell {i}: no widget figure"
            cell.screenshot(path=screenshots / f"widget-{path.stem}-cell{i}-before.png")
            value = handle.get_attribute("aria-valuenow")
            at_max = value == handle.get_attribute("aria-valuemax")
            handle.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            page.wait_for_function(
                f"""([cell, before]) => {{ const now = ({_IMAGES})(cell);
                    return now.length > 0 && now.every(s => s.startsWith('ok:'))
                        && JSON.stringify(now) !== JSON.stringify(before); }}""",
                arg=[element, before],
                timeout=REDRAW_S * 1000,
                polling=250,
            )
            after_value = handle.get_attribute("aria-valuenow")
            assert after_value != value, f"{path.name} cell {i}: the slider did not move"
            cell.screenshot(path=screenshots / f"widget-{path.stem}-cell{i}-after.png")
            moved.append(f"cell {i}: {value} -> {after_value}")
        print(f"{path.name}: ran all cells in {ran:.0f} s; sliders moved: {moved}")
        assert moved, f"{path.name}: widget outputs stored, but no slider found after running it"
        external = recorded_page.external((lab.url, lab.url.replace("http:", "ws:")))
        assert external == [], f"{path.name}: requests left the machine: {external}"
    finally:
        lab.shutdown_kernels()
