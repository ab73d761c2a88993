"""Fixtures of the browser test: the course's own JupyterLab, headless Chromium, the HTML and slides editions.

Run with ``make test-browser`` (``pytest --browser tests/browser``); plain ``pytest tests``
leaves this folder out (``pytest_ignore_collect`` in ``tests/conftest.py``). Needs
Debian's ``chromium`` (``apt-get install chromium``; ``$CHROMIUM`` names another binary)
and Playwright's Python package (the ``dev`` extra). Playwright never downloads a
browser here: it drives the system one through ``executable_path``.

The server runs on a free localhost port with a random token, on a copy of the
notebooks in a temporary folder: running a notebook in the browser must never write
into the repository (autosave is off too). Whatever happens, the fixture shuts the
server and its kernels down. Screenshots go to ``build/screenshots`` (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SCREENSHOTS,
    Lab,
    RecordedPage,
    has_widgets,
    start_lab,
    stop_lab,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--notebooks-dir",
        default=str(ROOT / "notebooks"),
        help="folder of the notebooks the browser test opens (default: notebooks/)",
    )


def _notebooks_dir(config: pytest.Config) -> Path:
    # getoption's default covers `pytest --browser tests`, where this conftest loads too late to add options
    return Path(config.getoption("--notebooks-dir", default=str(ROOT / "notebooks"))).resolve()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``notebook``: every notebook; ``widget_notebook``: those with stored widget outputs."""
    paths = sorted(_notebooks_dir(metafunc.config).glob("*.ipynb"))
    if "notebook" in metafunc.fixturenames:
        metafunc.parametrize("notebook", paths, ids=[p.stem for p in paths])
    if "widget_notebook" in metafunc.fixturenames:
        widgets = [pytest.param(p, id=p.stem) for p in paths if has_widgets(p)]
        none = pytest.param(None, id="none", marks=pytest.mark.skip(reason="no notebook has stored widget outputs"))
        metafunc.parametrize("widget_notebook", widgets or [none])


@pytest.fixture(scope="session")
def notebooks_dir(pytestconfig: pytest.Config) -> Path:
    return _notebooks_dir(pytestconfig)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """build/screenshots, emptied of an earlier run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's with `apt-get install chromium` "
            "(or set CHROMIUM to a Chromium binary). The test never downloads a browser."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[dev]' (make setup does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def recorded_page(browser) -> Iterator[RecordedPage]:  # a Playwright Browser
    """A fresh page (1280x900) that records every URL it requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    recorded = RecordedPage(page)
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on("websocket", lambda ws: recorded.requests.append(ws.url))
    try:
        yield recorded
    finally:
        context.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, notebooks_dir: Path) -> Iterator[Lab]:
    """The course's JupyterLab (this venv's) on a copy of the notebooks; always shut down."""
    try:
        server = start_lab(tmp_path_factory.mktemp("lab"), notebooks_dir)
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server
    finally:
        stop_lab(server)


@pytest.fixture(scope="session")
def html_edition(tmp_path_factory: pytest.TempPathFactory, notebooks_dir: Path) -> Path:
    """The HTML edition of the notebooks under test, built as `make html` builds it."""
    from tools.html_edition import build_html_edition

    dest = tmp_path_factory.mktemp("html")
    build_html_edition(notebooks_dir, dest)
    return dest


@pytest.fixture(scope="session")
def slides_edition(tmp_path_factory: pytest.TempPathFactory, notebooks_dir: Path) -> Path:
    """The offline slides of the notebooks under test, built as `make slides` builds them
    (reveal.js from npm's cache in .cache/npm, fetched with npm when missing)."""
    from tools.slides import build_slides

    dest = tmp_path_factory.mktemp("slides")
    build_slides(notebooks_dir, dest)
    return dest
