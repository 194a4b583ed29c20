"""Row cleaning shared by the loaders: parsed Arrow tables in (see :mod:`netad.inputs`), a checked
:class:`Dataset` out.

Files are parsed by pyarrow's multithreaded CSV reader with the final types requested up front (float32 for
numeric features, dictionary-encoded labels), so a 1 GB file is never held as float64 or Python strings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from netad.datasets.base import NORMAL_CATEGORY, Dataset, SourceFile
from netad.errors import NetadInputError
from netad.inputs.csv import read_csv
from netad.inputs.header import decode_text, header_names
from netad.inputs.values import NULL_TEXTS, count_non_numeric, is_number

__all__ = [  # parsing lives in netad.inputs; re-exported for the loaders
    "CLEAN_INF", "FLOAT", "LABEL_TYPE", "NULL_TEXTS", "build_dataset", "category_names", "clean_non_finite",
    "count_non_numeric", "decode_categories", "decode_text", "header_names", "is_number", "read_csv", "source",
    "take_rows", "to_frame",
]  # fmt: skip

log = logging.getLogger(__name__)

FLOAT = pa.float32()
LABEL_TYPE = pa.dictionary(pa.int32(), pa.binary())
"""Labels are read as raw bytes (dictionary-encoded) and decoded per distinct value: CIC-IDS-2017 mixes
cp1252 and UTF-8 in its label column, which a whole-file decode would reject."""

CLEAN_INF = ("drop", "clip", "zero")


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas one column at a time, each Arrow column released once converted.

    Peak memory stays near one copy of the table (``Table.to_pandas`` holds both); float columns become
    plain writable numpy arrays (nulls -> NaN), text columns pandas string columns, and pandas does not
    consolidate them into one 2-D block (which would be another full copy).
    """
    data: dict[str, Any] = {}
    while table.num_columns:
        name, column = table.column_names[0], table.column(0)
        table = table.remove_column(0)
        if pa.types.is_floating(column.type):
            data[name] = _writable_numpy(column)
        else:
            data[name] = column.to_pandas()
        del column
    pa.default_memory_pool().release_unused()  # hand the freed Arrow buffers back to the OS now
    return pd.DataFrame(data, copy=False)


def _writable_numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A float column as a writable numpy array, wrapping the Arrow buffer when it is one mutable chunk.

    ``to_numpy`` would give a read-only view there (and callers may write into features), and copying a
    full-size CIC-IDS-2017 table costs seconds of page faults; the table is discarded after conversion, so
    handing its buffer to numpy is safe.
    """
    if column.num_chunks == 1 and column.null_count == 0:
        chunk = column.chunk(0)
        buffer = chunk.buffers()[1]
        if buffer.is_mutable:
            dtype = np.dtype(chunk.type.to_pandas_dtype())
            return np.frombuffer(buffer, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize)
    values = column.to_numpy()
    return values if values.flags.writeable else values.copy()


def take_rows(features: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``features[keep]`` column by column, each old column released once copied (consumes ``features``)."""
    data: dict[str, Any] = {}
    for name in list(features.columns):
        column = features.pop(name)
        if column.dtype == np.float32:
            data[name] = column.to_numpy()[keep]
        else:
            data[name] = column[keep].reset_index(drop=True)
        del column
    return pd.DataFrame(data, copy=False)


def decode_categories(column: pa.ChunkedArray, canonical: Callable[[Any], str]) -> np.ndarray:
    """Map a (dictionary-encoded) column through ``canonical`` per distinct value -> numpy object array."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    out = np.empty(len(column), dtype=object)
    start = 0
    for chunk in column.chunks:
        n = len(chunk)
        if n:
            values = np.array([canonical(v) for v in chunk.dictionary.to_pylist()] + [None], dtype=object)
            indices = chunk.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
            out[start : start + n] = values[indices]
        start += n
    return out


def clean_non_finite(
    features: pd.DataFrame, columns: Sequence[str], how: str
) -> tuple[pd.DataFrame, np.ndarray | None, dict[str, int], list[str]]:
    """Handle NaN/missing and ±Inf values in numeric ``columns``; always reported, never silent.

    ``how="drop"`` removes the rows (returned as a keep mask; a row with a NaN counts under NaN even if it
    also has an Inf), ``"clip"`` replaces ±Inf by the column's largest/smallest finite value and NaN by 0,
    ``"zero"`` replaces both by 0.
    """
    if how not in CLEAN_INF:
        raise NetadInputError(f"clean_inf={how!r} is not one of {', '.join(map(repr, CLEAN_INF))}")
    n = len(features)
    nan_rows = np.zeros(n, dtype=bool)
    inf_rows = np.zeros(n, dtype=bool)
    report = []
    for c in columns:
        v = features[c].to_numpy()
        if np.isfinite(v).all():
            continue
        nan, inf = np.isnan(v), np.isinf(v)
        report.append(f"{c!r}: {int(nan.sum()):,} NaN/missing, {int(inf.sum()):,} Inf")
        if how == "drop":
            nan_rows |= nan
            inf_rows |= inf
            continue
        fixed = v.copy()
        fixed[nan] = 0
        if how == "zero":
            fixed[inf] = 0
        else:
            finite = v[np.isfinite(v)]
            hi, lo = (finite.max(), finite.min()) if finite.size else (0, 0)
            fixed[np.isposinf(v)] = hi
            fixed[np.isneginf(v)] = lo
        features[c] = fixed
    if not report:
        return features, None, {}, []
    detail = "; ".join(report)
    if how == "drop":
        inf_rows &= ~nan_rows
        dropped = {"NaN or missing numeric value": int(nan_rows.sum()), "Inf numeric value": int(inf_rows.sum())}
        dropped = {k: v for k, v in dropped.items() if v}
        total = sum(dropped.values())
        notes = [f"clean_inf='drop': removed {total:,} rows with non-finite numeric values ({detail})"]
        return features, ~(nan_rows | inf_rows), dropped, notes
    what = "±Inf -> column max/min finite value, NaN -> 0" if how == "clip" else "NaN and ±Inf -> 0"
    return features, None, {}, [f"clean_inf={how!r}: replaced non-finite values ({what}): {detail}"]


def category_names(values: np.ndarray) -> list[str]:
    """Distinct categories, for messages."""
    return sorted({str(v) for v in values})


def build_dataset(
    *,
    name: str,
    features: pd.DataFrame,
    label: np.ndarray,
    attack_category: np.ndarray,
    official_split: np.ndarray | None,
    categorical: Sequence[str],
    sources: list[SourceFile],
    dropped: dict[str, int],
    notes: list[str],
    version: str,
    keep: np.ndarray | None = None,
    metadata: pd.DataFrame | None = None,
) -> Dataset:
    """Apply the row mask of the cleaning steps, check the invariants and assemble the Dataset."""
    if keep is not None and not keep.all():
        features = take_rows(features, keep)
        label, attack_category = label[keep], attack_category[keep]
        official_split = None if official_split is None else official_split[keep]
        metadata = None if metadata is None else metadata[keep].reset_index(drop=True)
    if len(features) == 0:
        files = ", ".join(s.path for s in sources)
        raise NetadInputError(f"{name}: no data rows left in {files} (dropped: {dropped or 'none'})")
    label = np.asarray(label, dtype=np.int8)
    normal = attack_category == NORMAL_CATEGORY
    if np.any(normal == (label == 1)):
        raise AssertionError(f"{name}: label and attack_category disagree")  # a loader bug, not bad input
    numeric = [c for c in features.columns if c not in categorical]
    wrong = [c for c in numeric if features[c].dtype != np.float32]
    if wrong:
        raise AssertionError(f"{name}: numeric columns not float32: {wrong}")
    return Dataset(
        name=name,
        features=features,
        label=label,
        attack_category=attack_category,
        official_split=official_split,
        categorical_columns=tuple(categorical),
        sources=sources,
        dropped_rows={k: int(v) for k, v in dropped.items() if v},
        notes=notes,
        version=version,
        metadata=metadata,
    )


def source(path: Path, digests: Mapping[Path, str], rows: int, role: str) -> SourceFile:
    """Provenance of one file read."""
    return SourceFile(path=str(path), sha256=digests[path], rows=int(rows), role=role)
