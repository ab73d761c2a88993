"""Helpers of the browser test (tests/browser): the JupyterLab server, recorded pages."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil  # pinned in constraints.txt (a Jupyter dependency)

from tools.exercises import BEGIN, END, SOLUTION_TAG
from tools.exercises import _source as source
from tools.html_edition import WIDGET_VIEW

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def has_widgets(path: Path) -> bool:
    """True when a stored output of ``path`` is a widget view (an ipywidgets display)."""
    nb = nbformat.read(path, as_version=4)
    return any(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def is_solution(cell: dict) -> bool:
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def solution_lines(nb: dict, index: int) -> list[str]:
    """Lines of solution ``index`` that appear in no other cell: seeing one means a leak."""
    src = source(nb.cells[index])
    body = src.split(BEGIN, 1)[-1].split(END, 1)[0]
    others = [c for i, c in enumerate(nb.cells) if i != index and not is_solution(c)]
    texts = [source(c) for c in others]
    for cell in others:  # outputs too: a solution line printed by another cell is no leak
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain") or ""
            texts.append(text if isinstance(text, str) else "".join(text))
    elsewhere = "\n".join(texts)
    lines = [" ".join(line.split()) for line in body.splitlines()]
    return [line for line in lines if len(line) >= 8 and line not in " ".join(elsewhere.split())]


@dataclass
class RecordedPage:
    """A Playwright page plus every URL it requested (to prove nothing left the machine)."""

    page: object
    requests: list[str] = field(default_factory=list)

    def external(self, allowed: tuple[str, ...]) -> list[str]:
        local = ("data:", "blob:", "about:", *allowed)
        return sorted({url for url in self.requests if not url.startswith(local)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token and root folder (a copy of the course)."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def tree_url(self, relative: str) -> str:
        """URL that opens ``relative`` alone (``reset`` drops the remembered layout)."""
        return f"{self.url}/lab/tree/{relative}?token={self.token}&reset"

    def api(self, method: str, path: str, timeout: float = 10) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # localhost only
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def lab_settings(folder: Path) -> Path:
    """User settings for the test: no autosave, no news fetched from the internet."""
    settings = {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (kernels run in their own process group), from psutil."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:  # it has exited already
        return []


def stop_lab(lab: Lab) -> None:
    """Stop the server and everything it started, politely first, then by force."""
    process = lab.process
    below = _descendants(process.pid)
    if process.poll() is None:
        try:
            lab.api("POST", "/api/shutdown", timeout=5)  # stops the kernels, then the server
            process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
    for pid in below:  # any kernel the shutdown missed
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass




def start_lab(base: Path, notebooks: Path, start_s: float = 120) -> Lab:
    """Start this venv's JupyterLab on a copy of ``notebooks`` under ``base``; wait until it answers.

    Raises RuntimeError (with the server's log) when it exits or does not answer in
    ``start_s`` seconds, after stopping it; once it is up, the caller stops it with
    :func:`stop_lab`, however its tests end.
    """
    root = base / "course"
    shutil.copytree(notebooks, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]
    command += [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={lab_settings(base / 'settings')}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(base / "config"),  # no personal server config (passwords, ...)
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),  # no personal startup scripts in the kernels
    )
    log = base / "jupyter.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        deadline = time.monotonic() + start_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {process.returncode}:\n{lab.log_tail()}")
            try:
                lab.api("GET", "/api/status", timeout=2)
                return lab
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within {start_s} s:\n{lab.log_tail()}") from None
                time.sleep(0.5)
    except BaseException:  # not up (or interrupted): take it down before reporting
        stop_lab(lab)
        raise
