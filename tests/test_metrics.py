"""netad.metrics agrees with scikit-learn on real scores, and per-category rates add up."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    fbeta_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from netad.metrics import binary_metrics, detection_rate_by_category

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")


@pytest.fixture(scope="module")
def real_scores(shared_data):
    """Distance-to-normal-mean scores on a seeded sample of KDDCup99 (npz: label 1 = KDD normal)."""
    table = np.load(shared_data / "kddcup99" / "kdd_cup.npz")["kdd"]
    rows = np.random.default_rng(0).choice(len(table), 20000, replace=False)
    X, kdd_normal = table[rows, :-1], table[rows, -1] == 1
    y = (~kdd_normal).astype(np.int8)  # 1 = attack
    scores = np.linalg.norm(X - X[kdd_normal].mean(axis=0), axis=1)
    return y, scores


def test_binary_metrics_match_scikit_learn(real_scores):
    y, scores = real_scores
    threshold = float(np.median(scores))
    pred = (scores > threshold).astype(int)
    got = binary_metrics(y, scores, threshold)
    assert got["precision"] == pytest.approx(precision_score(y, pred))
    assert got["recall"] == pytest.approx(recall_score(y, pred))
    assert got["f1"] == pytest.approx(f1_score(y, pred))
    assert got["f2"] == pytest.approx(fbeta_score(y, pred, beta=2))
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert got["auroc"] == pytest.approx(roc_auc_score(y, scores))
    assert got["auprc"] == pytest.approx(average_precision_score(y, scores))
    assert got["tp"] + got["fp"] + got["tn"] + got["fn"] == len(y)
    assert got["tp"] == int(((pred == 1) & (y == 1)).sum())


def test_threshold_is_exclusive_score_equal_to_threshold_is_normal():
    y = np.array([0, 1, 1])
    scores = np.array([0.5, 0.5, 0.9])
    got = binary_metrics(y, scores, 0.5)
    assert (got["tp"], got["fp"], got["fn"]) == (1, 0, 1)


def test_single_class_test_set_gives_nan_auc_not_an_exception():
    got = binary_metrics(np.zeros(5), np.arange(5.0), 2.0)
    assert np.isnan(got["auroc"]) and np.isnan(got["auprc"])
    assert got["fp"] == 2


def test_detection_rate_by_category_counts_every_row(real_scores):
    y, scores = real_scores
    categories = np.where(y == 1, np.where(scores > np.median(scores), "big", "small"), "normal")
    threshold = float(np.percentile(scores[y == 0], 95))
    rates = detection_rate_by_category(categories, scores, threshold)
    assert sum(r["rows"] for r in rates.values()) == len(y)
    assert rates["normal"]["detection_rate"] == pytest.approx(0.05, abs=0.01)
    flagged_attacks = sum(r["rows"] * r["detection_rate"] for k, r in rates.items() if k != "normal")
    assert flagged_attacks == pytest.approx(binary_metrics(y, scores, threshold)["tp"])
