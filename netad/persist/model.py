"""save_model / load_model: a fitted preprocessor + detector as a directory of data files, and back."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist.detector_state import capped_params, detector_state, restore_detector
from netad.persist.formats import load_safetensors, module_bytes, safetensors_bytes, skops_io
from netad.persist.layout import (
    DETECTOR_ARRAYS,
    DETECTOR_JSON,
    FEATURE_STATS,
    FORMAT,
    FORMAT_VERSION,
    MAX_FEATURES,
    MAX_JSON_DEPTH,
    MODEL_FILE,
    PREPROCESSOR_ARRAYS,
    PREPROCESSOR_JSON,
    SKOPS_SUFFIX,
    WEIGHTS,
    dump_json,
    json_depth,
    library_versions,
    netad_version,
    prepare_directory,
    read_model_json,
    require,
    verified_files,
    write_file,
)
from netad.persist.preprocessor_state import preprocessor_state, restore_preprocessor
from netad.persist.preprocessor_v1 import restore_preprocessor_v1
from netad.persist.schema import FeatureSchema, build_schema, feature_stats, score_quantiles
from netad.persist.values import decode, encode, params_json, plain_json

if TYPE_CHECKING:
    from netad.detectors.base import BaseDetector
    from netad.preprocess import FlowPreprocessor

logger = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model read back by :func:`load_model`."""

    preprocessor: FlowPreprocessor | None
    detector: BaseDetector
    schema: FeatureSchema
    metadata: dict[str, Any] = field(default_factory=dict)
    detector_name: str = ""
    path: Path | None = None
    score_reference: np.ndarray | None = None
    """Quantiles of the scores of normal validation rows (None for models saved without): the reference a drift
    check compares live scores with."""


def save_model(
    directory: str | os.PathLike,
    preprocessor: FlowPreprocessor | None,
    detector: BaseDetector,
    metadata: Mapping[str, Any] | None = None,
    *,
    reference: np.ndarray | None = None,
    score_reference: np.ndarray | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a fitted ``detector`` (and the ``preprocessor`` that feeds it, if any) to ``directory``.

    ``metadata`` (metrics, dataset, split, seed...) is stored as JSON in ``model.json``. ``reference``, an
    optional sample of preprocessed training rows, stores per-feature mean/std for top-feature attribution and
    drift checks; ``score_reference``, scores of normal validation rows, is kept as 101 quantiles beside them.
    Refuses a non-empty directory unless ``overwrite`` (then only the files of the previous model are replaced;
    a link planted in the directory is replaced, never written through).
    Raises :class:`NetadInputError` when some fitted state cannot be saved safely.
    """
    directory = Path(directory)
    refusal = detector._save_refusal()
    if refusal is not None:
        raise NetadInputError(refusal)
    detector._check_fitted()
    name = registered_name(detector)
    # serialise everything in memory first: an unsupported attribute fails before anything is written
    state, arrays, sklearn_models, module = detector_state(detector)
    pre_state, pre_arrays = (None, {}) if preprocessor is None else preprocessor_state(preprocessor)
    schema = build_schema(preprocessor, detector)
    metadata_json = plain_json(dict(metadata or {}), "metadata")
    for what, value in (("metadata", metadata_json), ("detector state", state), ("preprocessor state", pre_state)):
        if json_depth({"model": {"key": value}}) > MAX_JSON_DEPTH:  # what load_model would refuse, refused now
            raise NetadInputError(f"cannot save the {what}: nested deeper than {MAX_JSON_DEPTH - 2} levels")

    prepare_directory(directory, overwrite)
    files: dict[str, str] = {}

    def write(file_name: str, data: bytes) -> None:
        files[file_name] = write_file(directory, file_name, data, overwrite=overwrite)

    if pre_state is not None:
        write(PREPROCESSOR_JSON, dump_json(pre_state))
        if pre_arrays:
            write(PREPROCESSOR_ARRAYS, safetensors_bytes(pre_arrays, "preprocessor"))
    write(DETECTOR_JSON, dump_json(state))
    if arrays:
        write(DETECTOR_ARRAYS, safetensors_bytes(arrays, "detector"))
    if module is not None:
        write(WEIGHTS, module_bytes(module))
    if sklearn_models:
        sio = skops_io()
        for attribute, estimator in sklearn_models.items():
            write(attribute + SKOPS_SUFFIX, sio.dumps(estimator))
    if reference is not None:
        mean, std = feature_stats(reference, detector.n_features_in_)
        stats = {"mean": mean, "std": std}
        if score_reference is not None and len(score_reference):
            stats["score_quantiles"] = score_quantiles(score_reference)
        write(FEATURE_STATS, safetensors_bytes(stats, "feature_stats"))

    model = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "netad_version": netad_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(module is not None),
        "detector": {
            "name": name,
            "class": f"{type(detector).__module__}.{type(detector).__qualname__}",
            "params": params_json(detector),
            "supervision": detector.supervision,
            "n_features_in": int(detector.n_features_in_),
            "threshold": encode(detector.threshold_, "threshold_"),
            "threshold_strategy": getattr(detector, "threshold_strategy_", None),
            # where threshold_ was set: rows held out of the fit, calibrate() rows, or the validation split
            "threshold_calibration": plain_json(getattr(detector, "threshold_calibration_", None), "calibration"),
        },
        "schema": schema.to_json(),
        "metadata": metadata_json,
        "files": files,
    }
    # written last: a directory without model.json is not a model (an interrupted save is never loaded)
    write_file(directory, MODEL_FILE, dump_json(model), overwrite=overwrite)
    logger.info("saved %s model to %s (%d files)", name, directory, len(files) + 1)
    return directory


def save_detector(detector: BaseDetector, directory: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a fitted detector alone (no preprocessing) to ``directory``; read it back with :func:`load_detector`."""
    return save_model(directory, None, detector, overwrite=overwrite)


def load_detector(directory: str | os.PathLike, expected: type | None = None) -> BaseDetector:
    """The detector of a directory written by :func:`save_detector` or ``netad train``.

    ``expected``: the detector class the caller wants; another class is refused with a clear message.
    """
    detector = load_model(directory).detector
    if expected is not None and not isinstance(detector, expected):
        raise NetadInputError(f"{directory}: holds a {type(detector).__name__}, not a {expected.__name__}")
    return detector


def load_model(directory: str | os.PathLike) -> LoadedModel:
    """Read a model written by :func:`save_model`, checking every file first (see :mod:`netad.persist`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise NetadInputError(f"{directory}: model directory not found")
    model = read_model_json(directory)
    files = verified_files(directory, model)
    where = str(directory / MODEL_FILE)

    detector_info = require(model, "detector", dict, MODEL_FILE)
    name = require(detector_info, "name", str, f"{MODEL_FILE} detector")
    from netad.detectors import available, get_class

    if name not in available():
        raise NetadInputError(
            f"{where}: unknown detector {name!r} (not registered in this netad); available: {', '.join(available())}"
        )
    cls = get_class(name)
    params = capped_params(decode(require(detector_info, "params", dict, f"{MODEL_FILE} detector"), where), where)
    try:
        detector = cls(**params)
    except TypeError as exc:
        raise NetadInputError(f"{where}: parameters do not fit detector {name!r} ({exc})") from None
    n_features = detector_info.get("n_features_in")
    if n_features is not None and (not isinstance(n_features, int) or not 0 < n_features <= MAX_FEATURES):
        raise NetadInputError(f"{where}: n_features_in {n_features!r} is not a feature count (1..{MAX_FEATURES:,})")
    restore_detector(detector, directory, files)

    threshold = decode(detector_info.get("threshold"), "threshold")
    if getattr(detector, "threshold_", None) != threshold:
        raise NetadInputError(f"{where}: threshold {threshold!r} disagrees with {DETECTOR_JSON}")

    preprocessor = None
    if PREPROCESSOR_JSON in files:
        restore = restore_preprocessor_v1 if model["format_version"] == 1 else restore_preprocessor
        preprocessor = restore(directory, files)
    try:
        schema = FeatureSchema.from_json(require(model, "schema", dict, MODEL_FILE))
    except (KeyError, TypeError, AttributeError) as exc:
        raise NetadInputError(f"{where}: malformed feature schema ({exc!r})") from None
    if preprocessor is not None and preprocessor.n_features_out_ != detector.n_features_in_:
        raise NetadInputError(
            f"{directory / PREPROCESSOR_JSON}: gives {preprocessor.n_features_out_} features but the detector was "
            f"fitted on {detector.n_features_in_}"
        )
    score_reference = None
    if FEATURE_STATS in files:
        stats = load_safetensors(directory / FEATURE_STATS)
        schema.feature_mean, schema.feature_std = stats.get("mean"), stats.get("std")
        score_reference = stats.get("score_quantiles")
    if len(schema.output_features) != detector.n_features_in_:
        raise NetadInputError(
            f"{where}: schema lists {len(schema.output_features)} features but the detector "
            f"was fitted on {detector.n_features_in_}"
        )
    return LoadedModel(
        preprocessor=preprocessor,
        detector=detector,
        schema=schema,
        metadata=model.get("metadata") or {},
        detector_name=name,
        path=directory,
        score_reference=score_reference,
    )


def registered_name(detector: BaseDetector) -> str:
    """The registry name of ``detector``'s class (exact class, not a parent)."""
    from netad.detectors import registry

    cls = type(detector)
    for name, (module, class_name, _) in registry._DETECTORS.items():
        if module == cls.__module__ and class_name == cls.__qualname__:
            return name
    raise NetadInputError(
        f"cannot save {cls.__qualname__}: it is not a registered detector (netad.detectors.register), so it "
        "could not be rebuilt on load"
    )
