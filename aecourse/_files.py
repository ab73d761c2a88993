"""Finishing an atomic write: the permissions a plain ``open`` would give, then the rename."""

from __future__ import annotations

import os
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it, so set it straight back
    os.umask(mask)
    return mask


def publish(tmp: str | Path, path: str | Path) -> None:
    """Give ``tmp`` mode ``0o666 & ~umask`` (``mkstemp`` makes 0600) and rename it to ``path`` atomically."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)  # a reader never sees a half-written file
