"""The exercise checks of notebook 09, fed as a learner would feed them: the stub, plausible
wrong answers (rejected, with the learner's value, what was expected and a hint) and a
right answer other than the notebook's solution (accepted)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from check_support import accepted, not_attempted, rejected
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

from aecourse import checks


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray]:
    """40 samples, 6 anomalies that score higher on average, no ties."""
    rng = np.random.default_rng(0)
    is_anomaly = np.r_[np.zeros(34), np.ones(6)].astype(int)
    return is_anomaly, rng.normal(size=40) + 1.5 * is_anomaly


def test_average_precision_by_hand(capsys: pytest.CaptureFixture[str], scored: tuple) -> None:
    y, s = scored
    not_attempted(capsys, checks.average_precision_by_hand, lambda y, s: None, y, s)

    def all_ranks(y, s):  # noqa: ANN001, ANN202 - the mean precision over every rank, not only the anomalies'
        hits = y[np.argsort(-s)]
        return (np.cumsum(hits) / np.arange(1, len(hits) + 1)).mean()

    def trapezoid(y, s):  # noqa: ANN001, ANN202 - the area under the PR curve by trapezoids: not AP
        precision, recall, _ = precision_recall_curve(y, s)
        return auc(recall, precision)

    rejected(checks.average_precision_by_hand, all_ranks, y, s, says="10-sample example")
    rejected(checks.average_precision_by_hand, trapezoid, y, s, says=r"expected: 0\.\d{4}")
    rejected(checks.average_precision_by_hand, lambda y, s: average_precision_score(1 - y, -s), y, s)  # normal class
    rejected(checks.average_precision_by_hand, lambda y, s: average_precision_score(y, s[::-1]), y, s)  # unsorted

    def loop(y, s):  # noqa: ANN001, ANN202 - a plain loop over the ranks
        found, total = 0, 0.0
        for rank, i in enumerate(sorted(range(len(s)), key=lambda i: -s[i]), start=1):
            if y[i]:
                found += 1
                total += found / rank
        return total / found

    accepted(capsys, checks.average_precision_by_hand, loop, y, s)
    accepted(capsys, checks.average_precision_by_hand, lambda y, s: torch.tensor(average_precision_score(y, s)), y, s)


def test_tf_threshold(capsys: pytest.CaptureFixture[str], scored: tuple) -> None:
    y, s = scored
    train = np.random.default_rng(1).normal(size=100) * 0.5

    def answer(t: float, positive: np.ndarray) -> tuple[float, float, float]:
        flagged = s > t
        tp = float((flagged & (positive == 1)).sum())
        return t, tp / flagged.sum(), tp / (positive == 1).sum()

    not_attempted(capsys, checks.tf_threshold, None, train, s, y)
    rejected(checks.tf_threshold, answer(np.quantile(train, 0.95), y), train, s, y, says="a threshold of")
    t = train.mean() + train.std()
    _, precision, recall = answer(t, y)
    rejected(checks.tf_threshold, (t, recall, precision), train, s, y, says="other way round")
    normal_flagged = s <= t  # TensorFlow's convention: the normal class is the positive one
    tn = float((normal_flagged & (y == 0)).sum())
    rejected(checks.tf_threshold, (t, tn / normal_flagged.sum(), tn / (y == 0).sum()), train, s, y,
             says="anomaly precision")
    rejected(checks.tf_threshold, [t, precision], train, s, y, says="a triple")
    accepted(capsys, checks.tf_threshold, answer(t, y), train, s, y)
    accepted(capsys, checks.tf_threshold, answer(train.mean() + train.std(ddof=1), y), train, s, y)  # ddof=1


def test_code_knn_auc(capsys: pytest.CaptureFixture[str], scored: tuple) -> None:
    y, _ = scored
    rng = np.random.default_rng(2)
    z_train = rng.normal(size=(80, 3)).astype(np.float32)
    z_test = (rng.normal(size=(40, 3)) + 1.2 * y[:, None]).astype(np.float32)
    d = torch.cdist(torch.from_numpy(z_test), torch.from_numpy(z_train))
    right = roc_auc_score(y, d.topk(5, dim=1, largest=False).values.mean(dim=1).numpy())

    not_attempted(capsys, checks.code_knn_auc, None, z_train, z_test, y, 5)
    pixels_like = roc_auc_score(y, np.linalg.norm(z_test, axis=1))  # distance to the origin, not to the codes
    rejected(checks.code_knn_auc, pixels_like, z_train, z_test, y, 5, says=r"nearest training codes")
    k1 = roc_auc_score(y, d.min(dim=1).values.numpy())
    assert abs(k1 - right) > 1e-3
    rejected(checks.code_knn_auc, k1, z_train, z_test, y, 5, says=r"nearest training codes")  # k = 1
    rejected(checks.code_knn_auc, 1 - right, z_train, z_test, y, 5, says="larger distance")
    rejected(checks.code_knn_auc, 97.0, z_train, z_test, y, 5, says="between 0 and 1")  # a percentage
    accepted(capsys, checks.code_knn_auc, right, z_train, z_test, y, 5)
    accepted(capsys, checks.code_knn_auc, np.float32(right), z_train, z_test, y, 5)
