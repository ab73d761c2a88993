"""The exercise checks of notebook 09 (anomaly detection and retrieval): one function per exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exercises import Wrong, call, describe, exercise
from ._common import as_array as _array
from ._common import as_number as _number


def _reference_ap(is_anomaly: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(is_anomaly, scores))


@exercise("average_precision_by_hand",
          hint="order = np.argsort(-scores); hits = is_anomaly[order]; precision at rank r = hits[:r].sum() / r; "
          "average it over the ranks r where hits is 1")
def average_precision_by_hand(fn: Callable, is_anomaly: np.ndarray, scores: np.ndarray) -> None:
    """Notebook 09, exercise 1: average precision of a score, by hand, against scikit-learn's."""
    rng = np.random.default_rng(0)
    small = (np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0]), np.arange(10.0)[::-1].copy())  # hits at ranks 2, 5, 9
    shuffled = rng.permutation(len(scores))  # the same data in another order: the answer must sort
    cases = [small, (np.asarray(is_anomaly), np.asarray(scores, dtype=np.float64)),
             (np.asarray(is_anomaly)[shuffled], np.asarray(scores, dtype=np.float64)[shuffled])]
    for labels, values in cases:
        want = _reference_ap(labels, values)
        got = _number(call(fn, labels.copy(), values.copy()), "a number, the average precision")
        if not np.isclose(got, want, rtol=1e-6, atol=1e-9):
            where = "the 10-sample example (anomalies at ranks 2, 5 and 9)" if len(labels) == 10 else \
                f"the notebook's {len(labels)} test scores"
            raise Wrong(f"{got:.4f} on {where}", f"{want:.4f}")


@exercise("tf_threshold", hint="t = train_scores.mean() + train_scores.std(); flag test_scores > t; precision and "
          "recall of the ANOMALY class: TP / flagged and TP / anomalies")
def tf_threshold(answer: Any, train_scores: np.ndarray, test_scores: np.ndarray, is_anomaly: np.ndarray) -> None:
    """Notebook 09, exercise 2: the TensorFlow tutorial's threshold (mean + 1 std of the training
    errors), and the anomaly class's precision and recall it gives."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        raise Wrong(describe(answer), "a triple (threshold, anomaly_precision, anomaly_recall)")
    t, precision, recall = (_number(a) for a in answer)
    train_scores = _array(train_scores)
    mean = train_scores.mean()
    allowed = (mean + train_scores.std(), mean + train_scores.std(ddof=1))
    if not any(np.isclose(t, a, rtol=1e-4) for a in allowed):
        raise Wrong(f"a threshold of {t:.5f}", f"mean + 1 std of the training scores, {allowed[0]:.5f}")
    labels = np.asarray(is_anomaly).astype(bool)
    flagged = _array(test_scores) > t
    tp = float((flagged & labels).sum())
    want = (tp / flagged.sum() if flagged.any() else 0.0, tp / labels.sum())
    if np.isclose(precision, want[1], atol=1e-6) and np.isclose(recall, want[0], atol=1e-6) and want[0] != want[1]:
        raise Wrong(f"precision {precision:.3f}, recall {recall:.3f}", "the two the other way round",
                    "precision: of the flagged images, the share that are anomalies; recall: of the anomalies, "
                    "the share flagged")
    for name, got, expected in (("precision", precision, want[0]), ("recall", recall, want[1])):
        if not np.isclose(got, expected, atol=1e-6):
            raise Wrong(f"anomaly {name} {got:.3f}", f"{expected:.3f} at your threshold",
                        "count the anomaly class as the positive one: flagged = score above the threshold")


@exercise("code_knn_auc", hint="d = ae.anomaly.knn_distance(z_train, z_test, k=K_NEIGHBOURS), then "
          "roc_auc_score(is_anomaly, d)")
def code_knn_auc(answer: Any, z_train: np.ndarray, z_test: np.ndarray, is_anomaly: np.ndarray, k: int) -> None:
    """Notebook 09, exercise 3: ROC AUC of the k-nearest-neighbour distance in code space."""
    from sklearn.metrics import roc_auc_score

    from ..anomaly import knn_distance

    value = _number(answer, "a number, the ROC AUC")
    if not 0 <= value <= 1:
        raise Wrong(f"{value:.4f}", "a ROC AUC, between 0 and 1")
    z_train, z_test = _array(z_train), _array(z_test)
    want = float(roc_auc_score(is_anomaly, knn_distance(z_train, z_test, k)))
    if np.isclose(value, 1 - want, atol=1e-4) and not np.isclose(want, 0.5, atol=1e-3):
        raise Wrong(f"{value:.4f}", f"{want:.4f}", "a larger distance should mean more anomalous, not less")
    if not np.isclose(value, want, atol=1e-4):
        raise Wrong(f"{value:.4f}", f"{want:.4f}, the AUC of the mean distance to the {k} nearest training codes")
