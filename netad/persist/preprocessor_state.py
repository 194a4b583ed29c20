"""The fitted :class:`~netad.preprocess.FlowPreprocessor` as data, and back, without refitting anything.

Every attribute of the fitted preprocessor that is not a constructor parameter is saved (so a fitted attribute added
to ``FlowPreprocessor`` persists with no change here): numeric arrays in ``preprocessor.safetensors``, strings and
plain values in ``preprocessor.json``. Its scikit-learn parts (scaler, one-hot encoder) are saved the same way —
their parameters and their fitted attributes — and rebuilt by setting those attributes on a new instance of an
allowed class. Models of format 1 are read by :mod:`netad.persist.preprocessor_v1`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist.formats import load_safetensors
from netad.persist.layout import MAX_FEATURES, PREPROCESSOR_ARRAYS, PREPROCESSOR_JSON, read_json, require
from netad.persist.values import decode, encode

if TYPE_CHECKING:
    from netad.preprocess import FlowPreprocessor

PREPROCESSOR_CLASS = "netad.preprocess.FlowPreprocessor"


def _allowed_estimators() -> dict[str, type]:
    """The scikit-learn classes a preprocessor may hold, by qualified name: the only classes rebuilt on load."""
    from sklearn.preprocessing import OneHotEncoder

    from netad.preprocess import SCALERS

    classes = [*SCALERS.values(), OneHotEncoder]
    return {f"{cls.__module__.split('.')[0]}.preprocessing.{cls.__qualname__}": cls for cls in classes}


def preprocessor_state(pre: FlowPreprocessor) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(``preprocessor.json`` content, arrays for ``preprocessor.safetensors``)."""
    if not hasattr(pre, "n_features_out_"):
        raise NetadInputError("cannot save the preprocessor: it is not fitted")
    arrays: dict[str, np.ndarray] = {}
    state = {
        "class": PREPROCESSOR_CLASS,
        "params": {k: encode(v, f"preprocessor parameter {k}") for k, v in pre.get_params(deep=False).items()},
        "fitted": _fitted_state(pre, "FlowPreprocessor", arrays),
    }
    return state, arrays


def _fitted_state(obj: Any, where: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every instance attribute of ``obj`` that is not a constructor parameter, encoded."""
    params = set(obj.get_params(deep=False))
    names = {cls: name for name, cls in _allowed_estimators().items()}
    fitted: dict[str, Any] = {}
    for attribute, value in sorted(vars(obj).items()):
        if attribute in params:
            continue
        path = f"{where}.{attribute}"
        if type(value) in names:
            fitted[attribute] = {
                "__estimator__": names[type(value)],
                "params": {k: encode(v, f"{path} parameter {k}", arrays) for k, v in value.get_params().items()},
                "fitted": _fitted_state(value, path, arrays),
            }
        else:
            fitted[attribute] = encode(value, path, arrays)
    return fitted


def restore_preprocessor(directory: Path, files: dict[str, str]) -> FlowPreprocessor:
    from netad.preprocess import FlowPreprocessor

    where = str(directory / PREPROCESSOR_JSON)
    state = read_json(directory / PREPROCESSOR_JSON)
    if state.get("class") != PREPROCESSOR_CLASS:
        raise NetadInputError(f"{where}: not a saved FlowPreprocessor (class {state.get('class')!r})")
    arrays = load_safetensors(directory / PREPROCESSOR_ARRAYS) if PREPROCESSOR_ARRAYS in files else {}
    params = decode(require(state, "params", dict, where), where)
    try:
        pre = FlowPreprocessor(**params)
    except TypeError as exc:
        raise NetadInputError(f"{where}: parameters do not fit FlowPreprocessor ({exc})") from None
    _set_fitted(pre, require(state, "fitted", dict, where), arrays, where)
    n_out = getattr(pre, "n_features_out_", None)
    if not isinstance(n_out, int) or not 0 < n_out <= MAX_FEATURES:
        raise NetadInputError(f"{where}: bad n_features_out_ {n_out!r}")
    names = getattr(pre, "_feature_names_out", None)
    if not isinstance(names, np.ndarray) or len(names) != n_out:
        raise NetadInputError(f"{where}: the output feature names disagree with n_features_out_")
    encoder, categorical = getattr(pre, "encoder_", None), getattr(pre, "categorical_columns_", ())
    if encoder is not None and len(getattr(encoder, "categories_", ())) != len(categorical):
        raise NetadInputError(f"{where}: the one-hot encoder does not match the categorical columns")
    return pre


def _set_fitted(obj: Any, fitted: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> None:
    allowed = _allowed_estimators()
    for attribute, raw in fitted.items():
        if not (isinstance(attribute, str) and attribute.isidentifier()) or attribute.startswith("__"):
            raise NetadInputError(f"{where}: {attribute!r} is not an attribute name")
        if isinstance(raw, dict) and set(raw) == {"__estimator__", "params", "fitted"}:
            cls = allowed.get(raw["__estimator__"])
            if cls is None:
                raise NetadInputError(f"{where}: {attribute} is a {raw['__estimator__']!r}, not an allowed class")
            try:
                value = cls(**decode(raw["params"], f"{where}: {attribute}", arrays))
            except TypeError as exc:
                raise NetadInputError(f"{where}: parameters do not fit {cls.__name__} ({exc})") from None
            if not isinstance(raw["fitted"], dict):
                raise NetadInputError(f"{where}: {attribute}: fitted state should be an object")
            _set_fitted(value, raw["fitted"], arrays, f"{where}: {attribute}")
        else:
            value = decode(raw, f"{where}: {attribute}", arrays)
        try:
            setattr(obj, attribute, value)
        except AttributeError:
            raise NetadInputError(f"{where}: {attribute!r} cannot be set on {type(obj).__name__}") from None
