"""Sparse autoencoders as a microscope: features in superposition and how to read them out (notebook 10).

Toy data whose true features are known (sparse magnitudes along random unit
directions), the toy model of superposition, the sparse autoencoder with an L1 or a
TopK code, and the measures notebook 10 asserts with: mean max cosine similarity to
the true directions, shrinkage, fraction of variance unexplained, L0, dead latents and
how much of a unit's activation falls on one class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _validate
from .losses import Objective

__all__ = [
    "random_directions",
    "feature_probabilities",
    "sparse_features",
    "batches",
    "ToyModel",
    "importance_mse",
    "topk_relu",
    "SparseAutoencoder",
    "max_cosine",
    "mmcs",
    "shrinkage",
    "fvu",
    "l0",
    "dead_latents",
    "class_share",
]


# ---- data whose features are known --------------------------------------------------------


def random_directions(n: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` random unit vectors in ``dim`` dimensions, one per row: (n, dim) (notebook 10)."""
    n, dim = _validate.positive_int(n, "n"), _validate.positive_int(dim, "dim")
    d = torch.randn(n, dim, generator=generator)
    return d / d.norm(dim=1, keepdim=True)


def feature_probabilities(n_features: int, mean_active: float, decay: float = 0.99) -> torch.Tensor:
    """Probabilities p_i proportional to ``decay**i`` that sum to ``mean_active`` (notebook 10).

    Feature i is on in a share p_i of the samples, so a sample has ``mean_active``
    features on, on average; the first features are the most frequent.
    """
    n_features = _validate.positive_int(n_features, "n_features")
    if not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay!r}")
    p = decay ** torch.arange(n_features, dtype=torch.float32)
    p = p * float(mean_active) / p.sum() if mean_active > 0 else p * 0
    if not mean_active > 0 or p.max() > 1:
        raise ValueError(f"mean_active must be positive and small enough that every p_i <= 1, got {mean_active!r}")
    return p


def sparse_features(
    n_samples: int, probabilities: torch.Tensor | float | Sequence[float], n_features: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Feature magnitudes a (n_samples, n_features): feature i is on with probability p_i,
    then uniform in [0, 1], else exactly 0 (notebook 10).

    ``probabilities`` is one p_i per feature, or one number for all ``n_features``.
    """
    n_samples = _validate.positive_int(n_samples, "n_samples")
    p = torch.as_tensor(probabilities, dtype=torch.float32)
    if p.ndim == 0:
        if n_features is None:
            raise ValueError("n_features is needed when probabilities is one number")
        p = p.expand(_validate.positive_int(n_features, "n_features"))
    if p.ndim != 1 or bool((p < 0).any() | (p > 1).any()):
        raise ValueError("probabilities must be one number or a 1-D sequence, each in [0, 1]")
    on = torch.rand(n_samples, len(p), generator=generator) < p  # (N, n_features)
    return torch.rand(n_samples, len(p), generator=generator) * on


def batches(x: torch.Tensor, batch_size: int = 256) -> list[tuple[torch.Tensor]]:
    """``x`` cut into minibatches ``[(x[0:B],), (x[B:2B],), ...]``, an iterable for :func:`aecourse.fit`.

    For i.i.d. synthetic samples a fixed order loses nothing, and slicing is several
    times faster than a DataLoader, which fetches samples one by one (notebook 10).
    """
    batch_size = _validate.positive_int(batch_size, "batch_size")
    return [(b,) for b in torch.as_tensor(x).split(batch_size)]


# ---- the toy model of superposition ---------------------------------------------------------


class ToyModel(nn.Module):
    """Elhage et al.'s toy model: h = W a (hidden_dim numbers), a' = ReLU(W^T h + b) (notebook 10).

    Column i of ``W`` (hidden_dim, n_features) is where feature i is stored;
    :attr:`feature_directions` gives the columns as rows.
    """

    def __init__(self, n_features: int, hidden_dim: int) -> None:
        super().__init__()
        n_features = _validate.positive_int(n_features, "n_features")
        hidden_dim = _validate.positive_int(hidden_dim, "hidden_dim")
        self.W = nn.Parameter(nn.init.xavier_normal_(torch.empty(hidden_dim, n_features)))
        self.b = nn.Parameter(torch.zeros(n_features))

    @property
    def feature_directions(self) -> torch.Tensor:
        """(n_features, hidden_dim): row i is column i of W, where feature i lives."""
        return self.W.detach().T

    def encode(self, a: torch.Tensor) -> torch.Tensor:
        """(B, n_features) -> h (B, hidden_dim)."""
        return a @ self.W.T

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """(B, hidden_dim) -> a' (B, n_features)."""
        return torch.relu(h @ self.W + self.b)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """(B, n_features) -> a' (B, n_features)."""
        return self.decode(self.encode(a))


def importance_mse(importance: torch.Tensor | Sequence[float]) -> Objective:
    """Objective of the toy model: sum_i importance_i (a_i - a'_i)^2, averaged over the batch (notebook 10)."""
    weights = torch.as_tensor(importance, dtype=torch.float32)

    def loss_fn(model: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        a = batch[0]
        return ((model(a) - a) ** 2 * weights.to(a.device)).sum(dim=1).mean()

    return loss_fn


# ---- the sparse autoencoder ---------------------------------------------------------------


def topk_relu(pre: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest pre-activations of each row, ReLU them, set the rest to 0 (notebook 10).

    (B, n_latents) -> (B, n_latents) with at most k non-zero values per row.
    """
    k = _validate.positive_int(k, "k")
    if pre.ndim != 2 or k > pre.shape[1]:
        raise ValueError(f"pre must have shape (B, n_latents) with n_latents >= k = {k}, got {tuple(pre.shape)}")
    values, idx = pre.topk(k, dim=1)  # (B, k)
    return torch.zeros_like(pre).scatter(1, idx, torch.relu(values))


class SparseAutoencoder(nn.Module):
    """A one-layer sparse autoencoder: z = f(W_enc (x - b_dec) + b_enc), x_hat = z D + b_dec (notebook 10).

    The rows of D are the latents' directions, kept at unit length (every forward pass
    divides ``W_dec``'s rows by their norms), so a sparsity penalty cannot be dodged by
    small codes and long directions. ``f`` is a ReLU (train with an L1 penalty) or,
    with ``k``, :func:`topk_relu` (sparsity set by k). Encoder and decoder start tied
    (the same random unit rows) and are trained apart.

    Args:
        input_dim: d, the size of an activation vector x.
        n_latents: the number of latents (dictionary size).
        k: active latents per sample for a TopK code; ``None`` for a ReLU code.
        pre_bias: the starting b_dec, e.g. the data's mean (zeros if not given).
    """

    def __init__(self, input_dim: int, n_latents: int, k: int | None = None,
                 pre_bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.input_dim = _validate.positive_int(input_dim, "input_dim")
        self.latent_dim = _validate.positive_int(n_latents, "n_latents")
        self.k = None if k is None else _validate.positive_int(k, "k")
        if self.k is not None and self.k > self.latent_dim:
            raise ValueError(f"k must be at most n_latents = {n_latents}, got {k}")
        w = random_directions(n_latents, input_dim)  # (n_latents, d), from torch's global generator
        self.W_enc = nn.Parameter(w.clone())
        self.b_enc = nn.Parameter(torch.zeros(n_latents))
        self.W_dec = nn.Parameter(w.clone())
        start = torch.zeros(input_dim) if pre_bias is None else torch.as_tensor(pre_bias, dtype=torch.float32)
        if start.shape != (input_dim,):
            raise ValueError(f"pre_bias must have shape ({input_dim},), got {tuple(start.shape)}")
        self.b_dec = nn.Parameter(start.detach().clone())

    @property
    def directions(self) -> torch.Tensor:
        """The decoder's unit rows D (n_latents, input_dim): what each latent writes."""
        return self.W_dec / self.W_dec.norm(dim=1, keepdim=True)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_dim) -> z (B, n_latents), non-negative and sparse."""
        pre = (x - self.b_dec) @ self.W_enc.T + self.b_enc  # (B, d) -> (B, n_latents)
        return torch.relu(pre) if self.k is None else topk_relu(pre, self.k)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, n_latents) -> x_hat (B, input_dim)."""
        return z @ self.directions + self.b_dec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, input_dim) -> x_hat (B, input_dim)."""
        return self.decode(self.encode(x))


# ---- measures -----------------------------------------------------------------------------


def _rows(a: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a), dtype=torch.float64)
    if t.ndim != 2 or 0 in t.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array, one direction per row, got shape {tuple(t.shape)}")
    return t


def max_cosine(learned: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray) -> np.ndarray:
    """For each true direction (row of ``truth``), its largest cosine with a row of ``learned`` (notebook 10)."""
    learned, truth = _rows(learned, "learned"), _rows(truth, "truth")
    if learned.shape[1] != truth.shape[1]:
        raise ValueError(f"learned and truth must have the same width, got {learned.shape[1]} and {truth.shape[1]}")
    cos = F.normalize(truth, dim=1) @ F.normalize(learned, dim=1).T  # (n_truth, n_learned)
    return cos.max(dim=1).values.numpy()


def mmcs(learned: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray) -> float:
    """Mean max cosine similarity: the mean over true directions of :func:`max_cosine` (notebook 10).

    1 when every true direction is among the learned ones; a signed cosine, so a
    direction found with the wrong sign counts as not found.
    """
    return float(max_cosine(learned, truth).mean())


def _pair(x: torch.Tensor | np.ndarray, x_hat: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, x_hat = (np.asarray(t.detach().cpu() if isinstance(t, torch.Tensor) else t, dtype=np.float64)
                for t in (x, x_hat))
    if x.shape != x_hat.shape or x.ndim != 2:
        raise ValueError(f"x and x_hat must be 2-D arrays of the same shape, got {x.shape} and {x_hat.shape}")
    return x, x_hat


def shrinkage(x: torch.Tensor | np.ndarray, x_hat: torch.Tensor | np.ndarray) -> float:
    """gamma = <x_hat, x> / <x_hat, x_hat>, the scale that best maps x_hat onto x (notebook 10).

    1 when reconstructions have the right size; above 1 when they are too small, the
    mark of an L1 penalty's shrinkage.
    """
    x, x_hat = _pair(x, x_hat)
    return float((x_hat * x).sum() / (x_hat * x_hat).sum())


def fvu(x: torch.Tensor | np.ndarray, x_hat: torch.Tensor | np.ndarray) -> float:
    """Fraction of variance unexplained: sum (x - x_hat)^2 over sum (x - mean x)^2 (notebook 10)."""
    x, x_hat = _pair(x, x_hat)
    return float(((x - x_hat) ** 2).sum() / ((x - x.mean(axis=0)) ** 2).sum())


def l0(z: torch.Tensor | np.ndarray) -> float:
    """Mean number of non-zero values per row of codes z (B, n_latents) (notebook 10)."""
    z = np.asarray(z.detach().cpu() if isinstance(z, torch.Tensor) else z)
    return float((z != 0).sum(axis=1).mean())


@torch.no_grad()
def dead_latents(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> np.ndarray:
    """Boolean mask (n_latents,): the latents of ``model.encode`` that are 0 on every row of x (notebook 10)."""
    was_training = model.training
    model.eval()
    try:
        alive = None
        for (xb,) in batches(x, batch_size):
            fired = (model.encode(xb) > 0).any(dim=0)
            alive = fired if alive is None else alive | fired
    finally:
        model.train(was_training)
    if alive is None:
        raise ValueError("x is empty")
    return (~alive).cpu().numpy()


def class_share(acts: torch.Tensor | np.ndarray, y: np.ndarray, n_classes: int | None = None,
                min_active: int = 1) -> np.ndarray:
    """For each unit active on at least ``min_active`` samples, the share of its total activation
    that falls on its top class (notebook 10).

    ``acts`` is (N, units), non-negative (ReLU neurons or SAE latents); ``y`` (N,) the
    class labels. 1 means the unit fires on one class only; 1 / n_classes means evenly
    on all. Rarer units are left out (a unit active on one sample scores 1 trivially).
    """
    a = np.asarray(acts.detach().cpu() if isinstance(acts, torch.Tensor) else acts, dtype=np.float64)
    y = np.asarray(y)
    if a.ndim != 2 or len(a) != len(y):
        raise ValueError(f"acts must be (N, units) with N = len(y) = {len(y)}, got shape {a.shape}")
    if (a < 0).any():
        raise ValueError("acts must be non-negative (ReLU or SAE activations)")
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    per_class = np.eye(n_classes)[y].T @ a  # (n_classes, units): activation mass per class
    total = per_class.sum(axis=0)
    fires = (total > 0) & ((a > 0).sum(axis=0) >= max(int(min_active), 1))
    return per_class.max(axis=0)[fires] / total[fires]
