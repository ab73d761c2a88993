"""Test settings: no network, one thread, quiet progress bars, CPU only."""

from __future__ import annotations

import os
import socket

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
