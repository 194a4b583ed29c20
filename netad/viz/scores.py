"""What the score figures are drawn from, computed once for the PNGs and the Plotly figures alike: the log-axis
rule, ROC and precision-recall points with their areas, and the decimation that keeps pages small."""

from __future__ import annotations

import numpy as np

LOG_DECADES = 2.0
"""Histograms use a log-x axis when every score is positive and max / min spans at least this many decades."""
MAX_CURVE_POINTS = 1500


def uses_log_x(scores: np.ndarray) -> bool:
    """True when the scores are all positive and span at least ``LOG_DECADES`` decades."""
    finite = scores[np.isfinite(scores)]
    if finite.size == 0 or finite.min() <= 0:
        return False
    return bool(np.log10(finite.max() / finite.min()) >= LOG_DECADES)


def both_classes(labels: np.ndarray) -> bool:
    """True when ``labels`` holds normal and attack rows (ROC and PR curves need both)."""
    return bool(0 < labels.sum() < len(labels))


def finite(scores: np.ndarray) -> np.ndarray:
    """The scores with NaN as the lowest score and ±inf clipped to the float range, so curves can rank them."""
    big = np.finfo(np.float64).max
    return np.where(np.isnan(scores), -big, np.clip(scores, -big, big))


def roc_points(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(fpr, tpr, auroc)`` over every row (both classes required): scikit-learn's ROC curve and its area, which
    is what ``roc_auc_score`` computes, without sorting the scores again."""
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, _ = roc_curve(labels, finite(np.asarray(scores, dtype=np.float64)))
    return fpr, tpr, float(auc(fpr, tpr))


def pr_points(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(recall, precision, auprc)`` over every row (both classes required); the area is average precision as
    scikit-learn's ``average_precision_score`` computes it from this same curve (as in :mod:`netad.metrics`)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(labels, finite(np.asarray(scores, dtype=np.float64)))
    return recall, precision, float(-np.sum(np.diff(recall) * precision[:-1]))


def decimate(*arrays: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[np.ndarray]:
    """At most ``limit`` evenly spaced points of each array, first and last kept."""
    n = len(arrays[0])
    if n <= limit:
        return list(arrays)
    keep = np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
    return [a[keep] for a in arrays]
