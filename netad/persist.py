"""Save and load fitted models (preprocessor + detector) in formats that never run code on load.

One directory per model:

- ``model.json``: format version, netad and library versions, the detector's registered name and parameters,
  ``threshold_``, its strategy and where it was set (``threshold_calibration``: rows held out of the fit,
  ``calibrate()`` rows or the validation split), the feature schema (input columns, dtypes, known categories,
  output feature names), the caller's metadata (metrics, provenance) and the sha256 of every other file;
- ``preprocessor.json`` + ``preprocessor.safetensors``: the :class:`~netad.preprocess.FlowPreprocessor`'s fitted
  state written out explicitly (scaler statistics, encoder categories, dropped columns) and rebuilt on load;
- ``detector.json`` / ``detector.safetensors``: every fitted attribute of the detector (name ends in ``_``):
  arrays and tensors as safetensors, plain values as JSON;
- ``weights.safetensors``: the state dict of a deep detector's ``nn.Module``; on load the module is rebuilt by
  the detector's own ``_build(n_features_in_)`` under the saved parameters, then the weights are loaded;
- ``<attribute>.skops``: scikit-learn models inside classical detectors, via :mod:`skops.io`, loaded with an
  explicit list of trusted types, each checked against an allow-list (scikit-learn and numpy classes);
- ``feature_stats.safetensors`` (optional): mean and std of each output feature on the training rows, used by
  ``netad score --top-features`` to rank unusual features.

Loading checks the format version, that every listed file is present and has its recorded sha256 (a changed
file is an error naming it), that safetensors/skops files really are such files, and that the detector name is
registered. No pickle is ever read. The hashes catch corrupted, truncated or swapped files; they cannot stop
someone who rewrites ``model.json`` too, which is why safety rests on the formats (nothing in them is code).

>>> save_model("models/iforest", preprocessor, detector, {"metrics": {...}})  # doctest: +SKIP
>>> model = load_model("models/iforest")  # doctest: +SKIP
>>> scores = model.detector.decision_function(model.preprocessor.transform(frame))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import math
import os
import platform
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError

if TYPE_CHECKING:
    from netad.detectors.base import BaseDetector
    from netad.preprocess import FlowPreprocessor

logger = logging.getLogger(__name__)

FORMAT = "netad-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
PREPROCESSOR_JSON = "preprocessor.json"
PREPROCESSOR_ARRAYS = "preprocessor.safetensors"
DETECTOR_JSON = "detector.json"
DETECTOR_ARRAYS = "detector.safetensors"
WEIGHTS = "weights.safetensors"
FEATURE_STATS = "feature_stats.safetensors"
SKOPS_SUFFIX = ".skops"

TRUSTED_TYPE_PACKAGES = ("sklearn", "numpy")
"""skops may rebuild classes from these packages only (checked one by one, never ``trusted=True``)."""

_MAX_JSON_BYTES = 256 << 20
_MAX_SAFETENSORS_HEADER = 100 << 20


# -- public API -----------------------------------------------------------------------------------------
@dataclass
class FeatureSchema:
    """What a model expects as input and what its detector sees.

    ``input_columns`` are the table columns the preprocessor was fitted on (all must be present to score;
    ``used_columns`` are those actually read, the rest were dropped at fit as constant or duplicate);
    ``dtypes`` maps each input column to ``float32`` (numeric) or ``string`` (categorical);
    ``categories`` lists the known categories of each encoded categorical column; ``output_features`` are the
    detector's input features (after one-hot encoding). Without a preprocessor only ``output_features``
    (generic names) is set. ``feature_mean``/``feature_std`` are the training statistics of the output
    features when they were saved.
    """

    input_columns: list[str]
    dtypes: dict[str, str]
    used_columns: list[str]
    categories: dict[str, list[str]]
    output_features: list[str]
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None

    @property
    def categorical_columns(self) -> list[str]:
        return [c for c in self.input_columns if self.dtypes.get(c) == "string"]

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.input_columns if self.dtypes.get(c) != "string"]

    def to_json(self) -> dict[str, Any]:
        return {
            "input_columns": [
                {"name": c, "dtype": self.dtypes[c], "used": c in self.used_columns} for c in self.input_columns
            ],
            "categorical_columns": {c: self.categories.get(c, []) for c in self.categorical_columns},
            "output_features": list(self.output_features),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSchema:
        columns = data["input_columns"]
        return cls(
            input_columns=[str(c["name"]) for c in columns],
            dtypes={str(c["name"]): str(c["dtype"]) for c in columns},
            used_columns=[str(c["name"]) for c in columns if c.get("used", True)],
            categories={str(k): [str(v) for v in vs] for k, vs in data.get("categorical_columns", {}).items()},
            output_features=[str(f) for f in data["output_features"]],
        )


@dataclass
class LoadedModel:
    """A model read back by :func:`load_model`."""

    preprocessor: FlowPreprocessor | None
    detector: BaseDetector
    schema: FeatureSchema
    metadata: dict[str, Any] = field(default_factory=dict)
    detector_name: str = ""
    path: Path | None = None


def save_model(
    directory: str | os.PathLike,
    preprocessor: FlowPreprocessor | None,
    detector: BaseDetector,
    metadata: Mapping[str, Any] | None = None,
    *,
    reference: np.ndarray | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a fitted ``detector`` (and the ``preprocessor`` that feeds it, if any) to ``directory``.

    ``metadata`` (metrics, dataset, split, seed...) is stored as JSON in ``model.json``. ``reference``, an
    optional sample of preprocessed training rows, stores per-feature mean/std for top-feature attribution.
    Refuses a non-empty directory unless ``overwrite`` (then only the files of the previous model are replaced).
    Raises :class:`NetadInputError` when some fitted state cannot be saved safely.
    """
    directory = Path(directory)
    refusal = detector._save_refusal()
    if refusal is not None:
        raise NetadInputError(refusal)
    detector._check_fitted()
    name = registered_name(detector)
    # serialise everything in memory first: an unsupported attribute fails before anything is written
    detector_state, detector_arrays, sklearn_models, module = _detector_state(detector)
    pre_state, pre_arrays = (None, {}) if preprocessor is None else _preprocessor_state(preprocessor)
    schema = _schema(preprocessor, detector)
    metadata_json = _plain_json(dict(metadata or {}), "metadata")

    _prepare_directory(directory, overwrite)
    files: dict[str, str] = {}

    def write(file_name: str, data: bytes) -> None:
        (directory / file_name).write_bytes(data)
        files[file_name] = hashlib.sha256(data).hexdigest()

    if pre_state is not None:
        write(PREPROCESSOR_JSON, _dump_json(pre_state))
        if pre_arrays:
            write(PREPROCESSOR_ARRAYS, _safetensors_bytes(pre_arrays, "preprocessor"))
    write(DETECTOR_JSON, _dump_json(detector_state))
    if detector_arrays:
        write(DETECTOR_ARRAYS, _safetensors_bytes(detector_arrays, "detector"))
    if module is not None:
        write(WEIGHTS, _module_bytes(module))
    if sklearn_models:
        sio = _skops_io()
        for attribute, estimator in sklearn_models.items():
            write(attribute + SKOPS_SUFFIX, sio.dumps(estimator))
    if reference is not None:
        mean, std = _feature_stats(reference, detector.n_features_in_)
        write(FEATURE_STATS, _safetensors_bytes({"mean": mean, "std": std}, "feature_stats"))

    model = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "netad_version": _netad_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _library_versions(module is not None),
        "detector": {
            "name": name,
            "class": f"{type(detector).__module__}.{type(detector).__qualname__}",
            "params": _params_json(detector),
            "supervision": detector.supervision,
            "n_features_in": int(detector.n_features_in_),
            "threshold": _encode(detector.threshold_, "threshold_"),
            "threshold_strategy": getattr(detector, "threshold_strategy_", None),
            # where threshold_ was set: rows held out of the fit, calibrate() rows, or the validation split
            "threshold_calibration": _plain_json(getattr(detector, "threshold_calibration_", None), "calibration"),
        },
        "schema": schema.to_json(),
        "metadata": metadata_json,
        "files": files,
    }
    # written last: a directory without model.json is not a model (an interrupted save is never loaded)
    (directory / MODEL_FILE).write_bytes(_dump_json(model))
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
    """Read a model written by :func:`save_model`, checking every file first (see the module docstring)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise NetadInputError(f"{directory}: model directory not found")
    model = _read_model_json(directory)
    files = _verified_files(directory, model)

    detector_info = _require(model, "detector", dict, MODEL_FILE)
    name = _require(detector_info, "name", str, f"{MODEL_FILE} detector")
    from netad.detectors import available, get_class

    if name not in available():
        raise NetadInputError(
            f"{directory / MODEL_FILE}: unknown detector {name!r} (not registered in this netad); "
            f"available: {', '.join(available())}"
        )
    cls = get_class(name)
    params = _decode(_require(detector_info, "params", dict, f"{MODEL_FILE} detector"), "params")
    try:
        detector = cls(**params)
    except TypeError as exc:
        raise NetadInputError(f"{directory / MODEL_FILE}: parameters do not fit detector {name!r} ({exc})") from None
    _restore_detector(detector, directory, files)

    threshold = _decode(detector_info.get("threshold"), "threshold")
    if getattr(detector, "threshold_", None) != threshold:
        raise NetadInputError(f"{directory / MODEL_FILE}: threshold {threshold!r} disagrees with {DETECTOR_JSON}")

    preprocessor = None
    if PREPROCESSOR_JSON in files:
        preprocessor = _restore_preprocessor(directory, files)
    try:
        schema = FeatureSchema.from_json(_require(model, "schema", dict, MODEL_FILE))
    except (KeyError, TypeError, AttributeError) as exc:
        raise NetadInputError(f"{directory / MODEL_FILE}: malformed feature schema ({exc!r})") from None
    if FEATURE_STATS in files:
        stats = _load_safetensors(directory / FEATURE_STATS)
        schema.feature_mean, schema.feature_std = stats.get("mean"), stats.get("std")
    if len(schema.output_features) != detector.n_features_in_:
        raise NetadInputError(
            f"{directory / MODEL_FILE}: schema lists {len(schema.output_features)} features but the detector "
            f"was fitted on {detector.n_features_in_}"
        )
    return LoadedModel(
        preprocessor=preprocessor,
        detector=detector,
        schema=schema,
        metadata=model.get("metadata") or {},
        detector_name=name,
        path=directory,
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


# -- JSON values ----------------------------------------------------------------------------------------
def _encode(value: Any, where: str) -> Any:
    """A JSON-safe form of a plain value that :func:`_decode` turns back into the same value and type.

    Tuples, non-finite floats and numpy scalars are tagged; anything else that is not JSON raises.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise _cannot(where, value)
        return {"__numpy__": value.dtype.name, "value": _encode(value.item(), where)}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise NetadInputError(f"cannot save {where}: dictionary keys must be strings")
        encoded = {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {"__dict__": encoded} if any(k.startswith("__") for k in value) else encoded
    raise _cannot(where, value)


def _decode(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__tuple__"}:
        return tuple(_decode(v, where) for v in value["__tuple__"])
    if set(value) == {"__float__"}:
        if value["__float__"] not in ("nan", "inf", "-inf"):
            raise NetadInputError(f"{where}: bad float {value['__float__']!r}")
        return float(value["__float__"])
    if set(value) == {"__numpy__", "value"}:
        kind = str(value["__numpy__"])
        try:
            dtype = np.dtype(kind)
        except TypeError:
            raise NetadInputError(f"{where}: unknown numpy type {kind!r}") from None
        if dtype.kind not in "biuf":
            raise NetadInputError(f"{where}: numpy type {kind!r} is not a number")
        return dtype.type(_decode(value["value"], where))
    if set(value) == {"__dict__"}:
        return {k: _decode(v, where) for k, v in value["__dict__"].items()}
    return {k: _decode(v, where) for k, v in value.items()}


def _cannot(where: str, value: Any) -> NetadInputError:
    return NetadInputError(
        f"cannot save {where}: values of type {type(value).__module__}.{type(value).__qualname__} have no safe "
        "format here (supported: numbers, strings, lists/tuples/dicts of them, numpy arrays, torch tensors, "
        "scikit-learn estimators, the detector's nn.Module)"
    )


def _plain_json(value: Any, where: str) -> Any:
    """Caller metadata as readable JSON: numpy -> Python, NaN/Inf -> null, paths -> str; other objects refused."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        return _plain_json(value.tolist(), where)
    if isinstance(value, list | tuple):
        return [_plain_json(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v, f"{where}.{k}") for k, v in value.items()}
    raise NetadInputError(f"cannot save {where}: {type(value).__name__} is not JSON data")


def _dump_json(data: Any) -> bytes:
    return (json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()


def _params_json(detector: BaseDetector) -> dict[str, Any]:
    from netad import thresholds

    params = detector.get_params(deep=False)
    threshold = params.get("threshold")
    if threshold is not None and not isinstance(threshold, str):
        # a strategy object: store its spec string when that resolves back to an equal strategy
        spec = getattr(threshold, "name", None)
        if not isinstance(spec, str) or thresholds.resolve(spec) != threshold:
            raise _cannot("parameter 'threshold'", threshold)
        params["threshold"] = spec
    return {k: _encode(v, f"parameter {k!r}") for k, v in params.items()}


# -- detector state -------------------------------------------------------------------------------------
def _fitted_attributes(obj: Any) -> dict[str, Any]:
    """Learned state in scikit-learn's convention: public attributes whose name ends in an underscore."""
    return {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}


def _is_torch(value: Any, kind: str) -> bool:
    torch = sys.modules.get("torch")  # a torch object cannot exist unless torch was imported
    if torch is None:
        return False
    return isinstance(value, torch.nn.Module if kind == "module" else torch.Tensor)


def _is_sklearn_estimator(value: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator) and type(value).__module__.split(".")[0] == "sklearn"


def _detector_state(detector: BaseDetector) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any], Any]:
    """(JSON state, arrays, scikit-learn estimators by attribute, the nn.Module or None)."""
    json_values: dict[str, Any] = {}
    array_kinds: dict[str, str] = {}
    arrays: dict[str, np.ndarray] = {}
    sklearn_models: dict[str, Any] = {}
    module_attribute, module = None, None
    what = type(detector).__name__
    for attribute, value in sorted(_fitted_attributes(detector).items()):
        where = f"{what}.{attribute}"
        if _is_torch(value, "module"):
            if module is not None or not callable(getattr(detector, "_build", None)):
                raise NetadInputError(
                    f"cannot save {where}: only one nn.Module, the one built by _build(n_features), can be "
                    f"restored (already have {module_attribute})"
                )
            module_attribute, module = attribute, value
        elif _is_torch(value, "tensor"):
            arrays[attribute] = value.detach().cpu().contiguous().numpy()
            array_kinds[attribute] = "torch"
        elif isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise NetadInputError(f"cannot save {where}: numpy arrays of dtype {value.dtype} are not supported")
            arrays[attribute] = np.ascontiguousarray(value)
            array_kinds[attribute] = "numpy"
        elif _is_sklearn_estimator(value):
            sklearn_models[attribute] = value
        else:
            json_values[attribute] = _encode(value, where)
    state = {
        "attributes": json_values,
        "arrays": array_kinds,
        "sklearn": {a: a + SKOPS_SUFFIX for a in sklearn_models},
        "module": None if module is None else {"attribute": module_attribute, "file": WEIGHTS},
    }
    return state, arrays, sklearn_models, module


def _check_attribute_name(attribute: Any, where: str) -> None:
    """Saved state may only set public fitted attributes (``name_``), never dunders or private state."""
    if not (
        isinstance(attribute, str) and attribute.isidentifier() and attribute.endswith("_")
    ) or attribute.startswith("_"):
        raise NetadInputError(f"{where}: {attribute!r} is not a fitted attribute name")


def _restore_detector(detector: BaseDetector, directory: Path, files: dict[str, str]) -> None:
    state = _read_json(directory / DETECTOR_JSON)
    where = str(directory / DETECTOR_JSON)
    attributes = {k: _decode(v, f"{where}: {k}") for k, v in _require(state, "attributes", dict, where).items()}
    array_kinds = _require(state, "arrays", dict, where)
    sklearn_files = _require(state, "sklearn", dict, where)
    for attribute in [*attributes, *array_kinds, *sklearn_files]:
        _check_attribute_name(attribute, where)

    if array_kinds:
        stored = _load_safetensors(directory / DETECTOR_ARRAYS) if DETECTOR_ARRAYS in files else {}
        for attribute, kind in array_kinds.items():
            if attribute not in stored:
                raise NetadInputError(f"{directory / DETECTOR_ARRAYS}: array {attribute!r} is missing")
            if kind == "torch":
                import torch

                attributes[attribute] = torch.from_numpy(stored[attribute].copy())
            elif kind == "numpy":
                attributes[attribute] = stored[attribute]
            else:
                raise NetadInputError(f"{where}: unknown array kind {kind!r} for {attribute!r}")
    for attribute, file_name in sklearn_files.items():
        if file_name != attribute + SKOPS_SUFFIX or file_name not in files:
            raise NetadInputError(f"{where}: scikit-learn model {attribute!r} has no verified file {file_name!r}")
        attributes[attribute] = _load_skops(directory / file_name)

    for attribute, value in attributes.items():
        setattr(detector, attribute, value)
    module_info = state.get("module")
    if module_info is not None:
        if module_info.get("file") != WEIGHTS or WEIGHTS not in files:
            raise NetadInputError(f"{where}: the module's weights file {WEIGHTS} is not listed in {MODEL_FILE}")
        _restore_module(detector, str(module_info.get("attribute")), directory / WEIGHTS)
        # _build may (re)set fitted attributes of its own (e.g. a VAE's noise): the saved values win
        for attribute, value in attributes.items():
            setattr(detector, attribute, value)
    if not hasattr(detector, "threshold_") or not hasattr(detector, "n_features_in_"):
        raise NetadInputError(f"{where}: threshold_ or n_features_in_ missing; not a fitted detector")


def _module_bytes(module: Any) -> bytes:
    from safetensors.torch import save

    state = module.state_dict()
    # clone: tied parameters share storage, which safetensors refuses; values are what matters here
    return save({k: v.detach().cpu().clone().contiguous() for k, v in state.items()})


def _restore_module(detector: Any, attribute: str, path: Path) -> None:
    """Rebuild the detector's network with its own ``_build`` and load the saved weights into it."""
    import torch

    from netad.nn import resolve_device

    _check_attribute_name(attribute, str(path))
    state = _load_safetensors(path, framework="pt")
    check = getattr(detector, "_check_params", None)
    if callable(check):
        check()
    # fork_rng: building draws initial weights (overwritten below); the caller's RNG stream stays untouched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = detector._build(int(detector.n_features_in_))
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise NetadInputError(f"{path}: weights do not fit the rebuilt network ({exc})") from None
    saved_device = str(getattr(detector, "device_", "cpu"))
    try:
        device = resolve_device(saved_device)
    except NetadInputError:
        logger.warning("model was fitted on %s, which is not available here; loading on the CPU", saved_device)
        device = torch.device("cpu")
    module.to(device).eval()
    if hasattr(detector, "device_"):
        detector.device_ = str(device)
    setattr(detector, attribute, module)


# -- preprocessor state ---------------------------------------------------------------------------------
def _preprocessor_state(pre: FlowPreprocessor) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from netad.preprocess import SCALERS

    if not hasattr(pre, "n_features_out_"):
        raise NetadInputError("cannot save the preprocessor: it is not fitted")
    arrays: dict[str, np.ndarray] = {}
    fitted: dict[str, Any] = {}
    for attribute, value in sorted(_fitted_attributes(pre).items()):
        if attribute in ("scaler_", "encoder_"):
            continue
        if isinstance(value, np.ndarray) and value.dtype == object:
            fitted[attribute] = {"__strings__": [str(v) for v in value.tolist()]}
        elif isinstance(value, np.ndarray):
            arrays[f"fitted.{attribute}"] = np.ascontiguousarray(value)
            fitted[attribute] = {"__array__": f"fitted.{attribute}"}
        else:
            fitted[attribute] = _encode(value, f"FlowPreprocessor.{attribute}")

    scaler = None
    if pre.scaler_ is not None:
        kind = next((k for k, cls in SCALERS.items() if type(pre.scaler_) is cls), None)
        if kind is None:
            raise _cannot("FlowPreprocessor.scaler_", pre.scaler_)
        scaler_fitted = {}
        for attribute, value in sorted(_fitted_attributes(pre.scaler_).items()):
            if isinstance(value, np.ndarray):
                arrays[f"scaler.{attribute}"] = np.ascontiguousarray(value)
                scaler_fitted[attribute] = {"__array__": f"scaler.{attribute}"}
            else:
                scaler_fitted[attribute] = _encode(value, f"FlowPreprocessor.scaler_.{attribute}")
        scaler = {
            "kind": kind,
            "params": {k: _encode(v, f"scaler parameter {k}") for k, v in pre.scaler_.get_params().items()},
            "fitted": scaler_fitted,
        }

    encoder = None
    if pre.encoder_ is not None:
        params = dict(pre.encoder_.get_params())
        params["dtype"] = np.dtype(params["dtype"]).name
        if params.get("min_frequency") is not None or params.get("drop") is not None:
            raise NetadInputError("cannot save the preprocessor: OneHotEncoder min_frequency/drop are not supported")
        infrequent = getattr(pre.encoder_, "infrequent_categories_", None)
        encoder = {
            "params": {k: _encode(v, f"encoder parameter {k}") for k, v in params.items()},
            "categories": [[str(v) for v in c.tolist()] for c in pre.encoder_.categories_],
            "infrequent_categories": None
            if infrequent is None
            else [None if c is None else [str(v) for v in c.tolist()] for c in infrequent],
        }
    state = {
        "class": "netad.preprocess.FlowPreprocessor",
        "params": {k: _encode(v, f"preprocessor parameter {k}") for k, v in pre.get_params().items()},
        "fitted": fitted,
        "feature_names_out": [str(f) for f in pre.get_feature_names_out()],
        "scaler": scaler,
        "encoder": encoder,
    }
    return state, arrays


def _restore_preprocessor(directory: Path, files: dict[str, str]) -> FlowPreprocessor:
    from netad.preprocess import SCALERS, FlowPreprocessor

    where = str(directory / PREPROCESSOR_JSON)
    state = _read_json(directory / PREPROCESSOR_JSON)
    arrays = _load_safetensors(directory / PREPROCESSOR_ARRAYS) if PREPROCESSOR_ARRAYS in files else {}

    def value_of(raw: Any, name: str) -> Any:
        if isinstance(raw, dict) and set(raw) == {"__array__"}:
            if raw["__array__"] not in arrays:
                raise NetadInputError(f"{directory / PREPROCESSOR_ARRAYS}: array {raw['__array__']!r} is missing")
            return arrays[raw["__array__"]]
        if isinstance(raw, dict) and set(raw) == {"__strings__"}:
            return np.asarray([str(v) for v in raw["__strings__"]], dtype=object)
        return _decode(raw, f"{where}: {name}")

    params = _decode(_require(state, "params", dict, where), where)
    try:
        pre = FlowPreprocessor(**params)
    except TypeError as exc:
        raise NetadInputError(f"{where}: parameters do not fit FlowPreprocessor ({exc})") from None
    for attribute, raw in _require(state, "fitted", dict, where).items():
        _check_attribute_name(attribute, where)
        setattr(pre, attribute, value_of(raw, attribute))

    pre.scaler_ = None
    scaler_state = state.get("scaler")
    if scaler_state is not None:
        kind = scaler_state.get("kind")
        if kind not in SCALERS:
            raise NetadInputError(f"{where}: unknown scaler {kind!r}")
        scaler = SCALERS[kind](**_decode(scaler_state["params"], where))
        for attribute, raw in scaler_state["fitted"].items():
            _check_attribute_name(attribute, where)
            setattr(scaler, attribute, value_of(raw, attribute))
        pre.scaler_ = scaler

    pre.encoder_ = None
    if state.get("encoder") is not None:
        pre.encoder_ = _rebuild_encoder(state["encoder"], where)
    names_out = np.asarray([str(f) for f in _require(state, "feature_names_out", list, where)], dtype=object)
    pre._feature_names_out = names_out  # noqa: SLF001 - set by fit; nothing else derives it
    if len(names_out) != getattr(pre, "n_features_out_", -1):
        raise NetadInputError(f"{where}: {len(names_out)} output feature names but n_features_out_ disagrees")
    return pre


def _rebuild_encoder(state: Mapping[str, Any], where: str) -> Any:
    """A fitted OneHotEncoder from its categories, by fitting on a tiny synthetic table (public API only).

    With ``max_categories`` the infrequent grouping depends on counts: the synthetic table shows each frequent
    category twice and each infrequent one once, which reproduces the saved grouping; the result is checked.
    """
    from sklearn.preprocessing import OneHotEncoder

    params = _decode(state["params"], where)
    params["dtype"] = np.dtype(params["dtype"]).type
    categories = [[str(v) for v in c] for c in state["categories"]]
    infrequent = state.get("infrequent_categories")
    columns = []
    for j, values in enumerate(categories):
        if not values:
            raise NetadInputError(f"{where}: categorical column #{j} has no categories")
        rare = set(infrequent[j] or []) if infrequent else set()
        column = [v for v in values for _ in range(1 if v in rare else 2)]
        padding = next((v for v in values if v not in rare), values[0])  # padding rows keep the grouping
        columns.append((column, padding))
    length = max(len(column) for column, _ in columns)
    table = np.empty((length, len(columns)), dtype=object)
    for j, (column, padding) in enumerate(columns):
        table[:, j] = column + [padding] * (length - len(column))
    params["categories"] = [np.asarray(c, dtype=object) for c in categories]
    encoder = OneHotEncoder(**params).fit(table)
    same = all(list(a) == b for a, b in zip(encoder.categories_, categories, strict=True))
    rebuilt_rare = getattr(encoder, "infrequent_categories_", None)
    if infrequent is not None or rebuilt_rare is not None:
        as_lists = [None if c is None else list(c) for c in (rebuilt_rare or [])]
        same = same and as_lists == [None if c is None else list(c) for c in (infrequent or [])]
    if not same:
        raise NetadInputError(f"{where}: the one-hot encoder could not be rebuilt with the saved categories")
    return encoder


# -- schema and reference statistics --------------------------------------------------------------------
def _schema(pre: FlowPreprocessor | None, detector: BaseDetector) -> FeatureSchema:
    if pre is None:
        names = [f"x{i}" for i in range(int(detector.n_features_in_))]
        return FeatureSchema([], {}, [], {}, names)
    output = [str(f) for f in pre.get_feature_names_out()]
    if len(output) != detector.n_features_in_:
        raise NetadInputError(
            f"the preprocessor gives {len(output)} features but the detector was fitted on {detector.n_features_in_}"
        )
    inputs = [str(c) for c in pre.feature_names_in_]
    categorical = set(pre.categorical_columns_) | set(pre.categorical_columns or [])
    dtypes = {c: "string" if c in categorical else "float32" for c in inputs}
    used = [c for c in inputs if c in set(pre.numeric_columns_) | set(pre.categorical_columns_)]
    categories = {}
    if pre.encoder_ is not None:
        for c, values in zip(pre.categorical_columns_, pre.encoder_.categories_, strict=True):
            categories[c] = [str(v) for v in values]
    return FeatureSchema(inputs, dtypes, used, categories, output)


def _feature_stats(reference: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std of the reference rows, accumulated in float64 over row chunks."""
    reference = np.asarray(reference)
    if reference.ndim != 2 or reference.shape[1] != n_features or len(reference) == 0:
        raise NetadInputError(
            f"reference: expected a non-empty table with {n_features} features, got shape {reference.shape}"
        )
    total = np.zeros(n_features)
    squares = np.zeros(n_features)
    for start in range(0, len(reference), 65_536):
        block = reference[start : start + 65_536].astype(np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    mean = total / len(reference)
    variance = np.maximum(squares / len(reference) - np.square(mean), 0.0)
    return mean, np.sqrt(variance)


# -- files ----------------------------------------------------------------------------------------------
def check_target(directory: Path, overwrite: bool) -> bool:
    """Whether ``directory`` holds files; raises when it does and ``overwrite`` is off."""
    if directory.exists() and not directory.is_dir():
        raise NetadInputError(f"{directory}: exists and is not a directory")
    occupied = directory.is_dir() and any(directory.iterdir())
    if occupied and not overwrite:
        raise NetadInputError(f"{directory}: directory is not empty; pass overwrite=True (--overwrite) to replace")
    return occupied


def _prepare_directory(directory: Path, overwrite: bool) -> None:
    if check_target(directory, overwrite):
        previous = directory / MODEL_FILE
        stale = [MODEL_FILE]
        if previous.is_file():
            try:
                stale += list(json.loads(previous.read_text()).get("files", {}))
            except (ValueError, AttributeError, UnicodeDecodeError):
                pass
        for name in stale:
            path = directory / name
            if Path(name).name == name and path.is_file():
                path.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def _read_model_json(directory: Path) -> dict[str, Any]:
    path = directory / MODEL_FILE
    if not path.is_file():
        raise NetadInputError(f"{path}: missing; {directory} is not a saved netad model (or the save was interrupted)")
    model = _read_json(path)
    if model.get("format") != FORMAT:
        raise NetadInputError(f"{path}: not a netad model file (format {model.get('format')!r})")
    version = model.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise NetadInputError(f"{path}: bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise NetadInputError(
            f"{path}: written by a newer netad (model format {version}, this netad reads up to {FORMAT_VERSION}); "
            "upgrade netad"
        )
    saved = model.get("versions") or {}
    here = _library_versions("torch" in saved)
    differ = {k: (v, here.get(k)) for k, v in saved.items() if k in here and here[k] != v and k != "python"}
    if differ:
        logger.warning(
            "%s was saved with other library versions (%s); scores may differ slightly",
            directory,
            ", ".join(f"{k} {a} -> {b}" for k, (a, b) in differ.items()),
        )
    return model


def _verified_files(directory: Path, model: Mapping[str, Any]) -> dict[str, str]:
    """The files listed in model.json, each present with its recorded sha256."""
    files = _require(model, "files", dict, MODEL_FILE)
    for name, digest in files.items():
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..", MODEL_FILE):
            raise NetadInputError(f"{directory / MODEL_FILE}: bad file name {name!r} in 'files'")
        path = directory / name
        if not path.is_file():
            raise NetadInputError(f"{path}: missing (listed in {MODEL_FILE}); the model directory is incomplete")
        if _sha256(path) != digest:
            raise NetadInputError(
                f"{path}: sha256 does not match the one recorded in {MODEL_FILE}; the file was modified or "
                "corrupted after saving"
            )
    for required in (DETECTOR_JSON,):
        if required not in files:
            raise NetadInputError(f"{directory / MODEL_FILE}: does not list {required}; not a complete model")
    unlisted = sorted(p.name for p in directory.iterdir() if p.name not in files and p.name != MODEL_FILE)
    if unlisted:
        logger.warning("%s: ignoring files that are not part of the model: %s", directory, ", ".join(unlisted))
    return dict(files)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    if path.stat().st_size > _MAX_JSON_BYTES:
        raise NetadInputError(f"{path}: too large for a model description ({path.stat().st_size:,} bytes)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NetadInputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise NetadInputError(f"{path}: expected a JSON object")
    return data


def _require(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise NetadInputError(f"{where}: missing key {key!r}")
    if not isinstance(data[key], kind):
        raise NetadInputError(f"{where}: {key!r} should be a {kind.__name__}, got {type(data[key]).__name__}")
    return data[key]


def _safetensors_bytes(arrays: Mapping[str, np.ndarray], what: str) -> bytes:
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata={"netad": what})


def _check_safetensors(path: Path) -> None:
    """A clear error for a file that is not safetensors (e.g. a pickle renamed), before parsing it."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(9)
    header_length = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if len(head) < 9 or not 2 <= header_length <= min(size - 8, _MAX_SAFETENSORS_HEADER) or head[8:9] != b"{":
        raise NetadInputError(f"{path}: not a safetensors file (bad header); refusing to read it")


def _load_safetensors(path: Path, framework: str = "numpy") -> dict[str, Any]:
    _check_safetensors(path)
    try:
        if framework == "pt":
            from safetensors.torch import load_file

            return load_file(path, device="cpu")
        from safetensors.numpy import load_file

        return load_file(path)
    except Exception as exc:  # safetensors raises its own error types for malformed content
        raise NetadInputError(f"{path}: unreadable safetensors file ({exc})") from None


def _trusted_type(name: str) -> bool:
    """Whether skops may rebuild ``name``: a class (not a function) defined in scikit-learn or numpy."""
    module_name, _, attribute = name.rpartition(".")
    if module_name.split(".")[0] not in TRUSTED_TYPE_PACKAGES or not attribute:
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    return isinstance(getattr(module, attribute, None), type)


def _skops_io() -> Any:
    """:mod:`skops.io`, imported without importing torch.

    At import skops walks every scikit-learn submodule, and scikit-learn's array-API shim for torch imports
    torch (seconds and ~250 MB, for nothing when the model is a scikit-learn one). The shim is hidden during
    that import only (``pkgutil.walk_packages`` skips a module that fails to import); it stays importable later.
    """
    if "skops.io" not in sys.modules and "torch" not in sys.modules:
        shim = "sklearn.externals.array_api_compat.torch"
        hidden = shim not in sys.modules
        if hidden:
            sys.modules[shim] = None  # type: ignore[assignment]
        try:
            import skops.io  # noqa: F401
        finally:
            if hidden and sys.modules.get(shim, False) is None:
                del sys.modules[shim]
    import skops.io as sio

    return sio


def _load_skops(path: Path) -> Any:
    sio = _skops_io()

    if not zipfile.is_zipfile(path):
        raise NetadInputError(f"{path}: not a skops file (not a zip archive); refusing to read it")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise NetadInputError(f"{path}: unreadable skops file ({exc})") from None
    refused = [t for t in untrusted if not _trusted_type(t)]
    if refused:
        raise NetadInputError(
            f"{path}: contains types outside the allow-list (scikit-learn/numpy classes): {refused}; refusing to load"
        )
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise NetadInputError(f"{path}: unreadable skops file ({exc})") from None


def _netad_version() -> str:
    from netad import __version__

    return __version__


def _library_versions(with_torch: bool) -> dict[str, str]:
    import sklearn

    versions = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__}
    if with_torch:
        import torch

        versions["torch"] = torch.__version__
    return versions
