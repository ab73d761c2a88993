"""Seeding, device choice and version reporting: the setup cell of every notebook.

Introduced in notebook 00 (course tour); used by every notebook after it.
"""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np
import torch

__all__ = ["set_seed", "get_device", "versions", "print_versions"]

_DEVICES = ("auto", "cpu", "cuda", "mps")


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (CPU and CUDA)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def get_device(prefer: str = "auto") -> torch.device:
    """Pick the device to train on.

    Args:
        prefer: ``"auto"`` (CUDA, then Apple MPS, then CPU), or one of ``"cpu"``,
            ``"cuda"``, ``"mps"``. The environment variable ``AECOURSE_DEVICE``
            overrides ``"auto"``; the test suite sets it to ``cpu`` so that stored
            outputs are the same on every machine.

    Returns:
        The chosen ``torch.device``.
    """
    if prefer not in _DEVICES:
        raise ValueError(f"prefer must be one of {_DEVICES}, got {prefer!r}")
    if prefer == "auto":
        prefer = os.environ.get("AECOURSE_DEVICE", "auto")
        if prefer not in _DEVICES:
            raise ValueError(f"AECOURSE_DEVICE must be one of {_DEVICES}, got {prefer!r}")
    if prefer == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("prefer='cuda' but no CUDA device is available")
    if prefer == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("prefer='mps' but Apple MPS is not available")
    return torch.device(prefer)


def versions() -> dict[str, str]:
    """Versions of Python and the course's main packages (``"missing"`` if absent)."""
    found = {"python": platform.python_version()}
    for name in ("torch", "numpy", "scikit-learn", "matplotlib", "umap-learn"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def print_versions() -> None:
    """Print :func:`versions` on one line, for the setup cell of a notebook."""
    print(", ".join(f"{k} {v}" for k, v in versions().items()))
