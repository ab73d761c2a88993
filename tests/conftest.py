"""Test settings: no network, one thread, quiet progress bars, CPU only."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch

os.environ.setdefault("AECOURSE_NO_PROGRESS", "1")
os.environ.setdefault("AECOURSE_DEVICE", "cpu")
torch.set_num_threads(1)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127.") or host.startswith("/")):
        return _real_connect(self, address)
    raise OSError(f"network access is blocked in the tests (tried to connect to {address!r})")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to reach the network: the course must work offline."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


# tests/browser drives JupyterLab and the HTML edition in headless Chromium (minutes,
# needs Debian's chromium): it runs only with --browser, i.e. `make test-browser`.
_BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--browser", action="store_true", help="also run tests/browser (make test-browser)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == _BROWSER_TESTS and not config.getoption("--browser"):
        return True
    return None
