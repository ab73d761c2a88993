"""aecourse.data: datasets (digits and IDX files), splits, loaders, disk streaming, noise."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch.utils.data import DataLoader

import aecourse as ae
from aecourse import data

IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@pytest.fixture(scope="module")
def digits() -> ae.ImageData:
    return ae.load_dataset("digits")


def _hand_idx(array: np.ndarray) -> bytes:
    """IDX bytes written from the format's definition (not with write_idx): a 4-byte
    magic number (two zero bytes, type code 0x08 = unsigned byte, number of
    dimensions), one big-endian uint32 per dimension, then the data row-major."""
    assert array.dtype == np.uint8
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes(order="C")


def _fake_mnist(
    folder: Path, n_train: int = 12, n_test: int = 7, hw: tuple[int, int] = (5, 4), hand: bool = False
) -> dict[str, np.ndarray]:
    """Write the four gzipped IDX files of a tiny MNIST-format dataset into ``folder``."""
    rng = np.random.default_rng(0)
    arrays = {
        IDX_FILES[0]: rng.integers(0, 256, size=(n_train, *hw), dtype=np.uint8),
        IDX_FILES[1]: rng.integers(0, 10, size=n_train, dtype=np.uint8),
        IDX_FILES[2]: rng.integers(0, 256, size=(n_test, *hw), dtype=np.uint8),
        IDX_FILES[3]: rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if hand:
            with gzip.open(folder / name, "wb") as f:
                f.write(_hand_idx(array))
        else:
            ae.data.write_idx(folder / name, array)
    return arrays


# ---- IDX files ------------------------------------------------------------------


def test_write_idx_bytes_match_the_format(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data.write_idx(tmp_path / "a.gz", images)
    with gzip.open(tmp_path / "a.gz", "rb") as f:
        written = f.read()
    assert written == _hand_idx(images)
    assert written[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", written[4:16]) == (2, 3, 4)
    # without .gz the file is not compressed
    data.write_idx(tmp_path / "a.idx", images)
    assert (tmp_path / "a.idx").read_bytes() == _hand_idx(images)


def test_read_idx_reads_hand_written_files(tmp_path: Path) -> None:
    images = np.random.default_rng(1).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    with gzip.open(tmp_path / "images.gz", "wb") as f:
        f.write(_hand_idx(images))
    (tmp_path / "labels.idx").write_bytes(_hand_idx(np.array([7, 0, 9], dtype=np.uint8)))
    got = data.read_idx(tmp_path / "images.gz")
    assert got.dtype == np.uint8 and got.shape == (3, 28, 28)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "labels.idx"), [7, 0, 9])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_every_type(tmp_path: Path, dtype: type) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    data.write_idx(tmp_path / "x.idx.gz", array)
    got = data.read_idx(tmp_path / "x.idx.gz")
    assert got.dtype == np.dtype(dtype)  # native byte order, the same type
    np.testing.assert_array_equal(got, array)


def test_idx_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no IDX type code"):
        data.write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.read_idx(tmp_path / "nothing.gz")
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(ValueError, match="bad magic number"):
        data.read_idx(tmp_path / "bad.idx")
    truncated = _hand_idx(np.zeros((2, 3), dtype=np.uint8))[:-1]
    (tmp_path / "short.idx").write_bytes(truncated)
    with pytest.raises(ValueError, match=r"header says \(2, 3\) \(6 bytes\), file has 5"):
        data.read_idx(tmp_path / "short.idx")


# ---- datasets -------------------------------------------------------------------


def test_digits(digits: ae.ImageData) -> None:
    assert digits.name == "digits" and len(digits) == 1797
    assert digits.x.shape == (1797, 64) and digits.x.dtype == np.float32
    assert digits.y.shape == (1797,) and digits.y.dtype == np.int64
    assert digits.x.min() == 0.0 and digits.x.max() == 1.0
    assert digits.image_shape == (8, 8)
    assert digits.class_names == tuple("0123456789")
    assert set(np.unique(digits.y)) == set(range(10))
    np.testing.assert_array_equal(data.load_digits().x, digits.x)


@pytest.mark.parametrize("hand", [False, True], ids=["write_idx", "hand-written"])
def test_load_mnist_from_idx_files(tmp_path: Path, hand: bool) -> None:
    arrays = _fake_mnist(tmp_path / "mnist", hand=hand)
    got = ae.load_dataset("mnist", root=tmp_path, download=False)
    assert got.name == "mnist" and got.image_shape == (5, 4)
    assert got.x.shape == (19, 20) and got.x.dtype == np.float32
    assert got.y.dtype == np.int64
    # the official train part first, then the test part, pixels scaled by 1/255
    want_x = np.concatenate([arrays[IDX_FILES[0]], arrays[IDX_FILES[2]]]).reshape(19, 20) / 255.0
    np.testing.assert_allclose(got.x, want_x, rtol=1e-6)
    np.testing.assert_array_equal(got.y, np.concatenate([arrays[IDX_FILES[1]], arrays[IDX_FILES[3]]]))
    assert got.x.min() >= 0.0 and got.x.max() <= 1.0
    assert got.class_names == tuple("0123456789")


def test_load_fashion_mnist_and_default_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setenv("AECOURSE_DATA", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    got = ae.load_dataset("fashion-mnist", download=False)  # root from AECOURSE_DATA
    assert got.name == "fashion-mnist" and len(got) == 19
    assert got.class_names[0] == "T-shirt/top" and got.class_names[9] == "Ankle boot"
    assert len(got.class_names) == 10


def test_default_data_dir_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AECOURSE_DATA", raising=False)
    assert data.default_data_dir() == Path.home() / ".cache" / "aecourse"


def test_load_idx_dataset_directly(tmp_path: Path) -> None:
    assert data.DATASETS == ("digits", "mnist", "fashion-mnist")
    _fake_mnist(tmp_path / "anywhere", n_train=3, n_test=2, hw=(28, 28))
    got = data.load_idx_dataset(tmp_path / "anywhere", name="fashion-mnist")
    assert got.x.shape == (5, 784) and got.image_shape == (28, 28) and got.name == "fashion-mnist"


def test_unknown_dataset_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"name must be one of \('digits', 'mnist', 'fashion-mnist'\)"):
        ae.load_dataset("cifar10")
    with pytest.raises(ValueError, match="name must be one of"):
        data.load_idx_dataset(tmp_path, name="digits")


def test_missing_files_say_where_to_put_them(tmp_path: Path) -> None:
    _fake_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / IDX_FILES[2]).unlink()
    with pytest.raises(FileNotFoundError) as err:
        ae.load_dataset("mnist", root=tmp_path, download=False)
    message = str(err.value)
    assert f"{IDX_FILES[2]} is missing from {tmp_path / 'mnist'}" in message
    assert "Put the four files" in message and all(f in message for f in IDX_FILES)
    assert "AECOURSE_DATA" in message
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz is missing"):
        ae.load_dataset("fashion-mnist", root=tmp_path / "empty", download=False)


def test_mismatched_images_and_labels(tmp_path: Path) -> None:
    arrays = _fake_mnist(tmp_path / "mnist")
    data.write_idx(tmp_path / "mnist" / IDX_FILES[1], arrays[IDX_FILES[1]][:-1])
    message = r"train-labels-idx1-ubyte.gz: expected 12 labels \(one per image\), got shape \(11,\)"
    with pytest.raises(ValueError, match=message):
        ae.load_dataset("mnist", root=tmp_path, download=False)


def test_download_failure_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tried = []

    def offline(url: str, timeout: float = 0) -> None:
        tried.append(url)
        raise urllib.error.URLError("simulated outage")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError) as err:
        ae.load_dataset("mnist", root=tmp_path, download=True)
    message = str(err.value)
    assert "mnist: train-images-idx3-ubyte.gz is missing from" in message
    assert "could not be downloaded" in message and "Put the four files" in message
    assert "Tried:" in message and message.count("simulated outage") == len(data._IDX_SOURCES["mnist"])
    assert tried == [base + IDX_FILES[0] for base in data._IDX_SOURCES["mnist"]]  # every mirror, in order
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing half-written left behind


def test_download_interrupted_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise ConnectionResetError("connection reset mid-transfer")

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=0: Broken())
    with pytest.raises(FileNotFoundError, match="connection reset mid-transfer"):
        ae.load_dataset("fashion-mnist", root=tmp_path, download=True)
    assert list((tmp_path / "fashion-mnist").iterdir()) == []


def _publish_md5(monkeypatch: pytest.MonkeyPatch, served: Path, name: str = "mnist") -> None:
    """Make the fake files in ``served`` the published ones: their md5s in the table."""
    table = {(name, f): hashlib.md5((served / f).read_bytes()).hexdigest() for f in IDX_FILES}
    monkeypatch.setattr(ae.idx, "_IDX_MD5", table)


def test_the_md5_table_names_every_official_file() -> None:
    assert sorted(ae.idx._IDX_MD5) == sorted((name, f) for name in ae.idx._IDX_SOURCES for f in IDX_FILES)
    assert all(len(v) == 32 and int(v, 16) >= 0 for v in ae.idx._IDX_MD5.values())
    assert len(set(ae.idx._IDX_MD5.values())) == 8


def test_download_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = tmp_path / "server"
    arrays = _fake_mnist(served)
    _publish_md5(monkeypatch, served)
    tried = []

    def fake_urlopen(url: str, timeout: float = 0) -> io.BytesIO:
        tried.append(url)
        if url.startswith(data._IDX_SOURCES["mnist"][0]):
            raise urllib.error.URLError("first mirror down")  # the second mirror serves it
        return io.BytesIO((served / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    got = ae.load_dataset("mnist", root=tmp_path / "cache")
    assert len(tried) == 8  # four files, first mirror fails each time
    assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == sorted(IDX_FILES)
    np.testing.assert_array_equal(got.y[:12], arrays[IDX_FILES[1]])
    umask = os.umask(0)
    os.umask(umask)
    for f in IDX_FILES:  # readable as a plain download would be, not mkstemp's 0600
        assert (tmp_path / "cache" / "mnist" / f).stat().st_mode & 0o777 == 0o666 & ~umask
    # a second load uses the cache and does not touch the network
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded again"))
    np.testing.assert_array_equal(ae.load_dataset("mnist", root=tmp_path / "cache").x, got.x)


def test_a_bad_download_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error page or a cut gzip stream from one mirror is dropped; the next mirror's good file is kept."""
    served = tmp_path / "server"
    _fake_mnist(served)
    _publish_md5(monkeypatch, served)
    first = data._IDX_SOURCES["mnist"][0]

    def fake_urlopen(url: str, timeout: float = 0) -> io.BytesIO:
        good = (served / url.rsplit("/", 1)[1]).read_bytes()
        if url.startswith(first):  # an HTML page for the images, half a gzip stream for the labels
            return io.BytesIO(b"<html>moved</html>" if "images" in url else good[: len(good) // 2])
        return io.BytesIO(good)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    got = ae.load_dataset("mnist", root=tmp_path / "cache")
    assert len(got) == len(data.load_idx_dataset(served, "mnist"))
    only_bad = {"mnist": (first,)}
    monkeypatch.setattr(data, "_IDX_SOURCES", only_bad)
    monkeypatch.setattr(ae.idx, "_IDX_SOURCES", only_bad)
    with pytest.raises(FileNotFoundError, match="not an IDX file|could not be read as a gzip file"):
        ae.load_dataset("mnist", root=tmp_path / "fresh")
    assert list((tmp_path / "fresh" / "mnist").iterdir()) == []  # nothing kept


def test_a_download_with_another_md5_is_a_bad_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid IDX file that is not the published one (another md5) is dropped like an error page."""
    served, other = tmp_path / "server", tmp_path / "other"
    _fake_mnist(served)
    _fake_mnist(other, n_train=13)  # well-formed IDX files, other bytes
    _publish_md5(monkeypatch, served, "fashion-mnist")
    first = "https://first.example/"
    monkeypatch.setattr(ae.idx, "_IDX_SOURCES", {"fashion-mnist": (first, "https://second.example/")})

    def fake_urlopen(url: str, timeout: float = 0) -> io.BytesIO:
        folder = other if url.startswith(first) else served
        return io.BytesIO((folder / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    got = ae.load_dataset("fashion-mnist", root=tmp_path / "cache")
    for f in IDX_FILES:  # the second mirror's files were kept
        assert (tmp_path / "cache" / "fashion-mnist" / f).read_bytes() == (served / f).read_bytes()
    assert len(got) == len(data.load_idx_dataset(served, "fashion-mnist"))
    monkeypatch.setattr(ae.idx, "_IDX_SOURCES", {"fashion-mnist": (first,)})
    with pytest.raises(FileNotFoundError, match="md5 [0-9a-f]{32} is not the published"):
        ae.load_dataset("fashion-mnist", root=tmp_path / "fresh")
    assert list((tmp_path / "fresh" / "fashion-mnist").iterdir()) == []


def test_files_already_in_the_cache_are_not_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files put in the cache by hand or by tools/mnist.py have other bytes than the published ones."""
    _fake_mnist(tmp_path / "mnist")
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("downloaded"))
    monkeypatch.setattr(hashlib, "md5", lambda *a, **k: pytest.fail("hashed a cached file"))
    assert len(ae.load_dataset("mnist", root=tmp_path)) == 12 + 7


def test_subsample(digits: ae.ImageData) -> None:
    sub = digits.subsample(200, seed=0)
    assert isinstance(sub, ae.ImageData) and len(sub) == 200
    assert sub.image_shape == digits.image_shape and sub.name == "digits"
    assert sub.class_names == digits.class_names
    share = np.bincount(digits.y) / len(digits)
    assert np.abs(np.bincount(sub.y) - 200 * share).max() < 1.0  # stratified
    # rows are original rows, x and y still paired, in their original order
    rows = np.arange(len(digits))[:, None].astype(np.float32)
    tagged = ae.ImageData(rows, digits.y, (1, 1), digits.class_names, "rows").subsample(200, seed=0)
    positions = tagged.x[:, 0].astype(int)
    assert np.all(np.diff(positions) > 0)
    np.testing.assert_array_equal(digits.x[positions], sub.x)
    np.testing.assert_array_equal(digits.y[positions], sub.y)
    np.testing.assert_array_equal(digits.subsample(200, seed=0).x, sub.x)
    assert not np.array_equal(digits.subsample(200, seed=1).x, sub.x)
    assert digits.subsample(5000) is digits
    for bad in (0, -3, 2.5, "10"):
        with pytest.raises(ValueError, match="n must be a positive int"):
            digits.subsample(bad)  # type: ignore[arg-type]


# ---- splits ---------------------------------------------------------------------


def _max_class_deviation(y_all: np.ndarray, split: ae.Split) -> float:
    share = np.bincount(y_all) / len(y_all)
    return max(np.abs(np.bincount(y, minlength=len(share)) - share * len(y)).max() for _, y in split)


@pytest.mark.parametrize("ratios", [(0.8, 0.1, 0.1), (0.6, 0.2, 0.2)])
def test_split_ratios_and_stratification(digits: ae.ImageData, ratios: tuple[float, float, float]) -> None:
    x = np.arange(len(digits))[:, None].astype(np.float32)  # remember which row went where
    split = ae.split_data(x, digits.y, ratios=ratios, seed=0)
    sizes = [len(part[0]) for part in split]
    assert sum(sizes) == len(digits)
    for size, ratio in zip(sizes, ratios, strict=True):
        assert abs(size - ratio * len(digits)) <= 1
    rows = [part[0][:, 0].astype(int) for part in split]
    assert len(set(np.concatenate(rows))) == len(digits)  # disjoint, and every row used
    for (_, py), r in zip(split, rows, strict=True):
        np.testing.assert_array_equal(py, digits.y[r])  # x and y stay paired
    # every class has the same share in each part, to within one sample
    assert _max_class_deviation(digits.y, split) < 1.0
    assert _max_class_deviation(digits.y, ae.split_data(x, digits.y, ratios, seed=0, stratify=False)) > 1.0


def test_split_is_reproducible(digits: ae.ImageData) -> None:
    a = ae.split_data(digits.x, digits.y, seed=3)
    b = ae.split_data(digits.x, digits.y, seed=3)
    c = ae.split_data(digits.x, digits.y, seed=4)
    assert isinstance(a, ae.Split) and a._fields == ("train", "val", "test")
    for pa, pb in zip(a, b, strict=True):
        np.testing.assert_array_equal(pa[0], pb[0])
        np.testing.assert_array_equal(pa[1], pb[1])
    assert not np.array_equal(a.train[1], c.train[1])


def test_split_errors(digits: ae.ImageData) -> None:
    with pytest.raises(ValueError, match="x and y must have the same length"):
        ae.split_data(digits.x, digits.y[:-1])
    for ratios in [(0.8, 0.2), (0.8, 0.1, 0.2), (1.0, 0.0, 0.0), (0.9, 0.2, -0.1)]:
        with pytest.raises(ValueError, match="ratios must be three positive numbers summing to 1"):
            ae.split_data(digits.x, digits.y, ratios=ratios)


# ---- loaders --------------------------------------------------------------------


def _batches(loader: DataLoader) -> list[tuple[torch.Tensor, ...]]:
    return [tuple(batch) for batch in loader]


def test_make_loader_batches_and_dtypes() -> None:
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10, dtype=np.int32)
    loader = ae.make_loader(x, y, batch_size=4)
    batches = _batches(loader)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert batches[0][0].dtype == torch.float32 and batches[0][1].dtype == torch.int64
    np.testing.assert_array_equal(torch.cat([b[1] for b in batches]).numpy(), y)  # in order
    (only,) = next(iter(ae.make_loader(torch.ones(3, 2, dtype=torch.float64))))
    assert only.dtype == torch.float32


def test_make_loader_errors() -> None:
    with pytest.raises(ValueError, match="at least one array"):
        ae.make_loader()
    for bad in (0, -1, 2.0):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            ae.make_loader(np.zeros(3), batch_size=bad)
    with pytest.raises(ValueError, match=r"arrays must have equal lengths, got \[3, 2\]"):
        ae.make_loader(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="boolean arrays are not supported"):
        ae.make_loader(np.zeros(3), np.zeros(3, dtype=bool))


def test_make_loader_shuffle_is_seeded() -> None:
    y = np.arange(50)

    def order(loader: DataLoader) -> list[int]:
        return torch.cat([b[0] for b in loader]).tolist()

    a = ae.make_loader(y, batch_size=8, shuffle=True, seed=1)
    b = ae.make_loader(y, batch_size=8, shuffle=True, seed=1)
    epochs_a = [order(a) for _ in range(3)]
    assert epochs_a == [order(b) for _ in range(3)]  # the same sequence of epochs
    assert epochs_a[0] != epochs_a[1]  # a new order each epoch
    assert sorted(epochs_a[0]) == list(range(50))  # a permutation
    assert order(ae.make_loader(y, batch_size=8, shuffle=True, seed=2)) != epochs_a[0]
    assert order(ae.make_loader(y, batch_size=8)) == list(range(50))
    # the order does not depend on, nor disturb, the global random state
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    c = ae.make_loader(y, batch_size=8, shuffle=True, seed=1)
    assert order(c) == epochs_a[0]
    assert torch.equal(torch.rand(3), expected)


def test_make_loaders(digits: ae.ImageData) -> None:
    split = ae.split_data(digits.x, digits.y, seed=0)
    loaders = ae.make_loaders(split, batch_size=50, seed=0)
    assert set(loaders) == {"train", "val", "test"}
    x, y = next(iter(loaders["val"]))
    np.testing.assert_array_equal(x.numpy(), split.val[0][:50])  # val and test in order
    np.testing.assert_array_equal(torch.cat([b[1] for b in loaders["test"]]).numpy(), split.test[1])
    first_train = next(iter(loaders["train"]))[0].numpy()
    assert not np.array_equal(first_train, split.train[0][:50])  # train is shuffled
    again = ae.make_loaders(split, batch_size=50, seed=0)
    np.testing.assert_array_equal(next(iter(again["train"]))[0].numpy(), first_train)
    unlabeled = ae.make_loaders(split, batch_size=50, labels=False)
    assert all(len(next(iter(loader))) == 1 for loader in unlabeled.values())


# ---- on disk --------------------------------------------------------------------


def test_disk_dataset_gives_the_same_batches(tmp_path: Path, digits: ae.ImageData) -> None:
    x, y = digits.x[:203], digits.y[:203]
    assert ae.save_arrays(tmp_path / "d", x, y) == tmp_path / "d"
    disk = ae.DiskDataset(tmp_path / "d")
    assert len(disk) == 203
    item = disk[5]
    assert item[0].dtype == torch.float32 and item[1].dtype == torch.int64 and int(item[1]) == y[5]
    for shuffle in (False, True):
        memory = ae.make_loader(x, y, batch_size=32, shuffle=shuffle, seed=7)
        streamed = DataLoader(
            disk, batch_size=32, shuffle=shuffle, generator=torch.Generator().manual_seed(7) if shuffle else None
        )
        for _ in range(2):  # two epochs
            got, want = _batches(streamed), _batches(memory)
            assert len(got) == len(want) == 7
            for (gx, gy), (wx, wy) in zip(got, want, strict=True):
                assert gx.dtype == wx.dtype and gy.dtype == wy.dtype
                assert torch.equal(gx, wx) and torch.equal(gy, wy)


def test_disk_dataset_without_labels_and_errors(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((6, 3))  # float64 is stored as float32
    ae.save_arrays(tmp_path / "u", x)
    disk = ae.DiskDataset(tmp_path / "u")
    (row,) = disk[2]
    assert row.dtype == torch.float32
    np.testing.assert_allclose(row.numpy(), x[2], rtol=1e-6)
    assert np.load(tmp_path / "u" / "x.npy", mmap_mode="r").dtype == np.float32
    with pytest.raises(FileNotFoundError, match="has no x.npy"):
        ae.DiskDataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="x and y must have the same length"):
        ae.save_arrays(tmp_path / "v", x, np.zeros(5))


# ---- noise ----------------------------------------------------------------------


def test_gaussian_noise_statistics() -> None:
    x = torch.full((400, 500), 0.5)
    std = 0.1
    noisy = ae.add_gaussian_noise(x, std, generator=torch.Generator().manual_seed(0), clip=False)
    eps = (noisy - x).double()
    n = eps.numel()
    assert abs(eps.mean().item()) < 4 * std / n**0.5
    assert abs(eps.std().item() / std - 1) < 0.01
    # about 95.4% of the noise within two standard deviations
    assert abs((eps.abs() < 2 * std).double().mean().item() - (norm.cdf(2) - norm.cdf(-2))) < 0.003
    assert torch.equal(x, torch.full((400, 500), 0.5))  # the input is not modified


def test_gaussian_noise_clipping() -> None:
    x = torch.full((200, 500), 0.5)
    noisy = ae.add_gaussian_noise(x, 0.3, generator=torch.Generator().manual_seed(1))
    assert noisy.min().item() == 0.0 and noisy.max().item() == 1.0
    share_at_zero = (noisy == 0).double().mean().item()
    assert abs(share_at_zero - norm.cdf(-0.5 / 0.3)) < 0.005  # P(0.5 + eps < 0)
    unclipped = ae.add_gaussian_noise(x, 0.3, generator=torch.Generator().manual_seed(1), clip=False)
    assert torch.equal(noisy, unclipped.clamp(0, 1))


def test_gaussian_noise_reproducible_and_numpy_input() -> None:
    x = np.random.default_rng(0).random((5, 8)).astype(np.float32)
    a = ae.add_gaussian_noise(x, 0.2, generator=torch.Generator().manual_seed(3))
    b = ae.add_gaussian_noise(torch.from_numpy(x), 0.2, generator=torch.Generator().manual_seed(3))
    assert isinstance(a, torch.Tensor) and a.dtype == torch.float32 and a.shape == (5, 8)
    assert torch.equal(a, b)
    assert not torch.equal(a, ae.add_gaussian_noise(x, 0.2, generator=torch.Generator().manual_seed(4)))
    torch.manual_seed(9)
    c = ae.add_gaussian_noise(x, 0.2)  # global generator
    torch.manual_seed(9)
    assert torch.equal(c, ae.add_gaussian_noise(x, 0.2))
    assert torch.equal(ae.add_gaussian_noise(x, 0), torch.from_numpy(x))
    assert torch.equal(ae.add_gaussian_noise(x, 0.0), torch.from_numpy(x))
    assert torch.equal(ae.add_gaussian_noise(x, np.float32(0.2), generator=torch.Generator().manual_seed(3)), a)


@pytest.mark.parametrize("std", [-0.1, -1, "0.1", None, float("nan"), float("inf"), True])
def test_gaussian_noise_rejects_bad_std(std: object) -> None:
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        ae.add_gaussian_noise(torch.zeros(2, 2), std)  # type: ignore[arg-type]


@pytest.mark.parametrize("shuffle", [False, True])
def test_make_loader_batches_equal_a_plain_dataloaders(shuffle):
    """The batched fetch is only faster: same order, values and dtypes, epoch after epoch."""
    from torch.utils.data import DataLoader, TensorDataset

    x = np.random.default_rng(0).random((37, 3)).astype(np.float32)
    y = np.arange(37)
    fast = data.make_loader(x, y, batch_size=8, shuffle=shuffle, seed=4)
    plain = DataLoader(TensorDataset(torch.as_tensor(x), torch.as_tensor(y)), batch_size=8,
                       shuffle=shuffle, generator=torch.Generator().manual_seed(data.course_seed(4)))
    state = torch.get_rng_state()
    for _ in range(3):  # the generator advances the same way each pass
        a, b = list(fast), list(plain)
        assert len(a) == len(b) == len(fast) == 5
        for (xa, ya), (xb, yb) in zip(a, b, strict=True):
            assert xa.dtype == xb.dtype and ya.dtype == yb.dtype
            assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=oct)
def test_saved_arrays_have_the_modes_a_plain_open_gives(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        ae.save_arrays(tmp_path / "d", np.zeros((3, 2)), np.arange(3))
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    want = (tmp_path / "plain").stat().st_mode & 0o777
    assert want == 0o666 & ~umask
    assert [(tmp_path / "d" / f).stat().st_mode & 0o777 for f in ("x.npy", "y.npy")] == [want, want]


def test_digits_read_from_the_file_equal_sklearns_loader():
    """load_dataset("digits") reads scikit-learn's file itself: the values of sklearn's own loader."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    digits = data.load_dataset("digits")
    assert np.array_equal(digits.x, (bunch.data / 16.0).astype(np.float32)) and digits.x.dtype == np.float32
    assert np.array_equal(digits.y, bunch.target) and digits.y.dtype == np.int64
