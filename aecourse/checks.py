"""The exercise checks of notebooks 00-06: one function per exercise.

A notebook's check cell calls ``ae.checks.<name>(your_answer, ...)``; the extra
arguments are the notebook's own objects the check compares with. How a check
behaves (stub, wrong answer, right answer, the solution's reference run) is
described in :mod:`aecourse.exercises`. Each docstring names its exercise.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .exercises import NotAttempted, Wrong, call, describe, exercise, is_stub


def _number(value: Any, what: str = "a number") -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Wrong(describe(value), what)
    if not np.isfinite(value):
        raise Wrong(describe(value), "a finite number")
    return float(value)


def _array(value: Any, what: str = "an array or a tensor of numbers") -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(describe(value), what) from None
    if not np.all(np.isfinite(array)):
        raise Wrong("it contains NaN or infinity", "finite numbers")
    return array


def _model(value: Any, name: str) -> nn.Module:
    if is_stub(value):
        raise NotAttempted
    if not isinstance(value, nn.Module):
        raise Wrong(f"{name} is {describe(value)}", f"{name} to be the trained model (an nn.Module)")
    return value


def _same_outputs(fn: Callable[..., Any], reference: Callable[..., Any], inputs: Sequence[tuple],
                  atol: float = 1e-4, rtol: float = 1e-3) -> None:
    """``fn(*args)`` equals ``reference(*args)`` for every ``args`` (each run on copies)."""
    for args in inputs:
        want = _array(reference(*copy.deepcopy(args)))
        got = _array(call(fn, *copy.deepcopy(args)), "numbers (an array, a tensor or a number)")
        shapes = ", ".join(str(tuple(np.shape(a))) if hasattr(a, "shape") else repr(a) for a in args)
        if got.shape != want.shape:
            raise Wrong(f"for inputs ({shapes}) an output of shape {got.shape}", f"shape {want.shape}")
        if not np.allclose(got, want, atol=atol, rtol=rtol):
            i = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.shape else ()
            raise Wrong(f"for inputs ({shapes}) output {got[i]:.5g} at {tuple(map(int, i))}", f"{want[i]:.5g}")


@torch.no_grad()
def _mean_code(model: nn.Module, x: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    try:
        return float(model.encode(x).mean())
    finally:
        model.train(was_training)


# ---- 00 course tour ------------------------------------------------------------


@exercise("val_loss_16", hint="ae.Autoencoder(..., latent_dim=16, hidden=(32,)), ae.fit as above; its .best_value")
def val_loss_16(answer: Any, baseline: float) -> None:
    """Notebook 00, exercise 1: the best validation MSE of a 16-number code."""
    value = _number(answer, "a number (the best validation MSE)")
    if not value < 0.7 * baseline:
        raise Wrong(f"{value:.4f}", f"below {0.7 * baseline:.4f} (0.7 x the 2-number code's {baseline:.4f})")


# ---- 01 latent representations ---------------------------------------------------


@exercise("encode_by_hand", hint="h = relu(x @ W1.T + b1) is (B, 32); then z = h @ W2.T + b2")
def encode_by_hand(fn: Callable, model: nn.Module, x: torch.Tensor) -> None:
    """Notebook 01, exercise 1: the encoder computed from its weights."""
    with torch.no_grad():
        _same_outputs(lambda x_: fn(model, x_), model.encode, [(x,), (x[:3],)])


@exercise("W_one, b_one", hint="expand W2 (W1 x + b1) + b2 and collect what multiplies x and what does not")
def one_layer(W_one: Any, b_one: Any, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor) -> None:
    """Notebook 01, exercise 2: two linear layers as one."""
    if is_stub(b_one):
        raise NotAttempted
    W, b = _array(W_one), _array(b_one)
    if W.shape != (W2.shape[0], W1.shape[1]) or b.shape != (W2.shape[0],):
        want = f"{(W2.shape[0], W1.shape[1])} and {(W2.shape[0],)}"
        raise Wrong(f"W_one of shape {W.shape}, b_one of shape {b.shape}", want)
    x = np.random.default_rng(0).normal(size=(50, W1.shape[1]))
    w1, c1, w2, c2 = (t.detach().cpu().double().numpy() for t in (W1, b1, W2, b2))
    want, got = (x @ w1.T + c1) @ w2.T + c2, x @ W.T + b
    if not np.allclose(got, want, atol=1e-4, rtol=1e-4):
        raise Wrong(f"W_one x + b_one is off by up to {np.abs(got - want).max():.3g}", "the two layers' output")


@exercise("rmse_diabetes",
          hint="build model_dia, train it with ae.fit; rmse_diabetes = ae.train.rmse(model_dia, test_loader)")
def rmse_diabetes(answer: Any, model: Any, test: tuple, baseline: float) -> None:
    """Notebook 01, exercise 3: a regression network's test RMSE (test = (x, t) arrays)."""
    from .data import make_loader
    from .train import rmse

    value = _number(answer, "a number (the test RMSE)")
    model = _model(model, "model_dia")
    true = rmse(model, make_loader(*test, batch_size=256))
    if np.isclose(value, true ** 2, rtol=1e-3) and not np.isclose(value, true, rtol=1e-3):
        raise Wrong(f"{value:.4f}, the test MSE of model_dia", f"its RMSE, {true:.4f}", "take the square root")
    if abs(value - true) > 1e-3 * max(true, 1e-3):
        raise Wrong(f"{value:.4f}", f"the test RMSE of model_dia, {true:.4f}",
                    "evaluate on the test part, ae.make_loader(*dia.test), after training")
    if not true < 0.9 * baseline:
        raise Wrong(f"{value:.4f}", f"below {0.9 * baseline:.4f} (0.9 x the baseline {baseline:.4f})",
                    "train it: 20 epochs of ae.fit with lr=1e-3")


# ---- 02 autoencoders ------------------------------------------------------------------


@exercise("squared_error", hint="subtract, square, then sum over the pixel dimension (dim=1) only")
def squared_error(fn: Callable, x_hat: torch.Tensor, x: torch.Tensor) -> None:
    """Notebook 02, exercise 1: the squared error of each image of a batch."""
    def reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.stack([nn.functional.mse_loss(u, v, reduction="sum") for u, v in zip(a, b, strict=True)])

    g = torch.Generator().manual_seed(0)
    small = (torch.rand(3, 10, generator=g), torch.rand(3, 10, generator=g))
    _same_outputs(fn, reference, [(x_hat.detach(), x), small])


@exercise("count_parameters", hint="a layer n_in -> n_out has a (n_out, n_in) weight matrix and an (n_out,) bias")
def count_parameters(fn: Callable, sizes: Sequence[Sequence[int]] = ((64, 4), (64, 32, 4), (784, 256, 32, 2))) -> None:
    """Notebook 02, exercise 2: parameters of an MLP by a formula."""
    from .models import mlp

    def reference(s: list[int]) -> int:
        return sum(p.numel() for p in mlp(s).parameters())

    _same_outputs(fn, reference, [(list(s),) for s in sizes], atol=0, rtol=0)


@exercise("W_new", hint="the first layer now receives A z; which W satisfies W (A z) = W_old z for every z?")
def decoder_weight(W_new: Any, A: torch.Tensor, W_old: torch.Tensor) -> None:
    """Notebook 02, exercise 3: the decoder weight that undoes an invertible map of the code."""
    W, a, w_old = _array(W_new), A.detach().cpu().double().numpy(), W_old.detach().cpu().double().numpy()
    if W.shape != w_old.shape:
        raise Wrong(f"shape {W.shape}", f"shape {w_old.shape}, like W_old")
    if not np.allclose(W @ a, w_old, atol=1e-4, rtol=1e-4):
        raise Wrong(f"W_new A differs from W_old by up to {np.abs(W @ a - w_old).max():.3g}", "W_new A = W_old")


@exercise("pca_reconstruct", hint="rows of Vt from np.linalg.svd are the components; project with (x - mean) @ V @ V.T")
def pca_reconstruct(fn: Callable, x_fit: np.ndarray, x: np.ndarray) -> None:
    """Notebook 02, exercise 4: PCA reconstruction by hand."""
    from sklearn.decomposition import PCA

    def reference(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
        fitted = PCA(n_components=k).fit(a)
        return fitted.inverse_transform(fitted.transform(b))

    _same_outputs(fn, reference, [(x_fit, x, 2), (x_fit, x, 8)])


# ---- 03 training recipe ------------------------------------------------------------


@exercise("val_losses_es", hint="after each epoch, count the epochs since the best val loss; stop when it reaches "
          "PATIENCE, then model_es.load_state_dict(the best epoch's weights)")
def early_stopping(losses: Any, model: Any, val_loss_of: Callable[[nn.Module], float],
                   reference: Sequence[float], patience: int, max_epochs: int = 40) -> None:
    """Notebook 03, exercise 1: early stopping, and the best weights loaded at the end.

    ``reference`` is the validation loss of the same run without stopping (same seed),
    ``val_loss_of(model)`` measures the model handed in.
    """
    values = [_number(v, "a list of numbers") for v in losses]
    model = _model(model, "model_es")
    if not 0 < len(values) <= max_epochs:
        raise Wrong(f"{len(values)} losses", f"between 1 and {max_epochs}")
    n = min(len(values), len(reference))
    if not np.allclose(values[:n], reference[:n], rtol=1e-5, atol=1e-7):
        raise Wrong("losses unlike those of section 6's run", "the same run (seed 0, same loaders, Adam with LR)",
                    "build the model and loaders exactly as in section 6, then train and validate each epoch")
    stop = None
    for epoch in range(1, len(values) + 1):  # the first epoch at which the rule says stop
        since_best = epoch - (int(np.argmin(values[:epoch])) + 1)
        if since_best >= patience or epoch == max_epochs:
            stop = epoch
            break
    if stop is None:
        raise Wrong(f"a stop after epoch {len(values)}, {since_best} epochs after the best",
                    f"training on until the best is {patience} epochs old (or {max_epochs} epochs)")
    if stop != len(values):
        raise Wrong(f"{len(values)} epochs trained", f"a stop after epoch {stop}, {patience} epochs after the best")
    best = min(values)
    now = _number(val_loss_of(model))
    if not np.isclose(now, best, rtol=1e-5, atol=1e-7):
        raise Wrong(f"model_es has validation loss {now:.4f}", f"the best epoch's {best:.4f}",
                    "keep copy.deepcopy(model.state_dict()) of the best epoch and load it after the loop")


@exercise("lrs",
          hint="read optimizer.param_groups[0]['lr'] at the start of each epoch; scheduler.step() once per epoch")
def lr_schedule(lrs: Any, val_losses: Any, lr: float, epochs: int) -> None:
    """Notebook 03, exercise 2: a learning rate that decreases over training (any scheduler that does)."""
    if is_stub(val_losses):
        raise NotAttempted
    rates = [_number(v, "a list of learning rates") for v in lrs]
    losses = [_number(v, "a list of losses") for v in val_losses]
    if len(rates) != epochs or len(losses) != epochs:
        raise Wrong(f"{len(rates)} learning rates and {len(losses)} losses", f"{epochs} of each, one per epoch")
    rises = [i + 1 for i in range(epochs - 1) if rates[i + 1] > rates[i] * (1 + 1e-9)]
    if rises:
        raise Wrong(f"a rate that rises at epoch {rises[0] + 1}", "one that never rises",
                    "a decaying schedule (CosineAnnealingLR, ExponentialLR, StepLR, "
                    "LinearLR(start_factor=1, end_factor<1)), stepped once per epoch")
    if not np.isclose(rates[0], lr, rtol=1e-9):
        raise Wrong(f"a first learning rate of {rates[0]:.4g}", f"LR = {lr:.4g}",
                    "record the rate before the epoch's training, and step the scheduler after it")
    if not rates[-1] < 0.99 * rates[0]:
        raise Wrong("a constant learning rate", "one that is lower at the end than at the start")
    if not min(losses) < 0.3:
        raise Wrong(f"a best validation loss of {min(losses):.3f}", "below 0.3, a run that trained")


@exercise("fold_errors", hint="def fold_error(x_tr, y_tr, x_va, y_va): seed, a new Classifier, loaders, ae.fit, "
          "then 1 - ae.train.accuracy(model, val_loader); fold_errors = [fold_error(...) for tr, va in folds]")
def cross_validation(fold_errors: Any, fold_error: Callable, x: np.ndarray, y: np.ndarray,
                     folds: Sequence[tuple], single_split_error: float) -> None:
    """Notebook 03, exercise 3: a k-fold estimate of the validation error.

    Calls ``fold_error`` twice more: again on the first fold (a fresh, seeded model
    must give the same error) and with the first fold's labels shuffled (a model
    validated on its own validation images must do no better than chance).
    """
    errors = [_number(e, "a list of errors (numbers)") for e in fold_errors]
    if len(errors) != len(folds) or not all(0 <= e <= 1 for e in errors):
        raise Wrong(f"{len(errors)} values", f"{len(folds)} errors between 0 and 1, one per fold")
    if len(set(np.round(errors, 6))) == 1:
        raise Wrong("the same error for every fold", "one error per fold, each validated on its own fold",
                    "for tr, va in folds: train on x_dev[tr], validate on x_dev[va]")
    tr, va = folds[0]
    again = _number(call(fold_error, x[tr], y[tr], x[va], y[va]), "a number (the fold's error)")
    if abs(again - errors[0]) > 1e-6:
        raise Wrong(f"fold_error on the first fold now gives {again:.4f}, fold_errors[0] is {errors[0]:.4f}",
                    "the same value: a fresh model, seeded the same way, on every call")
    shuffled = np.random.default_rng(0).permutation(y[va])
    chance = _number(call(fold_error, x[tr], y[tr], x[va], shuffled))
    if chance < 0.5:
        raise Wrong(f"an error of {chance:.3f} on validation images with shuffled labels",
                    "about 0.9 (chance): the error must be measured on the fold's own images",
                    "validate on x_va, y_va, not on the training folds")
    if abs(np.mean(errors) - single_split_error) > 0.04:
        raise Wrong(f"a mean error of {np.mean(errors):.3f}", f"near the single split's {single_split_error:.3f}")


# ---- 04 visualizing latent spaces --------------------------------------------------------


@exercise("neighbour_overlap",
          hint="drop each point from its own neighbour list, then average len(a & b) / k over points")
def neighbour_overlap(fn: Callable, z: np.ndarray, pictures: dict[str, np.ndarray]) -> None:
    """Notebook 04, exercise 1: the share of k-neighbourhoods a picture keeps."""
    from . import viz

    inputs = [(z, e, k) for e, k in zip(pictures.values(), (10, 5, 3), strict=False)] + [(z, z, 3)]
    _same_outputs(fn, viz.neighbour_overlap, inputs)


@exercise("packing", hint="NearestNeighbors(n_neighbors=2).fit(e).kneighbors(e)[0][:, 1] is each point's nearest "
          "other point; its median, divided by e.std()")
def packing(answer: Any, sweep: dict[float, np.ndarray]) -> None:
    """Notebook 04, exercise 2: how tightly each ``min_dist`` packs the points."""
    from sklearn.neighbors import NearestNeighbors

    if not isinstance(answer, dict) or sorted(answer) != sorted(sweep):
        raise Wrong(describe(answer), f"a dict with the keys {sorted(sweep)}")
    for min_dist, picture in sweep.items():
        nearest = NearestNeighbors(n_neighbors=2).fit(picture).kneighbors(picture)[0][:, 1]
        want, got = float(np.median(nearest) / picture.std()), _number(answer[min_dist])
        if not np.isclose(got, want, rtol=1e-3):
            raise Wrong(f"packing[{min_dist}] = {got:.4g}", f"{want:.4g}")


@exercise("centroids", hint="for each class k, average the rows of z2 where y2 == k: z2[y2 == k].mean(axis=0)")
def centroids(answer: Any, z: np.ndarray, y: np.ndarray) -> None:
    """Notebook 04, exercise 3: the mean 2-D code of each class."""
    got = _array(answer)
    classes = np.unique(y)
    want = np.stack([z[y == k].mean(axis=0) for k in classes])
    if got.shape != want.shape:
        raise Wrong(f"shape {got.shape}", f"shape {want.shape}: one row per class")
    worst = int(np.argmax(np.abs(got - want).max(axis=1)))
    if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise Wrong(f"row {worst} = {np.round(got[worst], 3).tolist()}", f"{np.round(want[worst], 3).tolist()}")


# ---- 05 denoising autoencoders ---------------------------------------------------------


@exercise("mask_pixels", hint="keep = torch.rand(x.shape, generator=generator) >= p; return x * keep")
def mask_pixels(fn: Callable, x: torch.Tensor) -> None:
    """Notebook 05, exercise 1: masking noise, drawn from the generator it is given."""
    lit = x > 0  # only pixels that are not already 0 can show the mask
    for p in (0.25, 0.6):
        m = torch.as_tensor(call(fn, x, p, torch.Generator().manual_seed(0)))
        if m.shape != x.shape:
            raise Wrong(f"an output of shape {tuple(m.shape)}", f"shape {tuple(x.shape)}, like x")
        if not bool(((m == x) | (m == 0)).all()):
            raise Wrong("pixels that are neither kept nor 0", "each pixel kept as it is or set to 0 (no rescaling)")
        share = float(((m == 0) & lit).sum() / lit.sum())
        if abs(share - p) > 0.03:
            raise Wrong(f"{share:.3f} of the pixels set to 0 for p = {p}", f"about {p}")
        again = torch.as_tensor(call(fn, x, p, torch.Generator().manual_seed(0)))
        if not torch.equal(m, again):
            raise Wrong("a different mask from the same seeded generator", "the same mask",
                        "draw the randomness from generator, not from torch's global seed")
    other = torch.as_tensor(call(fn, x, 0.25, torch.Generator().manual_seed(1)))
    if torch.equal(other, torch.as_tensor(call(fn, x, 0.25, torch.Generator().manual_seed(0)))):
        raise Wrong("the same mask from generators seeded 0 and 1", "different masks", "use generator= in torch.rand")


@exercise("best_k", hint="loop k over range(1, max_k + 1), keep the one with the smallest val_error(k)")
def best_k(answer: Any, val_error: Callable[[int], float], max_k: int) -> None:
    """Notebook 05, exercise 2: the number of components of the best PCA denoiser on validation data."""
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)) or not 1 <= answer <= max_k:
        raise Wrong(describe(answer), f"a whole number k from 1 to {max_k}")
    errors = {k: float(val_error(k)) for k in range(1, max_k + 1)}
    best = min(errors, key=errors.get)
    if errors[int(answer)] > errors[best] * (1 + 1e-9):
        raise Wrong(f"k = {int(answer)} (validation error {errors[int(answer)]:.4f})",
                    f"the k with the smallest validation error, {errors[best]:.4f}")


@exercise("dae_05", hint="dae_05, _ = train(ae.losses.denoising(0.5, target='clean', seed=0))")
def dae_05(model: Any, denoise_error: Callable[[nn.Module, float], float], reference: dict[float, float]) -> None:
    """Notebook 05, exercise 3: a denoiser taught at sigma 0.5 against the one taught at 0.3."""
    model = _model(model, "dae_05")
    high, low = denoise_error(model, 0.6), denoise_error(model, 0.1)
    if not high < reference[0.6]:
        raise Wrong(f"error {high:.4f} at sigma 0.6", f"below the sigma-0.3 model's {reference[0.6]:.4f}")
    if not low > reference[0.1]:
        raise Wrong(f"error {low:.4f} at sigma 0.1", f"above the sigma-0.3 model's {reference[0.1]:.4f}: "
                    "a model taught at 0.5 smooths more", "train it at sigma = 0.5, with the clean image as the target")


@exercise("wide_copier", hint="train(ae.losses.denoising(NOISE_STD, target='noisy', seed=0), latent_dim=WIDE, "
          "hidden=(), output_activation=None)")
def wide_copier(model: Any, pass_through: Callable[[nn.Module], float], wide_plain_pass: float) -> None:
    """Notebook 05, exercise 4: the wide linear model trained with the noisy image as its target."""
    model = _model(model, "wide_copier")
    value = _number(pass_through(model))
    if not (value > 0.9 and value > wide_plain_pass):
        raise Wrong(f"a noise pass-through of {value:.3f}",
                    f"above 0.9 and above the wide plain autoencoder's {wide_plain_pass:.3f}")


# ---- 06 sparse autoencoders -------------------------------------------------------------


@exercise("my_sparse_kl",
          hint="z = model.encode(x); x_hat = model.decode(z); ((x_hat - x) ** 2).mean() + BETA * kl_by_hand(z, RHO)")
def my_sparse_kl(fn: Callable, model: nn.Module, batch: tuple, beta: float, rho: float) -> None:
    """Notebook 06, exercise 1: the KL-sparse objective by hand."""
    from .losses import sparse

    reference = sparse("kl", beta, rho=rho)
    with torch.no_grad():
        _same_outputs(fn, reference, [(model, batch), (model, tuple(t[:16] for t in batch))])


@exercise("mean_rho_hat_01", hint="model_rho_01 = train_autoencoder('sigmoid', ae.losses.sparse('kl', BETA, rho=0.1)); "
          "then the mean of its test codes")
def mean_rho_hat_01(answer: Any, model: Any, x: torch.Tensor) -> None:
    """Notebook 06, exercise 2: the mean activation of a KL model trained with rho = 0.1."""
    value = _number(answer)
    model = _model(model, "model_rho_01")
    true = _mean_code(model, x)
    if abs(value - true) > 1e-3:
        raise Wrong(f"{value:.4f}", f"the mean test activation of model_rho_01, {true:.4f}")
    if abs(value - 0.1) >= 0.03:
        raise Wrong(f"{value:.4f}", "within 0.03 of the target 0.1", "train with rho=0.1 and the same BETA")


@exercise("l1_tradeoff",
          hint="a stronger penalty: fewer active values, worse reconstruction; (1 - near-zero share, MSE)")
def l1_tradeoff(answer: Any, reference: tuple[float, float]) -> None:
    """Notebook 06, exercise 3: (active share, test MSE) of the L1 model with 3 x LAMBDA."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong(describe(answer), "a pair (active_share, test_mse)")
    active, mse = _number(answer[0]), _number(answer[1])
    if not 0 <= active <= 1:
        raise Wrong(f"an active share of {active:.3f}", "a share between 0 and 1")
    if not active < reference[0]:
        raise Wrong(f"an active share of {active:.3f}", f"below the LAMBDA model's {reference[0]:.3f}")
    if not mse > reference[1]:
        raise Wrong(f"a test MSE of {mse:.4f}", f"above the LAMBDA model's {reference[1]:.4f}")
