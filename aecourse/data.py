"""Datasets, splits, loaders, on-disk streaming and noise.

Introduced in notebook 03 (training recipe), which builds each piece by hand first.
The offline default everywhere is scikit-learn's bundled 8x8 digits; MNIST and
Fashion-MNIST files are read (and downloaded) by :mod:`aecourse.idx`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from . import _validate
from ._files import publish
from .idx import _IDX_SOURCES, default_data_dir, read_idx, read_idx_parts, write_idx
from .runtime import seed as course_seed

__all__ = [  # read_idx, write_idx and default_data_dir come from aecourse.idx
    "ImageData", "Split", "DATASETS", "load_dataset", "load_digits", "load_idx_dataset", "read_idx", "write_idx",
    "default_data_dir", "split_data", "make_loader", "make_loaders", "save_arrays", "DiskDataset", "add_gaussian_noise",
]

_CLASS_NAMES = {
    "digits": tuple(str(d) for d in range(10)),
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"),
}
DATASETS = tuple(_CLASS_NAMES)


@dataclass(frozen=True)
class ImageData:
    """An image classification set, flattened: ``x`` is (N, D) float32 in [0, 1]."""

    x: np.ndarray  # (N, D) float32, pixel intensities in [0, 1]
    y: np.ndarray  # (N,) int64 class labels
    image_shape: tuple[int, int]  # D == H * W
    class_names: tuple[str, ...]
    name: str

    def __len__(self) -> int:
        return len(self.x)

    def subsample(self, n: int, seed: int = 0) -> ImageData:
        """A stratified random subset of ``n`` samples, all of them if fewer (every setup cell, notebook 00 on)."""
        n = _validate.positive_int(n, "n")
        seed = course_seed(seed)
        if n >= len(self):
            return self
        classes = len(np.unique(self.y))
        if n < classes:
            raise ValueError(f"n must be at least the number of classes ({classes}) for a stratified subset, got {n}")
        from sklearn.model_selection import train_test_split

        idx = np.sort(train_test_split(np.arange(len(self)), train_size=n, stratify=self.y, random_state=seed)[0])
        return ImageData(self.x[idx], self.y[idx], self.image_shape, self.class_names, self.name)


class Split(NamedTuple):
    """Train, validation and test parts, each an ``(x, y)`` pair of arrays."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def load_digits() -> ImageData:
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled from 0..16 to [0, 1].

    Read from scikit-learn's own file (per row: 64 pixels, the label) without importing
    scikit-learn (1-2 s, paid instead where split_data first runs).
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # where it is installed; nothing is imported
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the digits come with scikit-learn: pip install scikit-learn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    if table.shape != (1797, 65):
        raise ValueError(f"{path}: expected 1797 rows of 64 pixels and a label, got shape {table.shape}")
    x, y = (table[:, :-1] / 16.0).astype(np.float32), table[:, -1].astype(np.int64)
    return ImageData(x, y, (8, 8), _CLASS_NAMES["digits"], "digits")


def load_dataset(
    name: str = "digits", root: str | Path | None = None, download: bool = True
) -> ImageData:
    """Load a dataset by name: ``"digits"`` (offline), ``"mnist"`` or ``"fashion-mnist"`` (notebook 00 on).

    MNIST and Fashion-MNIST are read from the standard gzipped IDX files in
    ``root/<name>/`` (default root: :func:`default_data_dir`), downloaded there first
    when missing and ``download`` is true. Their official train and test parts are
    returned together (70,000 images); split them with :func:`split_data`.
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    if name == "digits":
        return load_digits()
    folder = Path(root) if root is not None else default_data_dir()
    return load_idx_dataset(folder / name, name=name, download=download)


def load_idx_dataset(folder: str | Path, name: str = "mnist", download: bool = False) -> ImageData:
    """Load MNIST-format data (the four gzipped IDX files) from ``folder`` (see :mod:`aecourse.idx`)."""
    _validate.one_of(name, tuple(_IDX_SOURCES), "name")
    x, y, image_shape = read_idx_parts(Path(folder), name, len(_CLASS_NAMES[name]), download)
    return ImageData(x, y, image_shape, _CLASS_NAMES[name], name)


def split_data(
    x: np.ndarray,
    y: np.ndarray,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    stratify: bool = True,
) -> Split:
    """Split into train/validation/test by ``ratios`` (default 8:1:1), stratified by ``y`` (notebook 03).

    Args:
        x: (N, ...) inputs.
        y: (N,) labels (class labels when ``stratify`` is true).
        ratios: three positive fractions summing to 1, e.g. ``(0.6, 0.2, 0.2)``.
        seed: makes the split reproducible (shifted by ``AECOURSE_SEED_OFFSET``).
        stratify: keep each class's share the same in every part.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    try:
        values = [float(r) for r in ratios]
    except (TypeError, ValueError):
        raise ValueError(f"ratios must be three positive numbers summing to 1, got {ratios!r}") from None
    if len(values) != 3 or not all(0 < r < 1 for r in values) or abs(sum(values) - 1) > 1e-6:
        raise ValueError(f"ratios must be three positive numbers summing to 1, got {ratios!r}")
    seed = course_seed(seed)
    train_r, val_r, test_r = values
    n_classes = len(np.unique(y)) if stratify else 1
    smallest = min(values) * len(x)
    if stratify and smallest < n_classes:
        raise ValueError(
            f"ratios {ratios!r} give a part of about {smallest:.0f} samples, fewer than the {n_classes} classes "
            "that stratify needs in every part: use more data, larger ratios or stratify=False"
        )
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(x))
    idx_train, idx_rest = train_test_split(
        idx, train_size=train_r, stratify=y if stratify else None, random_state=seed
    )
    idx_val, idx_test = train_test_split(
        idx_rest,
        train_size=val_r / (val_r + test_r),
        stratify=y[idx_rest] if stratify else None,
        random_state=seed,
    )
    return Split(*((x[i], y[i]) for i in (idx_train, idx_val, idx_test)))


def make_loader(
    *arrays: np.ndarray | torch.Tensor,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader:
    """A DataLoader over in-memory arrays; each batch is a tuple of tensors (notebook 03).

    Integer arrays become int64 tensors (labels) and the rest float32. With
    ``shuffle``, the order comes from a generator seeded by ``seed`` (shifted by
    ``AECOURSE_SEED_OFFSET``); either way the loader neither depends on nor disturbs
    torch's global random state. The generator advances with each pass, so a reused
    shuffled loader gives a new order each epoch (as training wants); to give two
    models the same batches, make a loader for each.
    """
    if not arrays:
        raise ValueError("make_loader needs at least one array")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    tensors = [_as_tensor(a, f"arrays[{i}]") for i, a in enumerate(arrays)]
    if any(t.ndim == 0 for t in tensors):
        raise ValueError("make_loader's arrays must have one row per sample, got a 0-d array")
    if any(len(t) != len(tensors[0]) for t in tensors):
        raise ValueError(f"arrays must have equal lengths, got {[len(t) for t in tensors]}")
    # A generator of its own even without shuffling: iterating a DataLoader draws a
    # seed from its generator, and from torch's global one if it has none.
    generator = torch.Generator().manual_seed(course_seed(seed))
    return DataLoader(
        _BatchedTensors(*tensors), batch_size=batch_size, shuffle=shuffle, generator=generator,
        collate_fn=_as_is,
    )


class _BatchedTensors(TensorDataset):
    """A TensorDataset that gives a whole batch with one indexing per tensor.

    The DataLoader asks for a batch's indices at once (``__getitems__``); the plain
    TensorDataset answers sample by sample and then stacks the samples, which costs
    more than a small model's training step. Same samplers, same order, same values.
    """

    def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
        index = torch.as_tensor(indices, dtype=torch.long)
        return [t[index] for t in self.tensors]


def _as_is(batch: list[torch.Tensor]) -> list[torch.Tensor]:
    """The collate step of :class:`_BatchedTensors`: its batch is already stacked."""
    return batch


def make_loaders(
    split: Split, batch_size: int = 64, seed: int = 0, labels: bool = True
) -> dict[str, DataLoader]:
    """Loaders for a :class:`Split`: shuffled ``"train"``, ordered ``"val"`` and ``"test"`` (notebook 03).

    With ``labels=False`` batches hold only ``x`` (what an autoencoder needs).
    """
    loaders = {}
    for part, (x, y) in split._asdict().items():
        arrays = (x, y) if labels else (x,)
        loaders[part] = make_loader(
            *arrays, batch_size=batch_size, shuffle=part == "train", seed=seed
        )
    return loaders


def _as_tensor(a: np.ndarray | torch.Tensor, name: str = "array") -> torch.Tensor:
    try:
        t = torch.as_tensor(np.asarray(a)) if not isinstance(a, torch.Tensor) else a
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a NumPy array or tensor of numbers, got {type(a).__name__} ({err})") from None
    if t.dtype.is_floating_point:
        return t.float()
    if t.dtype == torch.bool:
        raise ValueError(f"{name}: boolean arrays are not supported; convert them to int or float")
    if t.dtype.is_complex:
        raise ValueError(f"{name}: complex arrays are not supported")
    return t.long()


def save_arrays(folder: str | Path, x: np.ndarray, y: np.ndarray | None = None) -> Path:
    """Write ``x`` (and ``y``) as ``.npy`` files in ``folder`` for :class:`DiskDataset` (notebook 03).

    Both files are written to temporary names first and renamed only when both are
    complete, so a failed call leaves the folder as it was; without ``y``, an old
    ``y.npy`` is removed, so old labels never sit beside new images.
    """
    folder = Path(folder)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim < 1:
        raise ValueError("x must have one row per sample, got a 0-d array")
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        y = y.astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for name, array in (("x", x), ("y", y)):
            if array is None:
                continue
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".npy")
            written.append((tmp, folder / f"{name}.npy"))
            with os.fdopen(fd, "wb") as f:
                np.save(f, array)
        if y is None and (folder / "y.npy").exists():
            os.remove(folder / "y.npy")
        for tmp, final in written:
            publish(tmp, final)
    finally:
        for tmp, _ in written:
            if os.path.exists(tmp):
                os.remove(tmp)
    return folder


class DiskDataset(Dataset):
    """A Dataset that reads one sample at a time from ``.npy`` files on disk (notebook 03).

    The files are memory-mapped, so only the rows a batch asks for are read: the
    pattern for data that does not fit in memory. Items are tuples of tensors, like a
    TensorDataset's, so the same training code runs on either.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / "x.npy").exists():
            raise FileNotFoundError(f"folder {self.folder} has no x.npy (see save_arrays)")
        self._has_y = (self.folder / "y.npy").exists()
        self._x: np.ndarray | None = None  # opened lazily: each worker opens its own map
        self._y: np.ndarray | None = None
        self._len = _rows(self.folder / "x.npy")
        if self._has_y and _rows(self.folder / "y.npy") != self._len:
            raise ValueError(
                f"{self.folder}: x.npy has {self._len} rows but y.npy has {_rows(self.folder / 'y.npy')}"
            )

    def __len__(self) -> int:
        return self._len

    def __getstate__(self) -> dict:
        # a DataLoader worker gets the folder, not the arrays: it opens its own map
        return {**self.__dict__, "_x": None, "_y": None}

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        if self._x is None:
            self._x = np.load(self.folder / "x.npy", mmap_mode="r")
            if self._has_y:
                self._y = np.load(self.folder / "y.npy", mmap_mode="r")
        x = torch.from_numpy(np.array(self._x[i]))  # copy the row out of the map
        if self._y is None:
            return (x,)
        return x, torch.tensor(int(self._y[i]))


def _rows(path: Path) -> int:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable .npy file ({err})") from None
    if array.ndim < 1:
        raise ValueError(f"{path} holds a 0-d array, not one row per sample")
    return int(array.shape[0])


def add_gaussian_noise(
    x: torch.Tensor | np.ndarray,
    std: float,
    generator: torch.Generator | None = None,
    clip: bool = True,
) -> torch.Tensor:
    """Corrupt ``x`` with N(0, std^2) noise, x~ = x + eps, clipped to [0, 1] by default (notebook 05).

    The noise is drawn on the CPU (from ``generator`` when given, so it is
    reproducible on any device) and moved to ``x``'s device.
    """
    _validate.nonnegative_float(std, "std")
    x = torch.as_tensor(x, dtype=torch.float32)
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    x_noisy = x + std * noise
    return x_noisy.clamp(0.0, 1.0) if clip else x_noisy
