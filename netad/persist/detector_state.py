"""A detector's fitted state (every attribute whose name ends in ``_``) as files, and back.

Arrays and tensors go to ``detector.safetensors``, plain values to ``detector.json``, scikit-learn estimators to
``<attribute>.skops``, a deep detector's ``nn.Module`` to ``weights.safetensors`` (rebuilt on load by the
detector's own ``_build`` and checked against the saved shapes before any memory is allocated for it).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist.formats import load_safetensors, load_skops
from netad.persist.layout import (
    DETECTOR_ARRAYS,
    DETECTOR_JSON,
    MAX_FEATURES,
    MODEL_FILE,
    SKOPS_SUFFIX,
    WEIGHTS,
    read_json,
    require,
)
from netad.persist.values import check_attribute_name, decode, encode

if TYPE_CHECKING:
    from netad.detectors.base import BaseDetector

logger = logging.getLogger(__name__)

THREAD_PARAMETERS = ("n_threads", "n_jobs")
"""Parameters that size a thread pool: capped to this machine's cores on load (a tampered 10**9 would abort)."""


def fitted_attributes(obj: Any) -> dict[str, Any]:
    """Learned state in scikit-learn's convention: public attributes whose name ends in an underscore."""
    return {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}


def is_torch(value: Any, kind: str) -> bool:
    torch = sys.modules.get("torch")  # a torch object cannot exist unless torch was imported
    if torch is None:
        return False
    return isinstance(value, torch.nn.Module if kind == "module" else torch.Tensor)


def is_sklearn_estimator(value: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator) and type(value).__module__.split(".")[0] == "sklearn"


def detector_state(detector: BaseDetector) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any], Any]:
    """(JSON state, arrays, scikit-learn estimators by attribute, the nn.Module or None)."""
    json_values: dict[str, Any] = {}
    array_kinds: dict[str, str] = {}
    arrays: dict[str, np.ndarray] = {}
    sklearn_models: dict[str, Any] = {}
    module_attribute, module = None, None
    what = type(detector).__name__
    for attribute, value in sorted(fitted_attributes(detector).items()):
        where = f"{what}.{attribute}"
        if is_torch(value, "module"):
            if module is not None or not callable(getattr(detector, "_build", None)):
                raise NetadInputError(
                    f"cannot save {where}: only one nn.Module, the one built by _build(n_features), can be "
                    f"restored (already have {module_attribute})"
                )
            module_attribute, module = attribute, value
        elif is_torch(value, "tensor"):
            arrays[attribute] = value.detach().cpu().contiguous().numpy()
            array_kinds[attribute] = "torch"
        elif isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise NetadInputError(f"cannot save {where}: numpy arrays of dtype {value.dtype} are not supported")
            arrays[attribute] = np.ascontiguousarray(value)
            array_kinds[attribute] = "numpy"
        elif is_sklearn_estimator(value):
            sklearn_models[attribute] = value
        else:
            json_values[attribute] = encode(value, where)
    state = {
        "attributes": json_values,
        "arrays": array_kinds,
        "sklearn": {a: a + SKOPS_SUFFIX for a in sklearn_models},
        "module": None if module is None else {"attribute": module_attribute, "file": WEIGHTS},
    }
    return state, arrays, sklearn_models, module


def capped_params(params: dict[str, Any], where: str) -> dict[str, Any]:
    """``params`` with thread counts no larger than this machine's cores (a warning says when one was capped)."""
    cores = os.cpu_count() or 1
    capped = dict(params)
    for name in THREAD_PARAMETERS:
        value = capped.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise NetadInputError(f"{where}: parameter {name} must be a whole number or null, got {value!r}")
        if value > cores or value < -1 or value == 0:
            logger.warning("%s: %s=%s is not a usable thread count here; using %d (this machine's cores)", where, name,
                           value, cores)  # fmt: skip
            capped[name] = cores
    return capped


def cap_estimator_threads(estimator: Any, where: str) -> None:
    """The same cap for a scikit-learn estimator read from a skops file (its own ``n_jobs``)."""
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    wanted = {k: v for k, v in params.items() if k in THREAD_PARAMETERS}
    if wanted:
        estimator.set_params(**{k: v for k, v in capped_params(wanted, where).items() if v != wanted[k]})


def restore_detector(detector: BaseDetector, directory: Path, files: dict[str, str]) -> None:
    state = read_json(directory / DETECTOR_JSON)
    where = str(directory / DETECTOR_JSON)
    attributes = {k: decode(v, f"{where}: {k}") for k, v in require(state, "attributes", dict, where).items()}
    array_kinds = require(state, "arrays", dict, where)
    sklearn_files = require(state, "sklearn", dict, where)
    for attribute in [*attributes, *array_kinds, *sklearn_files]:
        check_attribute_name(attribute, where)

    if array_kinds:
        stored = load_safetensors(directory / DETECTOR_ARRAYS) if DETECTOR_ARRAYS in files else {}
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
        attributes[attribute] = load_skops(directory / file_name)
        cap_estimator_threads(attributes[attribute], str(directory / file_name))

    for attribute, value in attributes.items():
        setattr(detector, attribute, value)
    if not hasattr(detector, "threshold_") or not hasattr(detector, "n_features_in_"):
        raise NetadInputError(f"{where}: threshold_ or n_features_in_ missing; not a fitted detector")
    n_features = detector.n_features_in_
    is_count = isinstance(n_features, int | np.integer) and not isinstance(n_features, bool)
    if not is_count or not 0 < n_features <= MAX_FEATURES:
        raise NetadInputError(f"{where}: n_features_in_ {n_features!r} is not a feature count (1..{MAX_FEATURES:,})")
    module_info = state.get("module")
    if module_info is not None:
        if not isinstance(module_info, dict) or module_info.get("file") != WEIGHTS or WEIGHTS not in files:
            raise NetadInputError(f"{where}: the module's weights file {WEIGHTS} is not listed in {MODEL_FILE}")
        restore_module(detector, str(module_info.get("attribute")), directory / WEIGHTS)
        # _build may (re)set fitted attributes of its own (e.g. a VAE's noise): the saved values win
        for attribute, value in attributes.items():
            setattr(detector, attribute, value)


def restore_module(detector: Any, attribute: str, path: Path) -> None:
    """Rebuild the detector's network with its own ``_build`` and load the saved weights into it."""
    import torch

    from netad.nn import resolve_device

    check_attribute_name(attribute, str(path))
    state = load_safetensors(path, framework="pt")
    try:
        detector.check_params()
    except (ValueError, TypeError) as exc:
        raise NetadInputError(f"{path.parent / MODEL_FILE}: parameters do not fit the detector ({exc})") from None
    n_features = int(detector.n_features_in_)
    _check_shapes_before_building(detector, n_features, state, path)
    # fork_rng: building draws initial weights (overwritten below); the caller's RNG stream stays untouched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = detector._build(n_features)
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


def _check_shapes_before_building(detector: Any, n_features: int, state: dict[str, Any], path: Path) -> None:
    """Build the network on torch's ``meta`` device (shapes only, no memory) and compare it with the saved weights,
    so parameters edited to ask for a huge network fail here instead of allocating it."""
    import torch

    try:
        with torch.device("meta"), torch.random.fork_rng(devices=[]):
            shapes = {k: tuple(v.shape) for k, v in detector._build(n_features).state_dict().items()}
    except (NotImplementedError, RuntimeError) as exc:  # a network whose construction needs real values
        logger.debug("%s: network not checked on the meta device (%s)", path, exc)
        return
    saved = {k: tuple(v.shape) for k, v in state.items()}
    if shapes != saved:
        differing = sorted(k for k in shapes.keys() | saved.keys() if shapes.get(k) != saved.get(k))[:3]
        raise NetadInputError(
            f"{path}: weights do not fit the network the saved parameters describe (differs at {differing}); "
            f"{MODEL_FILE} or the weights were modified"
        )
