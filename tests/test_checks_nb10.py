"""The exercise checks of notebook 10, fed as a learner would feed them: the stub, plausible
wrong answers (rejected, with the value, the expectation and a hint) and right answers other
than the notebook's solution (accepted)."""

from __future__ import annotations

import copy

import pytest
import torch
from check_support import accepted, not_attempted, rejected
from torch import nn

from aecourse import checks, sae

# ---- exercise 1: TopK --------------------------------------------------------------------------


def test_my_topk(capsys: pytest.CaptureFixture[str]) -> None:
    def no_relu(pre, k):  # noqa: ANN001, ANN202
        values, idx = pre.topk(k, dim=1)
        return torch.zeros_like(pre).scatter(1, idx, values)

    def by_size(pre, k):  # noqa: ANN001, ANN202  # the k largest |values|
        idx = pre.abs().topk(k, dim=1).indices
        return torch.zeros_like(pre).scatter(1, idx, torch.relu(pre.gather(1, idx)))

    def by_threshold(pre, k):  # noqa: ANN001, ANN202  # another right way: compare with the k-th largest
        kth = pre.sort(dim=1, descending=True).values[:, k - 1 : k]
        return torch.where(pre >= kth, torch.relu(pre), torch.zeros_like(pre))

    not_attempted(capsys, checks.my_topk, lambda pre, k: None)
    rejected(checks.my_topk, lambda pre, k: torch.relu(pre), says="non-zero values in a row")  # ReLU only
    rejected(checks.my_topk, no_relu, says="negative values")
    rejected(checks.my_topk, by_size, says="row")
    rejected(checks.my_topk, lambda pre, k: pre.topk(k, dim=1).values, says="shape")  # the values, not the code
    accepted(capsys, checks.my_topk, by_threshold)
    accepted(capsys, checks.my_topk, lambda pre, k: sae.topk_relu(pre.double(), k))  # float64 is fine


# ---- exercise 2: a weaker L1 penalty -------------------------------------------------------------


class _Coder(nn.Module):
    """Codes with ``active`` ones per row, reconstructions x / gamma: a stand-in SAE with a chosen L0 and gamma."""

    def __init__(self, active: int, gamma: float, k: int | None = None) -> None:
        super().__init__()
        self.active, self.gamma, self.k = active, gamma, k

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._x = x
        z = torch.zeros(len(x), 64)
        z[:, : self.active] = 1.0
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self._x / self.gamma


def test_sae_weak(capsys: pytest.CaptureFixture[str]) -> None:
    x = torch.rand(50, 32, generator=torch.Generator().manual_seed(0))
    reference = {"L0": 3.4, "gamma": 1.25}
    not_attempted(capsys, checks.sae_weak, None, x, reference=reference)
    rejected(checks.sae_weak, _Coder(3, 1.25), x, reference=reference, says="L0 3.00")  # the LAMBDA model again
    rejected(checks.sae_weak, _Coder(2, 1.40), x, reference=reference, says="more active")  # 3 * LAMBDA
    rejected(checks.sae_weak, _Coder(50, 1.0), x, reference=reference, says="above 1.02")  # no penalty at all
    rejected(checks.sae_weak, _Coder(3, 1.0, k=3), x, reference=reference, says="TopK")
    rejected(checks.sae_weak, 8.5, x, reference=reference, says="nn.Module")  # a number, not the model
    accepted(capsys, checks.sae_weak, _Coder(8, 1.09), x, reference=reference)
    accepted(capsys, checks.sae_weak, _Coder(6, 1.15), x, reference=reference)  # LAMBDA / 2 would do as well


# ---- exercise 3: resampling dead latents ----------------------------------------------------------


@pytest.fixture
def dead_sae() -> tuple[sae.SparseAutoencoder, torch.Tensor, torch.Tensor]:
    """An SAE holding the true dictionary whose latents 0-3 are switched off, and its data."""
    truth = torch.eye(8)
    model = sae.SparseAutoencoder(8, 8)
    with torch.no_grad():
        model.W_enc.copy_(truth)
        model.W_dec.copy_(truth)
        model.b_enc[:4] = -100.0
    x = sae.sparse_features(500, 0.3, n_features=8, generator=torch.Generator().manual_seed(0)) @ truth
    return model, x, truth


def _revived(model: sae.SparseAutoencoder, latents: list[int]) -> sae.SparseAutoencoder:
    new = copy.deepcopy(model)
    with torch.no_grad():
        new.b_enc[latents] = 0.0
    return new


def test_sae_resampled(capsys: pytest.CaptureFixture[str], dead_sae: tuple) -> None:
    model, x, truth = dead_sae
    not_attempted(capsys, checks.sae_resampled, None, model, x, truth)
    rejected(checks.sae_resampled, model, model, x, truth, says="sae_topk itself")  # resampled in place
    rejected(checks.sae_resampled, copy.deepcopy(model), model, x, truth, says="4 dead latents")  # trained longer
    scrambled = _revived(model, [0, 1, 2, 3])
    with torch.no_grad():
        scrambled.W_dec.copy_(sae.random_directions(8, 8, generator=torch.Generator().manual_seed(1)))
    rejected(checks.sae_resampled, scrambled, model, x, truth, says="MMCS")  # directions lost
    rejected(checks.sae_resampled, sae.SparseAutoencoder(8, 16), model, x, truth, says="another size")
    accepted(capsys, checks.sae_resampled, _revived(model, [0, 1, 2, 3]), model, x, truth)
    accepted(capsys, checks.sae_resampled, _revived(model, [2]), model, x, truth)  # one revived, three still dead
