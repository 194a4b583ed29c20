"""Run one benchmark job: load -> split -> preprocess (fit on train) -> fit -> threshold -> metrics."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad import metrics, thresholds
from netad.bench.spec import Job

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


def build_detector(name: str, params: dict[str, Any], seed: int) -> Any:
    """A registered detector with ``params``; its ``random_state`` is the job's seed unless given."""
    from netad.detectors import make

    detector = make(name, **params)
    if "random_state" in detector.get_params() and "random_state" not in params:
        detector.set_params(random_state=seed)
    return detector


@dataclass
class FittedJob:
    """A job's fitted pieces: what ``run_job`` evaluates, and what explanations and plots inspect."""

    dataset: Any  # netad.datasets.base.Dataset
    split: Any  # netad.protocols.Split
    preprocessor: Any  # netad.preprocess.FlowPreprocessor, fitted on the fit rows
    detector: Any  # fitted
    n_fit: int
    fit_seconds: float


def fit_job(job: Job) -> FittedJob:
    """Load the dataset, cut the split, fit the preprocessor and the detector on the fit rows only."""
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load(job.dataset, job.dataset_path, **job.dataset_options)
    split = make_split(dataset, job.protocol, seed=job.seed, max_train=job.max_train, **job.protocol_options)
    detector = build_detector(job.detector, job.params, job.seed)

    fit_frame, fit_labels = split.fit_data(detector.supervision)
    preprocessor = FlowPreprocessor.for_dataset(dataset, **job.preprocess).fit(fit_frame)
    X_fit = preprocessor.transform(fit_frame)
    del fit_frame

    start = time.perf_counter()
    detector.fit(X_fit, fit_labels)
    fit_seconds = time.perf_counter() - start
    return FittedJob(dataset, split, preprocessor, detector, len(X_fit), fit_seconds)


def choose_threshold(
    spec: Any, split: Any, validation_scores: np.ndarray, test_scores: np.ndarray
) -> tuple[Any, float, str]:
    """(strategy, threshold, where it was chosen): on the validation split, except ``oracle`` (test labels)."""
    strategy = thresholds.resolve(spec)
    if strategy.uses_test_data:
        return strategy, strategy.choose(test_scores, split.test.label), "test (oracle: uses test labels)"
    return strategy, strategy.choose(validation_scores, split.validation.label), "validation"


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
    rows, per_category = [], []
    for spec in job.thresholds:
        strategy, threshold, source = choose_threshold(spec, split, validation_scores, test_scores)
        row = {
            **base,
            "threshold_strategy": strategy.name,
            "threshold_source": source,
            "threshold": threshold,
        }
        row.update(metrics.binary_metrics(split.test.label, test_scores, threshold))
        rows.append(row)
        for category, stats in metrics.detection_rate_by_category(
            split.test.attack_category, test_scores, threshold
        ).items():
            per_category.append(
                {key: row[key] for key in ("dataset", "protocol", "detector", "variant", "seed", "threshold_strategy")}
                | {"attack_category": category, **stats}
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
        table.to_parquet(Path(scores_dir) / f"{job.key}.parquet", index=False)
    return JobResult(rows, per_category, split.info, dataset.describe())
