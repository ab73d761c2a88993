"""The exercise checks of notebook 07, fed as a learner would feed them: the stub, plausible
wrong answers (rejected with the learner's value, what was expected and a hint) and a right
answer other than the notebook's solution (accepted)."""

from __future__ import annotations

import math

import pytest
import torch
from check_support import accepted, not_attempted, rejected
from torch.distributions import Normal

import aecourse as ae
from aecourse import checks

# ---- exercise 1: KL between two diagonal Gaussians --------------------------------------------


def test_kl_diag(capsys: pytest.CaptureFixture[str]) -> None:
    def per_unit(mu1, lv1, mu2, lv2):  # noqa: ANN001, ANN202
        return 0.5 * (lv2 - lv1 + (lv1.exp() + (mu1 - mu2) ** 2) / lv2.exp() - 1)

    not_attempted(capsys, checks.kl_diag, lambda mu1, lv1, mu2, lv2: None)
    rejected(checks.kl_diag, lambda mu1, lv1, mu2, lv2: ae.vae.gaussian_kl(mu1, lv1),
             says="output .* at")  # the KL to N(0, I), whatever the second Gaussian
    rejected(checks.kl_diag, lambda mu1, lv1, mu2, lv2: 2 * per_unit(mu1, lv1, mu2, lv2).sum(-1))  # no 0.5
    rejected(checks.kl_diag, lambda mu1, lv1, mu2, lv2: per_unit(mu2, lv2, mu1, lv1).sum(-1))  # the other direction
    rejected(checks.kl_diag, lambda mu1, lv1, mu2, lv2: per_unit(mu1, lv1, mu2, lv2).mean(-1))  # mean over units
    rejected(checks.kl_diag, lambda mu1, lv1, mu2, lv2: per_unit(mu1, lv1, mu2, lv2), says="shape")  # not summed

    def with_distributions(mu1, lv1, mu2, lv2):  # noqa: ANN001, ANN202
        s1, s2 = torch.exp(0.5 * lv1), torch.exp(0.5 * lv2)
        return (torch.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5).sum(dim=1)

    accepted(capsys, checks.kl_diag, with_distributions)


# ---- exercise 2: the score function with a baseline --------------------------------------------


def _draw(mu: float, n: int, generator: torch.Generator) -> torch.Tensor:
    return mu + torch.randn(n, generator=generator, dtype=torch.float64)


def test_score_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    not_attempted(capsys, checks.score_baseline, lambda mu, n, generator: None)
    rejected(checks.score_baseline, lambda mu, n, g: (lambda z: z**2 * (z - mu))(_draw(mu, n, g)),
             says="variance of 51")  # no baseline
    rejected(checks.score_baseline, lambda mu, n, g: 2 * _draw(mu, n, g), says="variance of 4")  # the pathwise one
    rejected(checks.score_baseline, lambda mu, n, g: (lambda z: (z**2 - mu**2) * (z - mu))(_draw(mu, n, g)),
             says="variance")  # b = mu**2, not E[z^2]
    rejected(checks.score_baseline, lambda mu, n, g: (lambda z: z**2 * (z - mu) - (mu**2 + 1))(_draw(mu, n, g)),
             says="mean estimate")  # the baseline subtracted outside: biased
    rejected(checks.score_baseline, lambda mu, n, g: (lambda z: (z**2 - mu**2 - 1) * (z - mu))(mu + torch.randn(n)),
             says="same seeded generator")  # torch's global generator
    rejected(checks.score_baseline, lambda mu, n, g: (lambda z: (z**2 - mu**2 - 1) * (z - mu))(_draw(mu, 2 * n, g)),
             says="shape")

    def with_normal(mu, n, generator):  # noqa: ANN001, ANN202
        z = torch.normal(float(mu), 1.0, size=(n,), generator=generator)
        baseline = float(mu) ** 2 + 1.0
        return ((z - mu) * (z * z - baseline)).numpy()  # a NumPy array is fine too

    accepted(capsys, checks.score_baseline, with_normal)


# ---- exercise 3: the importance-weighted bound ---------------------------------------------------


@pytest.fixture
def model_and_x() -> tuple[ae.VAE, torch.Tensor]:
    ae.set_seed(0)
    model = ae.VAE(12, 3, hidden=(16,))
    with torch.no_grad():  # a sharp q(z|x) far from the prior: the bound, the ELBO and log p(x|z) differ
        model.encoder[-1].weight[:3].mul_(10.0)  # mu depends strongly on x
        model.encoder[-1].weight[3:].zero_()
        model.encoder[-1].bias[3:].fill_(-2.0)  # logvar = -2 for every image
    x = (torch.rand(100, 12, generator=torch.Generator().manual_seed(1)) > 0.6).float()
    return model.eval(), x


def _log_weights(model, x, k, generator, prior_ratio=True):  # noqa: ANN001, ANN202
    mu, logvar = model.posterior(x)
    eps = torch.randn((k, *mu.shape), generator=generator)
    z = mu + torch.exp(0.5 * logvar) * eps
    log_px = ae.vae.bernoulli_log_likelihood(model.decode(z.reshape(-1, mu.shape[1])).reshape(k, *x.shape), x)
    if not prior_ratio:
        return log_px
    q = Normal(mu, torch.exp(0.5 * logvar))
    return log_px + Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)  # (k, B)


def test_iwae_by_hand(capsys: pytest.CaptureFixture[str], model_and_x: tuple[ae.VAE, torch.Tensor]) -> None:
    model, x = model_and_x
    not_attempted(capsys, checks.iwae_by_hand, lambda m, x, k, g: None, model, x)
    rejected(checks.iwae_by_hand, lambda m, x, k, g: torch.logsumexp(_log_weights(m, x, k, g), 0), model, x,
             says="away from the exact log p")  # no - log k
    rejected(checks.iwae_by_hand, lambda m, x, k, g: _log_weights(m, x, k, g).mean(0), model, x,
             says="mean bound")  # the mean of the log-weights: the ELBO, not the bound
    rejected(checks.iwae_by_hand, lambda m, x, k, g: torch.logsumexp(_log_weights(m, x, k, g, False), 0) - math.log(k),
             model, x, says="mean bound")  # log p(x|z) alone, without p(z) / q(z|x)
    rejected(checks.iwae_by_hand, lambda m, x, k, g: torch.logsumexp(_log_weights(m, x, k, g), 1) - math.log(k),
             model, x, says="shape")  # averaged over the images instead of the samples
    accepted(capsys, checks.iwae_by_hand,
             lambda m, x, k, g: torch.logsumexp(_log_weights(m, x, k, g), 0) - math.log(k), model, x)
