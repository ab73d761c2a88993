"""Datasets, splits, loaders, on-disk streaming and noise.

Introduced in notebook 03 (training recipe), which builds each piece by hand first.
The offline default everywhere is scikit-learn's bundled 8x8 digits.
"""

from __future__ import annotations

import gzip
import math
import numbers
import os
import shutil
import struct
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = [
    "ImageData",
    "Split",
    "DATASETS",
    "load_dataset",
    "load_digits",
    "load_idx_dataset",
    "read_idx",
    "write_idx",
    "default_data_dir",
    "split_data",
    "make_loader",
    "make_loaders",
    "save_arrays",
    "DiskDataset",
    "add_gaussian_noise",
    "check_nonnegative",
]

# Where MNIST-format files are published; tried in order, then the local cache is used.
_IDX_SOURCES = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}
_IDX_FILES = (
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
)
_CLASS_NAMES = {
    "digits": tuple(str(d) for d in range(10)),
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}
DATASETS = tuple(_CLASS_NAMES)

# IDX type codes (the third byte of the magic number) and the NumPy dtypes they hold.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


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
        """Return a stratified random subset of ``n`` samples (all of them if fewer)."""
        if not isinstance(n, int) or n <= 0:
            raise ValueError(f"n must be a positive int, got {n!r}")
        if n >= len(self):
            return self
        idx, _ = train_test_split(
            np.arange(len(self)), train_size=n, stratify=self.y, random_state=seed
        )
        idx = np.sort(idx)
        return ImageData(self.x[idx], self.y[idx], self.image_shape, self.class_names, self.name)


class Split(NamedTuple):
    """Train, validation and test parts, each an ``(x, y)`` pair of arrays."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def default_data_dir() -> Path:
    """The cache folder for downloaded data: ``$AECOURSE_DATA`` or ``~/.cache/aecourse``."""
    return Path(os.environ.get("AECOURSE_DATA", Path.home() / ".cache" / "aecourse"))


def load_digits() -> ImageData:
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled from 0..16 to [0, 1]."""
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    return ImageData(x, y, (8, 8), _CLASS_NAMES["digits"], "digits")


def load_dataset(
    name: str = "digits", root: str | Path | None = None, download: bool = True
) -> ImageData:
    """Load a dataset by name: ``"digits"`` (offline), ``"mnist"`` or ``"fashion-mnist"``.

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
    """Load MNIST-format data (the four gzipped IDX files) from ``folder``."""
    if name not in _IDX_SOURCES:
        raise ValueError(f"name must be one of {tuple(_IDX_SOURCES)}, got {name!r}")
    folder = Path(folder)
    xs, ys = [], []
    for image_file, label_file in _IDX_FILES:
        for filename in (image_file, label_file):
            path = folder / filename
            if not path.exists():
                if download:
                    _download(name, filename, path)
                else:
                    raise FileNotFoundError(_missing_message(name, folder, filename))
        images = read_idx(folder / image_file)
        labels = read_idx(folder / label_file)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{folder}: expected (N, H, W) images and (N,) labels, "
                f"got {images.shape} and {labels.shape}"
            )
        xs.append(images.reshape(len(images), -1).astype(np.float32) / 255.0)
        ys.append(labels.astype(np.int64))
    height, width = images.shape[1:]
    return ImageData(
        np.concatenate(xs), np.concatenate(ys), (height, width), _CLASS_NAMES[name], name
    )


def _missing_message(name: str, folder: Path, filename: str) -> str:
    files = ", ".join(f for pair in _IDX_FILES for f in pair)
    return (
        f"{name}: {filename} is missing from {folder} and could not be downloaded. "
        f"Put the four files ({files}) in that folder, or set AECOURSE_DATA to the "
        f"folder that holds a '{name}' subfolder with them."
    )


def _download(name: str, filename: str, path: Path) -> None:
    """Fetch one IDX file into ``path`` (atomically); raise FileNotFoundError on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for base in _IDX_SOURCES[name]:
        tmp = None
        try:
            with urllib.request.urlopen(base + filename, timeout=30) as response:
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(response, out)
            os.replace(tmp, path)
            return
        except OSError as err:  # URLError, timeouts and HTTP errors are all OSErrors
            errors.append(f"{base}: {err}")
        finally:  # a transfer cut off half-way leaves no .part file behind
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    raise FileNotFoundError(
        _missing_message(name, path.parent, filename) + " Tried: " + "; ".join(errors)
    )


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in ``.gz``) into a NumPy array."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {path} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    shape = struct.unpack(f">{ndim}i", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(body) != expected:
        raise ValueError(f"{path}: header says {shape} ({expected} bytes), file has {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped if the name ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}
    code = codes.get(array.dtype)
    if code is None:
        raise ValueError(f"array dtype {array.dtype} has no IDX type code")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    body = array.astype(np.dtype(_IDX_DTYPES[code])).tobytes()
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + body)


def split_data(
    x: np.ndarray,
    y: np.ndarray,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    stratify: bool = True,
) -> Split:
    """Split into train/validation/test by ``ratios`` (default 8:1:1), stratified by ``y``.

    Args:
        x: (N, ...) inputs.
        y: (N,) labels (class labels when ``stratify`` is true).
        ratios: three positive fractions summing to 1, e.g. ``(0.6, 0.2, 0.2)``.
        seed: makes the split reproducible.
        stratify: keep each class's share the same in every part.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(ratios) != 3 or min(ratios) <= 0 or abs(sum(ratios) - 1) > 1e-6:
        raise ValueError(f"ratios must be three positive numbers summing to 1, got {ratios!r}")
    train_r, val_r, test_r = ratios
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
    """A DataLoader over in-memory arrays; each batch is a tuple of tensors.

    Integer arrays become int64 tensors (labels) and the rest float32. With
    ``shuffle``, the order comes from a generator seeded by ``seed``; either way the
    loader neither depends on nor disturbs torch's global random state. The generator
    advances with each pass, so a reused shuffled loader gives a new order each epoch
    (as training wants); to give two models the same batches, make a loader for each.
    """
    if not arrays:
        raise ValueError("make_loader needs at least one array")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    tensors = [_as_tensor(a) for a in arrays]
    if any(len(t) != len(tensors[0]) for t in tensors):
        raise ValueError(f"arrays must have equal lengths, got {[len(t) for t in tensors]}")
    # A generator of its own even without shuffling: iterating a DataLoader draws a
    # seed from its generator, and from torch's global one if it has none.
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, generator=generator
    )


def make_loaders(
    split: Split, batch_size: int = 64, seed: int = 0, labels: bool = True
) -> dict[str, DataLoader]:
    """Loaders for a :class:`Split`: shuffled ``"train"``, ordered ``"val"`` and ``"test"``.

    With ``labels=False`` batches hold only ``x`` (what an autoencoder needs).
    """
    loaders = {}
    for part, (x, y) in split._asdict().items():
        arrays = (x, y) if labels else (x,)
        loaders[part] = make_loader(
            *arrays, batch_size=batch_size, shuffle=part == "train", seed=seed
        )
    return loaders


def _as_tensor(a: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a)) if not isinstance(a, torch.Tensor) else a
    if t.dtype.is_floating_point:
        return t.float()
    if t.dtype == torch.bool:
        raise ValueError("boolean arrays are not supported; convert them to int or float")
    return t.long()


def save_arrays(folder: str | Path, x: np.ndarray, y: np.ndarray | None = None) -> Path:
    """Write ``x`` (and ``y``) as ``.npy`` files in ``folder`` for :class:`DiskDataset`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "x.npy", np.ascontiguousarray(x, dtype=np.float32))
    if y is not None:
        if len(y) != len(x):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        np.save(folder / "y.npy", np.asarray(y, dtype=np.int64))
    return folder


class DiskDataset(Dataset):
    """A Dataset that reads one sample at a time from ``.npy`` files on disk.

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
        self._len = int(np.load(self.folder / "x.npy", mmap_mode="r").shape[0])

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        if self._x is None:
            self._x = np.load(self.folder / "x.npy", mmap_mode="r")
            if self._has_y:
                self._y = np.load(self.folder / "y.npy", mmap_mode="r")
        x = torch.from_numpy(np.array(self._x[i]))  # copy the row out of the map
        if self._y is None:
            return (x,)
        return x, torch.tensor(int(self._y[i]))


def check_nonnegative(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number >= 0, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def add_gaussian_noise(
    x: torch.Tensor | np.ndarray,
    std: float,
    generator: torch.Generator | None = None,
    clip: bool = True,
) -> torch.Tensor:
    """Corrupt ``x`` with N(0, std^2) noise, x~ = x + eps, clipped to [0, 1] by default.

    The noise is drawn on the CPU (from ``generator`` when given, so it is
    reproducible on any device) and moved to ``x``'s device.
    """
    check_nonnegative(std, "std")
    x = torch.as_tensor(x, dtype=torch.float32)
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    x_noisy = x + std * noise
    return x_noisy.clamp(0.0, 1.0) if clip else x_noisy
