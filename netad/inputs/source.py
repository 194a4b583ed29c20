"""A flow file checked against a model's input schema and streamed as typed chunks of a fixed number of rows.

Used by ``netad score`` (and meant for every reader of flow files against a saved model): the columns the model
reads are typed up front (float32 numbers, text categories), columns it does not use are listed and skipped,
flow identifiers (``Flow ID``, addresses, ports, ``Timestamp``...) are carried along when the file has them,
and every problem is one line naming the file, the column and the row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netad.errors import NetadInputError
from netad.inputs.csv import explain_csv_error, iter_csv_batches
from netad.inputs.header import dedupe, header_names
from netad.inputs.opening import InputFile, read_head
from netad.inputs.values import NULL_TEXTS, count_non_numeric, first_undecodable, undecodable_message

logger = logging.getLogger(__name__)

IDENTIFIER_COLUMNS = (
    "Flow ID", "Source IP", "Src IP", "Source Port", "Src Port", "Destination IP", "Dst IP", "Destination Port",
    "Dst Port", "Protocol", "Timestamp", "uid", "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
    "srcip", "sport", "dstip", "dsport", "stime", "src_ip", "src_port", "dst_ip", "dst_port", "timestamp",
)  # fmt: skip
"""Columns that name a flow (CICFlowMeter, Zeek, UNSW-NB15 and common spellings): carried into outputs as found."""
_CSV_BLOCK_BYTES = (64 << 10, 1 << 20)  # pyarrow CSV block size range; each block becomes one record batch


class InputSchema(Protocol):
    """What a fitted model reads (``netad.persist.FeatureSchema`` is one)."""

    input_columns: list[str]
    used_columns: list[str]

    @property
    def numeric_columns(self) -> list[str]: ...

    @property
    def categorical_columns(self) -> list[str]: ...


@dataclass
class Chunk:
    """Rows ``first_row ..`` of the file (0-based data rows) as an Arrow table of the source's columns."""

    table: pa.Table
    first_row: int


class NonNumericColumn(Exception):
    """Internal: a numeric model column holds text; :meth:`FlowSource.type_error` re-scans the file to count it."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


@dataclass
class FlowSource:
    """An input file checked against a model schema, streamed as typed chunks."""

    file: InputFile
    names: list[str]  # normalised column names, in file order
    raw_names: dict[str, str]  # normalised -> name in the file (parquet)
    numeric: list[str]  # model columns read as float32
    categorical: list[str]  # model columns read as text
    keep: list[str]  # columns copied to the output (asked for, then identifiers found)
    ignored: list[str]
    total_rows: int | None
    keep_types: dict[str, pa.DataType] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # renamed duplicate names, stripped spaces

    @property
    def parquet(self) -> bool:
        return self.file.parquet

    @property
    def name(self) -> str:
        return self.file.name

    @classmethod
    def open(
        cls, file: InputFile, schema: InputSchema, keep: Sequence[str] = (), *, identifiers: bool = True
    ) -> FlowSource:
        """Read the header (or parquet schema) and check it: every model column present, ``keep`` columns too."""
        notes: list[str] = []
        if file.parquet:
            try:
                parquet = pq.ParquetFile(file.path)
            except (OSError, pa.ArrowInvalid) as exc:
                raise NetadInputError(f"{file.name}: not a readable parquet file ({exc})") from None
            raw = [str(c) for c in parquet.schema_arrow.names]
            names, renamed = dedupe([c.strip() for c in raw])  # as the csv/parquet dataset loader does
            notes += [f"column name {o!r} appears twice; the second is read as {n!r}" for o, n, _, _ in renamed]
            raw_names = dict(zip(names, raw, strict=True))
            total: int | None = parquet.metadata.num_rows
            if total == 0:
                raise NetadInputError(f"{file.name}: no data rows (the parquet file is empty)")
        else:
            names, notes = header_names(file)  # the loaders' normalisation: spaces, quotes, BOM, duplicates
            raw_names, total = {n: n for n in names}, None
        missing = [c for c in schema.input_columns if c not in names]
        if missing:
            shown = ", ".join(map(repr, missing[:20])) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            raise NetadInputError(
                f"{file.name}: missing {len(missing)} column(s) the model was trained on: {shown}. The input needs "
                "a header row with the training column names (netad normalises spaces and BOM in names)"
            )
        unknown_keep = [c for c in keep if c not in names]
        if unknown_keep:
            raise NetadInputError(f"{file.name}: keep column(s) {unknown_keep} not in the file; columns: {names[:40]}")
        used = set(schema.used_columns)
        numeric = [c for c in schema.numeric_columns if c in used]
        categorical = [c for c in schema.categorical_columns if c in used]
        found = [c for c in IDENTIFIER_COLUMNS if c in names] if identifiers else []
        keep = list(dict.fromkeys([*keep, *found]))
        ignored = [c for c in names if c not in set(schema.input_columns) and c not in set(keep)]
        source = cls(file, names, raw_names, numeric, categorical, keep, ignored, total, notes=notes)
        source.keep_types = {c: source._type_of(c) for c in keep}
        return source

    def _type_of(self, column: str) -> pa.DataType:
        if column in self.numeric:
            return pa.float32()
        if column in self.categorical or not self.parquet:
            return pa.string()
        return pq.ParquetFile(self.file.path).schema_arrow.field(self.raw_names[column]).type

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.numeric, *self.categorical, *self.keep]))

    def chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        """Chunks of exactly ``chunk_rows`` rows (the last may be shorter); a file without data rows is an error."""
        buffered: list[pa.RecordBatch] = []
        n_buffered, first_row = 0, 0
        try:
            for batch in self._batches(chunk_rows):
                buffered.append(batch)
                n_buffered += batch.num_rows
                while n_buffered >= chunk_rows:
                    table = pa.Table.from_batches(buffered)
                    yield Chunk(table.slice(0, chunk_rows), first_row)
                    rest = table.slice(chunk_rows)
                    buffered, n_buffered = rest.to_batches(), rest.num_rows
                    first_row += chunk_rows
        except NonNumericColumn:
            raise self.type_error() from None
        if n_buffered:
            yield Chunk(pa.Table.from_batches(buffered), first_row)
        elif first_row == 0:
            raise NetadInputError(f"{self.name}: no data rows (only a header line)")

    def _batches(self, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        if self.parquet:
            yield from self._parquet_batches(chunk_rows)
        else:
            yield from self._csv_batches(chunk_rows, text_numeric=False)

    def _parquet_batches(self, chunk_rows: int, text_numeric: bool = False) -> Iterator[pa.RecordBatch]:
        file = pq.ParquetFile(self.file.path)
        columns = self.columns
        row = 0
        try:
            for batch in file.iter_batches(batch_size=chunk_rows, columns=[self.raw_names[c] for c in columns]):
                arrays = []
                for name, array in zip(columns, batch.columns, strict=True):
                    if name in self.numeric:
                        array = _as_text(array) if text_numeric else self._parquet_numeric(name, array)
                    elif name in self.categorical:
                        array = self._parquet_text(name, array, row)
                    arrays.append(array)
                row += batch.num_rows
                yield pa.RecordBatch.from_arrays(arrays, names=columns)
        except OSError as exc:
            raise NetadInputError(f"{self.name}: cannot read the parquet file ({exc}); is it complete?") from None

    def _parquet_text(self, name: str, array: pa.Array, first_row: int) -> pa.Array:
        try:
            return pc.cast(array, pa.string())
        except pa.ArrowInvalid:
            count, example, row = first_undecodable(array)
            message = undecodable_message(self.name, name, count, example, None)
            raise NetadInputError(f"{message} (data row {first_row + row:,})") from None

    def _parquet_numeric(self, name: str, array: pa.Array) -> pa.Array:
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
                raise NonNumericColumn(name)
            return pc.cast(pc.if_else(pc.is_in(array, pa.array(NULL_TEXTS, kind)), None, array), pa.float32())
        raise NetadInputError(f"{self.name}: column {name!r} should be numeric but has type {kind}")

    def _csv_batches(self, chunk_rows: int, text_numeric: bool) -> Iterator[pa.RecordBatch]:
        types = {c: pa.string() for c in self.columns}
        if not text_numeric:
            types.update({c: pa.float32() for c in self.numeric})
        try:
            yield from iter_csv_batches(
                self.file, names=self.names, column_types=types, include=self.columns,
                block_size=self._block_size(chunk_rows),
            )  # fmt: skip
        except pa.ArrowInvalid as exc:
            match = re.search(r"column #(\d+).*conversion error to float", str(exc), re.S)
            if match and not text_numeric:
                raise NonNumericColumn(self.names[int(match.group(1))]) from None
            again = dict(names=self.names, skip_rows=1, delimiter=",", quoting=True, invalid_row_handler=None)
            raise explain_csv_error(exc, self.file, {**again, "null_values": None, "encoding": "utf8"}) from None

    def _block_size(self, chunk_rows: int) -> int:
        """CSV block bytes: about ``chunk_rows`` lines (measured on the first lines), within 64 KiB..1 MiB."""
        lines = read_head(self.file, 201)[1:]
        per_row = max(1, int(np.mean([len(line) + 1 for line in lines]))) if lines else 256
        low, high = _CSV_BLOCK_BYTES
        return int(min(high, max(low, chunk_rows * per_row)))

    def type_error(self) -> NetadInputError:
        """The error for text in numeric model columns, with counts over the whole file."""
        found = self.non_numeric_counts()
        detail = "; ".join(
            f"{name!r}: {count:,} row(s) (e.g. {example!r} on data row {where(row, self.parquet)})"
            for name, (count, example, row) in sorted(found.items(), key=lambda kv: -kv[1][0])
        )
        return NetadInputError(
            f"{self.name}: non-numeric values in column(s) the model reads as numbers: {detail or '(see pyarrow)'}; "
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


def where(row: int, parquet: bool) -> str:
    """A 0-based data row (as in the output's ``row`` column), with its line number in a CSV file."""
    return f"{row:,}" if parquet else f"{row:,}, line {row + 2:,}"


def _as_text(array: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return pc.cast(array, pa.string())
