"""`make lab` serves JupyterLab on localhost with token authentication, on the learner's
working copy of the notebooks, opening at the first one; and how that copy is kept.

The test runs the Makefile's ``lab`` recipe with the running environment as ``VENV``
and its install stamp marked old (``make -o``), so it never builds a venv or runs pip:
it checks the recipe, not the setup.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # tests/browser is collected only with --browser

import browser_support  # noqa: E402
from browser_support import free_port  # noqa: E402


def _make_lab(venv: str | Path, *args: str) -> list[str]:
    """``make lab`` on the environment ``venv``, never remaking its install stamp (no venv, no pip)."""
    return ["make", "-o", f"{venv}/.installed", "--no-print-directory", "lab", f"VENV={venv}", *args]


def test_make_lab_never_builds_a_venv_or_runs_pip(tmp_path: Path) -> None:
    venv = tmp_path / "no-venv-here"  # no stamp at all: plain `make lab` would build this venv
    dry = subprocess.run(
        _make_lab(venv, "-n", "PORT=1", f"WORK={tmp_path / 'work'}"), cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout
    assert "pip" not in dry and "-m venv" not in dry, dry
    assert f"{venv}/bin/jupyter lab" in dry  # the lab of the environment named, nothing else


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def _get_no_redirect(url: str, token: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=5) as response:
            return response.status, ""
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location", "")


def test_make_lab_serves_jupyterlab_with_token_auth(tmp_path: Path) -> None:
    port = free_port()
    work = tmp_path / "my-notebooks"
    proc = subprocess.Popen(
        _make_lab(sys.prefix, f"PORT={port}", "LAB_ARGS=--no-browser", f"WORK={work}"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so the server dies with it
        env={**os.environ, "BROWSER": "true"},
    )
    log = []
    try:
        token = None
        deadline = time.monotonic() + 90
        while token is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail("make lab exited early:\n" + "".join(log))
            log.append(line)
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab[^?\s]*\?token=([0-9a-f]+)", line)
            if match:
                token = match.group(1)
        assert token, "make lab printed no URL with a token:\n" + "".join(log)

        # the URL is printed as the server starts listening; on a busy machine give it a moment
        for _ in range(60):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/status", token)
                break
            except urllib.error.URLError:
                time.sleep(0.5)
        else:
            pytest.fail("make lab printed its URL but never answered on it:\n" + "".join(log))
        assert status == 200 and "started" in json.loads(body)
        status, body = _get(f"http://127.0.0.1:{port}/api/contents", token)
        assert status == 200  # the lab's root is the working copy, made from notebooks/
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= names
        course = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
        assert sorted(p.name for p in work.glob("*.ipynb")) == course
        status, location = _get_no_redirect(f"http://127.0.0.1:{port}/", token)
        assert status == 302 and location.rstrip("?").endswith("/lab/tree/00_course_tour.ipynb"), (status, location)
        assert _get(f"http://127.0.0.1:{port}/api/status")[0] == 403  # no token, no access
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_working_copy_is_made_once_and_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tools import workcopy

    src, work = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    (src / "01_a.ipynb").write_text("course version 1")
    assert workcopy.main([str(src), str(work)]) == 0
    assert "copied 1 notebook" in capsys.readouterr().out
    (work / "01_a.ipynb").write_text("my answers")  # the learner works in the copy
    (src / "01_a.ipynb").write_text("course version 2")  # git pull brings a new version
    (src / "02_b.ipynb").write_text("a new notebook")
    copied, changed = workcopy.update(src, work)
    assert copied == [work / "02_b.ipynb"] and changed == [src / "01_a.ipynb"]
    assert (work / "01_a.ipynb").read_text() == "my answers"  # never overwritten
    assert (work / "02_b.ipynb").read_text() == "a new notebook"
    workcopy.main([str(src), str(work)])
    assert "is newer than your copy" in capsys.readouterr().out
    (work / "01_a.ipynb").unlink()  # deleting one's copy brings the new version
    assert workcopy.update(src, work) == ([work / "01_a.ipynb"], [])
    assert (work / "01_a.ipynb").read_text() == "course version 2"
    with pytest.raises(FileNotFoundError, match="holds no notebooks"):
        workcopy.update(tmp_path / "nothing", work)


def test_the_working_copy_is_git_ignored() -> None:
    assert "my-notebooks/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "WORK   ?= my-notebooks" in (ROOT / "Makefile").read_text()


def test_the_browser_helpers_find_every_process_below_the_server() -> None:
    """stop_lab kills what the server started (kernels in their own groups): psutil's walk finds grandchildren."""
    parent = subprocess.Popen(["sh", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(parent.stdout.readline())
        assert grandchild in browser_support._descendants(parent.pid)
        assert browser_support._descendants(grandchild) == []
    finally:
        os.kill(grandchild, signal.SIGKILL)
        parent.wait(timeout=10)
    assert browser_support._descendants(parent.pid) == []  # an exited process has none


def test_the_tooling_shares_one_copy_of_its_helpers() -> None:
    from tools import exercises, html_edition, slides

    assert html_edition._source is slides._source is exercises._source is browser_support.source
    assert browser_support.WIDGET_VIEW is html_edition.WIDGET_VIEW
    assert exercises._source({"source": ["a\n", "b"]}) == exercises._source({"source": "a\nb"}) == "a\nb"

