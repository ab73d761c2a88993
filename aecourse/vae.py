"""The variational autoencoder: model, ELBO, closed-form KL, importance-sampled log-likelihood.

Notebook 07 builds each piece by hand first. The data model is Bernoulli: pixels are
0 or 1 (binarised images) and the decoder gives one logit per pixel, so every number
here is a log-probability in nats, not a scaled MSE.

- :class:`VAE`: a Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))) and a Bernoulli
  decoder p(x|z), with the prior p(z) = N(0, I).
- :func:`reparameterize`, :func:`gaussian_kl`, :func:`bernoulli_log_likelihood`: the
  terms of the ELBO; :func:`elbo_terms` and :func:`elbo` put them together, and
  :func:`elbo_loss` is the objective for :func:`aecourse.fit` (with a weight beta).
- :func:`iwae_bound`: the importance-weighted bound on log p(x), tighter as k grows.
- :func:`active_units`, :func:`nearest_distance`: posterior collapse and sample quality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import _validate
from .losses import Objective
from .models import _check_input, _hidden_sizes, mlp
from .runtime import seed as course_seed

__all__ = [
    "VAE", "reparameterize", "gaussian_kl", "bernoulli_log_likelihood", "elbo_terms", "elbo", "elbo_loss",
    "iwae_bound", "active_units", "nearest_distance",
]

_LOG_2PI = math.log(2 * math.pi)


class VAE(nn.Module):
    """A variational autoencoder with MLP encoder and decoder (notebook 07).

    The encoder maps x (B, D) to the mean and log-variance of q(z|x), each
    (B, latent_dim); the decoder maps a code z to the logits of p(x|z), one per pixel
    (B, D). With ``hidden=(128,)``: D -> 128 -> 2 * latent_dim and latent_dim -> 128 -> D.

    Args:
        input_dim: D, the size of a flattened image.
        latent_dim: size of the code z.
        hidden: sizes of the encoder's hidden layers (the decoder's, reversed).
        activation: non-linearity after each hidden layer.
    """

    def __init__(self, input_dim: int, latent_dim: int, hidden: Sequence[int] = (128,),
                 activation: str = "relu") -> None:
        super().__init__()
        self.input_dim = _validate.positive_int(input_dim, "input_dim")
        self.latent_dim = _validate.positive_int(latent_dim, "latent_dim")
        hidden = _hidden_sizes(hidden)
        self.encoder = mlp([self.input_dim, *hidden, 2 * self.latent_dim], activation)
        self.decoder = mlp([self.latent_dim, *reversed(hidden), self.input_dim], activation)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): x (B, D) -> (mu, logvar), each (B, latent_dim)."""
        _check_input(x, self.input_dim, "x")
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, 2 * latent_dim) -> 2 x (B, latent_dim)
        return mu, logvar

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean, (B, D) -> (B, latent_dim): the code to plot (``ae.encode`` uses it)."""
        return self.posterior(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of p(x|z): z (B, latent_dim) -> (B, D); ``torch.sigmoid`` gives pixel probabilities."""
        _check_input(z, self.latent_dim, "z")
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, D) -> (logits of p(x|z) (B, D), mu, logvar), z one reparameterised draw from q(z|x)."""
        mu, logvar = self.posterior(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
                   ) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I), sigma = exp(logvar / 2) (notebook 07).

    The noise is drawn on the CPU (from ``generator`` when given, so it is reproducible
    on any device) and moved to ``mu``'s device; gradients flow to mu and logvar.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, summed over the code: (B, L) -> (B,).

    Notebook 07: 0.5 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2).
    """
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(f"mu and logvar must both have shape (B, latent_dim), got {tuple(mu.shape)} and "
                         f"{tuple(logvar.shape)}")
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)], p = sigmoid(logits): (..., D) -> (...,).

    Notebook 07. Computed from the logits (stable for any logit); x broadcasts against
    logits, so logits (K, B, D) and x (B, D) give (K, B).
    """
    logits, x = torch.broadcast_tensors(logits, x)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def elbo_terms(model: VAE, x: torch.Tensor, generator: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """The two terms of the negative ELBO, each (B,): reconstruction -log p(x|z) (one draw) and KL (notebook 07)."""
    logits, mu, logvar = model(x, generator)
    return -bernoulli_log_likelihood(logits, x), gaussian_kl(mu, logvar)


def elbo(model: VAE, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The evidence lower bound log p(x|z) - KL(q(z|x) || p(z)), one draw of z per image: (B,) in nats."""
    rec, kl = elbo_terms(model, x, generator)
    return -(rec + kl)


def elbo_loss(beta: float = 1.0, seed: int = 0) -> Objective:
    """Objective for :func:`aecourse.fit`: mean over the batch of -log p(x|z) + beta * KL (notebook 07).

    ``beta = 1`` is the negative ELBO in nats per image. In training mode the noise of
    the reparameterisation comes from the objective's own generator seeded by ``seed``
    (shifted by ``AECOURSE_SEED_OFFSET``); in eval mode (validation inside ``fit``) each
    call draws from a generator seeded afresh, so every epoch is validated on the same noise.
    """
    beta = _validate.nonnegative_float(beta, "beta")
    seed = course_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    val_seed = seed + 1_000_003  # another stream than training's

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        draw = generator if model.training else torch.Generator().manual_seed(val_seed)
        rec, kl = elbo_terms(model, batch[0], draw)
        return (rec + beta * kl).mean()

    return loss_fn


@torch.no_grad()
def iwae_bound(model: VAE, x: torch.Tensor, k: int, generator: torch.Generator | None = None,
               chunk: int = 100) -> torch.Tensor:
    """The importance-weighted bound on log p(x) with k samples from q(z|x): (B,) in nats (notebook 07).

    log (1/k) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x). k = 1 is the ELBO (in
    expectation); it rises towards log p(x) as k grows. Samples are drawn ``chunk`` at a
    time to bound memory, and combined exactly (log-sum-exp).
    """
    k = _validate.positive_int(k, "k")
    chunk = _validate.positive_int(chunk, "chunk")
    mu, logvar = model.posterior(x)  # (B, L) each
    std = torch.exp(0.5 * logvar)
    parts = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype).to(mu.device)  # (n, B, L)
        z = mu + std * eps
        log_q = (-0.5 * (eps**2 + logvar + _LOG_2PI)).sum(-1)  # (n, B)
        log_prior = (-0.5 * (z**2 + _LOG_2PI)).sum(-1)  # (n, B)
        log_px = bernoulli_log_likelihood(model.decode(z.reshape(-1, mu.shape[1])).reshape(n, *x.shape), x)
        parts.append(log_px + log_prior - log_q)  # log importance weights (n, B)
    return torch.logsumexp(torch.cat(parts), dim=0) - math.log(k)


@torch.no_grad()
def active_units(model: VAE, x: torch.Tensor, threshold: float = 0.01) -> int:
    """Code units whose posterior mean varies over the images: Var_x E[z_j|x] > threshold (notebook 07).

    A unit below the threshold says the same thing about every image: it is collapsed
    onto the prior (the criterion of Burda et al., 2015).
    """
    mu = model.encode(x)  # (B, L)
    return int((mu.var(dim=0) > threshold).sum())


def nearest_distance(samples: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Euclidean distance from each sample (N, D) to its nearest row of ``reference`` (M, D): (N,) (notebook 07)."""
    if samples.ndim != 2 or reference.ndim != 2 or samples.shape[1] != reference.shape[1]:
        raise ValueError(f"samples and reference must be (N, D) and (M, D), got {tuple(samples.shape)} and "
                         f"{tuple(reference.shape)}")
    return torch.cdist(samples.float(), reference.float()).min(dim=1).values
