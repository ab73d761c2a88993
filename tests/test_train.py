"""aecourse.train: the training loop, evaluation, metrics, checkpoints.

The oracles: fit gives exactly the losses of a plain PyTorch loop; a linear autoencoder
trained with MSE finds PCA's subspace; one batch can be overfitted.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

import aecourse as ae
from aecourse import losses, train


@pytest.fixture(scope="module")
def digits() -> ae.ImageData:
    return ae.load_dataset("digits")


@pytest.fixture(scope="module")
def small(digits: ae.ImageData) -> ae.Split:
    """150 training images (batches of 32: the last one has 22), 45 validation images."""
    sub = digits.subsample(250, seed=0)
    return ae.split_data(sub.x, sub.y, ratios=(0.6, 0.2, 0.2), seed=0)


def _loaders(split: ae.Split, labels: bool = False, batch_size: int = 32) -> dict[str, DataLoader]:
    return ae.make_loaders(split, batch_size=batch_size, seed=0, labels=labels)


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return copy.deepcopy(model.state_dict())


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _tiny_ae() -> ae.Autoencoder:
    ae.set_seed(0)
    return ae.Autoencoder(64, 4, hidden=(16,))


def _dropout_net() -> nn.Module:
    ae.set_seed(0)
    return nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 64), nn.Sigmoid())


# ---- oracle: fit == a plain PyTorch loop --------------------------------------


def _hand_loop(
    model: nn.Module, optimizer: torch.optim.Optimizer, train_loader: DataLoader, val_loader: DataLoader, epochs: int
) -> tuple[list[float], list[float]]:
    """The training loop written out, with the MSE written out too."""
    train_losses, val_losses = [], []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for (x,) in train_loader:
            optimizer.zero_grad()
            loss = ((model(x) - x) ** 2).mean()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        train_losses.append(total / count)
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for (x,) in val_loader:
                total += ((model(x) - x) ** 2).mean().item() * len(x)
                count += len(x)
        val_losses.append(total / count)
    return train_losses, val_losses


@pytest.mark.parametrize(
    "make_model, make_optimizer",
    [
        (_tiny_ae, None),  # fit's default optimizer: Adam(lr)
        (_dropout_net, lambda params: torch.optim.SGD(params, lr=0.5, momentum=0.9)),  # train/eval modes matter
    ],
    ids=["autoencoder-adam", "dropout-sgd"],
)
def test_fit_equals_a_hand_written_loop(small: ae.Split, make_model, make_optimizer) -> None:
    epochs, lr = 4, 1e-2
    hand_model = make_model()
    params = hand_model.parameters()
    hand_opt = make_optimizer(params) if make_optimizer else torch.optim.Adam(params, lr=lr)
    loaders = _loaders(small)
    hand_train, hand_val = _hand_loop(hand_model, hand_opt, loaders["train"], loaders["val"], epochs)

    model = make_model()
    optimizer = make_optimizer(model.parameters()) if make_optimizer else None
    loaders = _loaders(small)
    history = ae.fit(
        model, losses.reconstruction("mse"), loaders["train"], loaders["val"],
        epochs=epochs, lr=None if optimizer else lr, optimizer=optimizer, restore_best=False,
    )
    assert history["train_loss"] == hand_train  # exactly, not approximately
    assert history["val_loss"] == hand_val
    assert _same_state(model.state_dict(), hand_model.state_dict())
    assert hand_train[-1] < hand_train[0]  # it did train
    assert history.keys() == ["train_loss", "val_loss"]


def test_fit_is_deterministic(small: ae.Split) -> None:
    """Equal models, loaders and objectives give equal runs, whatever torch's global generator holds.

    Both models are built first; then the global generator gets another seed before
    each run, so a draw from it inside fit (or the objective) would make the runs differ.
    """
    models = [_tiny_ae(), _tiny_ae()]
    assert _same_state(models[0].state_dict(), models[1].state_dict())
    runs = []
    for run, model in enumerate(models):
        loaders = _loaders(small)
        metrics = {"mse": train.reconstruction_mse}
        objective = losses.denoising(0.2)
        torch.manual_seed(run)
        history = ae.fit(model, objective, loaders["train"], loaders["val"], epochs=3, metrics=metrics)
        runs.append((history, _state(model)))
    (h1, s1), (h2, s2) = runs
    assert h1.records == h2.records and h1.best_epoch == h2.best_epoch and h1.best_value == h2.best_value
    assert _same_state(s1, s2)
    assert len(h1["val_mse"]) == 3


# ---- oracle: a linear autoencoder finds PCA's subspace --------------------------


def test_linear_autoencoder_spans_the_pca_subspace(digits: ae.ImageData) -> None:
    k = 3
    x = digits.x - digits.x.mean(axis=0)  # centred
    components = PCA(n_components=k).fit(x).components_  # (k, 64)
    ae.set_seed(0)
    model = ae.Autoencoder(64, k, activation=None, output_activation=None)
    full_batch = [(torch.from_numpy(x),)]  # fit takes any iterable of batches
    history = ae.fit(model, losses.reconstruction("mse"), full_batch, epochs=300, lr=0.02)
    decoder_columns = model.decoder[0].weight.detach().numpy()  # (64, k): x_hat = W z + b
    angles = np.degrees(scipy.linalg.subspace_angles(decoder_columns, components.T))
    assert angles.max() < 2.0, angles
    # and its error is PCA's (the best any rank-k linear map can do)
    pca_mse = np.mean((x - (x @ components.T) @ components) ** 2)
    assert history.best_value == pytest.approx(pca_mse, rel=2e-3)
    # an untrained one is far from it: the test can fail
    ae.set_seed(0)
    untrained = ae.Autoencoder(64, k, activation=None, output_activation=None).decoder[0].weight.detach().numpy()
    assert np.degrees(scipy.linalg.subspace_angles(untrained, components.T)).max() > 30


# ---- oracle: one batch can be overfitted --------------------------------------


def test_overfitting_one_batch(digits: ae.ImageData) -> None:
    x = torch.from_numpy(digits.x[:32])
    ae.set_seed(0)
    model = ae.Autoencoder(64, 32)
    history = ae.fit(model, losses.reconstruction("mse"), [(x,)], epochs=200, lr=1e-2)
    first, last = history["train_loss"][0], history["train_loss"][-1]
    assert first / last > 20, (first, last)
    assert history.monitor == "train_loss" and history.best_value == min(history["train_loss"])


# ---- fit: options and errors ---------------------------------------------------


def test_fit_argument_errors(small: ae.Split) -> None:
    model, loaders, loss_fn = _tiny_ae(), _loaders(small), losses.reconstruction()
    for epochs in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="epochs must be a positive int"):
            ae.fit(model, loss_fn, loaders["train"], epochs=epochs)
    with pytest.raises(ValueError, match=r"mode must be one of \('min', 'max'\), got 'best'"):
        ae.fit(model, loss_fn, loaders["train"], epochs=1, mode="best")
    with pytest.raises(ValueError, match="give the optimizer you pass its own lr"):  # lr would be ignored
        ae.fit(model, loss_fn, loaders["train"], epochs=1, lr=0.5, optimizer=torch.optim.SGD(model.parameters(), 0.1))
    expected = "monitor must be one of ['train_loss', 'val_loss', 'val_mse'], got 'val_acc'"
    with pytest.raises(ValueError, match=re.escape(expected)):
        metrics = {"mse": train.reconstruction_mse}
        ae.fit(model, loss_fn, loaders["train"], loaders["val"], epochs=1, metrics=metrics, monitor="val_acc")
    with pytest.raises(ValueError, match=re.escape("monitor must be one of ['train_loss'], got 'val_mse'")):
        ae.fit(model, loss_fn, loaders["train"], epochs=1, monitor="val_mse")


def test_fit_stops_on_nan_loss(small: ae.Split) -> None:
    model = _tiny_ae()
    loaders = _loaders(small)

    def broken(model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return losses.reconstruction()(model, batch) * float("nan")

    with pytest.raises(FloatingPointError, match="the loss became nan at epoch 1, batch 1; try a smaller learning"):
        ae.fit(model, broken, loaders["train"], epochs=2)
    x = small.train[0].copy()
    x[40, 3] = np.nan  # a bad pixel in the second batch
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, batch 2.*check the inputs"):
        ae.fit(model, losses.reconstruction(), ae.make_loader(x, batch_size=32), epochs=1)


def test_fit_monitor_mode_restore_best_and_checkpoint(small: ae.Split, tmp_path: Path) -> None:
    """A fake metric decides which epoch is best; the model and the checkpoint hold that epoch."""
    scores = iter([0.3, 0.9, 0.5, 0.7])
    snapshots = []

    def fake_score(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
        snapshots.append(_state(model))  # the weights at the end of this epoch
        return next(scores)

    model = _tiny_ae()
    loaders = _loaders(small)
    path = tmp_path / "runs" / "best.pt"
    history = ae.fit(
        model, losses.reconstruction(), loaders["train"], loaders["val"], epochs=4,
        metrics={"score": fake_score}, monitor="val_score", mode="max", checkpoint=path,
    )
    assert history["val_score"] == [0.3, 0.9, 0.5, 0.7]
    assert history.monitor == "val_score" and history.best_epoch == 2 and history.best_value == 0.9
    assert _same_state(model.state_dict(), snapshots[1])  # best weights restored
    assert not _same_state(snapshots[1], snapshots[3])
    fresh = ae.Autoencoder(64, 4, hidden=(16,))
    info = ae.load_checkpoint(fresh, path)
    assert info == {"epoch": 2, "val_score": 0.9}
    assert _same_state(fresh.state_dict(), snapshots[1])
    assert sorted(p.name for p in path.parent.iterdir()) == ["best.pt"]  # no temporary files left

    # mode="min" on the same scores picks epoch 1; restore_best=False keeps the last epoch
    scores = iter([0.3, 0.9, 0.5, 0.7])
    snapshots.clear()
    model = _tiny_ae()
    history = ae.fit(
        model, losses.reconstruction(), loaders["train"], loaders["val"], epochs=4,
        metrics={"score": fake_score}, monitor="val_score", restore_best=False, checkpoint=path,
    )
    assert history.best_epoch == 1 and history.best_value == 0.3
    assert _same_state(model.state_dict(), snapshots[3])
    assert ae.load_checkpoint(fresh, path) == {"epoch": 1, "val_score": 0.3}
    assert _same_state(fresh.state_dict(), snapshots[0])


def test_fit_default_monitor_is_val_loss(small: ae.Split) -> None:
    model = _tiny_ae()
    loaders = _loaders(small)
    history = ae.fit(model, losses.reconstruction(), loaders["train"], loaders["val"], epochs=3, lr=0.05)
    assert history.monitor == "val_loss"
    assert history.best_value == min(history["val_loss"])
    assert history["val_loss"][history.best_epoch - 1] == history.best_value
    assert ae.evaluate(model, losses.reconstruction(), loaders["val"]) == pytest.approx(history.best_value, rel=1e-6)


def test_fit_classifier_with_metrics_and_device(small: ae.Split) -> None:
    ae.set_seed(0)
    net = ae.BottleneckNet(64, 4, 10)
    loaders = _loaders(small, labels=True)
    history = ae.fit(
        net, losses.classification(), loaders["train"], loaders["val"], epochs=6, lr=3e-2,
        metrics={"accuracy": train.accuracy, "auroc": train.auroc}, monitor="val_accuracy", mode="max", device="cpu",
    )
    assert history.keys() == ["train_loss", "val_loss", "val_accuracy", "val_auroc"]
    assert history["val_accuracy"][history.best_epoch - 1] == max(history["val_accuracy"])
    assert max(history["val_accuracy"]) > 0.5 and history["val_auroc"][-1] > 0.8  # better than chance (0.1, 0.5)


def test_fit_progress_bar(small: ae.Split, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    loader = _loaders(small)["train"]
    history = ae.fit(_tiny_ae(), losses.reconstruction(), loader, epochs=1, progress=True)
    out = capsys.readouterr().out  # plain text on stdout (no widget), kept when the notebook is saved
    assert "epochs" in out and "1/1" in out
    assert f"train_loss={history['train_loss'][0]:.4g}" in out  # the epoch's numbers on the bar
    val = _loaders(small)["val"]
    history = ae.fit(_tiny_ae(), losses.reconstruction(), loader, val, epochs=2, progress=True,
                     metrics={"mse": train.reconstruction_mse})
    last = capsys.readouterr().out.replace("\r", "\n").strip().splitlines()[-1]
    assert "2/2" in last and f"val_loss={history['val_loss'][-1]:.4g}" in last
    assert f"val_mse={history['val_mse'][-1]:.4g}" in last
    monkeypatch.setenv("AECOURSE_NO_PROGRESS", "1")
    ae.fit(_tiny_ae(), losses.reconstruction(), loader, epochs=1)  # progress=None follows the environment
    assert capsys.readouterr().out == ""
    monkeypatch.delenv("AECOURSE_NO_PROGRESS")
    monkeypatch.delenv("CI", raising=False)
    ae.fit(_tiny_ae(), losses.reconstruction(), loader, epochs=1)
    assert "epochs" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    ae.fit(_tiny_ae(), losses.reconstruction(), loader, epochs=1)
    assert capsys.readouterr().out == ""


class _Stream(IterableDataset):
    """A dataset without a length, streamed one sample at a time."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    def __iter__(self) -> Iterator[tuple[torch.Tensor]]:
        for row in self.x:
            yield (torch.from_numpy(row),)


def test_fit_with_streamed_loaders(small: ae.Split) -> None:
    """Loaders over an IterableDataset have no len(); fit must not need one."""
    train_loader = DataLoader(_Stream(small.train[0]), batch_size=32)
    val_loader = DataLoader(_Stream(small.val[0]), batch_size=32)
    history = ae.fit(_tiny_ae(), losses.reconstruction(), train_loader, val_loader, epochs=2)
    in_memory = ae.fit(
        _tiny_ae(), losses.reconstruction(), ae.make_loader(small.train[0], batch_size=32),
        ae.make_loader(small.val[0], batch_size=32), epochs=2,
    )
    assert history.monitor == "val_loss"
    assert history.records == in_memory.records


# ---- History ------------------------------------------------------------------


def test_history() -> None:
    h = ae.History()
    h.append(train_loss=1.0, val_loss=2.0)
    h.append(train_loss=0.5, val_loss=1.5)
    assert h["train_loss"] == [1.0, 0.5] and h["val_loss"] == [2.0, 1.5]
    assert "val_loss" in h and "val_accuracy" not in h
    assert h.keys() == ["train_loss", "val_loss"]
    assert h.monitor == "val_loss" and h.best_epoch == 0 and np.isnan(h.best_value)
    with pytest.raises(KeyError, match=re.escape("history has no 'val_accuracy'; it has ['train_loss', 'val_loss']")):
        h["val_accuracy"]


# ---- evaluate, predict, encode, metrics ---------------------------------------


def test_evaluate(small: ae.Split) -> None:
    model = _tiny_ae()
    model.train()
    loader = ae.make_loader(small.val[0], batch_size=16)  # 50 samples: 16, 16, 16, 2
    got = ae.evaluate(model, losses.reconstruction(), loader)
    with torch.no_grad():
        x = torch.from_numpy(small.val[0])
        want = float(((model(x) - x) ** 2).mean())
    assert got == pytest.approx(want, rel=1e-6)  # weighted by batch size: the mean over samples
    assert model.training  # evaluated in eval mode, and the caller's train mode restored
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="loader is empty"):
        ae.evaluate(model, losses.reconstruction(), [])


def test_predict_and_encode(small: ae.Split) -> None:
    model = _tiny_ae()
    x, y = small.val
    labeled = ae.make_loader(x, y, batch_size=16)
    unlabeled = ae.make_loader(x, batch_size=16)
    with torch.no_grad():
        want_out = model(torch.from_numpy(x)).numpy()
        want_z = model.encode(torch.from_numpy(x)).numpy()
    out, targets = train.predict(model, labeled)
    np.testing.assert_allclose(out, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(targets, y)
    out_unlabeled, targets = train.predict(model, unlabeled)
    assert targets is None  # no labels: None, as encode gives
    np.testing.assert_array_equal(out_unlabeled, out)
    z, _ = train.predict(model, labeled, fn=model.encode)
    np.testing.assert_allclose(z, want_z, rtol=1e-5, atol=1e-6)

    z, labels = ae.encode(model, labeled)
    assert z.shape == (len(x), 4)
    np.testing.assert_allclose(z, want_z, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(labels, y)
    z, labels = ae.encode(model, unlabeled)
    assert z.shape == (len(x), 4) and labels is None
    with pytest.raises(TypeError, match="model must have an encode method, got Linear"):
        ae.encode(nn.Linear(64, 2), labeled)


class _Logits(nn.Module):
    """A "classifier" whose logits are its input: lets a test choose the logits."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_accuracy_and_auroc() -> None:
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    logits = rng.normal(size=(60, 3)).astype(np.float32)
    logits[np.arange(60), y] += 1.0  # informative but imperfect
    loader = ae.make_loader(logits, y, batch_size=16)
    want_acc = float(np.mean(logits.argmax(1) == y))
    assert 0.4 < want_acc < 1.0
    assert train.accuracy(_Logits(), loader) == pytest.approx(want_acc)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert train.auroc(_Logits(), loader) == pytest.approx(roc_auc_score(y, probs, multi_class="ovr"), rel=1e-6)
    perfect = ae.make_loader(np.eye(3, dtype=np.float32)[y] * 5, y, batch_size=16)
    assert train.accuracy(_Logits(), perfect) == 1.0 and train.auroc(_Logits(), perfect) == 1.0
    wrong = ae.make_loader(np.eye(3, dtype=np.float32)[(y + 1) % 3], y)
    assert train.accuracy(_Logits(), wrong) == 0.0
    # two classes: the AUROC of the positive class's probability
    y2 = np.arange(40) % 2
    logits2 = rng.normal(size=(40, 2)).astype(np.float32)
    probs2 = np.exp(logits2) / np.exp(logits2).sum(1, keepdims=True)
    got = train.auroc(_Logits(), ae.make_loader(logits2, y2, batch_size=16))
    assert got == pytest.approx(roc_auc_score(y2, probs2[:, 1]), rel=1e-6)


def test_one_logit_accuracy_and_auroc() -> None:
    """A one-logit binary classifier: the logit scores class 1, class 1 when it is > 0."""
    rng = np.random.default_rng(1)
    y = np.arange(50) % 2
    logit = (rng.normal(size=50) + 0.8 * (2 * y - 1)).astype(np.float32)
    loader = ae.make_loader(logit[:, None], y, batch_size=16)
    want_acc = float(np.mean((logit > 0) == y))
    assert 0.5 < want_acc < 1.0
    assert train.accuracy(_Logits(), loader) == pytest.approx(want_acc)
    assert train.auroc(_Logits(), loader) == pytest.approx(roc_auc_score(y, logit), rel=1e-6)
    assert 0.5 < roc_auc_score(y, logit) < 1.0


def test_reconstruction_mse_and_rmse(small: ae.Split) -> None:
    model = _tiny_ae()
    x, y = small.val
    with torch.no_grad():
        want = float(((model(torch.from_numpy(x)) - torch.from_numpy(x)) ** 2).mean())
    assert train.reconstruction_mse(model, ae.make_loader(x, batch_size=16)) == pytest.approx(want, rel=1e-6)
    assert train.reconstruction_mse(model, ae.make_loader(x, y, batch_size=16)) == pytest.approx(want, rel=1e-6)
    # a shuffled loader (e.g. the training loader) gives the same number
    shuffled = ae.make_loader(x, batch_size=16, shuffle=True, seed=0)
    assert train.reconstruction_mse(model, shuffled) == pytest.approx(want, rel=1e-6)

    ae.set_seed(0)
    reg = ae.BottleneckNet(64, 2, 1)
    target = y.astype(np.float32)
    with torch.no_grad():
        pred = reg(torch.from_numpy(x))[:, 0].numpy()
    want_rmse = float(np.sqrt(np.mean((pred - target) ** 2)))
    assert train.rmse(reg, ae.make_loader(x, target, batch_size=16)) == pytest.approx(want_rmse, rel=1e-6)


# ---- checkpoints --------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = _tiny_ae()
    path = ae.save_checkpoint(model, tmp_path / "a" / "b" / "model.pt", epoch=7, val_loss=0.25)
    assert path == tmp_path / "a" / "b" / "model.pt" and path.exists()
    ae.set_seed(1)
    other = ae.Autoencoder(64, 4, hidden=(16,))
    assert not _same_state(other.state_dict(), model.state_dict())
    assert ae.load_checkpoint(other, path) == {"epoch": 7, "val_loss": 0.25}
    assert _same_state(other.state_dict(), model.state_dict())
    with pytest.raises(ValueError, match="(?s)holds weights of another model.*size mismatch"):
        ae.load_checkpoint(ae.Autoencoder(64, 5, hidden=(16,)), path)


def test_save_checkpoint_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ae.save_checkpoint(_tiny_ae(), tmp_path / "model.pt", epoch=1)
    before = path.read_bytes()

    def crash(obj: object, f: object) -> None:
        f.write(b"half a checkpoint")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        ae.save_checkpoint(nn.Linear(2, 2), path, epoch=2)
    assert path.read_bytes() == before  # the old checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # and no temporary file is left


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=oct)
def test_checkpoint_mode_follows_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        path = ae.save_checkpoint(_tiny_ae(), tmp_path / "model.pt", epoch=1)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # what torch.save to a path would give


def test_load_checkpoint_errors(tmp_path: Path) -> None:
    model = _tiny_ae()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ae.load_checkpoint(model, tmp_path / "missing.pt")
    torch.save({"weights": model.state_dict()}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a checkpoint written by save_checkpoint"):
        ae.load_checkpoint(model, tmp_path / "other.pt")
    torch.save(model, tmp_path / "module.pt")  # a whole pickled module: code, not weights
    with pytest.raises(ValueError, match="module.pt is not a readable checkpoint .UnpicklingError: Weights only"):
        ae.load_checkpoint(model, tmp_path / "module.pt")


def test_classification_and_regression_objectives_train(small: ae.Split) -> None:
    """The classification objective and the regression objective decrease under fit."""
    loaders = _loaders(small, labels=True)
    x, y = small.val
    ae.set_seed(0)
    clf = ae.BottleneckNet(64, 2, 10)
    history = ae.fit(clf, losses.classification(), loaders["train"], loaders["val"], epochs=5, lr=1e-2)
    assert history["train_loss"][-1] < history["train_loss"][0]
    with torch.no_grad():
        want = float(F.cross_entropy(clf(torch.from_numpy(x)), torch.from_numpy(y)))
    assert history.best_value == pytest.approx(want, rel=1e-5)  # the restored weights' cross entropy

    ae.set_seed(0)
    reg = ae.BottleneckNet(64, 2, 1)
    history = ae.fit(reg, losses.regression(), loaders["train"], loaders["val"], epochs=5, lr=1e-2)
    assert history["train_loss"][-1] < history["train_loss"][0]
    with torch.no_grad():
        want = float(F.mse_loss(reg(torch.from_numpy(x))[:, 0], torch.from_numpy(y).float()))
    assert history.best_value == pytest.approx(want, rel=1e-5)



def test_evaluation_helpers_leave_global_rng_and_loader_order_alone() -> None:
    """encode/predict read a loader exactly once and never draw from torch's global generator."""
    x = np.random.default_rng(0).random((50, 6), dtype=np.float32)
    y = np.arange(50) % 3
    model = ae.Autoencoder(6, 2)
    loader = ae.make_loader(x, y, batch_size=8)
    state = torch.get_rng_state()
    z, labels = ae.encode(model, loader)
    ae.predict(model, loader)
    ae.train.reconstruction_mse(model, loader)
    assert torch.equal(state, torch.get_rng_state())
    assert z.shape == (50, 2) and np.array_equal(labels, y)
    assert ae.encode(model, ae.make_loader(x, batch_size=8))[1] is None

    shuffled = ae.make_loader(x, batch_size=8, shuffle=True, seed=3)
    twin = ae.make_loader(x, batch_size=8, shuffle=True, seed=3)
    ae.encode(model, shuffled)  # uses up one epoch of shuffled, as one pass over twin does
    list(twin)
    for a, b in zip(shuffled, twin, strict=True):  # so their next epochs still agree
        assert torch.equal(a[0], b[0])


def test_fit_runs_metrics_without_gradients(small: ae.Split) -> None:
    """A metric of one's own sees no_grad inside fit, as the built-in metrics run."""
    seen = []

    def grad_mode(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
        seen.append(torch.is_grad_enabled())
        return 0.0

    loaders = _loaders(small)
    ae.fit(_tiny_ae(), losses.reconstruction(), loaders["train"], loaders["val"], epochs=2, metrics={"g": grad_mode})
    assert seen == [False, False]
    assert torch.is_grad_enabled()  # and gradients are on again after fit


def test_fit_prints_nothing_without_a_bar(small: ae.Split, capsys: pytest.CaptureFixture[str]) -> None:
    ae.fit(_tiny_ae(), losses.reconstruction(), _loaders(small)["train"], epochs=1, progress=False)
    assert capsys.readouterr().out == ""
