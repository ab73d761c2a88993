"""aecourse.sae (notebook 10) against known answers: toy data, the toy model, the SAE and its measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import aecourse as ae
from aecourse import sae


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- data ------------------------------------------------------------------------------------


def test_random_directions_are_unit_rows_and_follow_the_generator() -> None:
    d = sae.random_directions(64, 32, generator=gen(1))
    assert d.shape == (64, 32)
    assert torch.allclose(d.norm(dim=1), torch.ones(64))
    assert torch.equal(d, sae.random_directions(64, 32, generator=gen(1)))
    assert not torch.equal(d, sae.random_directions(64, 32, generator=gen(2)))


def test_feature_probabilities_decay_and_sum_to_the_mean() -> None:
    p = sae.feature_probabilities(64, 3, decay=0.99)
    assert p.shape == (64,) and math.isclose(float(p.sum()), 3.0, rel_tol=1e-5)
    assert torch.allclose(p[1:] / p[:-1], torch.full((63,), 0.99))
    assert torch.allclose(sae.feature_probabilities(4, 2, decay=1.0), torch.full((4,), 0.5))
    with pytest.raises(ValueError, match="mean_active"):
        sae.feature_probabilities(4, 5, decay=1.0)  # p_i = 1.25
    with pytest.raises(ValueError, match="decay"):
        sae.feature_probabilities(4, 1, decay=1.5)


def test_sparse_features_are_on_with_their_probability() -> None:
    p = torch.tensor([0.0, 0.1, 0.5, 1.0])
    a = sae.sparse_features(40_000, p, generator=gen(0))
    assert a.shape == (40_000, 4) and a.min() >= 0 and a.max() <= 1
    assert np.allclose((a > 0).float().mean(0).numpy(), p.numpy(), atol=0.01)
    assert abs(float(a[:, 3].mean()) - 0.5) < 0.01  # U(0, 1) when on
    b = sae.sparse_features(10, 0.3, n_features=5, generator=gen(0))
    assert b.shape == (10, 5)
    with pytest.raises(ValueError, match="n_features"):
        sae.sparse_features(10, 0.3)
    with pytest.raises(ValueError, match="probabilities"):
        sae.sparse_features(10, [0.5, 1.5])


def test_batches_cover_x_in_order() -> None:
    x = torch.arange(10.0).view(10, 1)
    parts = sae.batches(x, 4)
    assert [len(b[0]) for b in parts] == [4, 4, 2]
    assert torch.equal(torch.cat([b[0] for b in parts]), x)


# ---- the toy model ---------------------------------------------------------------------------


def test_toy_model_is_relu_of_wtw_a_plus_b() -> None:
    torch.manual_seed(0)
    model = sae.ToyModel(5, 2)
    a = torch.rand(7, 5, generator=gen(3))
    W, b = model.W.detach(), model.b.detach()
    assert torch.allclose(model(a), torch.relu(a @ W.T @ W + b))
    assert model.encode(a).shape == (7, 2)
    assert torch.equal(model.feature_directions, W.T)


def test_importance_mse_weights_each_feature() -> None:
    class Zero(torch.nn.Module):
        def forward(self, a: torch.Tensor) -> torch.Tensor:
            return torch.zeros_like(a)

    a = torch.tensor([[1.0, 2.0], [3.0, 0.0]])
    loss = sae.importance_mse([1.0, 0.5])(Zero(), (a,))
    assert math.isclose(float(loss), ((1 + 0.5 * 4) + 9) / 2)


# ---- the SAE ---------------------------------------------------------------------------------


def test_topk_relu_known_answer() -> None:
    pre = torch.tensor([[0.5, -1.0, 2.0, 0.25, 1.5], [-3.0, -1.0, -2.0, 0.5, -0.5]])
    want = torch.tensor([[0.0, 0.0, 2.0, 0.0, 1.5], [0.0, 0.0, 0.0, 0.5, 0.0]])  # negatives in the top k become 0
    assert torch.equal(sae.topk_relu(pre, 2), want)
    assert torch.equal(sae.topk_relu(pre, 5), torch.relu(pre))
    with pytest.raises(ValueError, match="k"):
        sae.topk_relu(pre, 6)


def test_sae_starts_tied_with_unit_directions_and_its_pre_bias() -> None:
    torch.manual_seed(0)
    mean = torch.arange(4.0)
    model = sae.SparseAutoencoder(4, 6, k=2, pre_bias=mean)
    assert torch.equal(model.W_enc, model.W_dec) and torch.equal(model.b_dec.detach(), mean)
    with torch.no_grad():
        model.W_dec.mul_(3.0)  # longer rows do not change the unit directions
    assert torch.allclose(model.directions.norm(dim=1), torch.ones(6))
    x = torch.randn(9, 4, generator=gen(1))
    z = model.encode(x)
    assert z.shape == (9, 6) and ((z != 0).sum(dim=1) <= 2).all() and (z >= 0).all()
    assert torch.allclose(model(x), z @ model.directions + mean)
    with pytest.raises(ValueError, match="pre_bias"):
        sae.SparseAutoencoder(4, 6, pre_bias=torch.zeros(3))
    with pytest.raises(ValueError, match="k must be at most"):
        sae.SparseAutoencoder(4, 6, k=7)


def test_sae_with_the_true_dictionary_reconstructs_exactly() -> None:
    basis = torch.eye(4)  # orthonormal true directions
    model = sae.SparseAutoencoder(4, 4)
    with torch.no_grad():
        model.W_enc.copy_(basis)
        model.W_dec.copy_(basis)
    a = sae.sparse_features(50, 0.4, n_features=4, generator=gen(2))
    x = a @ basis
    assert torch.allclose(model.encode(x), a) and torch.allclose(model(x), x)
    assert sae.shrinkage(x, model(x)) == pytest.approx(1.0) and sae.fvu(x, model(x)) == pytest.approx(0.0, abs=1e-12)


def test_an_sae_trained_with_fit_finds_orthogonal_features() -> None:
    ae.set_seed(0)
    truth = torch.eye(8)
    a = sae.sparse_features(4096, 0.15, n_features=8, generator=gen(5))
    x = a @ truth
    model = sae.SparseAutoencoder(8, 8, pre_bias=x.mean(0))
    ae.fit(model, ae.losses.sparse("l1", 0.01), sae.batches(x, 128), epochs=20, lr=1e-2, device="cpu", progress=False)
    assert sae.mmcs(model.directions, truth) > 0.98


# ---- measures --------------------------------------------------------------------------------


def test_mmcs_known_answers() -> None:
    truth = sae.random_directions(10, 6, generator=gen(0))
    assert sae.mmcs(truth, truth) == pytest.approx(1.0)
    assert sae.mmcs(3 * truth[torch.randperm(10, generator=gen(1))], truth) == pytest.approx(1.0)  # order, length
    assert sae.mmcs(-torch.eye(6), torch.eye(6)) == pytest.approx(0.0)  # a sign is part of a direction
    assert sae.mmcs([[1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(1 / math.sqrt(2))
    assert np.allclose(sae.max_cosine([[1.0, 0.0], [0.6, 0.8]], [[0.0, 2.0], [1.0, 0.0]]), [0.8, 1.0])
    with pytest.raises(ValueError, match="width"):
        sae.mmcs(np.ones((3, 2)), np.ones((3, 4)))


def test_shrinkage_fvu_and_l0_known_answers() -> None:
    x = torch.randn(20, 3, generator=gen(0))
    assert sae.shrinkage(x, x / 2) == pytest.approx(2.0)
    assert sae.shrinkage(x, x) == pytest.approx(1.0)
    assert sae.fvu(x, x.mean(0).expand_as(x)) == pytest.approx(1.0)
    assert sae.fvu(x, 0.5 * x + 0.5 * x.mean(0)) == pytest.approx(0.25)
    assert sae.l0(torch.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        sae.fvu(x, x[:, :2])


def test_dead_latents_finds_the_latent_that_never_fires() -> None:
    torch.manual_seed(0)
    model = sae.SparseAutoencoder(4, 5)
    with torch.no_grad():
        model.W_enc.abs_()  # positive rows: each fires on positive inputs ...
        model.b_enc[[1, 3]] = -100.0  # ... unless its bias keeps it off
    x = torch.rand(300, 4, generator=gen(0))
    assert sae.dead_latents(model, x, batch_size=64).tolist() == [False, True, False, True, False]
    model.train()
    sae.dead_latents(model, x)
    assert model.training  # mode restored


def test_class_share_known_answer() -> None:
    acts = np.array([[1.0, 1.0, 0.0], [3.0, 1.0, 0.0], [0.0, 2.0, 0.0]])
    y = np.array([0, 0, 1])
    # unit 0: all on class 0; unit 1: 2 of 4 on class 0, 2 on class 1; unit 2 never fires: left out
    assert np.allclose(sae.class_share(acts, y, 2), [1.0, 0.5])
    assert np.allclose(sae.class_share(acts, y, 2, min_active=3), [0.5])  # unit 0 is active on 2 samples only
    with pytest.raises(ValueError, match="non-negative"):
        sae.class_share(-acts, y)
