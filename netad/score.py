"""Batch scoring: run a saved model over a flow file of any size, chunk by chunk, into a parquet file.

The input (CSV, plain or ``.gz``/``.xz``/``.bz2``/``.zip``, or parquet) is streamed with pyarrow's CSV
reader or ``ParquetFile.iter_batches`` and regrouped into chunks of exactly ``chunk_rows`` rows, so memory
is bounded by one chunk whatever the file size. Each chunk is validated against the model's schema,
preprocessed, scored and appended to the output with :class:`pyarrow.parquet.ParquetWriter`.

Output columns: ``row`` (0-based data row of the input), ``score`` (higher = more anomalous), ``is_attack``
(1 when ``score > threshold_``), the ``keep_columns`` asked for, and with ``top_features=k`` the columns
``top_feature_1..k`` / ``top_value_1..k``: the k output features that contribute most to the row's anomaly,
by a cheap per-feature attribution (see :func:`attribution_method`; :mod:`netad.explain` has SHAP).

Validation: missing model columns, text in numeric columns and NaN/Inf values are errors naming the columns
and counts; ``on_bad_rows="skip"`` skips rows with NaN/Inf (or empty) numeric values instead and reports how
many per column. Columns the model does not use (e.g. ``Label``) are ignored and listed in the report.
Column names are normalised as by the dataset loaders (spaces and BOM stripped, duplicates renamed).

>>> report = score_file("models/iforest", "flows.csv.xz", "scores.parquet", top_features=3)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netad.datasets.sources import open_binary, read_head, strip_compression
from netad.datasets.tabular import NULL_TEXTS, count_non_numeric, header_names, to_frame
from netad.errors import NetadInputError
from netad.persist import LoadedModel, load_model

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 100_000
ON_BAD_ROWS = ("error", "skip")
PARQUET_SUFFIXES = (".parquet", ".pq")
STD_FLOOR = 1e-2
"""Smallest standard deviation used by the ``deviation`` attribution: a feature constant on the training rows
(a one-hot level or unknown-category flag never seen there) that is set in a scored row counts as 100 sd."""
_CSV_BLOCK_BYTES = (64 << 10, 1 << 20)  # pyarrow CSV block size range; each block becomes one record batch


@dataclass
class ScoreReport:
    """What one scoring run read, skipped and wrote."""

    input: Path
    output: Path
    rows_read: int = 0
    rows_scored: int = 0
    rows_flagged: int = 0
    rows_skipped: int = 0
    skipped_by_column: dict[str, int] = field(default_factory=dict)
    """Rows skipped (``on_bad_rows="skip"``) per numeric column holding NaN/Inf/empty there."""
    ignored_columns: list[str] = field(default_factory=list)
    """Input columns the model does not use and that were not kept (e.g. a label column)."""
    unknown_categories: dict[str, int] = field(default_factory=dict)
    """Rows per categorical column whose category was never seen at fit (encoded as unknown)."""
    attribution: str | None = None
    chunks: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else float("nan")


def score_file(
    model: LoadedModel | str | os.PathLike,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    keep_columns: Sequence[str] = (),
    top_features: int = 0,
    on_bad_rows: str = "error",
    overwrite: bool = False,
    n_threads: int | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ScoreReport:
    """Score every row of ``input_path`` with ``model`` (a :class:`LoadedModel` or a model directory).

    ``n_threads`` sets the torch CPU threads of deep detectors (their ``n_threads`` parameter, changed on the
    model's detector; on a machine shared with other jobs, 1 is often fastest).
    ``on_progress(rows_read, total_rows_or_None)`` is called after each chunk. The output is written to a
    temporary file renamed at the end, so a failed run leaves no partial output behind.
    """
    started = time.perf_counter()
    if not isinstance(model, LoadedModel):
        model = load_model(model)
    if n_threads is not None:
        if "n_threads" not in model.detector.get_params():
            logger.info("n_threads=%s ignored: %s has no thread setting", n_threads, type(model.detector).__name__)
        else:
            if int(n_threads) < 1:
                raise NetadInputError(f"n_threads must be >= 1, got {n_threads}")
            model.detector.set_params(n_threads=int(n_threads))
    input_path, output_path = Path(input_path), Path(output_path)
    _check_options(model, input_path, output_path, chunk_rows, top_features, on_bad_rows, overwrite)
    source = _Source.open(input_path, model, list(keep_columns))
    report = ScoreReport(input=input_path, output=output_path, ignored_columns=source.ignored)
    if source.ignored:
        logger.info(
            "%s: ignoring %d column(s) the model does not use: %s", input_path, len(source.ignored), source.ignored
        )
    scorer = _ChunkScorer(model, top_features, on_bad_rows, report)
    report.attribution = scorer.attribution

    partial = output_path.with_name(output_path.name + ".partial")
    writer: pq.ParquetWriter | None = None
    try:
        try:
            for chunk in source.chunks(chunk_rows):
                table = scorer.score(chunk, source.keep)
                if scorer.failed:
                    continue  # counting bad values through the rest of the file, writing nothing
                if writer is None:
                    writer = pq.ParquetWriter(partial, table.schema.with_metadata(scorer.file_metadata()))
                writer.write_table(table)
                report.chunks += 1
                if on_progress is not None:
                    on_progress(report.rows_read, source.total_rows)
        except _TypeProblem:
            raise source.type_error() from None
        scorer.raise_if_failed(input_path, source.parquet)
        if writer is None:  # empty input: an empty file with the right columns
            writer = pq.ParquetWriter(partial, scorer.empty_schema(source.keep_types))
        writer.close()
        writer = None
        os.replace(partial, output_path)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    logger.info(
        "scored %d rows of %s in %.1f s (%d flagged, %d skipped) -> %s",
        report.rows_scored, input_path, report.seconds, report.rows_flagged, report.rows_skipped, output_path,
    )  # fmt: skip
    return report


def attribution_method(model: LoadedModel) -> str:
    """How ``top_features`` ranks features for this model.

    - ``reconstruction``: per-feature squared reconstruction error, for reconstruction models: a detector
      with a ``reconstruct(X)`` method, a scikit-learn ``model_`` with ``transform``/``inverse_transform``
      (PCA), or a torch ``module_`` whose output has the input's shape (the autoencoder);
    - ``deviation``: ``|x - mean| / max(std, 0.01)`` per feature, with the training statistics saved with the
      model (``reference`` of :func:`netad.persist.save_model`): how unusual each value is;
    - ``magnitude``: ``|x|`` of the preprocessed value when no statistics were saved (a z-score when the
      preprocessor used standard scaling).

    These are cheap screens, not explanations of the detector's decision; use :mod:`netad.explain` (SHAP).
    """
    if _reconstructor(model.detector) is not None:
        return "reconstruction"
    return "deviation" if model.schema.feature_mean is not None else "magnitude"


def feature_attribution(model: LoadedModel, X: np.ndarray) -> np.ndarray:
    """Per-row, per-feature contribution (rows x output features, float32) by :func:`attribution_method`."""
    return _attribution(model, X, _reconstructor(model.detector))


def _attribution(
    model: LoadedModel, X: np.ndarray, reconstruct: Callable[[np.ndarray], np.ndarray] | None
) -> np.ndarray:
    if reconstruct is not None:
        return np.square(X - reconstruct(X), dtype=np.float32)
    if model.schema.feature_mean is not None:
        std = np.maximum(model.schema.feature_std, STD_FLOOR).astype(np.float32)
        return np.abs(X - model.schema.feature_mean.astype(np.float32)) / std
    return np.abs(X)


# -- options and reading --------------------------------------------------------------------------------
def _check_options(
    model: LoadedModel, input_path: Path, output_path: Path, chunk_rows: int, top_features: int, on_bad_rows: str,
    overwrite: bool,
) -> None:  # fmt: skip
    if model.preprocessor is None:
        raise NetadInputError(
            f"{model.path}: this model has no preprocessor (saved with save_detector); it scores feature matrices "
            "(detector.decision_function), not flow files; save one with `netad train`"
        )
    if int(chunk_rows) < 1:
        raise NetadInputError(f"chunk_rows must be >= 1, got {chunk_rows}")
    n_features = len(model.schema.output_features)
    if not 0 <= int(top_features) <= n_features:
        raise NetadInputError(f"top_features must lie in [0, {n_features}] (the model's features), got {top_features}")
    if on_bad_rows not in ON_BAD_ROWS:
        raise NetadInputError(f"on_bad_rows={on_bad_rows!r}: use one of {', '.join(ON_BAD_ROWS)}")
    if not input_path.is_file():
        raise NetadInputError(f"{input_path}: input file not found")
    if output_path.exists() and not overwrite:
        raise NetadInputError(f"{output_path}: already exists; pass --overwrite to replace it")
    if output_path.resolve() == input_path.resolve():
        raise NetadInputError(f"{output_path}: the output would overwrite the input")
    if not output_path.parent.is_dir():
        raise NetadInputError(f"{output_path.parent}: output directory not found")


def is_parquet(path: Path) -> bool:
    return strip_compression(path.name).lower().endswith(PARQUET_SUFFIXES)


@dataclass
class _Source:
    """An input file checked against the model schema, streamed as typed chunks."""

    path: Path
    parquet: bool
    names: list[str]  # normalised column names, in file order
    raw_names: dict[str, str]  # normalised -> name in the file (parquet)
    numeric: list[str]  # model columns read as float32
    categorical: list[str]  # model columns read as text
    keep: list[str]
    ignored: list[str]
    total_rows: int | None
    keep_types: dict[str, pa.DataType]

    @classmethod
    def open(cls, path: Path, model: LoadedModel, keep: list[str]) -> _Source:
        schema = model.schema
        parquet = is_parquet(path)
        if parquet:
            try:
                file = pq.ParquetFile(path)
            except (OSError, pa.ArrowInvalid) as exc:
                raise NetadInputError(f"{path}: not a readable parquet file ({exc})") from None
            raw = [str(c) for c in file.schema_arrow.names]
            names = [c.strip() for c in raw]  # as the csv/parquet dataset loader does
            raw_names = dict(zip(names, raw, strict=True))
            total: int | None = file.metadata.num_rows
        else:
            names, notes = header_names(path)  # the loaders' normalisation: spaces, quotes, BOM, duplicates
            for note in notes:
                logger.info("%s", note)
            raw_names, total = {n: n for n in names}, None
        missing = [c for c in schema.input_columns if c not in names]
        if missing:
            shown = ", ".join(map(repr, missing[:20])) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            raise NetadInputError(
                f"{path}: missing {len(missing)} column(s) the model was trained on: {shown}. The input needs a "
                "header row with the training column names (netad normalises spaces and BOM in names)"
            )
        unknown_keep = [c for c in keep if c not in names]
        if unknown_keep:
            raise NetadInputError(f"{path}: keep column(s) {unknown_keep} not in the file; columns: {names[:40]}")
        used = set(schema.used_columns)
        numeric = [c for c in schema.numeric_columns if c in used]
        categorical = [c for c in schema.categorical_columns if c in used]
        keep = list(dict.fromkeys(keep))
        ignored = [c for c in names if c not in set(schema.input_columns) and c not in set(keep)]
        source = cls(path, parquet, names, raw_names, numeric, categorical, keep, ignored, total, {})
        source.keep_types = {c: source._type_of(c) for c in keep}
        return source

    def _type_of(self, column: str) -> pa.DataType:
        if column in self.numeric:
            return pa.float32()
        if column in self.categorical or not self.parquet:
            return pa.string()
        return pq.ParquetFile(self.path).schema_arrow.field(self.raw_names[column]).type

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.numeric, *self.categorical, *self.keep]))

    def chunks(self, chunk_rows: int) -> Iterator[_Chunk]:
        """Chunks of exactly ``chunk_rows`` rows (the last may be shorter), with their first row number."""
        buffered: list[pa.RecordBatch] = []
        n_buffered, first_row = 0, 0
        for batch in self._batches(chunk_rows):
            buffered.append(batch)
            n_buffered += batch.num_rows
            while n_buffered >= chunk_rows:
                table = pa.Table.from_batches(buffered)
                yield _Chunk(table.slice(0, chunk_rows), first_row)
                rest = table.slice(chunk_rows)
                buffered, n_buffered = rest.to_batches(), rest.num_rows
                first_row += chunk_rows
        if n_buffered:
            yield _Chunk(pa.Table.from_batches(buffered), first_row)

    def _batches(self, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        if self.parquet:
            yield from self._parquet_batches(chunk_rows)
        else:
            yield from self._csv_batches(chunk_rows, text_numeric=False)

    def _parquet_batches(self, chunk_rows: int, text_numeric: bool = False) -> Iterator[pa.RecordBatch]:
        file = pq.ParquetFile(self.path)
        columns = self.columns
        row = 0
        for batch in file.iter_batches(batch_size=chunk_rows, columns=[self.raw_names[c] for c in columns]):
            arrays = []
            for name, array in zip(columns, batch.columns, strict=True):
                if name in self.numeric:
                    array = _as_text(array) if text_numeric else self._parquet_numeric(name, array, row)
                elif name in self.categorical:
                    array = pc.cast(array, pa.string())
                arrays.append(array)
            row += batch.num_rows
            yield pa.RecordBatch.from_arrays(arrays, names=columns)

    def _parquet_numeric(self, name: str, array: pa.Array, first_row: int) -> pa.Array:
        kind = array.type
        if pa.types.is_dictionary(kind):
            array, kind = array.dictionary_decode(), kind.value_type
        if (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind)
        ):
            return pc.cast(array, pa.float32(), safe=False)  # float32 like the loaders; huge values become Inf
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            count, _, _ = count_non_numeric(pa.chunked_array([array]))
            if count:
                raise _TypeProblem(name)
            return pc.cast(pc.if_else(pc.is_in(array, pa.array(NULL_TEXTS, kind)), None, array), pa.float32())
        raise NetadInputError(f"{self.path}: column {name!r} should be numeric but has type {kind}")

    def _csv_batches(self, chunk_rows: int, text_numeric: bool) -> Iterator[pa.RecordBatch]:
        types = {c: pa.string() for c in self.columns}
        if not text_numeric:
            types.update({c: pa.float32() for c in self.numeric})
        read_options = pacsv.ReadOptions(column_names=self.names, skip_rows=1, block_size=self._block_size(chunk_rows))
        convert_options = pacsv.ConvertOptions(
            column_types=types, include_columns=self.columns, strings_can_be_null=False
        )
        with open_binary(self.path) as f:
            try:
                reader = pacsv.open_csv(f, read_options=read_options, convert_options=convert_options)
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        return
                    yield batch
            except pa.ArrowInvalid as exc:
                match = re.search(r"column #(\d+).*conversion error to float", str(exc), re.S)
                if match and not text_numeric:
                    raise _TypeProblem(self.names[int(match.group(1))]) from None
                raise NetadInputError(f"{self.path}: cannot parse the CSV ({str(exc).strip()})") from None

    def _block_size(self, chunk_rows: int) -> int:
        """CSV block bytes: about ``chunk_rows`` lines (measured on the first lines), within 64 KiB..1 MiB."""
        lines = read_head(self.path, 201)[1:]
        per_row = max(1, int(np.mean([len(line) + 1 for line in lines]))) if lines else 256
        low, high = _CSV_BLOCK_BYTES
        return int(min(high, max(low, chunk_rows * per_row)))

    def type_error(self) -> NetadInputError:
        """The error for text in numeric model columns, with counts over the whole file."""
        found = self.non_numeric_counts()
        detail = "; ".join(
            f"{name!r}: {count:,} row(s) (e.g. {example!r} on data row {_where(row, self.parquet)})"
            for name, (count, example, row) in sorted(found.items(), key=lambda kv: -kv[1][0])
        )
        return NetadInputError(
            f"{self.path}: non-numeric values in column(s) the model reads as numbers: {detail or '(see pyarrow)'}; "
            "fix or remove those rows"
        )

    def non_numeric_counts(self) -> dict[str, tuple[int, str, int]]:
        """Per numeric model column: (non-numeric cells, one example, its data row), over the whole file.

        Streams the file again with those columns read as text (only on the error path).
        """
        found: dict[str, tuple[int, str, int]] = {}
        row = 0
        batches = (
            self._parquet_batches(65_536, text_numeric=True)
            if self.parquet
            else self._csv_batches(65_536, text_numeric=True)
        )
        for batch in batches:
            for name in self.numeric:
                count, example, position = count_non_numeric(pa.chunked_array([batch.column(name)]))
                if count:
                    total, first_example, first_row = found.get(name, (0, example, row + position))
                    found[name] = (total + count, first_example, first_row)
            row += batch.num_rows
        return found


def _as_text(array: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return pc.cast(array, pa.string())


class _TypeProblem(Exception):
    """Internal: a numeric model column holds text; the caller re-scans the file to count it."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


@dataclass
class _Chunk:
    table: pa.Table
    first_row: int


# -- scoring ----------------------------------------------------------------------------------------------
class _ChunkScorer:
    """Validates, preprocesses and scores chunks; counts bad rows; builds the output table of each chunk."""

    def __init__(self, model: LoadedModel, top_features: int, on_bad_rows: str, report: ScoreReport) -> None:
        self.model = model
        self.detector = model.detector
        self.preprocessor = model.preprocessor
        self.top_features = int(top_features)
        self.on_bad_rows = on_bad_rows
        self.report = report
        self.attribution = attribution_method(model) if self.top_features else None
        self.feature_names = pa.array([str(f) for f in model.schema.output_features], pa.string())
        used = set(model.schema.used_columns)
        self.numeric = [c for c in model.schema.numeric_columns if c in used]
        self.unused = [c for c in model.schema.input_columns if c not in used]
        self.reconstruct = _reconstructor(self.detector) if self.top_features else None
        self.context_rows = _context_rows(self.detector)
        self.context: np.ndarray | None = None
        self.failed = False
        self.bad_values: dict[str, int] = {}
        self.first_bad_row: int | None = None
        self.source: _Source | None = None

    def score(self, chunk: _Chunk, keep: list[str]) -> pa.Table:
        table = chunk.table
        n = table.num_rows
        self.report.rows_read += n
        numeric = [c for c in table.column_names if c in self.numeric]
        bad = np.zeros(n, dtype=bool)
        for name in numeric:
            values = table.column(name).to_numpy(zero_copy_only=False)  # nulls -> NaN
            column_bad = ~np.isfinite(values)
            count = int(column_bad.sum())
            if count:
                if self.first_bad_row is None:
                    self.first_bad_row = chunk.first_row + int(np.argmax(column_bad))
                self.bad_values[name] = self.bad_values.get(name, 0) + count
                bad |= column_bad
        if bad.any():
            if self.on_bad_rows == "error":
                self.failed = True
            else:
                self.report.rows_skipped += int(bad.sum())
                self.report.skipped_by_column = dict(self.bad_values)
        if self.failed:
            return table
        rows = np.arange(chunk.first_row, chunk.first_row + n, dtype=np.int64)
        if bad.any():
            keep_mask = ~bad
            table = table.filter(pa.array(keep_mask))
            rows = rows[keep_mask]
        out = self._score_table(table, keep)
        return out.add_column(0, "row", pa.array(rows, pa.int64()))

    def _score_table(self, table: pa.Table, keep: list[str]) -> pa.Table:
        kept = {c: table.column(c) for c in keep}
        model_columns = [c for c in table.column_names if c in set(self.model.schema.used_columns)]
        frame = to_frame(table.select(model_columns))
        for c in self.unused:  # dropped at fit: must be present, never read
            frame[c] = np.zeros(len(frame), dtype=np.float32)
        for column, count in self.preprocessor.unknown_category_counts(frame).items():
            self.report.unknown_categories[column] = self.report.unknown_categories.get(column, 0) + count
        if len(frame):
            X = self.preprocessor.transform(frame)
            del frame
            scores = self._scores(X)
        else:
            X, scores = np.empty((0, len(self.model.schema.output_features)), np.float32), np.empty(0)
        flagged = (scores > self.detector.threshold_).astype(np.int8)
        self.report.rows_scored += len(scores)
        self.report.rows_flagged += int(flagged.sum())
        columns: dict[str, Any] = {"score": pa.array(scores, pa.float64()), "is_attack": pa.array(flagged, pa.int8())}
        top = self._top_features(X) if self.top_features else {}
        for name, values in kept.items():
            columns[_output_name(name, self.top_features)] = values
        columns.update(top)
        return pa.table(columns)

    def file_metadata(self) -> dict[str, str]:
        """Key-value metadata of the output parquet: which model, threshold and attribution produced it."""
        return {
            "netad.model": str(self.model.path),
            "netad.detector": self.model.detector_name,
            "netad.threshold": repr(float(self.detector.threshold_)),
            "netad.attribution": self.attribution or "",
        }

    def _scores(self, X: np.ndarray) -> np.ndarray:
        if not self.context_rows:
            return self.detector.decision_function(X)
        # a row's score depends on the rows before it (sequence windows): carry them across chunks
        if self.context is not None:
            X = np.concatenate([self.context, X])
        offset = 0 if self.context is None else len(self.context)
        scores = self.detector.decision_function(X)[offset:]
        self.context = X[-self.context_rows :].copy()
        return scores

    def _top_features(self, X: np.ndarray) -> dict[str, pa.Array]:
        k = self.top_features
        if len(X) == 0:
            contribution, order = np.empty((0, k), np.float32), np.empty((0, k), np.int32)
        else:
            attribution = _attribution(self.model, X, self.reconstruct)
            top = np.argpartition(-attribution, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(attribution, top, axis=1)
            rank = np.argsort(-values, axis=1, kind="stable")
            order = np.take_along_axis(top, rank, axis=1).astype(np.int32)
            contribution = np.take_along_axis(values, rank, axis=1).astype(np.float32)
        out: dict[str, pa.Array] = {}
        for i in range(k):
            out[f"top_feature_{i + 1}"] = pa.DictionaryArray.from_arrays(pa.array(order[:, i]), self.feature_names)
            out[f"top_value_{i + 1}"] = pa.array(contribution[:, i], pa.float32())
        return out

    def empty_schema(self, keep_types: dict[str, pa.DataType]) -> pa.Schema:
        fields = [pa.field("row", pa.int64()), pa.field("score", pa.float64()), pa.field("is_attack", pa.int8())]
        fields += [pa.field(_output_name(name, self.top_features), kind) for name, kind in keep_types.items()]
        for i in range(self.top_features):
            fields.append(pa.field(f"top_feature_{i + 1}", pa.dictionary(pa.int32(), pa.string())))
            fields.append(pa.field(f"top_value_{i + 1}", pa.float32()))
        return pa.schema(fields)

    def raise_if_failed(self, path: Path, parquet: bool) -> None:
        if not self.failed:
            return
        detail = ", ".join(f"{c!r}: {n:,}" for c, n in sorted(self.bad_values.items(), key=lambda kv: -kv[1]))
        where = "" if self.first_bad_row is None else f" (first on data row {_where(self.first_bad_row, parquet)})"
        raise NetadInputError(
            f"{path}: NaN/Inf or empty values in numeric column(s) {detail}{where}; clean them, or pass "
            "--on-bad-rows skip (on_bad_rows='skip') to skip those rows and report them"
        )


def _where(row: int, parquet: bool) -> str:
    """A 0-based data row (as in the output's ``row`` column), with its line number in a CSV file."""
    return f"{row:,}" if parquet else f"{row:,}, line {row + 2:,}"


def _output_name(column: str, top_features: int) -> str:
    """A kept input column's name in the output, prefixed ``input.`` when it collides with an output column."""
    reserved = {"row", "score", "is_attack"}
    reserved |= {f"top_{kind}_{i + 1}" for kind in ("feature", "value") for i in range(top_features)}
    return f"input.{column}" if column in reserved else column


def _context_rows(detector: Any) -> int:
    """Rows before a row that its score depends on, as the detector declares (``BaseDetector.context_rows``)."""
    return int(detector.context_rows)


def _reconstructor(detector: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """``detector.reconstruct`` when it declares itself a reconstruction model (see :func:`attribution_method`)."""
    return detector.reconstruct if detector.reconstructs else None


def read_scores(path: str | os.PathLike) -> pd.DataFrame:
    """The output of :func:`score_file` as a DataFrame (top-feature columns as plain strings)."""
    frame = pq.read_table(path).to_pandas()
    for column in frame.columns:
        if column.startswith("top_feature_"):
            frame[column] = frame[column].astype(str)
    return frame
