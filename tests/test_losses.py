"""aecourse.losses: reconstruction and sparsity terms, and the objectives for fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import rel_entr

import aecourse as ae
from aecourse import losses


@pytest.fixture
def batch() -> torch.Tensor:
    return torch.rand(16, 12, generator=torch.Generator().manual_seed(0))


# ---- reconstruction_loss ------------------------------------------------------


def test_mse_matches_numpy(batch: torch.Tensor) -> None:
    x_hat = torch.rand(16, 12, generator=torch.Generator().manual_seed(1))
    want = np.mean((x_hat.numpy().astype(np.float64) - batch.numpy()) ** 2)
    assert ae.reconstruction_loss(x_hat, batch).item() == pytest.approx(want, rel=1e-6)
    assert ae.reconstruction_loss(batch, batch, "mse").item() == 0.0


def test_bce_matches_its_formula(batch: torch.Tensor) -> None:
    p = torch.rand(16, 12, generator=torch.Generator().manual_seed(2)).clamp(0.01, 0.99).numpy().astype(np.float64)
    x = batch.numpy().astype(np.float64)
    want = -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p))
    got = ae.reconstruction_loss(torch.from_numpy(p).float(), batch, kind="bce").item()
    assert got == pytest.approx(want, rel=1e-5)


def test_reconstruction_loss_errors(batch: torch.Tensor) -> None:
    with pytest.raises(ValueError, match=r"kind must be one of \('mse', 'bce'\), got 'l2'"):
        ae.reconstruction_loss(batch, batch, "l2")
    with pytest.raises(ValueError, match=r"x_hat and x must have the same shape, got \(16, 11\) and \(16, 12\)"):
        ae.reconstruction_loss(batch[:, :11], batch)
    with pytest.raises(ValueError, match="same shape"):
        ae.reconstruction_loss(batch.reshape(16, 3, 4), batch)  # no silent broadcasting


# ---- sparsity terms -----------------------------------------------------------


def _kl_oracle(z: np.ndarray, rho: float) -> float:
    """sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j)), from scipy's relative entropy."""
    rho_hat = z.astype(np.float64).mean(axis=0)
    return float(np.sum(rel_entr(rho, rho_hat) + rel_entr(1 - rho, 1 - rho_hat)))


@pytest.mark.parametrize("rho", [0.05, 0.2, 0.5, 0.9])
def test_kl_sparsity_matches_scipy(rho: float) -> None:
    gen = torch.Generator().manual_seed(3)
    z = torch.sigmoid(3 * torch.randn(64, 10, generator=gen) - 1)
    got = ae.kl_sparsity(z, rho=rho).item()
    want = _kl_oracle(z.numpy(), rho)
    assert got == pytest.approx(want, rel=1e-4)
    assert want > 0.01  # the oracle is not trivially zero here
    # an explicit Bernoulli KL, written out for one unit, agrees too
    r = float(z[:, 0].double().mean())
    explicit = rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))
    assert ae.kl_sparsity(z[:, :1], rho=rho).item() == pytest.approx(explicit, rel=1e-4)


def test_kl_sparsity_zero_at_target_and_penalizes_both_sides() -> None:
    z = torch.full((8, 5), 0.05)
    assert ae.kl_sparsity(z, rho=0.05).item() == pytest.approx(0.0, abs=1e-6)
    lower = ae.kl_sparsity(torch.full((8, 5), 0.01), rho=0.05).item()
    higher = ae.kl_sparsity(torch.full((8, 5), 0.3), rho=0.05).item()
    assert lower > 0 and higher > lower  # asymmetric, larger for over-active units
    five_units = 5 * _kl_oracle(np.full((8, 1), 0.3), 0.05)
    assert ae.kl_sparsity(torch.full((8, 5), 0.3), rho=0.05).item() == pytest.approx(five_units, rel=1e-4)


def test_kl_sparsity_is_finite_at_0_and_1() -> None:
    for value in (0.0, 1.0):
        z = torch.full((4, 3), value, requires_grad=True)
        kl = ae.kl_sparsity(z, rho=0.1)
        kl.backward()
        assert torch.isfinite(kl) and kl.item() > 1.0
        assert torch.isfinite(z.grad).all()
    eps = 1e-6
    want = 3 * (0.1 * np.log(0.1 / eps) + 0.9 * np.log(0.9 / (1 - eps)))
    assert ae.kl_sparsity(torch.zeros(4, 3), rho=0.1).item() == pytest.approx(want, rel=1e-4)


@pytest.mark.parametrize("rho", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_kl_sparsity_rejects_rho_outside_0_1(rho: float) -> None:
    with pytest.raises(ValueError, match="rho must be in \\(0, 1\\)"):
        ae.kl_sparsity(torch.rand(4, 3), rho=rho)
    with pytest.raises(ValueError, match="rho must be in \\(0, 1\\)"):
        losses.sparse("kl", weight=1.0, rho=rho)


def test_sparsity_terms_reject_wrong_shapes() -> None:
    with pytest.raises(ValueError, match=r"z must have shape \(B, latent_dim\), got \(5,\)"):
        ae.kl_sparsity(torch.rand(5))
    with pytest.raises(ValueError, match=r"z must have shape \(B, latent_dim\), got \(2, 3, 4\)"):
        ae.l1_sparsity(torch.rand(2, 3, 4))


def test_l1_sparsity() -> None:
    z = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, -3.0]])
    assert ae.l1_sparsity(z).item() == pytest.approx((3.0 + 4.0) / 2)
    z = torch.randn(32, 7, generator=torch.Generator().manual_seed(4))
    assert ae.l1_sparsity(z).item() == pytest.approx(np.abs(z.numpy()).sum(axis=1).mean(), rel=1e-6)


# ---- objectives ---------------------------------------------------------------


def test_reconstruction_objective(batch: torch.Tensor) -> None:
    model = ae.Autoencoder(12, 3)
    for kind in ("mse", "bce"):
        loss_fn = losses.reconstruction(kind)
        want = ae.reconstruction_loss(model(batch), batch, kind)
        assert torch.equal(loss_fn(model, (batch,)), want)
        assert torch.equal(loss_fn(model, (batch, torch.zeros(16, dtype=torch.long))), want)  # labels ignored
    with pytest.raises(ValueError, match="kind must be one of"):
        losses.reconstruction("mae")


def test_classification_and_regression_objectives(batch: torch.Tensor) -> None:
    y = torch.arange(16) % 4
    net = ae.BottleneckNet(12, 2, 4)
    assert torch.equal(losses.classification()(net, (batch, y)), F.cross_entropy(net(batch), y))
    reg = ae.BottleneckNet(12, 2, 1)
    target = torch.linspace(-1, 1, 16)
    want = ((reg(batch)[:, 0] - target) ** 2).mean()
    torch.testing.assert_close(losses.regression()(reg, (batch, target)), want)
    # integer targets are converted to float, and (B, 1) output is not broadcast against (B,)
    got = losses.regression()(reg, (batch, y))
    torch.testing.assert_close(got, ((reg(batch)[:, 0] - y.float()) ** 2).mean())


def test_denoising_objective(batch: torch.Tensor) -> None:
    model = ae.Autoencoder(12, 3)
    gen = torch.Generator().manual_seed(5)
    first = ae.add_gaussian_noise(batch, 0.3, generator=gen)
    second = ae.add_gaussian_noise(batch, 0.3, generator=gen)
    clean = losses.denoising(0.3, seed=5)
    torch.testing.assert_close(clean(model, (batch,)), F.mse_loss(model(first), batch))  # L(x, x_hat(x~))
    torch.testing.assert_close(clean(model, (batch,)), F.mse_loss(model(second), batch))  # fresh noise each call
    noisy = losses.denoising(0.3, target="noisy", seed=5)
    torch.testing.assert_close(noisy(model, (batch,)), F.mse_loss(model(first), first))  # L(x~, x_hat(x~))
    bce = losses.denoising(0.3, kind="bce", seed=5)
    torch.testing.assert_close(bce(model, (batch,)), F.binary_cross_entropy(model(first), batch))
    # the same seed gives the same sequence of losses; zero noise is the plain objective
    assert losses.denoising(0.3, seed=5)(model, (batch,)) == losses.denoising(0.3, seed=5)(model, (batch,))
    assert torch.equal(losses.denoising(0.0)(model, (batch,)), losses.reconstruction()(model, (batch,)))


def test_denoising_validation_noise_is_fixed_and_leaves_training_noise_alone(batch: torch.Tensor) -> None:
    """In eval mode each call sees the same noisy images, and validating never advances the training noise."""
    model = ae.Autoencoder(12, 3)
    loader = ae.make_loader(batch.numpy(), batch_size=5)
    objective, twin = losses.denoising(0.3, seed=5), losses.denoising(0.3, seed=5)
    first = ae.evaluate(model, objective, loader)
    assert ae.evaluate(model, objective, loader) == first  # the same value on every call
    assert first != ae.evaluate(model, losses.reconstruction(), loader)  # and noise was added
    model.train()
    assert torch.equal(objective(model, (batch,)), twin(model, (batch,)))  # as if never validated


def test_denoising_objective_errors() -> None:
    with pytest.raises(ValueError, match="noise_std must be a finite number >= 0, got -0.1"):
        losses.denoising(-0.1)
    for bad in ("0.1", float("nan"), True):
        with pytest.raises(ValueError, match="noise_std must be a finite number >= 0"):
            losses.denoising(bad)  # type: ignore[arg-type]
    losses.denoising(np.float32(0.1))  # NumPy numbers are numbers
    with pytest.raises(ValueError, match=r"target must be one of \('clean', 'noisy'\), got 'both'"):
        losses.denoising(0.1, target="both")
    with pytest.raises(ValueError, match="kind must be one of"):
        losses.denoising(0.1, kind="l1")


def test_sparse_objective(batch: torch.Tensor) -> None:
    model = ae.Autoencoder(12, 6, latent_activation="sigmoid")
    z = model.encode(batch)
    recon = F.mse_loss(model.decode(z), batch)
    kl = losses.sparse("kl", weight=0.5, rho=0.1)(model, (batch,))
    torch.testing.assert_close(kl, recon + 0.5 * _kl_oracle(z.detach().numpy(), 0.1) * torch.ones(()))
    l1 = losses.sparse("l1", weight=0.01)(model, (batch,))
    torch.testing.assert_close(l1, recon + 0.01 * z.abs().sum(dim=1).mean())
    assert torch.equal(losses.sparse("l1", weight=0)(model, (batch,)), recon)
    bce = losses.sparse("l1", weight=0.01, kind="bce")(model, (batch,))
    torch.testing.assert_close(bce, F.binary_cross_entropy(model.decode(z), batch) + 0.01 * ae.l1_sparsity(z))


def test_sparse_objective_errors() -> None:
    with pytest.raises(ValueError, match=r"penalty must be one of \('kl', 'l1'\), got 'l2'"):
        losses.sparse("l2", weight=1.0)
    with pytest.raises(ValueError, match="weight must be a finite number >= 0, got -1"):
        losses.sparse("l1", weight=-1)
    with pytest.raises(ValueError, match="kind must be one of"):
        losses.sparse("l1", weight=1.0, kind="ce")
    losses.sparse("l1", weight=1.0, rho=5.0)  # rho only matters for the KL penalty
