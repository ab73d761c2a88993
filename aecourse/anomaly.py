"""Anomaly scores, a threshold from normal data, per-class precision and recall, and
retrieval by nearest codes (notebook 09).

Every score follows one convention: **higher means more anomalous**. Every detector
here is fitted on normal data only (``x_train``) and scores other data
(``x_test``); none of them sees an anomaly before it is scored. Notebook 09 writes
the autoencoder's score, the k-nearest-neighbour distance, the threshold and the
precision and recall by hand first.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from . import _validate
from .runtime import resolve_device
from .runtime import seed as course_seed

__all__ = [
    "BASELINES",
    "reconstruction_error",
    "pca_error",
    "knn_distance",
    "baseline_scores",
    "detection_scores",
    "rank",
    "threshold",
    "class_report",
    "nearest",
    "label_agreement",
]

BASELINES = ("PCA", "kNN", "IsolationForest", "LOF", "OCSVM")


def _matrix(x: object, name: str) -> np.ndarray:
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array, got shape {array.shape}")
    return array.astype(np.float32, copy=False)


@torch.no_grad()
def reconstruction_error(
    model: nn.Module, x: np.ndarray | torch.Tensor, device: torch.device | str | None = None
) -> np.ndarray:
    """Per-sample mean squared error ``mean_j (x_hat_ij - x_ij)^2`` of an autoencoder, (N,) (notebook 09).

    Runs in eval mode without gradients on ``device`` (default: the model's device)
    and restores the model's train/eval mode.
    """
    x = torch.from_numpy(_matrix(x, "x"))
    param = next(model.parameters(), None)
    device = resolve_device(device) if device is not None else (param.device if param is not None else "cpu")
    was_training = model.training
    model.eval()
    try:
        x = x.to(device)
        x_hat = model(x)  # (N, D) -> (N, D)
    finally:
        model.train(was_training)
    return ((x_hat - x) ** 2).mean(dim=1).cpu().numpy()  # (N, D) -> (N,)


def pca_error(x_train: np.ndarray, x_test: np.ndarray, n_components: int, seed: int = 0) -> np.ndarray:
    """Per-sample squared error of ``x_test`` projected on the top ``n_components`` of ``x_train``, (N,) (09).

    The linear twin of the autoencoder's score: PCA with the same code size.
    """
    from sklearn.decomposition import PCA

    x_train, x_test = _matrix(x_train, "x_train"), _matrix(x_test, "x_test")
    pca = PCA(_validate.positive_int(n_components, "n_components"), random_state=course_seed(seed)).fit(x_train)
    x_hat = pca.inverse_transform(pca.transform(x_test))
    return ((x_hat - x_test) ** 2).mean(axis=1)


def knn_distance(x_train: np.ndarray, x_test: np.ndarray, k: int = 5) -> np.ndarray:
    """Mean Euclidean distance of each test sample to its ``k`` nearest training samples, (N,) (notebook 09)."""
    from sklearn.neighbors import NearestNeighbors

    x_train, x_test = _matrix(x_train, "x_train"), _matrix(x_test, "x_test")
    k = _validate.positive_int(k, "k")
    distances, _ = NearestNeighbors(n_neighbors=k).fit(x_train).kneighbors(x_test)  # (N, k)
    return distances.mean(axis=1)


def baseline_scores(
    x_train: np.ndarray, x_test: np.ndarray, n_components: int = 8, k: int = 5, seed: int = 0
) -> dict[str, np.ndarray]:
    """The scores of the five baselines in :data:`BASELINES`, fitted on normal ``x_train`` (notebook 09).

    PCA reconstruction error (``n_components``), mean distance to the ``k`` nearest
    training samples, and scikit-learn's IsolationForest, LocalOutlierFactor
    (``novelty=True``, 20 neighbours) and OneClassSVM (RBF, ``gamma="scale"``,
    ``nu=0.1``), all at their default settings: there are no anomalies to tune them
    on. Each score is (N,), higher = more anomalous (scikit-learn's ``score_samples``
    is the opposite, so it is negated).
    """
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.svm import OneClassSVM

    x_train, x_test = _matrix(x_train, "x_train"), _matrix(x_test, "x_test")
    forest = IsolationForest(random_state=course_seed(seed)).fit(x_train)
    lof = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(x_train)
    svm = OneClassSVM(gamma="scale", nu=0.1).fit(x_train)
    return {
        "PCA": pca_error(x_train, x_test, n_components, seed),
        "kNN": knn_distance(x_train, x_test, k),
        "IsolationForest": -forest.score_samples(x_test),
        "LOF": -lof.score_samples(x_test),
        "OCSVM": -svm.score_samples(x_test),
    }


def _labels(is_anomaly: object) -> np.ndarray:
    labels = np.asarray(is_anomaly)
    if labels.ndim != 1 or not np.isin(labels, (0, 1)).all():
        raise ValueError("is_anomaly must be a 1-D array of 0/1 (or False/True), one per sample")
    return labels.astype(bool)


def detection_scores(is_anomaly: np.ndarray, scores: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """ROC AUC and average precision of each score, ``{name: {"auc": ..., "ap": ...}}`` (notebook 09).

    Both are threshold-free. ROC AUC is the chance that a random anomaly scores above a
    random normal sample (0.5 = guessing); average precision summarises the
    anomaly class's precision-recall curve, and a guess scores the anomaly share.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = _labels(is_anomaly)
    if labels.all() or not labels.any():
        raise ValueError("is_anomaly must contain both normal samples (0) and anomalies (1)")
    table = {}
    for name, score in scores.items():
        score = np.asarray(score, dtype=np.float64)
        if score.shape != labels.shape:
            raise ValueError(f"scores[{name!r}] must have shape {labels.shape}, got {score.shape}")
        table[name] = {"auc": float(roc_auc_score(labels, score)), "ap": float(average_precision_score(labels, score))}
    return table


def rank(table: Mapping[str, Mapping[str, float]], name: str, metric: str = "auc") -> int:
    """The place of ``name`` when the rows of ``table`` are sorted by ``metric``, best first (1 = best)."""
    if name not in table:
        raise ValueError(f"name must be one of {sorted(table)}, got {name!r}")
    return 1 + sum(row[metric] > table[name][metric] for row in table.values())


def threshold(normal_scores: np.ndarray, quantile: float = 0.95) -> float:
    """The ``quantile`` of scores of held-out *normal* samples: flag what scores above it (notebook 09).

    Chosen without a single anomaly: about ``1 - quantile`` of normal data is flagged
    (the false-alarm rate one accepts).
    """
    scores = np.asarray(normal_scores, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"normal_scores must be a non-empty 1-D array, got shape {scores.shape}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile}")
    return float(np.quantile(scores, quantile))


def class_report(is_anomaly: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """Precision and recall of each class and the accuracy of a 0/1 decision (notebook 09).

    Keys: ``anomaly_precision``, ``anomaly_recall`` (of the flagged samples, the share
    that are anomalies; of the anomalies, the share flagged), ``normal_precision``,
    ``normal_recall`` (the same for the samples not flagged), ``accuracy``, and
    ``all_normal_accuracy``, the accuracy of flagging nothing. A precision with
    nothing to divide by (nothing flagged, or everything) is 0.
    """
    labels, flagged = _labels(is_anomaly), _labels(flagged)
    if labels.shape != flagged.shape:
        raise ValueError(f"flagged must have shape {labels.shape}, got {flagged.shape}")

    def share(hits: np.ndarray, of: np.ndarray) -> float:
        return float(hits.sum() / of.sum()) if of.any() else 0.0

    return {
        "anomaly_precision": share(labels & flagged, flagged),
        "anomaly_recall": share(labels & flagged, labels),
        "normal_precision": share(~labels & ~flagged, ~flagged),
        "normal_recall": share(~labels & ~flagged, ~labels),
        "accuracy": float((labels == flagged).mean()),
        "all_normal_accuracy": float((~labels).mean()),
    }


def nearest(z_database: np.ndarray, z_query: np.ndarray, k: int = 5) -> np.ndarray:
    """Indices (N_query, k) of the ``k`` database rows nearest to each query row, nearest first (notebook 09).

    Euclidean distance; use codes ``z`` for retrieval by codes, pixels for the baseline.
    Queries and database should be different images (a query finds itself otherwise).
    """
    from sklearn.neighbors import NearestNeighbors

    z_database, z_query = _matrix(z_database, "z_database"), _matrix(z_query, "z_query")
    if z_database.shape[1] != z_query.shape[1]:
        raise ValueError(f"z_database and z_query must have the same width, got {z_database.shape[1]} "
                         f"and {z_query.shape[1]}")
    k = _validate.positive_int(k, "k")
    if k > len(z_database):
        raise ValueError(f"k must be at most the database size {len(z_database)}, got {k}")
    return NearestNeighbors(n_neighbors=k).fit(z_database).kneighbors(z_query, return_distance=False)


def label_agreement(y_database: np.ndarray, y_query: np.ndarray, indices: np.ndarray) -> float:
    """Share of retrieved images whose label is the query's: ``mean(y_database[indices] == y_query[:, None])`` (09)."""
    y_database, y_query, indices = np.asarray(y_database), np.asarray(y_query), np.asarray(indices)
    if indices.ndim != 2 or len(indices) != len(y_query):
        raise ValueError(f"indices must be (N_query, k) with N_query = {len(y_query)}, got {indices.shape}")
    return float((y_database[indices] == y_query[:, None]).mean())
