"""aecourse.vae: the VAE, its ELBO terms and bounds, against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

import aecourse as ae
from aecourse import vae


@pytest.fixture
def model() -> vae.VAE:
    ae.set_seed(0)
    m = vae.VAE(6, 1, hidden=(16,))
    with torch.no_grad():  # a decoder that depends strongly on z: its posterior is far from q(z|x)
        m.decoder[0].weight.mul_(4.0)
        m.decoder[-1].weight.mul_(4.0)
    return m


@pytest.fixture
def x() -> torch.Tensor:
    return (torch.rand(5, 6, generator=torch.Generator().manual_seed(0)) > 0.5).float()


def test_shapes(model: vae.VAE, x: torch.Tensor) -> None:
    mu, logvar = model.posterior(x)
    assert mu.shape == logvar.shape == (5, 1)
    assert torch.equal(model.encode(x), mu)
    logits, mu2, _ = model(x)
    assert logits.shape == (5, 6) and torch.equal(mu, mu2)
    assert model.decode(torch.zeros(3, 1)).shape == (3, 6)
    assert [m.out_features for m in model.encoder if isinstance(m, torch.nn.Linear)] == [16, 2]
    with pytest.raises(ValueError, match=r"x must have shape \(B, 6\)"):
        model.posterior(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        vae.VAE(6, 0)


def test_gaussian_kl_matches_torch_distributions() -> None:
    g = torch.Generator().manual_seed(1)
    mu, logvar = (torch.randn(7, 4, generator=g, dtype=torch.float64) for _ in range(2))
    want = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(vae.gaussian_kl(mu, logvar), want, rtol=1e-12)
    assert torch.equal(vae.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))  # q = p: 0
    # one dimension by hand: mu = 1, sigma^2 = e: 0.5 * (1 + e - 1 - 1)
    assert vae.gaussian_kl(torch.tensor([[1.0]]), torch.tensor([[1.0]])).item() == pytest.approx(0.5 * (math.e - 1))
    with pytest.raises(ValueError, match="same shape|shape \\(B, latent_dim\\)"):
        vae.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 2))


def test_reparameterize_moments_gradient_and_seed() -> None:
    mu = torch.tensor([0.0, 2.0, -1.0]).expand(200_000, 3).clone().requires_grad_(True)
    logvar = torch.log(torch.tensor([1.0, 4.0, 0.25])).expand(200_000, 3).clone().requires_grad_(True)
    z = vae.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), torch.tensor([0.0, 2.0, -1.0]), atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 2.0, 0.5]), rtol=0.01)
    z.sum().backward()  # dz/dmu = 1, dz/dlogvar = 0.5 * sigma * eps = 0.5 * (z - mu)
    assert torch.equal(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, 0.5 * (z - mu).detach(), atol=1e-6)
    again = vae.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    assert torch.equal(z, again)
    with pytest.raises(ValueError, match="same shape"):
        vae.reparameterize(torch.zeros(2, 3), torch.zeros(3, 2))


def test_bernoulli_log_likelihood_matches_its_formula(x: torch.Tensor) -> None:
    logits = torch.randn(5, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    p = torch.sigmoid(logits).numpy()
    xn = x.double().numpy()
    want = (xn * np.log(p) + (1 - xn) * np.log(1 - p)).sum(1)
    assert np.allclose(vae.bernoulli_log_likelihood(logits, x.double()).numpy(), want, rtol=1e-10)
    stacked = vae.bernoulli_log_likelihood(torch.stack([logits, logits, logits]), x.double())  # (K, B, D), (B, D)
    assert stacked.shape == (3, 5) and np.allclose(stacked[2].numpy(), want)
    huge = torch.full((1, 2), 200.0)  # stable: a sure pixel costs nothing, its opposite 200 nats each
    assert vae.bernoulli_log_likelihood(huge, torch.tensor([[1.0, 0.0]])).item() == pytest.approx(-200.0)


def test_elbo_and_the_objective(model: vae.VAE, x: torch.Tensor) -> None:
    rec, kl = vae.elbo_terms(model, x, torch.Generator().manual_seed(3))
    assert rec.shape == kl.shape == (5,) and (rec > 0).all() and (kl >= 0).all()
    assert torch.allclose(vae.elbo(model, x, torch.Generator().manual_seed(3)), -(rec + kl))
    loss2, loss0 = vae.elbo_loss(beta=2.0), vae.elbo_loss(beta=0.0)
    model.eval()  # eval mode: the same noise at every call
    a, b = loss2(model, (x,)), loss2(model, (x,))
    assert torch.equal(a, b)
    model.train()
    c, d = loss0(model, (x,)), loss0(model, (x,))
    assert not torch.equal(c, d)  # training mode: fresh noise for every batch
    with pytest.raises(ValueError, match="beta must be a finite number >= 0"):
        vae.elbo_loss(beta=-1.0)


def _log_px_by_quadrature(model: vae.VAE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) = log of the integral of p(x|z) N(z; 0, 1) over a 1-D code, on a fine grid."""
    z = torch.linspace(-10, 10, 20_001, dtype=torch.float64)
    with torch.no_grad():
        log_px_z = vae.bernoulli_log_likelihood(model.double().decode(z[:, None])[:, None, :], x.double())  # (Z, B)
    model.float()
    log_prior = -0.5 * (z**2 + math.log(2 * math.pi))
    return torch.logsumexp(log_px_z + log_prior[:, None], dim=0) + math.log(float(z[1] - z[0]))


def test_iwae_bound_is_below_the_exact_log_likelihood_and_tightens(model: vae.VAE, x: torch.Tensor) -> None:
    exact = _log_px_by_quadrature(model, x)
    means = {k: float(torch.stack([vae.iwae_bound(model, x, k, torch.Generator().manual_seed(s))
                                   for s in range(20)]).mean()) for k in (1, 10, 1000)}
    assert means[1] < means[10] < means[1000] <= float(exact.mean()) + 1e-3
    tight = vae.iwae_bound(model, x, 20_000, torch.Generator().manual_seed(0), chunk=5000)
    assert torch.allclose(tight.double(), exact, atol=0.05)  # 20,000 draws: within 0.05 nats
    with torch.no_grad():
        elbo = torch.stack([vae.elbo(model, x, torch.Generator().manual_seed(s)) for s in range(2000)]).mean(0)
    assert torch.allclose(elbo, torch.stack([vae.iwae_bound(model, x, 1, torch.Generator().manual_seed(s))
                                            for s in range(2000)]).mean(0), atol=0.1)  # k = 1 is the ELBO
    with pytest.raises(ValueError, match="k must be a positive int"):
        vae.iwae_bound(model, x, 0)


def test_iwae_bound_is_exact_when_q_is_the_posterior(x: torch.Tensor) -> None:
    ae.set_seed(0)
    m = vae.VAE(6, 2, hidden=(4,))
    with torch.no_grad():  # encoder: q(z|x) = N(0, I) = p(z); decoder ignores z: p(z|x) = p(z) = q
        m.encoder[-1].weight.zero_(), m.encoder[-1].bias.zero_()
        m.decoder[-1].weight.zero_()
    want = vae.bernoulli_log_likelihood(m.decode(torch.zeros(len(x), 2)), x)
    for k in (1, 7, 250):
        assert torch.allclose(vae.iwae_bound(m, x, k, chunk=100), want, atol=1e-5)


def test_active_units_counts_the_units_that_vary(x: torch.Tensor) -> None:
    ae.set_seed(0)
    m = vae.VAE(6, 3, hidden=(8,))
    with torch.no_grad():
        m.encoder[-1].weight[1:3].zero_()  # mu_1 and mu_2 are constant (their biases): collapsed
        m.encoder[-1].weight[0].mul_(20.0)  # mu_0 varies a lot
    assert vae.active_units(m, x) == 1
    assert vae.active_units(m, x, threshold=1e9) == 0


def test_nearest_distance() -> None:
    reference = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    samples = torch.tensor([[0.0, 1.0], [3.0, 4.0], [6.0, 8.0]])
    assert torch.allclose(vae.nearest_distance(samples, reference), torch.tensor([1.0, 0.0, 5.0]))
    with pytest.raises(ValueError, match="must be"):
        vae.nearest_distance(samples, torch.zeros(2, 3))


def test_fit_lowers_the_negative_elbo() -> None:
    x = (torch.rand(64, 6, generator=torch.Generator().manual_seed(4)) > 0.7).float()
    ae.set_seed(0)
    m = vae.VAE(6, 2, hidden=(8,))
    history = ae.fit(m, vae.elbo_loss(), ae.make_loader(x, batch_size=32, shuffle=True), epochs=30, lr=1e-2,
                     device="cpu", progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0] - 0.3
