"""aecourse.anomaly against answers known by construction (notebook 09)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from aecourse import anomaly


class _Constant(nn.Module):
    """A 'reconstruction' that returns the input times a factor: the error is known exactly."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def test_reconstruction_error_is_the_per_sample_mse_and_keeps_the_mode() -> None:
    x = np.array([[1.0, 2.0], [0.0, 4.0]], dtype=np.float32)
    model = _Constant(0.5).train()
    err = anomaly.reconstruction_error(model, x)
    assert np.allclose(err, [(0.25 + 1.0) / 2, (0 + 4.0) / 2])  # ((x/2 - x)^2).mean per row
    assert model.training  # its mode is restored
    assert np.allclose(anomaly.reconstruction_error(_Constant(1.0), torch.from_numpy(x)), 0)
    with pytest.raises(ValueError, match="x must be a non-empty"):
        anomaly.reconstruction_error(model, np.zeros(3))


def test_pca_error_is_zero_in_the_subspace_and_the_squared_distance_off_it() -> None:
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 2)))[0]  # (6, 2) orthonormal
    x_train = rng.normal(size=(50, 2)) @ basis.T + 1.0  # a plane through (1, ..., 1)
    inside = rng.normal(size=(5, 2)) @ basis.T + 1.0
    normal_dir = np.linalg.qr(np.c_[basis, rng.normal(size=6)])[0][:, 2]  # orthogonal to the plane
    outside = inside + 3.0 * normal_dir
    err = anomaly.pca_error(x_train, np.r_[inside, outside], n_components=2)
    assert np.allclose(err[:5], 0, atol=1e-8)
    assert np.allclose(err[5:], 9.0 / 6, rtol=1e-4)  # squared distance 9, averaged over 6 features


def test_knn_distance_by_hand() -> None:
    x_train = np.array([[0.0], [1.0], [3.0], [10.0]])
    got = anomaly.knn_distance(x_train, np.array([[0.0], [5.0]]), k=2)
    assert np.allclose(got, [(0 + 1) / 2, (2 + 4) / 2])
    with pytest.raises(ValueError, match="k must be a positive int"):
        anomaly.knn_distance(x_train, x_train, k=0)


def test_every_baseline_ranks_a_far_outlier_highest() -> None:
    rng = np.random.default_rng(1)
    x_train = rng.normal(size=(200, 4)).astype(np.float32)
    x_test = np.r_[rng.normal(size=(20, 4)), np.full((1, 4), 8.0)].astype(np.float32)
    scores = anomaly.baseline_scores(x_train, x_test, n_components=2, k=3, seed=0)
    assert tuple(scores) == anomaly.BASELINES
    for name, s in scores.items():
        assert s.shape == (21,), name
        assert int(np.argmax(s)) == 20, name  # higher = more anomalous, for every baseline


def test_detection_scores_known_values() -> None:
    y = np.array([0, 0, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.2, 0.8])
    # pairs (anomaly, normal) in the right order: 0.35 beats 0.1, 0.2 (not 0.4); 0.8 beats all three
    # AP: ranked 0.8 (hit, precision 1), 0.4, 0.35 (hit, precision 2/3)
    table = anomaly.detection_scores(y, {"s": s, "perfect": y * 1.0, "reversed": -s})
    assert np.isclose(table["s"]["auc"], 5 / 6)
    assert np.isclose(table["s"]["ap"], (1 + 2 / 3) / 2)
    assert table["perfect"] == {"auc": 1.0, "ap": 1.0}
    assert np.isclose(table["reversed"]["auc"], 1 / 6)
    assert anomaly.rank(table, "perfect") == 1 and anomaly.rank(table, "reversed") == 3
    with pytest.raises(ValueError, match="both normal"):
        anomaly.detection_scores(np.zeros(5), {"s": s})
    with pytest.raises(ValueError, match="shape"):
        anomaly.detection_scores(y, {"s": s[:4]})
    with pytest.raises(ValueError, match="name must be one of"):
        anomaly.rank(table, "missing")


def test_threshold_is_the_quantile_of_normal_scores() -> None:
    assert anomaly.threshold(np.arange(101.0), 0.95) == pytest.approx(95.0)
    with pytest.raises(ValueError, match="quantile"):
        anomaly.threshold(np.arange(5.0), 1.0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        anomaly.threshold(np.array([]))


def test_class_report_counts_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    flagged = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])  # TP 2, FN 1, FP 1, TN 6
    r = anomaly.class_report(y, flagged)
    assert r == pytest.approx({"anomaly_precision": 2 / 3, "anomaly_recall": 2 / 3, "normal_precision": 6 / 7,
                               "normal_recall": 6 / 7, "accuracy": 0.8, "all_normal_accuracy": 0.7})
    nothing = anomaly.class_report(y, np.zeros(10, dtype=bool))
    assert nothing["anomaly_precision"] == 0.0 and nothing["normal_recall"] == 1.0
    assert nothing["normal_precision"] == pytest.approx(0.7) and nothing["accuracy"] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="0/1"):
        anomaly.class_report(np.array([0, 2]), np.array([0, 1]))


def test_nearest_and_label_agreement() -> None:
    db = np.array([[0.0], [1.0], [5.0], [6.0]])
    idx = anomaly.nearest(db, np.array([[0.2], [5.9]]), k=2)
    assert idx.tolist() == [[0, 1], [3, 2]]
    assert anomaly.label_agreement(np.array([7, 7, 3, 4]), np.array([7, 3]), idx) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="at most the database size"):
        anomaly.nearest(db, db, k=5)
    with pytest.raises(ValueError, match="same width"):
        anomaly.nearest(db, np.zeros((1, 2)), k=1)
