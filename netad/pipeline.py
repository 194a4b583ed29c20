"""The one fit chain: dataset -> split -> preprocessing (fit on the fit rows) -> detector fit -> threshold.

``netad bench`` (:mod:`netad.bench.job`), ``netad train`` (:func:`train_model` = this chain + :mod:`netad.persist`),
``netad explain`` and ``netad latent-plot`` all fit through :func:`fit_job`, so a model is fitted the same way
wherever it is used; thresholds come from the validation split (:func:`choose_threshold`).
"""

from __future__ import annotations

import inspect
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
    """A registered detector with ``params``, checked now (see :func:`check_detector_params`); its ``random_state``
    is the job's seed unless given."""
    from netad.detectors import make

    detector = make(name, **params)
    check_detector_params(name, detector, params)
    if "random_state" in detector.get_params() and "random_state" not in params:
        detector.set_params(random_state=seed)
    return detector


def check_detector_params(name: str, detector: Any, given: dict[str, Any]) -> None:
    """Run a detector's parameter checks when it is built, not minutes later at fit: text where the default is a
    number, then the detector's own declared checks (:meth:`BaseDetector.check_params`). Raises one
    :class:`NetadInputError` line naming the option."""
    signature = inspect.signature(type(detector).__init__).parameters.values()
    defaults = {p.name: p.default for p in signature if p.default is not inspect.Parameter.empty}
    for key, value in given.items():
        default = defaults.get(key)
        numeric_default = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric_default and isinstance(value, str | bool | list | dict):  # None and other numbers: the checks below
            kind = "an integer" if isinstance(default, int) else "a number"
            raise NetadInputError(f"--param {name}.{key}={value!r}: expected {kind} (default {default!r})")
    try:
        detector.check_params()
    except (NetadInputError, TypeError, ValueError) as exc:
        raise NetadInputError(f"--param {name}: {exc}") from None


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
    check_thresholds_fit(job, split)
    detector = build_detector(job.detector, job.params, job.seed)

    fit_frame, fit_labels = split.fit_data(detector.supervision)
    preprocess = {"non_finite": cleaning_policy(job), **job.preprocess}
    preprocessor = FlowPreprocessor.for_dataset(dataset, **preprocess).fit(fit_frame)
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


def cleaning_policy(job: Job) -> str:
    """How the model treats NaN/±Inf when it scores new flows: as its training loader did (``clean_inf``: ``drop``
    and ``clip`` -> clip to the training range, NaN -> 0; ``zero`` -> 0), an error for loaders without that option
    (their files hold no such values). See :class:`netad.preprocess.FlowPreprocessor` (``non_finite``)."""
    from netad.datasets.registry import get_spec

    spec, _ = get_spec(job.dataset, job.dataset_path)
    clean = {**spec.options, **job.dataset_options}.get("clean_inf")
    return {"drop": "clip", "clip": "clip", "zero": "zero"}.get(clean, "error")


def check_thresholds_fit(job: Job, split: Any) -> None:
    """Refuse, before the fit, a threshold strategy that needs labelled attacks the validation split lacks."""
    labels = split.validation_labels()
    for spec in job.thresholds:
        strategy = thresholds.resolve(spec)
        if strategy.needs_labels and not strategy.uses_test_data and not (labels == 1).any():
            raise NetadInputError(
                f"threshold {strategy.name!r} needs attacks in the validation split, but {job.dataset} gives it "
                f"{len(labels):,} rows and no attack (all-normal data, or a weak label budget of 0); use a "
                "percentile (p99) or contamination:R"
            )


def check_attacks_for_thresholds(specs: list[str], datasets: list[str], path: str | None, options: dict) -> None:
    """Before a run: refuse threshold strategies that need labelled attacks (best-f1, oracle) on a dataset that has
    none (all-normal data), instead of failing every job after its fit. Loads (and caches) the datasets."""
    from netad.datasets import load

    needing = [spec for spec in specs if thresholds.resolve(spec).needs_labels]
    if not needing:
        return
    for name in datasets:
        labels = load(name, path, **options).label
        if not (labels == 1).any():
            raise NetadInputError(
                f"threshold {needing[0]!r} needs attack rows, but {name} has {len(labels):,} rows and no attack "
                "(all-normal data); use a percentile (p99) or contamination:R"
            )


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
    dataset_rows: int = 0  # rows the loader kept
    dropped_rows: dict[str, int] = field(default_factory=dict)  # reason -> rows the loader removed
    non_finite: str = "error"  # the saved policy for NaN/±Inf when scoring (FlowPreprocessor.non_finite)


def dropped_rows_message(dataset: str, kept: int, dropped: dict[str, int]) -> str | None:
    """``csv:x.csv: 15 of 1,500 rows dropped while loading (15 NaN or missing numeric value)``, or None."""
    total = sum(dropped.values())
    if not total:
        return None
    detail = ", ".join(f"{n:,} {reason}" for reason, n in dropped.items())
    return f"{dataset}: {total:,} of {kept + total:,} rows dropped while loading ({detail})"


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

    dropped = dropped_rows_message(job.dataset, fitted.dataset.n_rows, fitted.dataset.dropped_rows)
    if dropped:
        warnings.append(dropped)  # on the console and in model.json, never silent
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
            "dataset_rows": fitted.dataset.n_rows,
            "dropped_rows": dict(fitted.dataset.dropped_rows),
            "dataset_notes": list(fitted.dataset.notes),
            "non_finite": preprocessor.non_finite,
            "n_train": fitted.n_fit,
            "n_validation": len(split.validation),
            "n_test": len(split.test),
            "fit_seconds": round(fitted.fit_seconds, 3),
            "job": job.to_dict(),
        },
    }
    normal_validation = np.asarray(validation_scores)[np.asarray(split.validation_labels()) == 0]  # label budget kept
    save_model(
        directory, preprocessor, detector, metadata, reference=reference,
        score_reference=normal_validation if len(normal_validation) else None, overwrite=overwrite,
    )  # fmt: skip
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
        dataset_rows=fitted.dataset.n_rows,
        dropped_rows=dict(fitted.dataset.dropped_rows),
        non_finite=preprocessor.non_finite,
    )
