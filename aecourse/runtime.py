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
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from ._validate import integer

__all__ = [
    "seed", "seed_offset", "generator", "rng", "set_seed", "get_device", "resolve_device", "versions", "print_versions",
    "prepare_umap",
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


_umap_caching_on = False


def prepare_umap(warm_up: bool = True) -> ModuleType:
    """An environment workaround: import UMAP and pay its compile cost now (notebook 04).

    Only this function changes environment variables (and only unset ones); a plain
    ``project_2d(z, "umap")`` imports umap as it is.

    umap-learn compiles its numerical code with numba on first use. Importing it
    takes about 13 s the first time on a machine (numba fills its cache) and about
    2 s after that; but umap-learn does not ask numba to keep the code of its own
    functions, so the first fit in every new kernel spends about 8 s more compiling.
    This function:

    1. points ``NUMBA_CACHE_DIR`` at a writable folder (``~/.cache/aecourse/numba``)
       unless it is already set;
    2. sets ``NUMBA_NUM_THREADS=1`` unless it is already set: UMAP runs on one thread
       here anyway (``n_jobs=1``, for reproducible pictures), and numba's idle worker
       threads would otherwise keep spinning and slow other code, t-SNE included
       (tenfold on a 2-core machine). Steps 1 and 2 work only before numba is imported;
    3. imports umap and turns on numba's on-disk cache for umap's compiled
       functions (what ``@numba.njit(cache=True)`` would do), so later kernels load
       them in a fraction of a second instead of compiling them again;
    4. with ``warm_up``, fits UMAP once on 40 random points: the compiling happens
       here, and every later fit, e.g. through :func:`aecourse.project_2d`, is fast.

    Returns:
        The imported ``umap`` module.
    """
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "aecourse" / "numba"))
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    try:
        import umap
    except ImportError as err:  # pragma: no cover - umap-learn is a course dependency
        raise ImportError("prepare_umap needs umap-learn: pip install umap-learn") from err
    from numba.core.dispatcher import Dispatcher

    global _umap_caching_on
    for name, module in [] if _umap_caching_on else list(sys.modules.items()):
        if module is None or not (name == "umap" or name.startswith("umap.")):
            continue
        for obj in vars(module).values():
            if isinstance(obj, Dispatcher):
                try:
                    obj.enable_caching()
                except RuntimeError:  # no cache folder for this function: it simply compiles
                    pass
    _umap_caching_on = True  # once per process
    if warm_up:
        x = np.random.default_rng(0).random((40, 4), dtype=np.float32)
        umap.UMAP(n_components=2, n_neighbors=5, random_state=0, n_jobs=1).fit_transform(x)
    return umap
