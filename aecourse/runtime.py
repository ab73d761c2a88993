"""Seeding, device choice and version reporting: the setup cell of every notebook.

Introduced in notebook 00 (course tour); used by every notebook after it.

Seeds: every seed the course uses goes through :func:`seed`, which adds the integer
in the environment variable ``AECOURSE_SEED_OFFSET`` (0 when unset). Setting it
re-seeds the whole course at once, so ``make test-seeds`` can check that every claim
holds for other seeds, not only for the one the stored outputs were made with.

Device: :func:`get_device` picks the course's device once; :func:`aecourse.fit` moves
the model there, and every evaluation helper runs on the model's device, moving each
batch to it. A notebook's hand-written code does the same: ``model.to(device)`` right
after building a model, ``x.to(device)`` for every batch.
"""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np
import torch

from ._validate import integer

__all__ = [
    "seed", "seed_offset", "generator", "rng", "set_seed", "get_device", "resolve_device", "versions", "print_versions",
]

# "meta" holds shapes but no numbers: the tests run notebooks on it to catch a model or
# batch left on the CPU (mixing devices fails there as it would on a GPU).
_DEVICES = ("auto", "cpu", "cuda", "mps", "meta")
SEED_OFFSET_VARIABLE = "AECOURSE_SEED_OFFSET"


def seed_offset() -> int:
    """The integer in ``AECOURSE_SEED_OFFSET`` (0 when unset), added to every seed."""
    raw = os.environ.get(SEED_OFFSET_VARIABLE, "").strip() or "0"
    try:
        offset = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {raw!r}") from None
    if offset < 0:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {raw!r}")
    return offset


def seed(base: int, name: str = "seed") -> int:
    """The course's seed ``base`` shifted by ``AECOURSE_SEED_OFFSET``: ``base`` itself by default."""
    return integer(base, name) + seed_offset()


def generator(base: int = 0) -> torch.Generator:
    """A torch CPU generator seeded with :func:`seed` of ``base`` (noise, random inputs)."""
    return torch.Generator().manual_seed(seed(base))


def rng(base: int = 0) -> np.random.Generator:
    """A NumPy generator seeded with :func:`seed` of ``base``."""
    return np.random.default_rng(seed(base))


def set_seed(base: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (CPU and CUDA) with :func:`seed`."""
    value = seed(base)
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)  # also seeds every CUDA device


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


def resolve_device(device: torch.device | str | None, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device``; ``None`` means the course's device, :func:`get_device`."""
    if device is None:
        return get_device()
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"{name} must be a torch.device, a string such as 'cpu' or 'cuda', or None, got {device!r}")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"{name} must name a device such as 'cpu', 'cuda' or 'mps', got {device!r}") from None


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
