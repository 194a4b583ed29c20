"""Detection metrics from anomaly scores and a threshold (scikit-learn does the arithmetic)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, fbeta_score, roc_auc_score

METRIC_NAMES = ("precision", "recall", "f1", "f2", "accuracy", "auroc", "auprc", "tp", "fp", "tn", "fn")


def binary_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1, F2, accuracy at ``threshold`` (score > threshold = attack), AUROC, AUPRC, counts.

    AUROC/AUPRC are NaN when the test set holds a single class.
    """
    y_true = np.asarray(y_true).astype(np.int8)
    scores = np.asarray(scores, dtype=np.float64)
    y_pred = (scores > threshold).astype(np.int8)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    both_classes = 0 < y_true.sum() < len(y_true)
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(fbeta_score(y_true, y_pred, beta=1.0, zero_division=0.0)),
        "f2": float(fbeta_score(y_true, y_pred, beta=2.0, zero_division=0.0)),
        "accuracy": float((tp + tn) / len(y_true)) if len(y_true) else float("nan"),
        "auroc": float(roc_auc_score(y_true, scores)) if both_classes else float("nan"),
        "auprc": float(average_precision_score(y_true, scores)) if both_classes else float("nan"),
        "tp": int(tp),
        "fp": int(fp),
        "tn": int(tn),
        "fn": int(fn),
    }


def detection_rate_by_category(
    attack_category: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, dict[str, float]]:
    """Per attack category: rows and the fraction flagged (for ``normal`` this is the false-positive rate)."""
    attack_category = np.asarray(attack_category)
    flagged = np.asarray(scores) > threshold
    out: dict[str, dict[str, float]] = {}
    for category in np.unique(attack_category):
        mask = attack_category == category
        out[str(category)] = {"rows": int(mask.sum()), "detection_rate": float(flagged[mask].mean())}
    return out


USELESS_RECALL = 0.05
USELESS_AUROC = 0.6


def usefulness_warnings(y_validation: np.ndarray, scores: np.ndarray, threshold: float, what: str) -> list[str]:
    """Warnings for a model that detects (next to) nothing on its own validation data, or cannot be checked.

    ``y_validation`` are the labels the run may use there (a label budget's, under ``weak``). Recall below
    ``USELESS_RECALL`` (5%) at the model's threshold, or AUROC below ``USELESS_AUROC`` (0.6), is near-useless.
    """
    y = np.asarray(y_validation).astype(np.int8)
    if y.sum() == 0:
        return [f"{what}: the validation data holds no labelled attacks, so recall and AUROC cannot be checked"]
    measured = binary_metrics(y, scores, threshold)
    problems = []
    if measured["recall"] < USELESS_RECALL:
        problems.append(f"recall {measured['recall']:.3f} < {USELESS_RECALL:g}")
    if measured["auroc"] == measured["auroc"] and measured["auroc"] < USELESS_AUROC:
        problems.append(f"AUROC {measured['auroc']:.3f} < {USELESS_AUROC:g}")
    if not problems:
        return []
    return [f"{what}: near-useless on its own validation data ({', '.join(problems)}); it detects almost nothing"]
