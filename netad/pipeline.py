"""The one fit chain: dataset -> split -> preprocessing (fit on the fit rows) -> detector fit -> threshold.

``netad bench`` (:mod:`netad.bench.job`), ``netad train`` (:func:`train_model` = this chain + :mod:`netad.persist`),
``netad explain`` and ``netad latent-plot`` all fit through :func:`fit_job`, so a model is fitted the same way
wherever it is used; thresholds come from the validation split (:func:`choose_threshold`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netad import metrics, thresholds
from netad.errors import NetadInputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One (dataset, protocol, detector, seed) fit-and-evaluate, with every option needed to re-run it."""

    dataset: str
    protocol: str
    detector: str
    seed: int
    thresholds: tuple[str, ...] = ("p99",)
    params: dict[str, Any] = field(default_factory=dict)
    dataset_path: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    protocol_options: dict[str, Any] = field(default_factory=dict)
    preprocess: dict[str, Any] = field(default_factory=dict)  # FlowPreprocessor options (scaler, log1p, ...)
    max_train: int | None = None
    save_scores: bool = True
    variant: str = ""  # a label for one parameter setting in a sweep, e.g. "bottleneck=8"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["thresholds"] = list(self.thresholds)
        return data

    @property
    def key(self) -> str:
        """A file-name-safe identifier, unique within a run."""
        safe = self.dataset.replace(":", "_").replace("/", "_").replace("\\", "_")
        variant = "".join(ch if ch.isalnum() or ch in "=-." else "_" for ch in self.variant)
        name = self.detector.replace(":", "_")  # peers ("pyod:ECOD"): no ':' in file names (Windows)
        detector = f"{name}[{variant}]" if variant else name
        return f"{safe}__{self.protocol}__{detector}__seed{self.seed}"


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
    from netad.progress import phase
    from netad.protocols import make_split

    phase(f"loading {job.dataset}")
    dataset = load(job.dataset, job.dataset_path, **job.dataset_options)
    phase(f"cutting the {job.protocol} split (seed {job.seed}) and fitting the preprocessing on the fit rows")
    split = make_split(dataset, job.protocol, seed=job.seed, max_train=job.max_train, **job.protocol_options)
    detector = build_detector(job.detector, job.params, job.seed)

    fit_frame, fit_labels = split.fit_data(detector.supervision)
    preprocessor = FlowPreprocessor.for_dataset(dataset, **job.preprocess).fit(fit_frame)
    X_fit = preprocessor.transform(fit_frame)
    del fit_frame

    phase(f"fitting {job.detector} on {X_fit.shape[0]:,} rows x {X_fit.shape[1]} features")
    # every consumer of a job (bench, train, explain, plots) takes the threshold from the validation split
    # (choose_threshold), so the detector fits every training row instead of holding a calibration share out
    detector.calibration_share = 0.0
    start = time.perf_counter()
    detector.fit(X_fit, fit_labels)
    fit_seconds = time.perf_counter() - start
    return FittedJob(dataset, split, preprocessor, detector, len(X_fit), fit_seconds)


def choose_threshold(
    spec: Any,
    split: Any,
    validation_scores: np.ndarray,
    test_scores: np.ndarray,
    train_scores: np.ndarray | None = None,
) -> tuple[Any, float, str]:
    """(strategy, threshold, where it was chosen): on the validation split, except the strategies that use test
    data (``oracle``: test labels; ``seed:pQ``: training and test scores pooled, needs ``train_scores``)."""
    strategy = thresholds.resolve(spec)
    if getattr(strategy, "needs_train_scores", False):
        if train_scores is None:
            raise NetadInputError(f"threshold {strategy.name!r} needs the training scores")
        pooled = np.concatenate([train_scores, test_scores])
        return strategy, strategy.choose(pooled), "train + test scores (seed rule: uses test data)"
    if strategy.uses_test_data:
        return strategy, strategy.choose(test_scores, split.test.label), "test (oracle: uses test labels)"
    return strategy, strategy.choose(validation_scores, split.validation_labels()), "validation"


def fit_scores(fitted: FittedJob) -> np.ndarray:
    """Scores of the rows the detector was fitted on (recomputed: ``fit_job`` does not keep the table)."""
    frame, _ = fitted.split.fit_data(fitted.detector.supervision)
    return fitted.detector.decision_function(fitted.preprocessor.transform(frame))


@dataclass
class TrainedModel:
    """What :func:`train_model` fitted, calibrated, measured and saved."""

    path: Path
    detector_name: str
    threshold: float
    threshold_strategy: str
    metrics: dict[str, Any]
    per_category: dict[str, dict[str, float]]
    n_train: int
    n_validation: int
    n_test: int
    fit_seconds: float
    warnings: list[str] = field(default_factory=list)  # near-useless on its own validation data, ...


REFERENCE_MAX_ROWS = 200_000
"""At most this many training rows (seeded sample) give the feature statistics saved for attribution."""


def train_model(job: Any, directory: str | os.PathLike, *, overwrite: bool = False) -> TrainedModel:
    """Fit a benchmark job's detector, set its threshold on validation as the bench does, measure it on the
    test part and save it with the metrics and provenance (the Python API behind ``netad train``).

    ``job`` is a :class:`netad.bench.spec.Job`; its first threshold strategy is the model's. ``oracle`` is
    refused: it picks the threshold with test labels, which a deployed model cannot have.
    """
    from netad.persist import check_target, save_model
    from netad.progress import phase

    directory = Path(directory)
    if not job.thresholds:
        raise NetadInputError("no threshold strategy given")
    spec = job.thresholds[0]
    if thresholds.resolve(spec).uses_test_data:
        raise NetadInputError(
            f"threshold {spec!r} is chosen with test labels; a saved model needs one set without them "
            "(p99, p97, contamination:R, best-f1 on validation)"
        )
    check_target(directory, overwrite)  # fail before minutes of fitting, not after

    fitted = fit_job(job)
    preprocessor, detector, split = fitted.preprocessor, fitted.detector, fitted.split
    phase("scoring the validation and test rows")
    validation_scores = detector.decision_function(preprocessor.transform(split.validation.features))
    test_scores = detector.decision_function(preprocessor.transform(split.test.features))
    strategy, threshold, source = choose_threshold(spec, split, validation_scores, test_scores)
    # the model keeps the threshold the benchmark would report, not the fit-time one on training rows
    detector.threshold_, detector.threshold_strategy_ = float(threshold), strategy.name
    detector.threshold_calibration_ = {"strategy": strategy.name, "method": source, "rows": len(split.validation)}
    test_metrics = metrics.binary_metrics(split.test.label, test_scores, threshold)
    per_category = metrics.detection_rate_by_category(split.test.attack_category, test_scores, threshold)
    what = f"{job.detector} on {job.dataset} ({strategy.name})"
    warnings = metrics.usefulness_warnings(split.validation_labels(), validation_scores, threshold, what)
    for warning in warnings:  # TrainedModel.warnings and model.json carry them; the CLI shows them
        logger.info("warning: %s", warning)

    normal_frame, _ = split.fit_data("unsupervised")
    if len(normal_frame) > REFERENCE_MAX_ROWS:
        rows = np.random.default_rng(job.seed).choice(len(normal_frame), REFERENCE_MAX_ROWS, replace=False)
        normal_frame = normal_frame.iloc[np.sort(rows)]
    reference = preprocessor.transform(normal_frame)
    del normal_frame

    metadata = {
        "metrics": {"test": test_metrics, "per_category": per_category},
        "warnings": warnings,
        "threshold": {"strategy": strategy.name, "value": float(threshold), "chosen_on": source},
        "provenance": {
            "dataset": job.dataset,
            "dataset_version": fitted.dataset.version,
            "dataset_sources": [s.to_dict() for s in fitted.dataset.sources],
            "protocol": job.protocol,
            "protocol_options": job.protocol_options,
            "seed": job.seed,
            "max_train": job.max_train,
            "split": split.info,
            "n_train": fitted.n_fit,
            "n_validation": len(split.validation),
            "n_test": len(split.test),
            "fit_seconds": round(fitted.fit_seconds, 3),
            "job": job.to_dict(),
        },
    }
    save_model(directory, preprocessor, detector, metadata, reference=reference, overwrite=overwrite)
    return TrainedModel(
        path=directory,
        detector_name=job.detector,
        threshold=float(threshold),
        threshold_strategy=strategy.name,
        metrics=test_metrics,
        per_category=per_category,
        n_train=fitted.n_fit,
        n_validation=len(split.validation),
        n_test=len(split.test),
        fit_seconds=fitted.fit_seconds,
        warnings=warnings,
    )
