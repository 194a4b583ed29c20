"""Cell-level checks of flow tables: what counts as a number, and where text that is no number, or bytes that are
no UTF-8, first occur (for messages that name the column, the row and a fix)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

NULL_TEXTS = list(pacsv.ConvertOptions().null_values)
"""Cells pyarrow reads as missing in a numeric column (empty, NaN, NA, null...)."""

REENCODE_HINT = "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 IN > OUT)"


def is_number(text: str) -> bool:
    """Whether a CSV cell is a number to pyarrow/float (``Infinity`` and ``NaN`` count; empty counts as missing)."""
    try:
        float(text)
    except ValueError:
        return text in NULL_TEXTS
    return True


def count_non_numeric(values: pa.ChunkedArray) -> tuple[int, str, int]:
    """(count of cells that are not numbers, one such cell, its row position) for a string column."""
    uniques = pc.unique(values).to_pylist()
    bad = [v for v in uniques if v is not None and not is_number(v)]
    if not bad:
        return 0, "", -1
    hits = pc.is_in(values, value_set=pa.array(bad, values.type)).to_numpy(zero_copy_only=False)
    first = int(np.argmax(hits))
    return int(hits.sum()), values[first].as_py(), first


def first_undecodable(values: pa.ChunkedArray | pa.Array) -> tuple[int, bytes, int]:
    """(count of cells that are not valid UTF-8, the first such cell, its row position) for a binary column."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    uniques = pc.unique(values).to_pylist()
    bad = []
    for value in uniques:
        if value is None:
            continue
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            bad.append(value)
    if not bad:
        return 0, b"", -1
    hits = pc.is_in(values, value_set=pa.array(bad, values.type)).to_numpy(zero_copy_only=False)
    first = int(np.argmax(hits))
    return int(hits.sum()), bytes(values[first].as_py()), first


def undecodable_message(where: str, column: str, count: int, example: bytes, line: int | None) -> str:
    """One line: the file, column, line and bytes that are not UTF-8, and how to fix it."""
    at = f" (first on line {line:,}: {example[:40]!r})" if line is not None and line >= 0 else ""
    amount = f"{count:,} value(s)" if count else "values"
    return f"{where}: column {column!r} has {amount} that are not UTF-8 text{at}; {REENCODE_HINT}"
