"""The exercise checks of notebooks 00-03: one function per exercise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..exercises import NotAttempted, Wrong, call, exercise, is_stub
from ._common import as_array as _array
from ._common import as_model as _model
from ._common import as_number as _number
from ._common import same_outputs as _same_outputs

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
    from ..data import make_loader
    from ..train import rmse

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
    from ..models import mlp

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
        fitted = PCA(n_components=k, svd_solver="full").fit(a)  # exact: "auto" may pick a randomized SVD
        return fitted.inverse_transform(fitted.transform(b))

    x_fit, x = np.asarray(x_fit, dtype=np.float64), np.asarray(x, dtype=np.float64)  # float32 SVDs differ by 1e-3
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
def lr_schedule(lrs: Any, val_losses: Any, lr: float, epochs: int, reference: Sequence[float]) -> None:
    """Notebook 03, exercise 2: a learning rate that decreases over training (any scheduler that does).

    ``reference`` is the validation loss of the constant-rate run, epoch by epoch: a run
    that trained gets below three quarters of its first epoch's loss.
    """
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
    if not min(losses) < 0.75 * reference[0]:
        raise Wrong(f"a best validation loss of {min(losses):.3f}",
                    f"below {0.75 * reference[0]:.3f}, 3/4 of the constant rate's first epoch: a run that trained")


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
    if abs(np.mean(errors) - single_split_error) > 0.04 + 2 * np.std(errors):  # the folds' own spread, and some
        raise Wrong(f"a mean error of {np.mean(errors):.3f}", f"near the single split's {single_split_error:.3f}")


@exercise("TiedAutoencoder", hint="one nn.Parameter W of shape (latent_dim, input_dim) and two biases; "
          "encode: x @ W.T + b, decode: z @ W + c")
def tied_autoencoder(cls: Any, input_dim: int = 64, latent_dim: int = 4) -> None:
    """Notebook 02, exercise 5: an autoencoder whose decoder uses the encoder's weight, transposed."""
    model = call(cls, input_dim, latent_dim)
    shapes = sorted(tuple(p.shape) for p in model.parameters())
    if not shapes:  # the stub's __init__ makes no parameters yet
        raise NotAttempted
    want = sorted([(latent_dim, input_dim), (latent_dim,), (input_dim,)])
    if shapes != want:
        raise Wrong(f"parameters of shapes {shapes}", f"one weight and two biases, {want}",
                    "tied weights: the decoder has no weight matrix of its own")
    weight = next(p for p in model.parameters() if p.dim() == 2).detach()
    b_enc = next(p for p in model.parameters() if tuple(p.shape) == (latent_dim,)).detach()
    b_dec = next(p for p in model.parameters() if tuple(p.shape) == (input_dim,)).detach()
    x = torch.rand(5, input_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        z = _array(call(model.encode, x))
        if z.shape != (5, latent_dim):
            raise Wrong(f"codes of shape {z.shape} for 5 images", f"shape {(5, latent_dim)}")
        if not np.allclose(z, (x @ weight.T + b_enc).numpy(), atol=1e-5):
            raise Wrong("encode(x) differs from x W^T + b", "a linear code, z = x W^T + b")
        x_hat = _array(call(model.decode, torch.from_numpy(z).float()))
        if not np.allclose(x_hat, (torch.from_numpy(z).float() @ weight + b_dec).numpy(), atol=1e-5):
            raise Wrong("decode(z) differs from z W + c", "the same W, transposed: x' = z W + c")
