"""Run one benchmark job: the fit chain of :mod:`netad.pipeline`, then every threshold strategy and the metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netad import metrics, thresholds
from netad.bench.spec import Job
from netad.pipeline import (  # noqa: F401 (the fit chain, re-exported for the benchmarks)
    FittedJob,
    build_detector,
    choose_threshold,
    fit_job,
    fit_scores,
)
from netad.runs import write_scores

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    """Rows for results.csv (one per threshold strategy) and per_category.csv, plus split provenance."""

    rows: list[dict[str, Any]]
    per_category: list[dict[str, Any]]
    split_info: dict[str, Any]
    dataset_info: dict[str, Any]
    error: str | None = None
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


ZERO_SHOT_METRICS = (
    "known_precision",
    "known_recall",
    "known_f1",
    "known_auroc",
    "known_balanced_f1",
    "zero_shot_precision",
    "zero_shot_recall",
    "zero_shot_f1",
    "zero_shot_auroc",
    "zero_shot_auprc",
    "zero_shot_balanced_precision",
    "zero_shot_balanced_recall",
    "zero_shot_balanced_f1",
)
"""Extra results columns of splits with held-out attack families (``split.info['unseen_categories']``)."""


def _balanced_rows(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions of a 1:1 sample: every row of the smaller class, a seeded sample of the larger (sorted)."""
    normal, attack = np.flatnonzero(label == 0), np.flatnonzero(label == 1)
    n = min(len(normal), len(attack))
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pick = [rng.choice(rows, size=n, replace=False) if len(rows) > n else rows for rows in (normal, attack)]
    return np.sort(np.concatenate(pick))


def zero_shot_views(split: Any, seed: int) -> dict[str, np.ndarray] | None:
    """Test-row positions of the known-attack and zero-shot views (and their seeded 1:1 samples), or None.

    ``known``: test normals + seen-family attacks; ``zero_shot``: test normals + unseen-family attacks. The
    ``*_balanced`` views keep as many normals as attacks (the latent-sculpting seed reports F1 on 1:1 sets).
    """
    if not split.info.get("unseen_categories"):
        return None
    unseen = split.unseen_mask("test")
    normal = split.test.label == 0
    known = np.flatnonzero(~unseen)
    zero_shot = np.flatnonzero(normal | unseen)
    rng = np.random.default_rng([int(seed), 7])
    return {
        "known": known,
        "zero_shot": zero_shot,
        "known_balanced": known[_balanced_rows(split.test.label[known], rng)],
        "zero_shot_balanced": zero_shot[_balanced_rows(split.test.label[zero_shot], rng)],
    }


def zero_shot_metrics(
    views: dict[str, np.ndarray], label: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, float]:
    """The :data:`ZERO_SHOT_METRICS` columns at ``threshold`` (NaN where a view lacks a class)."""
    out: dict[str, float] = {}
    for view, names in (
        ("known", ("precision", "recall", "f1", "auroc")),
        ("known_balanced", ("f1",)),
        ("zero_shot", ("precision", "recall", "f1", "auroc", "auprc")),
        ("zero_shot_balanced", ("precision", "recall", "f1")),
    ):
        rows = views[view]
        if len(rows) == 0:
            values: dict[str, float] = {}
        else:
            values = metrics.binary_metrics(label[rows], scores[rows], threshold)
        for name in names:
            out[f"{view}_{name}"] = float(values.get(name, float("nan")))
    return out


def evaluate(
    specs: Sequence[Any],
    split: Any,
    base: dict[str, Any],
    validation_scores: np.ndarray,
    test_scores: np.ndarray,
    train_scores: np.ndarray | None = None,
    seed: int = 0,
    warnings: list[str] | None = None,
    detector: Any = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """results.csv rows (``base`` + one per threshold strategy, with zero-shot columns on zero-shot splits) and
    per_category.csv rows, from the scores of a fitted detector. Near-useless models are added to ``warnings``."""
    warnings = [] if warnings is None else warnings
    rows, per_category = [], []
    views = zero_shot_views(split, seed)
    for spec in specs:
        strategy, threshold, source = choose_threshold(spec, split, validation_scores, test_scores, train_scores)
        if not strategy.uses_test_data:
            what = f"{base['detector']} on {base['dataset']} (seed {base['seed']}, {strategy.name})"
            warnings.extend(metrics.usefulness_warnings(split.validation_labels(), validation_scores, threshold, what))
        if detector is not None and (message := detector.threshold_conflict(strategy)):
            warnings.append(message)
        row = {
            **base,
            "threshold_strategy": strategy.name,
            "threshold_source": source,
            "threshold": threshold,
        }
        row.update(metrics.binary_metrics(split.test.label, test_scores, threshold))
        if views is not None:
            row.update(zero_shot_metrics(views, split.test.label, test_scores, threshold))
        rows.append(row)
        for category, stats in metrics.detection_rate_by_category(
            split.test.attack_category, test_scores, threshold
        ).items():
            per_category.append(
                {key: row[key] for key in ("dataset", "protocol", "detector", "variant", "seed", "threshold_strategy")}
                | {"attack_category": category, **stats}
            )
    return rows, per_category


def run_job(job: Job, scores_dir: str | None = None) -> JobResult:
    """Fit and evaluate one detector on one split. Thresholds come from validation data, except ``oracle``."""
    fitted = fit_job(job)
    dataset, split, detector = fitted.dataset, fitted.split, fitted.detector
    n_fit, fit_seconds = fitted.n_fit, fitted.fit_seconds
    X_val = fitted.preprocessor.transform(split.validation.features)
    X_test = fitted.preprocessor.transform(split.test.features)

    validation_scores = detector.decision_function(X_val)
    start = time.perf_counter()
    test_scores = detector.decision_function(X_test)
    score_seconds = time.perf_counter() - start

    base = {
        "dataset": job.dataset,
        "protocol": job.protocol,
        "detector": job.detector,
        "variant": job.variant,
        "seed": job.seed,
        "dataset_version": dataset.version,
        "n_train": n_fit,
        "n_validation": len(split.validation.label),
        "n_test": len(split.test.label),
        "n_features": int(X_test.shape[1]),
        "fit_seconds": round(fit_seconds, 4),
        "score_seconds": round(score_seconds, 4),
        "test_rows_per_second": round(len(X_test) / max(score_seconds, 1e-9), 1),
        "params": json.dumps(job.params, sort_keys=True, default=str),
    }
    needs_train = any(getattr(thresholds.resolve(spec), "needs_train_scores", False) for spec in job.thresholds)
    train_scores = fit_scores(fitted) if needs_train else None
    warnings: list[str] = []
    if not (split.test.label == 1).any() and not (split.validation.label == 1).any():
        warnings.append(f"{job.dataset}: the data has no attacks (every row is normal): F1 and recall are 0 by "
                        "construction and AUROC is undefined")  # fmt: skip
    rows, per_category = evaluate(
        job.thresholds, split, base, validation_scores, test_scores, train_scores, job.seed, warnings, detector
    )

    if job.save_scores and scores_dir is not None:
        table = pd.DataFrame(
            {
                "score": test_scores.astype(np.float64),
                "label": split.test.label.astype(np.int8),
                "attack_category": pd.Series(split.test.attack_category, dtype="string"),
                "row": split.test.rows.astype(np.int64),
            }
        )
        write_scores(scores_dir, job.key, table)
    return JobResult(rows, per_category, split.info, dataset.describe(), warnings=warnings)


def safe_run_job(job: Job, scores_dir: str | None) -> tuple[Job, JobResult]:
    """Run a job in a worker; a failure becomes a recorded error, not a lost run."""
    try:
        return job, run_job(job, scores_dir)
    except Exception as exc:  # noqa: BLE001 - recorded in the run and reported to the user
        log.exception("job %s failed", job.key)
        return job, JobResult([], [], {}, {}, error=f"{type(exc).__name__}: {exc}")
