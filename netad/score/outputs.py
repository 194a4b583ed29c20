"""Where scores go: a parquet, CSV or JSON-lines file (written atomically through :mod:`netad.files`, never through
a link, never over a file unasked), or standard output (JSON lines or CSV)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netad.errors import NetadInputError
from netad.files import atomic_path, check_output

FORMATS = ("parquet", "csv", "jsonl")
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
STDOUT = "-"


def output_format(output: str | os.PathLike, forced: str | None = None) -> str:
    """The format asked for (``forced``) or told by the output's extension; standard output defaults to JSON lines."""
    if forced is not None:
        if forced not in FORMATS:
            raise NetadInputError(f"--format {forced!r}: use one of {', '.join(FORMATS)}")
        if forced == "parquet" and str(output) == STDOUT:
            raise NetadInputError("parquet cannot be streamed to standard output; use --format jsonl or csv with -o -")
        return forced
    if str(output) == STDOUT:
        return "jsonl"
    if Path(output).is_dir():
        raise NetadInputError(
            f"output {output}: is a directory; give a file name (e.g. {Path(output) / 'scores.parquet'})"
        )
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise NetadInputError(
            f"output {output}: cannot tell the format from {suffix or 'a name without extension'!r}; name it "
            ".parquet, .csv or .jsonl, or pass --format parquet|csv|jsonl"
        )
    return SUFFIXES[suffix]


class ScoreWriter:
    """Appends score tables to one output in one format; :meth:`open` makes it atomic for files."""

    def __init__(self, stream: IO[bytes] | None, path: Path | None, kind: str, metadata: dict[str, str]) -> None:
        self.stream, self.path, self.kind, self.metadata = stream, path, kind, metadata
        self._parquet: pq.ParquetWriter | None = None
        self._header_written = False
        self.rows = 0

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, output: str | os.PathLike, kind: str, metadata: dict[str, str], *, overwrite: bool
    ) -> Iterator[ScoreWriter]:
        """A writer to ``output`` (``-``: standard output); a file appears whole when the block ends, or not at all."""
        if str(output) == STDOUT:
            writer = cls(sys.stdout.buffer, None, kind, metadata)
            try:
                yield writer
            finally:
                writer.close()
            return
        with atomic_path(output, overwrite=overwrite) as temporary:
            if kind == "parquet":
                writer = cls(None, temporary, kind, metadata)
                try:
                    yield writer
                finally:
                    writer.close()
            else:
                with open(temporary, "wb") as f:
                    writer = cls(f, temporary, kind, metadata)
                    try:
                        yield writer
                    finally:
                        writer.close()

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.kind == "parquet":
            if self._parquet is None:
                assert self.path is not None
                self._parquet = pq.ParquetWriter(self.path, table.schema.with_metadata(self.metadata))
            self._parquet.write_table(table)
            return
        table = _plain(table)
        assert self.stream is not None
        if self.kind == "csv":
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=not self._header_written))
            self._header_written = True
            self.stream.write(buffer.getvalue())
        else:
            buffer = io.StringIO()
            table.to_pandas().to_json(buffer, orient="records", lines=True, double_precision=15)
            text = buffer.getvalue()
            self.stream.write((text if text.endswith("\n") or not text else text + "\n").encode())
        self.stream.flush()

    def finish(self, empty_schema: pa.Schema) -> None:
        """Write the header of an output that got no rows (a parquet file or CSV with its columns)."""
        if self.kind == "parquet" and self._parquet is None:
            assert self.path is not None
            self._parquet = pq.ParquetWriter(self.path, empty_schema.with_metadata(self.metadata))
        elif self.kind == "csv" and not self._header_written:
            self.write(empty_schema.empty_table())

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None


def check_target(output: str | os.PathLike, input_path: Path | None, overwrite: bool) -> None:
    """Fail before any work: an output that is the input, a link, a directory, or exists without ``overwrite``."""
    if str(output) == STDOUT:
        return
    target = check_output(output, overwrite=overwrite)
    if input_path is not None and target.exists() and target.resolve() == input_path.resolve():
        raise NetadInputError(f"{output}: the output would overwrite the input")


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns (top features) as plain text, for CSV and JSON."""
    columns: list[Any] = []
    for column in table.columns:
        columns.append(pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type) else column)
    return pa.table(columns, names=table.column_names)
