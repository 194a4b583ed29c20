"""Request rows -> the model's input arrays, in linear time, or a 422 naming the columns and rows at fault.

:class:`InputSchema` is compiled once from the saved model: the preprocessor's numeric and categorical column
order, the columns dropped at fit (never read), and which input columns identify a flow (for alert lines).
JSON records are read with one ``itemgetter`` per record and one ``numpy`` conversion (no pandas); anything
unusual (a missing key, text, ``true``, ``null``, a nested value) takes a slower per-column path that names
each problem. Every step is linear in the request size: a record with 200,000 extra keys costs one pass.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from netad.persist import LoadedModel
from netad.serve.problems import SHOWN_ROWS, RequestProblem, problem, shown

NULL_TEXTS = frozenset(("", "nan", "NaN", "NAN", "null", "NULL", "None", "NA", "N/A", "n/a", "-nan", "-NaN"))
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_IGNORED_SHOWN = 100
"""Unused input columns listed by name in a response (all are counted)."""
IDENTIFIER_KEYS = frozenset(
    ("flowid", "srcip", "sourceip", "dstip", "destinationip", "srcport", "sourceport", "sport", "dstport",
     "destinationport", "dsport", "timestamp", "stime", "ltime", "protocol", "proto")
)  # fmt: skip
"""Input columns that identify a flow in an alert line (compared lower-case without spaces, ``_`` or ``.``)."""


def is_identifier(column: str) -> bool:
    """Whether ``column`` names a flow identifier (``Flow ID``, ``Src IP``, ``dsport``, ``Timestamp``, ...)."""
    return column.lower().replace(" ", "").replace("_", "").replace(".", "") in IDENTIFIER_KEYS


def clean_name(name: Any) -> str:
    """A column name as the model knows it: text without surrounding spaces or a byte-order mark."""
    return str(name).strip().lstrip("\ufeff").strip()


@dataclass
class Rows:
    """Validated rows of one request: the model's inputs in its column order, plus what was left out."""

    numeric: np.ndarray
    """float32, rows x the preprocessor's numeric columns; finite unless the model cleans NaN/Inf (its saved
    ``non_finite`` policy), whose rows the response then marks."""
    categorical: np.ndarray | None
    """object array of text, rows x the preprocessor's categorical columns (None when it has none)."""
    ignored: dict[str, None] = field(default_factory=dict)
    """Input columns the model does not use, in order of first appearance."""
    source: list[dict[str, Any]] | pd.DataFrame | None = None
    """The request's rows as received, read again only for the identifiers of flagged rows."""

    @property
    def n_rows(self) -> int:
        return len(self.numeric)

    def identifiers(self, row: int) -> dict[str, Any]:
        """The flow-identifying columns of ``row`` (``Flow ID``, ``Src IP``, ports, ``Timestamp``, ...)."""
        if isinstance(self.source, pd.DataFrame):
            columns = [c for c in self.source.columns if is_identifier(str(c))]
            return {str(c): _plain(self.source[c].iat[row]) for c in columns}
        if self.source is None:
            return {}
        return {k: v for k, v in self.source[row].items() if is_identifier(k) and not isinstance(v, dict | list)}


def _plain(value: Any) -> Any:
    """A pandas/numpy cell as a JSON-serialisable value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


class InputSchema:
    """The column order and checks compiled from a saved model (see the module docstring)."""

    def __init__(self, model: LoadedModel) -> None:
        pre = model.preprocessor
        self.numeric: list[str] = list(pre.numeric_columns_)
        self.categorical: list[str] = list(pre.categorical_columns_) if pre.encoder_ is not None else []
        used = set(self.numeric) | set(self.categorical)
        self.unused = [c for c in model.schema.input_columns if c not in used]
        self.required = [*self.numeric, *self.categorical]
        self.known = frozenset([*self.required, *self.unused])
        self.cleans_non_finite = pre.non_finite != "error"
        """The model fills NaN/Inf/missing numbers as at training (``netad score`` does the same): not a 422."""
        self._numeric_getter = _getter(self.numeric)
        self._categorical_getter = _getter(self.categorical)

    # -- JSON records ---------------------------------------------------------------------------------------
    def from_records(self, records: list[Any]) -> Rows:
        """Rows from parsed JSON records (``{column: value}`` objects); 422 naming what is wrong."""
        bad = [i for i, r in enumerate(records) if type(r) is not dict]
        if bad:
            raise RequestProblem(
                422,
                [
                    problem(
                        ["body", "records", i], "not_an_object", "each record must be a JSON object {column: value}"
                    )
                    for i in bad[:SHOWN_ROWS]
                ],
            )
        if not records:
            return self._empty()
        extra = set().union(*records) - self.known  # one C-level pass over every key: linear
        ignored = _first_seen(records, extra) if extra else {}
        try:
            if any(clean_name(k) in self.known for k in extra):  # e.g. " Flow Duration": clean names first
                raise KeyError
            numeric_rows = [self._numeric_getter(r) for r in records]
            categorical_rows = [self._categorical_getter(r) for r in records]
        except KeyError:
            records = self._with_clean_names(records)
            ignored = {k: None for k in ignored if clean_name(k) not in self.known}
            numeric_rows = [tuple(r.get(c) for c in self.numeric) for r in records]
            categorical_rows = [tuple(r.get(c) for c in self.categorical) for r in records]
        numeric = self._numeric_block(numeric_rows, len(records))
        categorical = self._categorical_block(categorical_rows, len(records))
        return Rows(numeric, categorical, ignored, records)

    def _with_clean_names(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records with cleaned key names; 422 when a required column is absent from every record or when two
        keys of one record clean to the same name."""
        cleaned: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, record in enumerate(records):
            names = {}
            for key, value in record.items():
                name = clean_name(key)
                if name in names:
                    raise RequestProblem(422, [_duplicate_problem(["body", "records", i, name], name)])
                names[name] = value
            seen.update(c for c in self.required if c in names)
            cleaned.append(names)
        missing = [c for c in self.required if c not in seen]
        if missing:
            raise RequestProblem(422, [_missing_problem(c) for c in missing])
        return cleaned

    def _numeric_block(self, rows: list[Any], n: int) -> np.ndarray:
        p = len(self.numeric)
        if p == 0:
            return np.empty((n, 0), dtype=np.float32)
        if set(map(type, rows if p == 1 else chain.from_iterable(rows))) <= {int, float}:  # JSON numbers only
            try:
                flat = rows if p == 1 else chain.from_iterable(rows)
                values = np.fromiter(flat, dtype=np.float64, count=n * p).reshape(n, p)
            except OverflowError:  # an integer beyond float64: the per-column path names it
                values = None
            if values is not None:
                self._raise_non_finite(values)
                return values.astype(np.float32)
        columns = list(zip(*rows, strict=True)) if p > 1 else [rows]
        values = np.empty((n, p), dtype=np.float64)
        problems: list[dict[str, Any]] = []
        for j, (name, column) in enumerate(zip(self.numeric, columns, strict=True)):
            parsed, text_rows, example = _parse_numbers(column)
            values[:, j] = parsed
            if text_rows:
                problems.append(_not_a_number(name, text_rows, example, "text, true/false or nested values"))
        problems += self._non_finite_problems(values, skip=problems)
        if problems:
            raise RequestProblem(422, _in_column_order(problems, self.numeric))
        return values.astype(np.float32)

    def _categorical_block(self, rows: list[Any], n: int) -> np.ndarray | None:
        q = len(self.categorical)
        if q == 0:
            return None
        flat = rows if q == 1 else list(chain.from_iterable(rows))
        if set(map(type, flat)) != {str}:
            flat = [_category(v, i // q, self.categorical[i % q]) for i, v in enumerate(flat)]
        block = np.empty(n * q, dtype=object)
        block[:] = flat
        return block.reshape(n, q)

    def _raise_non_finite(self, values: np.ndarray) -> None:
        problems = self._non_finite_problems(values)
        if problems:
            raise RequestProblem(422, problems)

    def _non_finite_problems(self, values: np.ndarray, skip: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
        """One problem per numeric column holding NaN, Inf, null or a value beyond float32 (rows named)."""
        if self.cleans_non_finite:
            return []
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~(np.isfinite(values) & (np.abs(values) <= FLOAT32_MAX))
        text = {p["column"]: set(p["rows"]) for p in skip}
        problems = []
        for j in np.flatnonzero(bad.any(axis=0)):
            name = self.numeric[j]
            rows = np.flatnonzero(bad[:, j])
            if name in text:  # rows holding text are already reported as such
                rows = rows[~np.isin(rows, list(text[name]))]
            if len(rows):
                problems.append(
                    problem(
                        ["body", name],
                        "not_finite",
                        f"column {name!r} has {len(rows):,} missing, NaN, infinite or out-of-range value(s)",
                        column=name,
                        rows=shown(rows),
                        n_rows=len(rows),
                    )
                )
        return problems

    # -- uploaded tables ------------------------------------------------------------------------------------
    def from_frame(self, frame: pd.DataFrame) -> Rows:
        """Rows from an uploaded CSV/parquet table (numbers as text are parsed; 422 naming what is wrong)."""
        names = [clean_name(c) for c in frame.columns]
        duplicated = sorted(c for c, k in Counter(names).items() if k > 1)
        if duplicated:
            raise RequestProblem(422, [_duplicate_problem(["body", c], c) for c in duplicated])
        frame = frame.set_axis(names, axis=1).reset_index(drop=True)
        missing = [c for c in self.required if c not in frame.columns]
        if missing:
            raise RequestProblem(422, [_missing_problem(c) for c in missing])
        n = len(frame)
        ignored = {c: None for c in names if c not in self.known}
        values = np.empty((n, len(self.numeric)), dtype=np.float64)
        problems: list[dict[str, Any]] = []
        for j, name in enumerate(self.numeric):
            column = frame[name]
            if pd.api.types.is_numeric_dtype(column.dtype):
                values[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            parsed, text_rows, example = _parse_numbers(column.astype(object).tolist())
            values[:, j] = parsed
            if text_rows:
                problems.append(_not_a_number(name, text_rows, example, "text"))
        problems += self._non_finite_problems(values, skip=problems)
        if problems:
            raise RequestProblem(422, _in_column_order(problems, self.numeric))
        categorical = None
        if self.categorical:
            categorical = np.empty((n, len(self.categorical)), dtype=object)
            for j, name in enumerate(self.categorical):
                categorical[:, j] = [_table_category(v) for v in frame[name].tolist()]
        return Rows(values.astype(np.float32), categorical, ignored, frame)

    def _empty(self) -> Rows:
        categorical = np.empty((0, len(self.categorical)), dtype=object) if self.categorical else None
        return Rows(np.empty((0, len(self.numeric)), dtype=np.float32), categorical, {}, [])


def _first_seen(records: list[dict[str, Any]], names: set[str]) -> dict[str, None]:
    """``names`` in order of first appearance in ``records`` (stops once all are seen: usually one record)."""
    order: dict[str, None] = {}
    for record in records:
        order.update((k, None) for k in record if k in names and k not in order)
        if len(order) == len(names):
            break
    return order


def _getter(columns: list[str]) -> Any:
    """``record -> tuple of values`` for ``columns`` (KeyError when one is absent), C-level."""
    if not columns:
        return lambda record: ()
    return itemgetter(*columns) if len(columns) > 1 else (lambda record, c=columns[0]: record[c])


def _parse_numbers(column: list[Any] | tuple[Any, ...]) -> tuple[np.ndarray, list[int], Any]:
    """Values of one numeric column as float64 (NaN for missing), the rows holding non-numbers, one example."""
    parsed = np.empty(len(column), dtype=np.float64)
    text_rows: list[int] = []
    example = None
    for i, v in enumerate(column):
        kind = type(v)
        if kind is float or kind is int:
            try:
                parsed[i] = v
            except OverflowError:
                parsed[i] = math.inf
            continue
        if v is None:
            parsed[i] = math.nan
            continue
        if kind is str and v.strip() in NULL_TEXTS:
            parsed[i] = math.nan
            continue
        number = None
        if kind is str and len(v) <= 64:
            try:
                number = float(v)
            except ValueError:
                number = None
        elif isinstance(v, np.number):
            number = float(v)
        if number is None:  # text, true/false, a list or an object
            text_rows.append(i)
            example = v if example is None else example
            parsed[i] = math.nan
        else:
            parsed[i] = number
    if example is not None and not isinstance(example, str | bool):
        example = f"{type(example).__name__} value"
    return parsed, text_rows, example


def _category(value: Any, row: int, column: str) -> str:
    """A JSON value of a categorical column as text (null -> ""); nested values are refused."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise RequestProblem(
            422,
            [
                problem(
                    ["body", "records", row, column],
                    "not_a_category",
                    f"column {column!r} holds a nested {type(value).__name__} in row {row}; send text or a number",
                    column=column,
                    rows=[row],
                )
            ],
        )
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _table_category(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _duplicate_problem(loc: list[Any], column: str) -> dict[str, Any]:
    msg = f"column {column!r} appears more than once (after stripping spaces)"
    return problem(loc, "duplicate_column", msg, column=column)


def _missing_problem(column: str) -> dict[str, Any]:
    return problem(
        ["body", column],
        "missing_column",
        f"column {column!r} is required by the model and missing from the input",
        column=column,
    )


def _in_column_order(problems: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    order = {c: i for i, c in enumerate(columns)}
    return sorted(problems, key=lambda p: order.get(p.get("column"), len(order)))


def _not_a_number(name: str, rows: list[int], example: Any, held: str) -> dict[str, Any]:
    """The 422 problem of a numeric column whose ``rows`` hold ``held`` (text, booleans, nested values)."""
    message = f"column {name!r} should be numeric; {len(rows):,} row(s) hold {held} (e.g. {example!r})"
    return problem(["body", name], "not_a_number", message, column=name, rows=shown(rows), n_rows=len(rows))
