"""Losses, sparsity penalties, and the objectives that plug into :func:`aecourse.fit`.

An objective is a function ``loss_fn(model, batch) -> scalar tensor``: the one thing
that changes between a classifier, a plain, a denoising and a sparse autoencoder.
Notebook 02 writes the reconstruction loss by hand, notebook 05 the denoising
objective, notebook 06 the KL and L1 penalties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import _validate
from .data import add_gaussian_noise
from .runtime import seed as course_seed

__all__ = [
    "Objective",
    "reconstruction_loss",
    "kl_sparsity",
    "l1_sparsity",
    "reconstruction",
    "classification",
    "regression",
    "denoising",
    "sparse",
]

Objective = Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor]
_RECON_KINDS = ("mse", "bce")


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Mean reconstruction error between x_hat and x, both (B, D).

    ``"mse"`` averages (x - x_hat)^2 over every pixel; ``"bce"`` is binary cross
    entropy, which needs x_hat in (0, 1) (a sigmoid output) and x in [0, 1].
    """
    _validate.one_of(kind, _RECON_KINDS, "kind")
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} and {tuple(x.shape)}")
    if kind == "mse":
        return F.mse_loss(x_hat, x)
    return F.binary_cross_entropy(x_hat, x)


def kl_sparsity(z: torch.Tensor, rho: float = 0.05, eps: float = 1e-6) -> torch.Tensor:
    """sum_j KL(rho || rho_hat_j), rho_hat_j the mean activation of unit j over the batch.

    Args:
        z: (B, latent_dim) codes in [0, 1] (a sigmoid latent layer); codes outside
            [0, 1] (a ReLU or linear latent) are refused, since the KL of a Bernoulli
            mean means nothing there.
        rho: target mean activation, in (0, 1).
        eps: rho_hat is squeezed linearly into [eps, 1 - eps] so the logs never see 0
            (no inf, no NaN); unlike a clamp, this keeps the gradient of a unit whose
            mean is already near 0 or 1, and the result is still a KL (>= 0).
    """
    rho = _validate.fraction(rho, "rho")
    if not isinstance(z, torch.Tensor) or z.ndim != 2:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"z must have shape (B, latent_dim), got {shape}")
    if z.numel() and (z.min() < 0 or z.max() > 1):
        raise ValueError(
            f"z must hold codes in [0, 1] (a sigmoid latent layer), got values in "
            f"[{z.min().item():.3g}, {z.max().item():.3g}]; use l1_sparsity for other codes"
        )
    rho_hat = eps + (1 - 2 * eps) * z.mean(dim=0)  # (latent_dim,), squeezed into [eps, 1 - eps]
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()


def l1_sparsity(z: torch.Tensor) -> torch.Tensor:
    """sum_j |z_j| for each sample, averaged over the batch; z is (B, latent_dim)."""
    if z.ndim != 2:
        raise ValueError(f"z must have shape (B, latent_dim), got {tuple(z.shape)}")
    return z.abs().sum(dim=1).mean()


def reconstruction(kind: str = "mse") -> Objective:
    """Objective of a plain autoencoder: L(x, x_hat) for batches ``(x,)`` or ``(x, y)``."""
    _validate.one_of(kind, _RECON_KINDS, "kind")

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x = batch[0]
        return reconstruction_loss(model(x), x, kind)

    return loss_fn


def classification() -> Objective:
    """Objective of a classifier: cross entropy between logits model(x) and labels y."""

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = _with_labels(batch, "classification")
        return F.cross_entropy(model(x), y)

    return loss_fn


def regression() -> Objective:
    """Objective of a regressor: MSE between model(x) (B, 1) and float targets y (B,)."""

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = _with_labels(batch, "regression")
        return F.mse_loss(model(x).squeeze(-1), y.float())

    return loss_fn


def _with_labels(batch: Sequence[torch.Tensor], objective: str) -> tuple[torch.Tensor, torch.Tensor]:
    if len(batch) < 2:
        raise ValueError(
            f"the {objective} objective needs batches (x, y) with targets, but this loader gives only x: "
            "build it with the labels, e.g. make_loaders(split, labels=True)"
        )
    return batch[0], batch[1]


def denoising(
    noise_std: float, kind: str = "mse", target: str = "clean", seed: int = 0
) -> Objective:
    """Objective of a denoising autoencoder: corrupt x, reconstruct, compare.

    ``target="clean"`` is the denoising loss L(x, x_hat(x~)); ``target="noisy"`` is
    the wrong one, L(x~, x_hat(x~)), kept to show that it teaches the model to copy
    noise. In training mode the noise comes from the objective's own generator seeded
    by ``seed``: fresh for every batch. In eval mode (validation inside ``fit``) each
    call draws from a generator seeded afresh, so every epoch is validated on the same
    noisy images and validating never advances the training noise.
    """
    _validate.nonnegative_float(noise_std, "noise_std")
    _validate.one_of(target, ("clean", "noisy"), "target")
    _validate.one_of(kind, _RECON_KINDS, "kind")
    seed = course_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    val_seed = seed + 1_000_003  # another stream than training's

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x = batch[0]
        draw = generator if model.training else torch.Generator().manual_seed(val_seed)
        x_noisy = add_gaussian_noise(x, noise_std, generator=draw)
        x_hat = model(x_noisy)
        return reconstruction_loss(x_hat, x if target == "clean" else x_noisy, kind)

    return loss_fn


def sparse(
    penalty: str, weight: float, rho: float = 0.05, kind: str = "mse"
) -> Objective:
    """Objective of a sparse autoencoder: L(x, x_hat) + weight * Omega(z).

    ``penalty="kl"`` uses :func:`kl_sparsity` with target ``rho`` (needs a sigmoid
    latent layer); ``penalty="l1"`` uses :func:`l1_sparsity`. The model must have
    ``encode`` and ``decode``.
    """
    _validate.one_of(penalty, ("kl", "l1"), "penalty")
    _validate.nonnegative_float(weight, "weight")
    if penalty == "kl":
        _validate.fraction(rho, "rho")
    _validate.one_of(kind, _RECON_KINDS, "kind")

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        x = batch[0]
        z = model.encode(x)
        omega = kl_sparsity(z, rho) if penalty == "kl" else l1_sparsity(z)
        return reconstruction_loss(model.decode(z), x, kind) + weight * omega

    return loss_fn

