"""Every exercise check of notebooks 00-06, fed as a learner would feed it: the stub,
at least two plausible wrong answers (rejected, with the learner's value, what was
expected and a hint) and at least one right answer other than the notebook's
solution (accepted). The notebooks' own solutions are checked by nbval, through
``check.reference(...)`` in every solution cell."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from check_support import accepted, not_attempted, rejected
from sklearn.model_selection import KFold
from torch import nn

import aecourse as ae
from aecourse import checks
from aecourse.exercises import ExerciseError

ROOT = Path(__file__).resolve().parents[1]
# ---- 00 -------------------------------------------------------------------------------------


def test_val_loss_16(capsys: pytest.CaptureFixture[str]) -> None:
    not_attempted(capsys, checks.val_loss_16, None, baseline=0.0532)
    rejected(checks.val_loss_16, 0.0532, baseline=0.0532, says=r"0\.0532; expected: below 0\.0372")  # the 2-D code
    rejected(checks.val_loss_16, 0.15, baseline=0.0532)  # an untrained model's loss
    rejected(checks.val_loss_16, {"val_loss": [0.03]}, baseline=0.0532, says="a dict")  # the history, not a number
    accepted(capsys, checks.val_loss_16, 0.0280, baseline=0.0532)
    accepted(capsys, checks.val_loss_16, torch.tensor(0.031), baseline=0.0532)  # longer training, as a tensor


# ---- 01 -------------------------------------------------------------------------------------


@pytest.fixture
def model_4d() -> ae.BottleneckNet:
    ae.set_seed(0)
    return ae.BottleneckNet(64, 4, 10, hidden=(32,))


def test_encode_by_hand(capsys: pytest.CaptureFixture[str], model_4d: ae.BottleneckNet) -> None:
    x = torch.rand(8, 64, generator=torch.Generator().manual_seed(0))
    first, last = model_4d.encoder[0], model_4d.encoder[2]
    not_attempted(capsys, checks.encode_by_hand, lambda model, x: None, model_4d, x)
    rejected(checks.encode_by_hand, lambda m, x: (x @ first.weight.T + first.bias) @ last.weight.T + last.bias,
             model_4d, x, says="output .* at")  # no ReLU
    rejected(checks.encode_by_hand, lambda m, x: torch.relu(x @ first.weight.T) @ last.weight.T,
             model_4d, x)  # no biases
    with pytest.raises(RuntimeError):  # an error in the learner's own code keeps its own traceback
        checks.encode_by_hand(lambda m, x: x @ first.weight, model_4d, x)
    accepted(capsys, checks.encode_by_hand,
             lambda m, x: nn.functional.linear(torch.relu(nn.functional.linear(x, first.weight, first.bias)),
                                               last.weight, last.bias), model_4d, x)


def test_one_layer(capsys: pytest.CaptureFixture[str]) -> None:
    g = torch.Generator().manual_seed(3)
    W1, b1, W2, b2 = torch.randn(2, 2, generator=g), torch.randn(2, generator=g), torch.randn(2, 2, generator=g), \
        torch.randn(2, generator=g)
    not_attempted(capsys, checks.one_layer, None, None, W1, b1, W2, b2)
    rejected(checks.one_layer, W1 @ W2, W2 @ b1 + b2, W1, b1, W2, b2, says="off by")  # the product in the wrong order
    rejected(checks.one_layer, W2 @ W1, b1 + b2, W1, b1, W2, b2)  # the first bias not passed through W2
    rejected(checks.one_layer, W2 @ W1, (W2 @ b1 + b2)[None], W1, b1, W2, b2, says="shape")
    # fitted by least squares on points instead of computed
    x = torch.randn(20, 2, generator=g, dtype=torch.float64)
    y = (x @ W1.double().T + b1.double()) @ W2.double().T + b2.double()
    sol = torch.linalg.lstsq(torch.cat([x, torch.ones(20, 1, dtype=torch.float64)], 1), y).solution
    accepted(capsys, checks.one_layer, sol[:2].T, sol[2], W1, b1, W2, b2)


def _regression_data() -> tuple[tuple[np.ndarray, np.ndarray], nn.Module, nn.Module]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 10)).astype(np.float32)
    w = rng.normal(size=10).astype(np.float32)
    t = (x @ w + 0.1 * rng.normal(size=80)).astype(np.float32)
    good, bad = nn.Linear(10, 1), nn.Linear(10, 1)
    with torch.no_grad():
        good.weight.copy_(torch.from_numpy(w)[None])
        good.bias.zero_()
    return (x, t), good, bad


def test_rmse_diabetes(capsys: pytest.CaptureFixture[str]) -> None:
    test, good, bad = _regression_data()
    baseline = float(np.sqrt((test[1] ** 2).mean()))
    true = ae.train.rmse(good, ae.make_loader(*test))
    not_attempted(capsys, checks.rmse_diabetes, None, None, test, baseline)
    rejected(checks.rmse_diabetes, true ** 2, good, test, baseline, says="the test MSE")  # forgot the square root
    rejected(checks.rmse_diabetes, 0.5 * true, good, test, baseline, says="the test RMSE of model_dia")  # another set
    untrained = ae.train.rmse(bad, ae.make_loader(*test))
    rejected(checks.rmse_diabetes, untrained, bad, test, baseline, says="below")  # an untrained model
    rejected(checks.rmse_diabetes, true, "model", test, baseline, says="nn.Module")
    accepted(capsys, checks.rmse_diabetes, np.float32(true), good, test, baseline)


# ---- 02 -------------------------------------------------------------------------------------


def test_squared_error(capsys: pytest.CaptureFixture[str]) -> None:
    g = torch.Generator().manual_seed(0)
    x_hat, x = torch.rand(5, 64, generator=g), torch.rand(5, 64, generator=g)
    not_attempted(capsys, checks.squared_error, lambda a, b: None, x_hat, x)
    rejected(checks.squared_error, lambda a, b: ((b - a) ** 2).mean(dim=1), x_hat, x)  # the mean, not the sum
    rejected(checks.squared_error, lambda a, b: ((b - a) ** 2).sum(), x_hat, x, says="shape")  # one number per batch
    accepted(capsys, checks.squared_error, lambda a, b: torch.einsum("bd,bd->b", a - b, a - b), x_hat, x)


def test_count_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    def loop(sizes):  # noqa: ANN001, ANN202
        total = 0
        for n_in, n_out in zip(sizes, sizes[1:], strict=False):
            total += (n_in + 1) * n_out
        return total

    not_attempted(capsys, checks.count_parameters, lambda s: None)
    rejected(checks.count_parameters, lambda s: sum(a * b for a, b in zip(s, s[1:], strict=False)))  # no biases
    rejected(checks.count_parameters, lambda s: s[0] * s[1] + s[1])  # the first layer only
    accepted(capsys, checks.count_parameters, loop)
    accepted(capsys, checks.count_parameters, loop, sizes=[[10, 1], [3, 5, 7, 2]])  # the hidden test's sizes


def test_decoder_weight(capsys: pytest.CaptureFixture[str]) -> None:
    A = torch.tensor([[2.0, 1.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.0], [0.0, 0.0, 1.0, -3.0], [1.0, 0.0, 0.0, 1.0]])
    W_old = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    not_attempted(capsys, checks.decoder_weight, None, A, W_old)
    rejected(checks.decoder_weight, W_old @ A, A, W_old, says="W_new A differs")
    rejected(checks.decoder_weight, torch.linalg.inv(A) @ W_old.T, A, W_old, says="shape")  # transposed
    accepted(capsys, checks.decoder_weight, torch.linalg.solve(A.T, W_old.T).T, A, W_old)


def test_pca_reconstruct(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    x_fit, x = rng.normal(size=(60, 8)) + 3, rng.normal(size=(10, 8)) + 3

    def by_covariance(a, b, k):  # noqa: ANN001, ANN202
        mean = a.mean(0)
        _, vectors = np.linalg.eigh(np.cov(a - mean, rowvar=False))
        v = vectors[:, ::-1][:, :k]
        return mean + (b - mean) @ v @ v.T

    def no_mean(a, b, k):  # noqa: ANN001, ANN202
        v = np.linalg.svd(a - a.mean(0), full_matrices=False)[2][:k].T
        return (b - a.mean(0)) @ v @ v.T

    def columns(a, b, k):  # noqa: ANN001, ANN202
        v = np.linalg.svd(a - a.mean(0), full_matrices=False)[2][:, :k]
        return a.mean(0) + (b - a.mean(0)) @ v @ v.T

    not_attempted(capsys, checks.pca_reconstruct, lambda a, b, k: None, x_fit, x)
    rejected(checks.pca_reconstruct, no_mean, x_fit, x)
    rejected(checks.pca_reconstruct, columns, x_fit, x)
    accepted(capsys, checks.pca_reconstruct, by_covariance, x_fit, x)


class _Tied(nn.Module):
    """A right answer written differently from the solution: W stored as an attribute, F.linear."""

    def __init__(self, input_dim: int, latent_dim: int, untie: bool = False, sigmoid: bool = False) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(latent_dim, input_dim) * 0.1)
        self.c_enc, self.c_dec = nn.Parameter(torch.zeros(latent_dim)), nn.Parameter(torch.full((input_dim,), 0.1))
        self.W_dec = nn.Parameter(self.W.detach().T.clone()) if untie else None
        self.sigmoid = sigmoid

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = nn.functional.linear(x, self.W, self.c_enc)
        return torch.sigmoid(z) if self.sigmoid else z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        weight = self.W_dec.T if self.W_dec is not None else self.W.T
        return nn.functional.linear(z, weight, self.c_dec)


def test_tied_autoencoder(capsys: pytest.CaptureFixture[str]) -> None:
    class Stub(nn.Module):
        def __init__(self, input_dim, latent_dim):  # noqa: ANN001
            super().__init__()

        def encode(self, x):  # noqa: ANN001, ANN202
            ...

    not_attempted(capsys, checks.tied_autoencoder, Stub)
    rejected(checks.tied_autoencoder, lambda d, k: _Tied(d, k, untie=True), says="one weight and two biases")
    rejected(checks.tied_autoencoder, lambda d, k: _Tied(d, k, sigmoid=True), says="linear code")
    rejected(checks.tied_autoencoder, lambda d, k: ae.Autoencoder(d, k), says="one weight and two biases")
    accepted(capsys, checks.tied_autoencoder, _Tied)


# ---- 03 -------------------------------------------------------------------------------------


class _Scored(nn.Module):
    def __init__(self, loss: float) -> None:
        super().__init__()
        self.loss = loss


REFERENCE = [1.0, 0.8, 0.6, 0.65, 0.7, 0.75, 0.5, 0.55] + [0.56] * 17  # 25 epochs; best 0.6 at 3, then 0.5 at 7


def test_early_stopping(capsys: pytest.CaptureFixture[str]) -> None:
    def loss_of(m):  # noqa: ANN001, ANN202
        return m.loss

    run = REFERENCE[:6]  # patience 3: epochs 4, 5, 6 do not beat epoch 3
    not_attempted(capsys, checks.early_stopping, None, None, loss_of, REFERENCE, 3)
    rejected(checks.early_stopping, REFERENCE + [0.57] * 15, _Scored(0.5), loss_of, REFERENCE, 3,
             says="a stop after epoch 6")  # 40 epochs, never stopped
    rejected(checks.early_stopping, run, _Scored(0.75), loss_of, REFERENCE, 3,
             says="model_es has validation loss 0.7500.*best epoch's 0.6000")  # the last weights kept
    rejected(checks.early_stopping, REFERENCE[:5], _Scored(0.6), loss_of, REFERENCE, 3)  # stopped one epoch early
    rejected(checks.early_stopping, REFERENCE[:7], _Scored(0.5), loss_of, REFERENCE, 3)  # one epoch late
    rejected(checks.early_stopping, [0.9, 0.8, 0.7, 0.75, 0.8, 0.85], _Scored(0.7), loss_of, REFERENCE, 3,
             says="unlike")  # a different run (another seed or model)
    accepted(capsys, checks.early_stopping, run, _Scored(0.6), loss_of, REFERENCE, 3)
    # patience 5 lets the run reach the better epoch 7, and it stops at 12
    accepted(capsys, checks.early_stopping, REFERENCE[:12], _Scored(0.5), loss_of, REFERENCE, 5)
    falling = list(np.linspace(1, 0.1, 40))  # never stalls: runs to the cap of 40 epochs
    accepted(capsys, checks.early_stopping, falling, _Scored(0.1), loss_of, falling[:25], 3)


def _rates(make, epochs: int = 25, lr: float = 0.02, per_batch: int = 1) -> list[float]:  # noqa: ANN001
    optimizer = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        for _ in range(per_batch):
            optimizer.step()
            scheduler.step()
    return rates


def test_lr_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    sched = torch.optim.lr_scheduler
    losses = list(np.linspace(0.5, 0.1, 25))
    ref = [0.45, 0.3, 0.2]  # the constant-rate run's validation losses
    not_attempted(capsys, checks.lr_schedule, None, None, lr=0.02, epochs=25, reference=ref)
    rejected(checks.lr_schedule, [0.02] * 25, losses, lr=0.02, epochs=25, reference=ref, says="constant")
    cosine = _rates(lambda o: sched.CosineAnnealingLR(o, T_max=25))
    rejected(checks.lr_schedule, cosine, [2.3] * 25, lr=0.02, epochs=25, reference=ref,
             says="a run that trained")  # the schedule is right but the model never learned
    after_step = _rates(lambda o: sched.CosineAnnealingLR(o, T_max=25), epochs=26)[1:]  # recorded after stepping
    rejected(checks.lr_schedule, after_step, losses, lr=0.02, epochs=25, reference=ref, says="first learning rate")
    rejected(checks.lr_schedule, _rates(lambda o: sched.LinearLR(o)), losses, lr=0.02, epochs=25, reference=ref,
             says="rises")  # LinearLR's default is a warm-up: it starts at LR/3 and rises
    rejected(checks.lr_schedule, _rates(lambda o: sched.CosineAnnealingLR(o, T_max=25), per_batch=3), losses,
             lr=0.02, epochs=25, reference=ref, says="rises")  # stepped every batch: the cosine comes back up
    rejected(checks.lr_schedule, _rates(lambda o: sched.CosineAnnealingLR(o, T_max=25))[:20], losses[:20],
             lr=0.02, epochs=25, reference=ref, says="20 learning rates")
    for make in (lambda o: sched.ExponentialLR(o, gamma=0.9), lambda o: sched.StepLR(o, step_size=10, gamma=0.5),
                 lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=25),
                 lambda o: sched.CosineAnnealingLR(o, T_max=25)):
        accepted(capsys, checks.lr_schedule, _rates(make), losses, lr=0.02, epochs=25, reference=ref)


def _blobs() -> tuple[np.ndarray, np.ndarray, list]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    x = rng.normal(size=(10, 6))[y] * 4 + rng.normal(size=(200, 6))
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(x))
    return x, y, folds


def _centroid_error(x_tr, y_tr, x_va, y_va) -> float:  # noqa: ANN001
    means = np.stack([x_tr[y_tr == c].mean(0) for c in range(10)])
    pred = ((x_va[:, None] - means[None]) ** 2).sum(2).argmin(1)
    return float((pred != y_va).mean())


def test_cross_validation(capsys: pytest.CaptureFixture[str]) -> None:
    x, y, folds = _blobs()
    x[:40] += np.random.default_rng(1).normal(size=(40, 6)) * 3  # some hard points, so that errors differ by fold
    right = [_centroid_error(x[tr], y[tr], x[va], y[va]) for tr, va in folds]
    single = float(np.mean(right))
    calls = []

    def reused(x_tr, y_tr, x_va, y_va):  # noqa: ANN001, ANN202 - one model trained on, call after call
        calls.append(1)
        return max(0.0, _centroid_error(x_tr, y_tr, x_va, y_va) - 0.01 * len(calls))

    def on_training_folds(x_tr, y_tr, x_va, y_va):  # noqa: ANN001, ANN202
        return _centroid_error(x_tr, y_tr, x_tr, y_tr)

    args = (x, y, folds, single)
    not_attempted(capsys, checks.cross_validation, None, _centroid_error, *args)
    not_attempted(capsys, checks.cross_validation, right, lambda *a: None, *args)
    rejected(checks.cross_validation, [right[0]] * 5, _centroid_error, *args, says="the same error for every fold")
    cheat = [on_training_folds(x[tr], y[tr], x[va], y[va]) for tr, va in folds]
    rejected(checks.cross_validation, cheat, on_training_folds, *args, says="shuffled labels")
    drifting = [reused(x[tr], y[tr], x[va], y[va]) for tr, va in folds]
    rejected(checks.cross_validation, drifting, reused, *args, says="now gives")
    rejected(checks.cross_validation, right[:4], _centroid_error, *args, says="4 values")

    def untrained(x_tr, y_tr, x_va, y_va):  # noqa: ANN001, ANN202 - far worse than the single split
        return min(1.0, _centroid_error(x_tr, y_tr, x_va, y_va) + 0.3)

    rejected(checks.cross_validation, [untrained(x[tr], y[tr], x[va], y[va]) for tr, va in folds], untrained, *args,
             says="near the single split")

    def by_predictions(x_tr, y_tr, x_va, y_va):  # noqa: ANN001, ANN202 - accuracy first, then 1 - accuracy
        means = np.stack([x_tr[y_tr == c].mean(0) for c in range(10)])
        accuracy = np.mean(np.linalg.norm(x_va[:, None] - means[None], axis=2).argmin(1) == y_va)
        return 1 - accuracy

    accepted(capsys, checks.cross_validation, [by_predictions(x[tr], y[tr], x[va], y[va]) for tr, va in folds],
             by_predictions, *args)


# ---- 04 -------------------------------------------------------------------------------------


def test_neighbour_overlap(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(60, 5))
    pictures = {"A": z[:, :2] + 0.1 * rng.normal(size=(60, 2)), "B": rng.normal(size=(60, 2)), "C": z[:, 2:4]}

    def knn(a, k):  # noqa: ANN001, ANN202
        d = ((a[:, None] - a[None]) ** 2).sum(2)
        return np.argsort(d, axis=1)[:, 1:k + 1]

    def by_sorting(a, b, k=10):  # noqa: ANN001, ANN202
        return float(np.mean([len(set(p) & set(q)) / k for p, q in zip(knn(a, k), knn(b, k), strict=True)]))

    def with_self(a, b, k=10):  # noqa: ANN001, ANN202
        d_a, d_b = ((a[:, None] - a[None]) ** 2).sum(2), ((b[:, None] - b[None]) ** 2).sum(2)
        near_a, near_b = np.argsort(d_a, 1)[:, :k], np.argsort(d_b, 1)[:, :k]
        return float(np.mean([len(set(p) & set(q)) / k for p, q in zip(near_a, near_b, strict=True)]))

    not_attempted(capsys, checks.neighbour_overlap, lambda a, b, k=10: None, z, pictures)
    rejected(checks.neighbour_overlap, with_self, z, pictures)  # each point counted as its own neighbour
    rejected(checks.neighbour_overlap, lambda a, b, k=10: by_sorting(a, b, k) * k / (k + 1), z, pictures)
    accepted(capsys, checks.neighbour_overlap, by_sorting, z, pictures)


def test_packing(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    sweep = {0.0: rng.normal(size=(50, 2)) ** 3, 0.1: rng.normal(size=(50, 2)), 0.8: rng.uniform(size=(50, 2)) * 9}

    def nearest(e):  # noqa: ANN001, ANN202
        d = np.sqrt(((e[:, None] - e[None]) ** 2).sum(2))
        np.fill_diagonal(d, np.inf)
        return d.min(1)

    not_attempted(capsys, checks.packing, None, sweep)
    rejected(checks.packing, {k: float(np.mean(nearest(e)) / e.std()) for k, e in sweep.items()}, sweep,
             says=r"packing\[0\.0\]")  # the mean, not the median
    rejected(checks.packing, {k: float(np.median(nearest(e))) for k, e in sweep.items()}, sweep)  # not scaled
    rejected(checks.packing, {0.0: 0.01, 0.1: 0.02}, sweep, says="keys")
    accepted(capsys, checks.packing, {k: np.median(nearest(e)) / e.std() for k, e in sweep.items()}, sweep)


def test_centroids(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=80)
    z = rng.normal(size=(80, 2)) + y[:, None]
    sums = np.zeros((5, 2))
    np.add.at(sums, y, z)
    not_attempted(capsys, checks.centroids, None, z, y)
    rejected(checks.centroids, np.tile(z.mean(0), (5, 1)), z, y, says="row")  # the overall mean
    rejected(checks.centroids, np.stack([np.median(z[y == k], axis=0) for k in range(5)]), z, y)
    rejected(checks.centroids, z[:5], z, y)
    accepted(capsys, checks.centroids, torch.from_numpy(sums / np.bincount(y)[:, None]), z, y)


# ---- 05 -------------------------------------------------------------------------------------


def test_mask_pixels(capsys: pytest.CaptureFixture[str]) -> None:
    x = torch.rand(40, 64, generator=torch.Generator().manual_seed(5))  # not seed 0: the masks use it
    x[x < 0.2] = 0  # some pixels already black, as in digits
    not_attempted(capsys, checks.mask_pixels, lambda x, p, g: None, x)
    rejected(checks.mask_pixels, lambda x, p, g: x * (torch.rand(x.shape, generator=g) < p), x,
             says="set to 0")  # keeps a pixel with probability p
    rejected(checks.mask_pixels, lambda x, p, g: x * (torch.rand(x.shape, generator=g) >= p) / (1 - p), x,
             says="neither kept nor 0")  # dropout's rescaling
    rejected(checks.mask_pixels, lambda x, p, g: x * (torch.rand(x.shape) >= p), x,
             says="different mask")  # ignores the generator
    accepted(capsys, checks.mask_pixels, lambda x, p, g: x * torch.bernoulli(torch.full_like(x, 1 - p), generator=g), x)


def test_best_k(capsys: pytest.CaptureFixture[str]) -> None:
    def val_error(k):  # noqa: ANN001, ANN202
        return 0.04 + 0.001 * (k - 10) ** 2

    not_attempted(capsys, checks.best_k, None, val_error, max_k=64)
    rejected(checks.best_k, 18, val_error, max_k=64, says="k = 18")  # the best k at sigma 0.3
    rejected(checks.best_k, 9, val_error, max_k=64)  # an index off by one
    rejected(checks.best_k, 0.04, val_error, max_k=64, says="whole number")  # the error, not k
    accepted(capsys, checks.best_k, np.int64(10), val_error, max_k=64)


class _Denoiser(nn.Module):
    def __init__(self, errors: dict[float, float]) -> None:
        super().__init__()
        self.errors = errors


def test_dae_05(capsys: pytest.CaptureFixture[str]) -> None:
    reference = {0.1: 0.0167, 0.6: 0.0472}

    def error(model, std):  # noqa: ANN001, ANN202
        return model.errors[std]

    not_attempted(capsys, checks.dae_05, None, error, reference)
    rejected(checks.dae_05, _Denoiser(dict(reference)), error, reference, says="sigma 0.6")  # the sigma-0.3 model
    rejected(checks.dae_05, _Denoiser({0.1: 0.015, 0.6: 0.08}), error, reference)  # a plain autoencoder
    rejected(checks.dae_05, 0.0433, error, reference, says="nn.Module")  # a number, not the model
    accepted(capsys, checks.dae_05, _Denoiser({0.1: 0.0238, 0.6: 0.0433}), error, reference)
    accepted(capsys, checks.dae_05, _Denoiser({0.1: 0.030, 0.6: 0.0410}), error, reference)  # taught at 0.6


def test_wide_copier(capsys: pytest.CaptureFixture[str]) -> None:
    def passes(model):  # noqa: ANN001, ANN202
        return model.errors["pass"]

    not_attempted(capsys, checks.wide_copier, None, passes, wide_plain_pass=0.88)
    rejected(checks.wide_copier, _Denoiser({"pass": 0.40}), passes, wide_plain_pass=0.88)  # clean target
    rejected(checks.wide_copier, _Denoiser({"pass": 0.88}), passes, wide_plain_pass=0.88)  # the plain wide model
    rejected(checks.wide_copier, 1.0, passes, wide_plain_pass=0.88, says="nn.Module")  # a typed-in number
    accepted(capsys, checks.wide_copier, _Denoiser({"pass": 0.97}), passes, wide_plain_pass=0.88)
    rejected(checks.wide_copier, _Denoiser({"pass": 0.20}), passes, wide_plain_pass=0.185)  # MNIST: barely above
    accepted(capsys, checks.wide_copier, _Denoiser({"pass": 0.31}), passes, wide_plain_pass=0.185)  # MNIST, 4 epochs


# ---- 06 -------------------------------------------------------------------------------------


def test_my_sparse_kl(capsys: pytest.CaptureFixture[str]) -> None:
    ae.set_seed(0)
    model = ae.Autoencoder(64, 16, latent_activation="sigmoid")
    batch = (torch.rand(32, 64, generator=torch.Generator().manual_seed(0)),)

    def right(m, b):  # noqa: ANN001, ANN202
        z = m.encode(b[0])
        return ae.reconstruction_loss(m.decode(z), b[0]) + 3.0 * ae.kl_sparsity(z, 0.05)

    def summed(m, b):  # noqa: ANN001, ANN202
        z = m.encode(b[0])
        return ((m.decode(z) - b[0]) ** 2).sum() + 3.0 * ae.kl_sparsity(z, 0.05)

    not_attempted(capsys, checks.my_sparse_kl, lambda m, b: None, model, batch, beta=3.0, rho=0.05)
    rejected(checks.my_sparse_kl, summed, model, batch, beta=3.0, rho=0.05)
    rejected(checks.my_sparse_kl, lambda m, b: right(m, b) - 2.0 * ae.kl_sparsity(m.encode(b[0]), 0.05), model, batch,
             beta=3.0, rho=0.05)  # beta forgotten
    rejected(checks.my_sparse_kl, lambda m, b: ae.reconstruction_loss(m(b[0]), b[0]) + 3.0 * m.encode(b[0]).abs().sum(1)
             .mean(), model, batch, beta=3.0, rho=0.05)  # L1 instead of KL
    accepted(capsys, checks.my_sparse_kl, right, model, batch, beta=3.0, rho=0.05)


class _Coder(nn.Module):
    def __init__(self, level: float) -> None:
        super().__init__()
        self.level = level

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), 8), self.level)


def test_mean_rho_hat_01(capsys: pytest.CaptureFixture[str]) -> None:
    x = torch.rand(10, 64)
    not_attempted(capsys, checks.mean_rho_hat_01, None, None, x)
    rejected(checks.mean_rho_hat_01, 0.058, _Coder(0.058), x, says="within 0.03 of the target")  # the rho = 0.05 model
    rejected(checks.mean_rho_hat_01, 0.1, _Coder(0.058), x, says="mean test activation")  # typed, not measured
    rejected(checks.mean_rho_hat_01, 0.104, 0.104, x, says="nn.Module")  # the value passed as the model
    accepted(capsys, checks.mean_rho_hat_01, torch.tensor(0.104), _Coder(0.104), x)


def test_l1_tradeoff(capsys: pytest.CaptureFixture[str]) -> None:
    reference = (0.144, 0.0078)
    not_attempted(capsys, checks.l1_tradeoff, None, reference=reference)
    rejected(checks.l1_tradeoff, (0.971, 0.0399), reference=reference, says="active share of 0.971")  # near-zero share
    rejected(checks.l1_tradeoff, (0.30, 0.0050), reference=reference)  # a weaker penalty
    rejected(checks.l1_tradeoff, 0.029, reference=reference, says="a pair")
    accepted(capsys, checks.l1_tradeoff, [0.05, 0.02], reference=reference)


# ---- the checks and the notebooks ---------------------------------------------------------------


def test_grading_mode_scores_a_stub_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # set by nbgrader's autograder
    with pytest.raises(ExerciseError, match="not attempted"):
        checks.val_loss_16(None, baseline=0.05)


def test_every_check_is_used_by_a_notebook_and_tested() -> None:
    defined = {name for name, obj in vars(checks).items() if isinstance(obj, ae.exercises._Check)}
    used = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            used |= set(re.findall(r"\bae\.checks\.(\w+)\(", cell.source))
    assert used == defined


def test_every_check_has_its_tests() -> None:
    """Each check has a test function named after it, in a tests/test_checks*.py file."""
    names = {obj.__name__ for obj in vars(checks).values() if isinstance(obj, ae.exercises._Check)}
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_checks*.py"))
    missing = sorted(n for n in names if f"def test_{n}(" not in source)
    assert missing == []
