"""Reading the preprocessor of a model saved in format 1, so models saved before format 2 still load and score
exactly as before.

Format 1 stored the one-hot encoder as its categories only; it is rebuilt here by fitting a new encoder on a tiny
synthetic table holding those categories (checked to reproduce them and the infrequent grouping). Format 2 saves
every fitted attribute instead (:mod:`netad.persist.preprocessor_state`) and never refits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist.formats import load_safetensors
from netad.persist.layout import MAX_FEATURES, PREPROCESSOR_ARRAYS, PREPROCESSOR_JSON, read_json, require
from netad.persist.values import check_attribute_name, decode

if TYPE_CHECKING:
    from netad.preprocess import FlowPreprocessor


def restore_preprocessor_v1(directory: Path, files: dict[str, str]) -> FlowPreprocessor:
    from netad.preprocess import SCALERS, FlowPreprocessor

    where = str(directory / PREPROCESSOR_JSON)
    state = read_json(directory / PREPROCESSOR_JSON)
    arrays = load_safetensors(directory / PREPROCESSOR_ARRAYS) if PREPROCESSOR_ARRAYS in files else {}

    def value_of(raw: Any, name: str) -> Any:
        if isinstance(raw, dict) and set(raw) == {"__array__"}:
            if raw["__array__"] not in arrays:
                raise NetadInputError(f"{directory / PREPROCESSOR_ARRAYS}: array {raw['__array__']!r} is missing")
            return arrays[raw["__array__"]]
        if isinstance(raw, dict) and set(raw) == {"__strings__"} and isinstance(raw["__strings__"], list):
            return np.asarray([str(v) for v in raw["__strings__"]], dtype=object)
        return decode(raw, f"{where}: {name}")

    params = decode(require(state, "params", dict, where), where)
    try:
        pre = FlowPreprocessor(**params)
    except TypeError as exc:
        raise NetadInputError(f"{where}: parameters do not fit FlowPreprocessor ({exc})") from None
    for attribute, raw in require(state, "fitted", dict, where).items():
        check_attribute_name(attribute, where)
        setattr(pre, attribute, value_of(raw, attribute))

    pre.scaler_ = None
    scaler_state = state.get("scaler")
    if scaler_state is not None:
        kind = scaler_state.get("kind") if isinstance(scaler_state, dict) else None
        if kind not in SCALERS:
            raise NetadInputError(f"{where}: unknown scaler {kind!r}")
        scaler = SCALERS[kind](**decode(require(scaler_state, "params", dict, where), where))
        for attribute, raw in require(scaler_state, "fitted", dict, where).items():
            check_attribute_name(attribute, where)
            setattr(scaler, attribute, value_of(raw, attribute))
        pre.scaler_ = scaler

    pre.encoder_ = None
    if state.get("encoder") is not None:
        pre.encoder_ = _rebuild_encoder(require(state, "encoder", dict, where), where)
    names_out = np.asarray([str(f) for f in require(state, "feature_names_out", list, where)], dtype=object)
    pre._feature_names_out = names_out  # noqa: SLF001 - set by fit; nothing else derives it
    if not 0 < len(names_out) <= MAX_FEATURES or len(names_out) != getattr(pre, "n_features_out_", -1):
        raise NetadInputError(f"{where}: {len(names_out)} output feature names but n_features_out_ disagrees")
    return pre


def _rebuild_encoder(state: Mapping[str, Any], where: str) -> Any:
    """A fitted OneHotEncoder from its categories, by fitting on a tiny synthetic table (public API only).

    With ``max_categories`` the infrequent grouping depends on counts: the synthetic table shows each frequent
    category twice and each infrequent one once, which reproduces the saved grouping; the result is checked.
    """
    from sklearn.preprocessing import OneHotEncoder

    params = decode(require(state, "params", dict, where), where)
    params["dtype"] = np.dtype(params["dtype"]).type
    categories = [[str(v) for v in c] for c in require(state, "categories", list, where)]
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
