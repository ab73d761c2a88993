"""`make lab` serves JupyterLab on localhost with token authentication."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_make_lab_serves_jupyterlab_with_token_auth() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}", "LAB_ARGS=--no-browser"],
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
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", line)
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
        status, body = _get(f"http://127.0.0.1:{port}/api/contents/notebooks", token)
        assert status == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert "00_course_tour.ipynb" in names
        assert _get(f"http://127.0.0.1:{port}/api/status")[0] == 403  # no token, no access
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
