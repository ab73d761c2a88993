"""The exercise checks of notebooks 04-06: one function per exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..exercises import Wrong, call, describe, exercise
from ._common import as_array as _array
from ._common import as_model as _model
from ._common import as_number as _number
from ._common import mean_code as _mean_code
from ._common import same_outputs as _same_outputs

# ---- 04 visualizing latent spaces --------------------------------------------------------


@exercise("neighbour_overlap",
          hint="drop each point from its own neighbour list, then average len(a & b) / k over points")
def neighbour_overlap(fn: Callable, z: np.ndarray, pictures: dict[str, np.ndarray]) -> None:
    """Notebook 04, exercise 1: the share of k-neighbourhoods a picture keeps."""
    from .. import viz

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


@exercise("wide_copier", hint="train_wide(ae.losses.denoising(NOISE_STD, target='noisy', seed=0))")
def wide_copier(model: Any, pass_through: Callable[[nn.Module], float], wide_plain_pass: float) -> None:
    """Notebook 05, exercise 4: the wide linear model trained with the noisy image as its target.

    It must copy clearly more of the noise than the wide plain model (by 0.05 of it: on the
    digits 1.00 against 0.88, on MNIST after 4 epochs about 0.32 against 0.19).
    """
    model = _model(model, "wide_copier")
    value = _number(pass_through(model))
    if not value > wide_plain_pass + 0.05:
        raise Wrong(f"a noise pass-through of {value:.3f}",
                    f"clearly above the wide plain autoencoder's {wide_plain_pass:.3f} (by 0.05)")


# ---- 06 sparse autoencoders -------------------------------------------------------------


@exercise("my_sparse_kl",
          hint="z = model.encode(x); x_hat = model.decode(z); ((x_hat - x) ** 2).mean() + BETA * kl_by_hand(z, RHO)")
def my_sparse_kl(fn: Callable, model: nn.Module, batch: tuple, beta: float, rho: float) -> None:
    """Notebook 06, exercise 1: the KL-sparse objective by hand."""
    from ..losses import sparse

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
