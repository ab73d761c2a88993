"""Bad input across the public API: a clear error that names the argument or the file.

Each case is a call that a learner could plausibly make, the exception it must raise,
and a pattern its message must match (the argument's name as the caller spelled it).
"""

from __future__ import annotations

import gzip
import math
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import aecourse as ae
from aecourse import losses, viz

X = np.random.default_rng(0).random((40, 8)).astype(np.float32)
Y = np.arange(40) % 4
NAN = float("nan")


def _loader(*arrays: np.ndarray, batch_size: int = 16) -> DataLoader:
    return ae.make_loader(*arrays, batch_size=batch_size)


def _net() -> nn.Module:
    return ae.BottleneckNet(8, 2, 4, hidden=(4,))


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # runtime
    ("set_seed negative", lambda: ae.set_seed(-1), ValueError, "seed must be a non-negative int"),
    ("set_seed float", lambda: ae.set_seed(1.5), ValueError, "seed must be a non-negative int"),
    ("set_seed str", lambda: ae.set_seed("0"), ValueError, "seed must be"),
    ("set_seed bool", lambda: ae.set_seed(True), ValueError, "seed must be"),
    ("seed None", lambda: ae.seed(None), ValueError, "seed must be"),
    ("generator negative", lambda: ae.generator(-3), ValueError, "seed must be"),
    ("get_device gpu", lambda: ae.get_device("gpu"), ValueError, "prefer must be one of"),
    ("resolve_device gpu", lambda: ae.runtime.resolve_device("gpu"), ValueError, "device must name a device"),
    ("resolve_device int", lambda: ae.runtime.resolve_device(3), TypeError, "device must be a torch.device"),
    ("fit device gpu", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), device="gpu"),
     ValueError, "device must name a device"),
    # models
    ("Autoencoder input_dim 0", lambda: ae.Autoencoder(0, 2), ValueError, "input_dim must be a positive int"),
    ("Autoencoder input_dim float", lambda: ae.Autoencoder(64.0, 2), ValueError, "input_dim must be a positive int"),
    ("Autoencoder latent_dim -1", lambda: ae.Autoencoder(64, -1), ValueError, "latent_dim must be a positive int"),
    ("Autoencoder latent_dim bool", lambda: ae.Autoencoder(64, True), ValueError, "latent_dim must be a positive"),
    ("Autoencoder hidden int", lambda: ae.Autoencoder(64, 2, hidden=32), ValueError, "hidden must be a sequence"),
    ("Autoencoder hidden 0", lambda: ae.Autoencoder(64, 2, hidden=(0,)), ValueError, r"hidden\[0\] must be"),
    ("Autoencoder activation", lambda: ae.Autoencoder(64, 2, activation="swish"), ValueError,
     "activation must be one of"),
    ("Autoencoder latent_activation", lambda: ae.Autoencoder(64, 2, latent_activation="softmax"), ValueError,
     "latent_activation must be one of"),
    ("Autoencoder output_activation", lambda: ae.Autoencoder(64, 2, output_activation="sigmoidal"), ValueError,
     "output_activation must be one of"),
    ("BottleneckNet output_dim 0", lambda: ae.BottleneckNet(64, 2, 0), ValueError, "output_dim must be"),
    ("BottleneckNet latent_activation", lambda: ae.BottleneckNet(64, 2, 3, latent_activation="x"), ValueError,
     "latent_activation must be one of"),
    ("mlp one size", lambda: ae.mlp([64]), ValueError, "sizes needs at least two entries"),
    ("mlp float size", lambda: ae.mlp([64, 2.5]), ValueError, r"sizes\[1\] must be a positive int"),
    ("mlp activation_name", lambda: ae.mlp([4, 2], activation_name="nope"), ValueError, "activation_name must be"),
    ("encode wrong width", lambda: ae.Autoencoder(8, 2).encode(torch.rand(3, 7)), ValueError,
     r"x must have shape \(B, 8\)"),
    ("encode numpy", lambda: ae.Autoencoder(8, 2).encode(X), TypeError, "x must be a torch.Tensor"),
    ("decode wrong width", lambda: ae.Autoencoder(8, 2).decode(torch.rand(3, 3)), ValueError,
     r"z must have shape \(B, 2\)"),
    # data
    ("load_dataset name", lambda: ae.load_dataset("cifar"), ValueError, "name must be one of"),
    ("subsample n 0", lambda: ae.load_dataset().subsample(0), ValueError, "n must be a positive int"),
    ("subsample n float", lambda: ae.load_dataset().subsample(10.5), ValueError, "n must be a positive int"),
    ("subsample n < classes", lambda: ae.load_dataset().subsample(5), ValueError,
     r"n must be at least the number of classes \(10\)"),
    ("split lengths", lambda: ae.split_data(X, Y[:-1]), ValueError, "x and y must have the same length"),
    ("split ratios sum", lambda: ae.split_data(X, Y, ratios=(0.5, 0.2, 0.2)), ValueError, "ratios must be three"),
    ("split ratios nan", lambda: ae.split_data(X, Y, ratios=(NAN, 0.5, 0.5)), ValueError, "ratios must be three"),
    ("split ratios two", lambda: ae.split_data(X, Y, ratios=(0.5, 0.5)), ValueError, "ratios must be three"),
    ("split ratios zero", lambda: ae.split_data(X, Y, ratios=(1.0, 0.0, 0.0)), ValueError, "ratios must be three"),
    ("split ratios str", lambda: ae.split_data(X, Y, ratios="811"), ValueError, "ratios must be three"),
    ("split too small to stratify", lambda: ae.split_data(X, Y, ratios=(0.9, 0.05, 0.05)), ValueError,
     "ratios .* fewer than the 4 classes"),
    ("split seed", lambda: ae.split_data(X, Y, seed=-1), ValueError, "seed must be"),
    ("make_loader none", lambda: ae.make_loader(), ValueError, "needs at least one array"),
    ("make_loader batch 0", lambda: ae.make_loader(X, batch_size=0), ValueError, "batch_size must be a positive"),
    ("make_loader batch float", lambda: ae.make_loader(X, batch_size=8.0), ValueError, "batch_size must be"),
    ("make_loader lengths", lambda: ae.make_loader(X, Y[:3]), ValueError, "arrays must have equal lengths"),
    ("make_loader bool", lambda: ae.make_loader(X > 0.5), ValueError, r"arrays\[0\]: boolean arrays"),
    ("make_loader strings", lambda: ae.make_loader(np.array(["a", "b"])), TypeError, r"arrays\[0\] must be"),
    ("make_loader scalar", lambda: ae.make_loader(np.float32(1.0)), ValueError, "one row per sample"),
    ("make_loader seed", lambda: ae.make_loader(X, seed=-2), ValueError, "seed must be"),
    ("noise std negative", lambda: ae.add_gaussian_noise(X, -0.1), ValueError, "std must be a finite number >= 0"),
    ("noise std nan", lambda: ae.add_gaussian_noise(X, NAN), ValueError, "std must be a finite number"),
    ("noise std inf", lambda: ae.add_gaussian_noise(X, math.inf), ValueError, "std must be a finite number"),
    ("noise std str", lambda: ae.add_gaussian_noise(X, "0.1"), ValueError, "std must be a finite number"),
    ("save_arrays lengths", lambda: ae.save_arrays("/tmp/never-written", X, Y[:5]), ValueError,
     "x and y must have the same length"),
    ("DiskDataset missing", lambda: ae.DiskDataset("/nonexistent/folder"), FileNotFoundError, "has no x.npy"),
    # losses
    ("reconstruction kind", lambda: losses.reconstruction("mae"), ValueError, "kind must be one of"),
    ("reconstruction_loss shapes", lambda: ae.reconstruction_loss(torch.rand(2, 3), torch.rand(2, 4)), ValueError,
     "x_hat and x must have the same shape"),
    ("reconstruction_loss kind", lambda: ae.reconstruction_loss(torch.rand(2, 3), torch.rand(2, 3), "l1"),
     ValueError, "kind must be one of"),
    ("kl rho 0", lambda: ae.kl_sparsity(torch.rand(4, 3), rho=0.0), ValueError, r"rho must be in \(0, 1\)"),
    ("kl rho nan", lambda: ae.kl_sparsity(torch.rand(4, 3), rho=NAN), ValueError, r"rho must be in \(0, 1\)"),
    ("kl rho str", lambda: ae.kl_sparsity(torch.rand(4, 3), rho="0.05"), ValueError, "rho must be in"),
    ("kl negative codes", lambda: ae.kl_sparsity(torch.randn(4, 3) - 3), ValueError, r"z must hold codes in \[0, 1\]"),
    ("kl codes above 1", lambda: ae.kl_sparsity(torch.rand(4, 3) + 1.5), ValueError, r"z must hold codes in \[0, 1\]"),
    ("kl 1-d", lambda: ae.kl_sparsity(torch.rand(4)), ValueError, r"z must have shape \(B, latent_dim\)"),
    ("kl numpy", lambda: ae.kl_sparsity(np.random.rand(4, 3)), ValueError, "z must have shape"),
    ("l1 3-d", lambda: ae.l1_sparsity(torch.rand(2, 3, 4)), ValueError, "z must have shape"),
    ("denoising std", lambda: losses.denoising(-1.0), ValueError, "noise_std must be a finite number >= 0"),
    ("denoising target", lambda: losses.denoising(0.1, target="x"), ValueError, "target must be one of"),
    ("denoising kind", lambda: losses.denoising(0.1, kind="l2"), ValueError, "kind must be one of"),
    ("denoising seed", lambda: losses.denoising(0.1, seed=-1), ValueError, "seed must be"),
    ("sparse penalty", lambda: losses.sparse("l2", 1.0), ValueError, "penalty must be one of"),
    ("sparse weight nan", lambda: losses.sparse("l1", NAN), ValueError, "weight must be a finite number"),
    ("sparse weight negative", lambda: losses.sparse("kl", -1.0), ValueError, "weight must be a finite number"),
    ("sparse rho", lambda: losses.sparse("kl", 1.0, rho=1.0), ValueError, r"rho must be in \(0, 1\)"),
    ("classification without labels", lambda: ae.fit(_net(), losses.classification(), _loader(X), epochs=1),
     ValueError, "classification objective needs batches .x, y."),
    ("regression without labels", lambda: ae.fit(ae.BottleneckNet(8, 2, 1), losses.regression(), _loader(X),
                                                 epochs=1), ValueError, "regression objective needs batches"),
    # fit
    ("fit epochs 0", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), epochs=0), ValueError,
     "epochs must be a positive int"),
    ("fit epochs float", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), epochs=2.0), ValueError,
     "epochs must be a positive int"),
    ("fit mode", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), mode="best"), ValueError,
     "mode must be one of"),
    ("fit monitor", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), monitor="val_acc"), ValueError,
     "monitor must be one of"),
    ("fit metric named loss", lambda: ae.fit(_net(), losses.classification(), _loader(X, Y), _loader(X, Y),
                                             metrics={"loss": ae.train.accuracy}), ValueError,
     "metrics must not be named 'loss'"),
    ("fit empty loader", lambda: ae.fit(_net(), losses.classification(), [], epochs=1), ValueError,
     "train_loader gave no batches in epoch 1"),
    ("fit drop_last too few", lambda: ae.fit(
        _net(), losses.classification(),
        DataLoader(TensorDataset(torch.rand(10, 8), torch.zeros(10, dtype=torch.long)), batch_size=16,
                   drop_last=True), epochs=1), ValueError, "train_loader gave no batches"),
    ("fit non-scalar loss", lambda: ae.fit(ae.Autoencoder(8, 2), lambda m, b: (m(b[0]) - b[0]) ** 2, _loader(X),
                                           epochs=1), ValueError, "loss_fn must return a scalar tensor"),
    ("fit loss not tensor", lambda: ae.fit(ae.Autoencoder(8, 2), lambda m, b: 0.5, _loader(X), epochs=1),
     ValueError, "loss_fn must return a scalar tensor"),
    ("fit model not module", lambda: ae.fit(lambda x: x, losses.reconstruction(), _loader(X)), TypeError,
     "model must be a torch.nn.Module"),
    ("fit loss_fn not callable", lambda: ae.fit(_net(), "mse", _loader(X, Y)), TypeError,
     "loss_fn must be an objective"),
    ("fit batch of strings", lambda: ae.fit(_net(), losses.classification(), [("a", "b")], epochs=1), TypeError,
     "batches must be tensors or tuples of tensors"),
    ("evaluate empty", lambda: ae.evaluate(_net(), losses.classification(), []), ValueError, "loader is empty"),
    ("encode no encode", lambda: ae.encode(nn.Linear(8, 2), _loader(X)), TypeError, "must have an encode method"),
    ("predict empty", lambda: ae.predict(_net(), []), ValueError, "loader is empty"),
    ("accuracy no labels", lambda: ae.train.accuracy(_net(), _loader(X)), ValueError,
     r"accuracy needs batches \(x, y\) with labels"),
    ("rmse no labels", lambda: ae.train.rmse(_net(), _loader(X)), ValueError, "rmse needs batches"),
    ("auroc missing class", lambda: ae.train.auroc(_net(), _loader(X[Y < 2], Y[Y < 2])), ValueError,
     r"classes \[2, 3\] are missing"),
    # checkpoints
    ("load_checkpoint missing", lambda: ae.load_checkpoint(_net(), "/nonexistent/model.pt"), FileNotFoundError,
     "does not exist"),
    ("save_checkpoint model key", lambda: ae.save_checkpoint(_net(), "/tmp/never.pt", model=1), ValueError,
     "info must not be named 'model'"),
    ("save_checkpoint info type", lambda: ae.save_checkpoint(_net(), "/tmp/never.pt", note=[1, 2]), TypeError,
     r"info\['note'\] must be a number or a string"),
    # plots
    ("plot_latent float labels", lambda: ae.plot_latent(np.zeros((4, 2)), np.array([0.0, 1.0, 2.0, 1.0])),
     ValueError, "y must hold integer class labels"),
    ("plot_latent label count", lambda: ae.plot_latent(np.zeros((4, 2)), np.array([0, 1])), ValueError,
     "y must have one label per code"),
    ("plot_latent negative label", lambda: ae.plot_latent(np.zeros((2, 2)), np.array([0, -1])), ValueError,
     "class labels >= 0"),
    ("plot_latent names", lambda: ae.plot_latent(np.zeros((2, 2)), np.array([0, 3]), class_names=["a", "b"]),
     ValueError, "class_names has 2 names"),
    ("plot_latent 1-d", lambda: ae.plot_latent(np.zeros(4)), ValueError, r"z must have shape \(N, latent_dim\)"),
    ("plot_images titles", lambda: ae.plot_images(X[:4], (2, 4), titles=["a", "b"]), ValueError,
     "titles must have one entry per image"),
    ("plot_images shape", lambda: ae.plot_images(X[:4], (3, 3)), ValueError, r"x must have shape \(N, 9\)"),
    ("plot_images bad image_shape", lambda: ae.plot_images(X[:4], (8,)), ValueError, "image_shape must be"),
    ("plot_images ncols", lambda: ae.plot_images(X[:4], (2, 4), ncols=0), ValueError, "ncols must be a positive"),
    ("plot_image_rows empty", lambda: ae.plot_image_rows({}, (2, 4)), ValueError, "rows must be a dict"),
    ("plot_image_rows list", lambda: ae.plot_image_rows([X[:2]], (2, 4)), ValueError, "rows must be a dict"),
    ("plot_image_rows shape", lambda: ae.plot_image_rows({"in": X[:2]}, (3, 3)), ValueError,
     r"rows\['in'\] must have shape"),
    ("plot_image_rows n", lambda: ae.plot_image_rows({"in": X[:2]}, (2, 4), n=0), ValueError, "n must be a positive"),
    ("project_2d method", lambda: ae.project_2d(X, "isomap"), ValueError, "method must be one of"),
    ("project_2d 1-d", lambda: ae.project_2d(X[:, 0]), ValueError, "z must have shape"),
    ("neighbour_overlap k", lambda: viz.neighbour_overlap(X, X[:, :2], k=0), ValueError, "k must be an int in"),
    ("decode_grid n", lambda: viz.decode_grid(ae.Autoencoder(4, 2), (0, 1, 0, 1), (2, 2), n=1), ValueError,
     "n must be an int >= 2"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(call: Callable[[], object], error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_there_are_at_least_100_cases() -> None:
    assert len(CASES) + len(IDX_CASES) + len(CHECKPOINT_CASES) >= 100


def test_numpy_integers_are_integers() -> None:
    ae.set_seed(np.int64(0))
    model = ae.Autoencoder(np.int64(8), np.int32(2), hidden=(np.int64(4),))
    assert model.latent_dim == 2
    ae.BottleneckNet(8, 2, Y.max() + 1)  # the natural count of classes is a NumPy int
    ae.fit(model, losses.reconstruction(), ae.make_loader(X, batch_size=np.int64(16)), epochs=np.int64(1))


# ---- the training loop refuses NaN in what it monitors ----------------------------------


def test_nan_validation_loss_names_the_epoch() -> None:
    x_val = X.copy()
    x_val[3, 2] = np.nan
    with pytest.raises(FloatingPointError, match="val_loss became nan at epoch 1"):
        ae.fit(ae.Autoencoder(8, 2), losses.reconstruction(), _loader(X), _loader(x_val), epochs=3, lr=1e-2)


def test_nan_metric_names_the_epoch() -> None:
    calls = []

    def metric(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
        calls.append(1)
        return 1.0 if len(calls) == 1 else NAN  # fine at epoch 1, NaN at epoch 2

    with pytest.raises(FloatingPointError, match="val_m became nan at epoch 2"):
        ae.fit(_net(), losses.classification(), _loader(X, Y), _loader(X, Y), epochs=3,
               metrics={"m": metric}, monitor="val_m", mode="max")


def test_bare_tensor_batches_train_on_whole_batches() -> None:
    seen = []

    def objective(model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        seen.append(tuple(batch[0].shape))
        return losses.reconstruction()(model, batch)

    ae.fit(ae.Autoencoder(8, 2), objective, DataLoader(torch.from_numpy(X), batch_size=16), epochs=1)
    assert seen == [(16, 8), (16, 8), (8, 8)]


# ---- data read from outside: IDX files, .npy folders, checkpoints ------------------------

IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(folder: Path, test_size: tuple[int, int] = (4, 4), labels: tuple[int, ...] = (1, 2, 3)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    parts = {
        IDX_NAMES[0]: np.zeros((3, 4, 4)), IDX_NAMES[1]: np.array(labels),
        IDX_NAMES[2]: np.zeros((2, *test_size)), IDX_NAMES[3]: np.array([0, 9]),
    }
    for name, array in parts.items():
        (folder / name).write_bytes(gzip.compress(_idx_bytes(array)))


def _corrupt(kind: str, folder: Path) -> None:
    _write_mnist(folder)
    target = folder / IDX_NAMES[0]
    if kind == "short header":
        target.write_bytes(gzip.compress(bytes([0, 0, 0x08, 3]) + struct.pack(">i", 3)))
    elif kind == "cut gzip":
        target.write_bytes(target.read_bytes()[:-12])
    elif kind == "not gzip":
        target.write_bytes(b"<html>not found</html>")
    elif kind == "bad magic":
        target.write_bytes(gzip.compress(b"\x01\x02\x03\x04" + bytes(20)))
    elif kind == "wrong body size":
        target.write_bytes(gzip.compress(_idx_bytes(np.zeros((3, 4, 4)))[:-5]))
    elif kind == "labels out of range":
        _write_mnist(folder, labels=(1, 2, 12))
    elif kind == "image sizes differ":
        _write_mnist(folder, test_size=(5, 5))


IDX_CASES = [
    ("short header", IDX_NAMES[0], "header is cut short"),
    ("cut gzip", IDX_NAMES[0], "could not be read as a gzip file"),
    ("not gzip", IDX_NAMES[0], "could not be read as a gzip file"),
    ("bad magic", IDX_NAMES[0], "is not an IDX file"),
    ("wrong body size", IDX_NAMES[0], "header says"),
    ("labels out of range", IDX_NAMES[1], r"labels must be in 0\.\.9, got 1\.\.12"),
    ("image sizes differ", IDX_NAMES[2], r"images are \(5, 5\), but .*train-images-idx3-ubyte.gz has \(4, 4\)"),
]


@pytest.mark.parametrize(("kind", "culprit", "pattern"), IDX_CASES, ids=[c[0] for c in IDX_CASES])
def test_corrupt_idx_files_name_the_file(tmp_path: Path, kind: str, culprit: str, pattern: str) -> None:
    _corrupt(kind, tmp_path / "mnist")
    with pytest.raises(ValueError, match=pattern) as info:
        ae.load_dataset("mnist", root=tmp_path, download=False)
    assert culprit in str(info.value)


def test_a_good_idx_folder_loads(tmp_path: Path) -> None:
    _write_mnist(tmp_path / "mnist")
    data = ae.load_dataset("mnist", root=tmp_path, download=False)
    assert data.x.shape == (5, 16) and data.image_shape == (4, 4)


def test_save_arrays_is_atomic_and_drops_old_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ae.save_arrays(tmp_path, np.zeros((10, 4)), np.arange(10))
    ae.save_arrays(tmp_path, np.ones((6, 4)))  # new, unlabelled data
    ds = ae.DiskDataset(tmp_path)
    assert len(ds) == 6 and len(ds[0]) == 1  # no labels from the old data
    ae.save_arrays(tmp_path, np.zeros((10, 4)), np.arange(10))
    real_save = np.save

    def fail_on_labels(f: object, array: np.ndarray) -> None:
        if array.dtype == np.int64:
            raise OSError("disk full")
        real_save(f, array)

    monkeypatch.setattr(np, "save", fail_on_labels)
    with pytest.raises(OSError, match="disk full"):
        ae.save_arrays(tmp_path, np.ones((12, 4)), np.arange(12))
    monkeypatch.undo()
    ds = ae.DiskDataset(tmp_path)
    assert len(ds) == 10 and float(ds[0][0].sum()) == 0.0  # the old pair, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy", "y.npy"]  # no temporary files


def test_disk_dataset_checks_lengths_and_pickles_small(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((10, 4), dtype=np.float32))
    np.save(tmp_path / "y.npy", np.zeros(9, dtype=np.int64))
    with pytest.raises(ValueError, match="x.npy has 10 rows but y.npy has 9"):
        ae.DiskDataset(tmp_path)
    (tmp_path / "y.npy").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="y.npy is not a readable .npy file"):
        ae.DiskDataset(tmp_path)
    import pickle

    (tmp_path / "y.npy").unlink()
    np.save(tmp_path / "x.npy", np.zeros((20000, 64), dtype=np.float32))
    ds = ae.DiskDataset(tmp_path)
    ds[0]  # opens the memory map
    assert len(pickle.dumps(ds)) < 1000  # a worker gets the folder, not 5 MB of array


CHECKPOINT_CASES = ["truncated", "garbage", "foreign pickle", "other model", "not a dict"]


@pytest.mark.parametrize("kind", CHECKPOINT_CASES)
def test_bad_checkpoints_name_the_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "model.pt"
    ae.save_checkpoint(_net(), path, epoch=1)
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif kind == "garbage":
        path.write_bytes(b"\x00\x01 not a checkpoint at all")
    elif kind == "foreign pickle":
        torch.save({"model": _net().state_dict(), "fn": math.sqrt}, path)
    elif kind == "other model":
        ae.save_checkpoint(ae.BottleneckNet(8, 3, 4), path)
    elif kind == "not a dict":
        torch.save([1, 2, 3], path)
    with pytest.raises(ValueError, match="model.pt"):
        ae.load_checkpoint(_net(), path)


def test_checkpoints_with_numpy_numbers_load_back(tmp_path: Path) -> None:
    path = ae.save_checkpoint(_net(), tmp_path / "m.pt", epoch=np.int64(3), val_loss=np.float32(0.25),
                              acc=torch.tensor(0.5))
    info = ae.load_checkpoint(_net(), path)
    assert info == {"epoch": 3, "val_loss": 0.25, "acc": 0.5}
    assert all(type(v) in (int, float) for v in info.values())


def test_kl_keeps_the_gradient_of_a_nearly_dead_unit() -> None:
    a = torch.tensor([[-20.0], [-20.0]], requires_grad=True)  # sigmoid(-20) ~ 2e-9: far below rho
    ae.kl_sparsity(torch.sigmoid(a), rho=0.05).backward()
    assert a.grad is not None and (a.grad < 0).all()  # the penalty pushes the unit back up
