"""Any flow table as a dataset: ``load("csv:flows.csv", label_column="label", normal_label="benign")``.

CSV (plain or .gz/.xz/.bz2/.zip) or parquet. Rows whose label equals ``normal_label`` are normal, all
others attacks with ``attack_category`` = the label value. Non-numeric columns are categorical unless
``categorical_columns`` lists them; every other feature must be numeric (float32).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.spec import REQUIRED, DatasetSpec
from netad.datasets.tabular import (
    CLEAN_INF,
    NULL_TEXTS,
    build_dataset,
    clean_non_finite,
    count_non_numeric,
    decode_categories,
    header_names,
    is_number,
    read_csv,
    source,
    take_rows,
    to_frame,
)
from netad.errors import NetadInputError
from netad.inputs.header import dedupe
from netad.inputs.opening import inspect_input
from netad.inputs.values import first_undecodable, undecodable_message

ENCODINGS_HINT = "or pass encoding=latin-1 (--dataset-option encoding=latin-1)"
LOOKS_NUMERIC = 0.9
"""A text column whose distinct values are at least this share numbers is taken as a broken numeric one."""


def _names(option: Any, what: str) -> list[str]:
    if option is None:
        return []
    if isinstance(option, str):
        return [option]
    if not isinstance(option, Sequence) or not all(isinstance(c, str) for c in option):
        raise NetadInputError(f"{what} must be a list of column names, got {option!r}")
    return list(option)


def _check_present(path: Path, names: Sequence[str], wanted: Sequence[str], what: str) -> None:
    missing = [c for c in wanted if c not in names]
    if missing:
        shown = ", ".join(names[:40]) + (" ..." if len(names) > 40 else "")
        raise NetadInputError(f"{path}: {what} {', '.join(map(repr, missing))} not in the file; columns: {shown}")


def _read_table(path: Path, options: Mapping[str, Any]) -> tuple[pa.Table, list[str]]:
    label = options["label_column"]
    drop = _names(options["drop_columns"], "drop_columns")
    categorical = _names(options["categorical_columns"], "categorical_columns")
    file = inspect_input(path)  # parquet or CSV by its first bytes, not its name
    if file.parquet:
        try:
            names = pq.read_schema(path).names
        except (OSError, pa.ArrowInvalid) as e:
            raise NetadInputError(f"{path}: not a readable parquet file ({e})") from e
        _check_present(path, names, [label], "label_column")
        _check_present(path, names, drop, "drop_columns")
        _check_present(path, names, categorical, "categorical_columns")
        table = pq.read_table(path, columns=[c for c in names if c not in drop])
        stripped, renamed = dedupe([str(c).strip() for c in table.column_names])
        notes = [f"{path.name}: column name {o!r} appears twice; the second is read as {n!r}" for o, n, _, _ in renamed]
        return table.rename_columns(stripped), notes
    names, notes = header_names(file, delimiter=options["delimiter"])
    _check_present(path, names, [label], "label_column")
    _check_present(path, names, drop, "drop_columns")
    _check_present(path, names, categorical, "categorical_columns")
    types = {c: pa.string() for c in [*categorical, label]}
    include = [c for c in names if c not in drop]
    table = read_csv(
        file, names=names, skip_rows=1, column_types=types, include=include, delimiter=options["delimiter"],
        encoding=options["encoding"],
    )  # fmt: skip
    return table, notes


def _numeric_or_raise(path: Path, name: str, column: pa.ChunkedArray, explicit: bool) -> pa.ChunkedArray | None:
    """float32 version of a column, or None if it is categorical text; raise on a broken numeric column."""
    t = column.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
        return pc.cast(column, pa.float32(), safe=False)  # float32 by design: large integers lose precision
    if pa.types.is_temporal(t):
        raise NetadInputError(
            f"{path}: column {name!r} holds dates/times ({t}), which are not flow features; "
            f"pass drop_columns=[{name!r}]"
        )
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):  # pyarrow: not valid UTF-8
        count, example, row = first_undecodable(column)
        if count:
            message = undecodable_message(str(path), name, count, example, row + 2)
            raise NetadInputError(f"{message} {ENCODINGS_HINT}")
        column = column.cast(pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise NetadInputError(f"{path}: column {name!r} has unsupported type {t}; pass drop_columns=[{name!r}]")
    count, example, row = count_non_numeric(column)
    if count == 0:  # numbers stored as text (e.g. a parquet string column): convert, empty cells -> NaN
        return pc.cast(pc.if_else(pc.is_in(column, pa.array(NULL_TEXTS)), None, column), pa.float32())
    if explicit:
        raise NetadInputError(
            f"{path}: column {name!r} should be numeric (it is not in categorical_columns) but has {count:,} "
            f"non-numeric value(s) (e.g. {example!r} on line {row + 2:,}); fix the file, or list it in "
            "categorical_columns or drop_columns"
        )
    uniques = pc.unique(column).to_pylist()
    share = np.mean([is_number(v) for v in uniques if v is not None]) if uniques else 0.0
    if share >= LOOKS_NUMERIC:
        raise NetadInputError(
            f"{path}: column {name!r} looks numeric but has {count:,} non-numeric value(s) (e.g. {example!r} on "
            f"line {row + 2:,}); fix the file, or list it in categorical_columns or drop_columns"
        )
    return None


def _label_values(path: Path, column: pa.ChunkedArray, normal: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(is_missing, attack_category) from the label column; ``normal`` matched as text or as a number.

    Work is done per distinct value, so a multi-million-row label column costs no Python loop per row.
    """
    text = decode_categories(pc.cast(column, pa.string()), lambda v: "" if v is None else str(v).strip())
    missing = (text == "") | (text == None)  # noqa: E711 (element-wise on an object array)
    found = sorted(set(pd.unique(text[~missing])))
    wanted = str(normal).strip()
    normal_values = [v for v in found if v == wanted]
    if not normal_values:
        try:
            target = float(normal)
            normal_values = [v for v in found if is_number(v) and float(v) == target]
        except (TypeError, ValueError):
            pass
    if not normal_values:
        shown = ", ".join(map(repr, found[:20])) + (" ..." if len(found) > 20 else "")
        raise NetadInputError(f"{path}: normal_label={normal!r} never occurs in column {name!r}; values found: {shown}")
    category = text.copy()
    category[np.isin(text, normal_values)] = NORMAL_CATEGORY
    return missing, category


def _refuse_directory(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    raise NetadInputError(
        f"{folder}: is a directory; csv:PATH takes one flow file (CSV, compressed CSV or parquet), e.g. "
        f"csv:{folder / 'flows.csv'}"
    )


def _read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    (path,) = files
    label_name = options["label_column"]
    explicit = options["categorical_columns"] is not None
    table, notes = _read_table(path, options)
    if table.num_rows == 0:
        raise NetadInputError(f"{path}: no data rows")
    missing, category = _label_values(path, table.column(label_name), options["normal_label"], label_name)
    listed = set(_names(options["categorical_columns"], "categorical_columns"))
    categorical, columns = [], {}
    for name in table.column_names:
        if name == label_name:
            continue
        column = table.column(name)
        numeric = None if name in listed else _numeric_or_raise(path, name, column, explicit)
        if numeric is None:
            column = pc.cast(column, pa.string())
            nulls = column.null_count
            if nulls:
                notes.append(f"categorical column {name!r}: {nulls:,} empty values kept as ''")
                column = column.fill_null("")
            categorical.append(name)
            unique = len(pc.unique(column))
            if table.num_rows > 100 and unique > table.num_rows / 2:
                notes.append(
                    f"categorical column {name!r} has {unique:,} distinct values in {table.num_rows:,} rows: "
                    "it looks like an identifier; consider drop_columns"
                )
            columns[name] = column
        else:
            columns[name] = numeric
    n_rows = table.num_rows
    del table
    features = to_frame(pa.table(columns))
    del columns
    if options["drop_columns"]:
        notes.append(f"drop_columns: {', '.join(_names(options['drop_columns'], 'drop_columns'))} not used")
    notes.append(
        f"label column {label_name!r}: {options['normal_label']!r} = normal, every other value an attack "
        "named by its value"
    )
    dropped: dict[str, int] = {}
    if missing.any():
        dropped["missing label"] = int(missing.sum())
        notes.append(f"{int(missing.sum()):,} rows with an empty label dropped")
        features = take_rows(features, ~missing)
        category = category[~missing]
    numeric_names = [c for c in features.columns if c not in categorical]
    features, keep, clean_dropped, clean_notes = clean_non_finite(features, numeric_names, options["clean_inf"])
    dropped.update(clean_dropped)
    return build_dataset(
        name=f"csv:{path}",
        features=features,
        label=(category != NORMAL_CATEGORY).astype(np.int8),
        attack_category=category,
        official_split=None,
        categorical=categorical,
        sources=[source(path, digests, n_rows, "data")],
        dropped=dropped,
        notes=notes + clean_notes,
        version=f"flow table {path.name}",
        keep=keep,
    )


SPECS = (
    DatasetSpec(
        name="csv",
        description="any flow table: csv:PATH (CSV or parquet) with label_column=..., normal_label=...",
        title="CSV",
        data_dir="csv",
        download=None,
        expected="a CSV or parquet file",
        find=_refuse_directory,
        read=_read,
        version="csv/1",
        options={
            "label_column": REQUIRED,
            "normal_label": REQUIRED,
            "drop_columns": None,
            "categorical_columns": None,
            "clean_inf": "drop",
            "delimiter": ",",
            "encoding": "utf8",
        },
        choices={"clean_inf": CLEAN_INF},
    ),
)
