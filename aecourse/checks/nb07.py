"""The exercise checks of notebook 07 (variational autoencoders): one function per exercise."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ..exercises import Wrong, call, exercise
from ._common import as_array as _array
from ._common import same_outputs as _same_outputs


def _kl_reference(mu1: torch.Tensor, logvar1: torch.Tensor, mu2: torch.Tensor, logvar2: torch.Tensor
                  ) -> torch.Tensor:
    """KL(N(mu1, e^logvar1) || N(mu2, e^logvar2)), diagonal, summed over the last axis, from torch.distributions."""
    from torch.distributions import Normal, kl_divergence

    q, p = Normal(mu1.double(), (0.5 * logvar1.double()).exp()), Normal(mu2.double(), (0.5 * logvar2.double()).exp())
    return kl_divergence(q, p).sum(dim=-1)


@exercise("kl_diag", hint="0.5 * sum over the code of (logvar2 - logvar1 + (exp(logvar1) + (mu1 - mu2)**2) "
           "/ exp(logvar2) - 1)")
def kl_diag(fn: Callable) -> None:
    """Notebook 07, exercise 1: the KL divergence between two diagonal Gaussians."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for shape in ((5, 3), (2, 8)):
        mu1, mu2 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        lv1, lv2 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        cases.append((mu1, lv1, mu2, lv2))
    mu, lv = cases[0][0], cases[0][1]
    cases.append((mu, lv, torch.zeros_like(mu), torch.zeros_like(lv)))  # against the prior: gaussian_kl
    cases.append((mu, lv, mu.clone(), lv.clone()))  # a distribution against itself: 0
    _same_outputs(fn, _kl_reference, cases, atol=1e-4, rtol=1e-4)


@exercise("score_baseline", hint="z = mu + torch.randn(n, generator=generator); return (z**2 - (mu**2 + 1)) * (z - mu)")
def score_baseline(fn: Callable) -> None:
    """Notebook 07, exercise 2: the score-function estimator with the baseline E[z^2] = mu^2 + 1."""
    n = 200_000
    for mu in (1.5, -0.5):
        got = _array(call(fn, mu, n, torch.Generator().manual_seed(0)), "a tensor of n gradient estimates")
        if got.shape != (n,):
            raise Wrong(f"an output of shape {got.shape} for n = {n}", f"shape ({n},): one estimate per draw")
        again = _array(call(fn, mu, n, torch.Generator().manual_seed(0)))
        if not np.array_equal(got, again):
            raise Wrong("different estimates from the same seeded generator", "the same estimates",
                        "draw z with generator=generator, not from torch's global seed")
        mean, se = float(got.mean()), float(got.std() / math.sqrt(n))
        if abs(mean - 2 * mu) > 5 * se + 1e-3:
            raise Wrong(f"for mu = {mu} a mean estimate of {mean:.3f}", f"the true gradient 2 * mu = {2 * mu:.3f} "
                        "(the estimator must stay unbiased)", "multiply (f(z) - b) by the score (z - mu)")
        var, exact = float(got.var()), 8 * mu**2 + 10
        if abs(var - exact) > 0.1 * exact:
            raise Wrong(f"for mu = {mu} a variance of {var:.2f}", f"about {exact:.2f}, the exact variance with the "
                        f"baseline b = mu**2 + 1 (without one it is {mu**4 + 14 * mu**2 + 15:.2f})")


class _Constant(nn.Module):
    """A VAE-shaped model whose q(z|x) is the prior and whose p(x|z) ignores z: log p(x) is exact."""

    def __init__(self, logits: torch.Tensor, latent_dim: int) -> None:
        super().__init__()
        self.logits, self.latent_dim = logits, latent_dim

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(len(x), self.latent_dim, device=x.device)
        return zeros, zeros.clone()

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.logits.to(z.device).expand(len(z), -1) + 0 * z.sum(dim=1, keepdim=True)


@exercise("iwae_by_hand", hint="log_w = log p(x|z) + log p(z) - log q(z|x) for k draws (k, B); "
           "then torch.logsumexp(log_w, dim=0) - math.log(k)")
def iwae_by_hand(fn: Callable, model: nn.Module, x: torch.Tensor) -> None:
    """Notebook 07, exercise 3: the importance-weighted bound, compared with ``ae.vae.iwae_bound``."""
    from ..vae import bernoulli_log_likelihood, iwae_bound

    # 1. exact: q(z|x) = p(z) and p(x|z) = p(x), so every weight is p(x) and the bound is log p(x)
    logits = torch.linspace(-2.0, 2.0, x.shape[1])
    constant = _Constant(logits, int(model.posterior(x[:1])[0].shape[1]))
    xs = x[:6].detach().cpu()
    with torch.no_grad():
        exact = bernoulli_log_likelihood(logits.expand(len(xs), -1), xs)
        got = _array(call(fn, constant, xs, 10, torch.Generator().manual_seed(0)), "a tensor, one bound per image")
    if got.shape != (len(xs),):
        raise Wrong(f"an output of shape {got.shape} for {len(xs)} images", f"shape ({len(xs)},): one bound per image")
    gap = float(np.max(np.abs(got - exact.numpy())))
    if gap > 1e-3:
        raise Wrong(f"{gap:.3f} nats away from the exact log p(x) of a model whose q(z|x) is the prior "
                    "(k = 10)", "exactly log p(x)", "average the weights (log-sum-exp, then - log k)")
    # 2. on the notebook's model: the same bound as the package's, up to Monte-Carlo noise
    for k in (10, 100):
        with torch.no_grad():
            mine = _array(call(fn, model, x, k, torch.Generator().manual_seed(1)))
            want = iwae_bound(model, x, k, torch.Generator().manual_seed(2)).cpu().numpy()
        if mine.shape != want.shape:
            raise Wrong(f"an output of shape {mine.shape}", f"shape {want.shape}: one bound per image")
        noise = float((mine - want).std() / math.sqrt(len(want)))  # standard error of the mean difference
        if abs(mine.mean() - want.mean()) > 0.02 + 5 * noise:  # nats, on the mean over the images
            raise Wrong(f"a mean bound of {mine.mean():.2f} nats for k = {k}",
                        f"about {want.mean():.2f} nats (ae.vae.iwae_bound)")
