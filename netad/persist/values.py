"""Plain values as JSON that reads back as the same values and types, and nothing else.

Tuples, non-finite floats, numpy scalars and numpy dtypes are tagged; with an ``arrays`` sink, numeric numpy arrays
go to a safetensors file (referenced by key) and string arrays are listed. Anything that is not data is refused.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError

if TYPE_CHECKING:
    from netad.detectors.base import BaseDetector

MAX_INTEGER = 1 << 63
"""Integers read from a model file are int64 at most (a 400-digit number is a tampered file, not a setting)."""


def encode(value: Any, where: str, arrays: dict[str, np.ndarray] | None = None) -> Any:
    """A JSON-safe form of ``value`` that :func:`decode` turns back into the same value and type.

    Arrays are accepted only with an ``arrays`` sink: numeric ones are stored there under ``where``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise cannot(where, value)
        return {"__numpy__": value.dtype.name, "value": encode(value.item(), where)}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise NetadInputError(f"cannot save {where}: dictionary keys must be strings")
        encoded = {k: encode(v, f"{where}[{k!r}]", arrays) for k, v in value.items()}
        return {"__dict__": encoded} if any(k.startswith("__") for k in value) else encoded
    if arrays is not None and isinstance(value, np.ndarray):
        if value.dtype == object and all(isinstance(v, str) for v in value.ravel().tolist()):
            return {"__strings__": value.tolist(), "shape": list(value.shape)}
        if value.dtype.kind not in "biuf":
            raise NetadInputError(f"cannot save {where}: numpy arrays of dtype {value.dtype} are not supported")
        arrays[where] = np.ascontiguousarray(value)
        return {"__array__": where}
    if arrays is not None and isinstance(value, type) and issubclass(value, np.generic):
        if np.dtype(value).kind not in "biuf":
            raise cannot(where, value)
        return {"__dtype__": np.dtype(value).name}
    raise cannot(where, value)


def decode(value: Any, where: str, arrays: Mapping[str, np.ndarray] | None = None) -> Any:
    """The value :func:`encode` was given; a malformed tag or an out-of-range number is a clear error."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        if not -MAX_INTEGER <= value < MAX_INTEGER:
            raise NetadInputError(f"{where}: integer out of range ({str(value)[:20]}...)")
        return value
    if isinstance(value, list):
        return [decode(v, where, arrays) for v in value]
    if not isinstance(value, dict):
        raise NetadInputError(f"{where}: unexpected value of type {type(value).__name__}")
    keys = set(value)
    if keys == {"__tuple__"}:
        return tuple(decode(v, where, arrays) for v in _list(value["__tuple__"], where))
    if keys == {"__float__"}:
        if value["__float__"] not in ("nan", "inf", "-inf"):
            raise NetadInputError(f"{where}: bad float {value['__float__']!r}")
        return float(value["__float__"])
    if keys == {"__numpy__", "value"}:
        return _numeric_dtype(value["__numpy__"], where).type(decode(value["value"], where))
    if keys == {"__dtype__"}:
        return _numeric_dtype(value["__dtype__"], where).type
    if keys == {"__array__"}:
        if arrays is None or value["__array__"] not in arrays:
            raise NetadInputError(f"{where}: array {value['__array__']!r} is missing from the arrays file")
        return arrays[value["__array__"]]
    if keys == {"__strings__", "shape"}:
        strings = np.asarray([str(v) for v in _list(value["__strings__"], where)], dtype=object)
        try:
            return strings.reshape([int(n) for n in _list(value["shape"], where)])
        except (ValueError, TypeError):
            raise NetadInputError(f"{where}: string array of {len(strings)} values has bad shape") from None
    if keys == {"__dict__"}:
        inner = value["__dict__"]
        if not isinstance(inner, dict):
            raise NetadInputError(f"{where}: bad tagged dictionary")
        return {k: decode(v, where, arrays) for k, v in inner.items()}
    return {k: decode(v, where, arrays) for k, v in value.items()}


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise NetadInputError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _numeric_dtype(kind: Any, where: str) -> np.dtype:
    try:
        dtype = np.dtype(str(kind))
    except TypeError:
        raise NetadInputError(f"{where}: unknown numpy type {kind!r}") from None
    if dtype.kind not in "biuf":
        raise NetadInputError(f"{where}: numpy type {kind!r} is not a number")
    return dtype


def cannot(where: str, value: Any) -> NetadInputError:
    return NetadInputError(
        f"cannot save {where}: values of type {type(value).__module__}.{type(value).__qualname__} have no safe "
        "format here (supported: numbers, strings, lists/tuples/dicts of them, numpy arrays, torch tensors, "
        "scikit-learn estimators, the detector's nn.Module)"
    )


def plain_json(value: Any, where: str) -> Any:
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
        return plain_json(value.tolist(), where)
    if isinstance(value, list | tuple):
        return [plain_json(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain_json(v, f"{where}.{k}") for k, v in value.items()}
    raise NetadInputError(f"cannot save {where}: {type(value).__name__} is not JSON data")


def params_json(detector: BaseDetector) -> dict[str, Any]:
    from netad import thresholds

    params = detector.get_params(deep=False)
    threshold = params.get("threshold")
    if threshold is not None and not isinstance(threshold, str):
        # a strategy object: store its spec string when that resolves back to an equal strategy
        spec = getattr(threshold, "name", None)
        if not isinstance(spec, str) or thresholds.resolve(spec) != threshold:
            raise cannot("parameter 'threshold'", threshold)
        params["threshold"] = spec
    return {k: encode(v, f"parameter {k!r}") for k, v in params.items()}


def check_attribute_name(attribute: Any, where: str) -> None:
    """Saved state may only set public fitted attributes (``name_``), never dunders or private state."""
    if not (
        isinstance(attribute, str) and attribute.isidentifier() and attribute.endswith("_")
    ) or attribute.startswith("_"):
        raise NetadInputError(f"{where}: {attribute!r} is not a fitted attribute name")
