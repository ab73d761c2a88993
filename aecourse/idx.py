"""MNIST-format (IDX) files: reading them, and downloading them once into a cache.

What :func:`aecourse.load_dataset` uses for ``"mnist"`` and ``"fashion-mnist"``
(notebook 03 shows the format). A download is checked (gzip, IDX header, size, and
the published md5 of the file) before it is kept, so a cut transfer, an error page or
another file never lands in the cache. Files already in the cache are not hashed:
``tools/mnist.py`` writes equal arrays with other gzip bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path

import numpy as np

from ._files import publish

__all__ = ["default_data_dir", "read_idx", "write_idx", "read_idx_parts"]

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
# The md5 of each official file, as torchvision publishes them: checked on a fresh download only.
_IDX_MD5 = {
    ("mnist", "train-images-idx3-ubyte.gz"): "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    ("mnist", "train-labels-idx1-ubyte.gz"): "d53e105ee54ea40749a09fcbcd1e9432",
    ("mnist", "t10k-images-idx3-ubyte.gz"): "9fb629c4189551a2d022fa330f9573f3",
    ("mnist", "t10k-labels-idx1-ubyte.gz"): "ec29112dd5afa0611ce80d1b7f02629c",
    ("fashion-mnist", "train-images-idx3-ubyte.gz"): "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    ("fashion-mnist", "train-labels-idx1-ubyte.gz"): "25c81989df183df01b3e8a0aad5dffbe",
    ("fashion-mnist", "t10k-images-idx3-ubyte.gz"): "bef4ecab320f06d8554ea6380940ec79",
    ("fashion-mnist", "t10k-labels-idx1-ubyte.gz"): "bb300cfdad3c16e7a12a480ee83cd310",
}
# IDX type codes (the third byte of the magic number) and the NumPy dtypes they hold.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def default_data_dir() -> Path:
    """The cache folder for downloaded data: ``$AECOURSE_DATA`` or ``~/.cache/aecourse``."""
    return Path(os.environ.get("AECOURSE_DATA", Path.home() / ".cache" / "aecourse"))


def read_idx_parts(
    folder: Path, name: str, n_classes: int, download: bool
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The official train and test parts in ``folder``, joined: x (N, H*W) in [0, 1], y (N,), (H, W).

    Missing files are downloaded first when ``download`` is true. Every file is checked:
    images (N, H, W) of one shape, one label in 0..n_classes - 1 per image.
    """
    xs, ys, shapes = [], [], []
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
        if images.ndim != 3:
            raise ValueError(f"{folder / image_file}: expected (N, H, W) images, got shape {images.shape}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"{folder / label_file}: expected {len(images)} labels (one per image), got shape {labels.shape}"
            )
        if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(
                f"{folder / label_file}: labels must be in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}"
            )
        shapes.append(images.shape[1:])
        if shapes[0] != shapes[-1]:
            raise ValueError(
                f"{folder / image_file}: images are {shapes[-1]}, but {folder / _IDX_FILES[0][0]} has {shapes[0]}"
            )
        xs.append(images.reshape(len(images), -1).astype(np.float32) / 255.0)
        ys.append(labels.astype(np.int64))
    return np.concatenate(xs), np.concatenate(ys), shapes[0]


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
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part.gz")
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(response, out)
            read_idx(tmp)  # a whole gzip stream of an IDX file of the size its header says, or a ValueError
            digest = hashlib.md5(Path(tmp).read_bytes(), usedforsecurity=False).hexdigest()
            if digest != _IDX_MD5[name, filename]:  # a valid IDX file, but not the published one
                raise ValueError(f"md5 {digest} is not the published {_IDX_MD5[name, filename]}")
            publish(tmp, path)
            return
        except (OSError, HTTPException, ValueError) as err:  # URLError, timeouts, a cut transfer, not IDX, md5
            errors.append(f"{base}: {err}")
        finally:  # a transfer cut off half-way leaves no .part file behind
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    raise FileNotFoundError(
        _missing_message(name, path.parent, filename) + " Tried: " + "; ".join(errors)
    )


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in ``.gz``) into a NumPy array.

    A file that is not gzip, a gzip stream cut short, a bad magic number, a short
    header or a body of the wrong size each raise a ValueError that names the file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {path} does not exist")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError; a cut stream an EOFError
        raise ValueError(
            f"{path} could not be read as a gzip file ({type(err).__name__}: {err}); delete it and get it again"
        ) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: the IDX header is cut short ({len(data)} bytes for {ndim} dimensions)")
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
