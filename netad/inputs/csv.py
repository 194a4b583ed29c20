"""Parsing CSV flow files with pyarrow: whole tables for the dataset loaders, record batches for scoring.

Both grow pyarrow's block size when one field is larger than a block (a 10 MB cell is parsed, not refused with
"straddling object straddles two block boundaries"), and turn pyarrow's errors into one line naming the file,
the column, the line and the fix: text in a numeric column (counted over the file), bytes that are not UTF-8,
a line with the wrong number of fields, a truncated compressed file.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from netad.errors import NetadInputError
from netad.inputs.opening import InputFile, decompress_error, is_decompress_error, open_binary
from netad.inputs.values import count_non_numeric, first_undecodable, undecodable_message

logger = logging.getLogger(__name__)

MAX_BLOCK_BYTES = 1 << 30
"""Largest pyarrow block tried: one field (one cell) may be up to about this long."""
_CONVERSION = re.compile(r"column #(\d+).*conversion error to (\w+): invalid value '(.*)'", re.S)
_NOT_UTF8 = re.compile(r"column #(\d+).*invalid UTF8", re.S)


def _where(path: InputFile | str | os.PathLike) -> str:
    return path.name if isinstance(path, InputFile) else str(path)


def is_straddling(exc: BaseException) -> bool:
    """pyarrow's error for a field longer than one block."""
    return "straddl" in str(exc)


def larger_block(block_size: int | None, where: str) -> int:
    """The next block size to try after a straddling field (x4), or an error past :data:`MAX_BLOCK_BYTES`."""
    size = max(4 << 20, 4 * (block_size or (1 << 20)))
    if size > MAX_BLOCK_BYTES:
        raise NetadInputError(f"{where}: one field is longer than {MAX_BLOCK_BYTES >> 20} MiB; is it really a CSV?")
    logger.info("%s: a field is longer than one parse block; retrying with %d MiB blocks", where, size >> 20)
    return size


def read_csv(
    path: InputFile | str | os.PathLike,
    *,
    names: Sequence[str],
    skip_rows: int,
    column_types: Mapping[str, pa.DataType],
    include: Sequence[str],
    delimiter: str = ",",
    quoting: bool = True,
    invalid_row_handler: Callable[[Any], str] | None = None,
    null_values: Sequence[str] | None = None,
    encoding: str = "utf8",
    block_size: int | None = None,
) -> pa.Table:
    """Parse ``path`` with known column ``names`` (the header line is skipped), keeping ``include`` only.

    Errors become a :class:`NetadInputError` naming the file, the column, how many values are bad and one
    example with its line number.
    """
    # pyarrow's default 1 MB blocks unless a field needs more: larger ones measured slower (cache misses)
    read_options = pacsv.ReadOptions(column_names=list(names), skip_rows=skip_rows, encoding=encoding)
    if block_size is not None:
        read_options.block_size = block_size
    parse_options = pacsv.ParseOptions(
        delimiter=delimiter, quote_char='"' if quoting else False, invalid_row_handler=invalid_row_handler
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict(column_types), include_columns=list(include), strings_can_be_null=False
    )
    if null_values is not None:
        convert_options.null_values = list(null_values)
    again: dict[str, Any] = dict(names=names, skip_rows=skip_rows, delimiter=delimiter, quoting=quoting)
    again.update(invalid_row_handler=invalid_row_handler, null_values=null_values, encoding=encoding)
    try:
        with open_binary(path) as f:
            table = pacsv.read_csv(
                f, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
    except pa.ArrowInvalid as exc:
        if is_straddling(exc):
            bigger = larger_block(block_size, _where(path))
            return read_csv(path, column_types=column_types, include=include, block_size=bigger, **again)
        raise explain_csv_error(exc, path, {**again, "block_size": block_size}) from None
    except OSError as exc:
        if is_decompress_error(exc):
            raise decompress_error(_where(path), exc) from None
        raise
    logger.debug("parsed %s: %d rows x %d columns", _where(path), table.num_rows, table.num_columns)
    return table


def explain_csv_error(
    error: pa.ArrowInvalid, path: InputFile | str | os.PathLike, again: dict[str, Any]
) -> NetadInputError:
    """A pyarrow parse error as one line naming the column, the count of bad cells and an example with its line."""
    text = str(error)
    where = _where(path)
    names = again["names"]
    match = _NOT_UTF8.search(text)
    if match:
        column = names[int(match.group(1))]
        count, example, row = _locate(path, column, pa.binary(), again, first_undecodable)
        line = row + again["skip_rows"] + 1 if row >= 0 else None
        return NetadInputError(undecodable_message(where, column, count, example, line))
    match = _CONVERSION.search(text)
    if not match:
        if "Expected" in text and "columns" in text:
            return NetadInputError(f"{where}: malformed line, wrong number of fields ({text.strip()})")
        return NetadInputError(f"{where}: cannot parse ({text.strip()})")
    column = names[int(match.group(1))]
    count, example, row = _locate(path, column, pa.string(), again, count_non_numeric)
    if not count:
        example = match.group(3)
    at = f" on line {row + again['skip_rows'] + 1:,}" if row >= 0 else ""
    amount = f"{count:,} non-numeric value(s)" if count else "non-numeric values"
    return NetadInputError(
        f"{where}: column {column!r} should be numeric but has {amount} (e.g. {example!r}{at}); "
        "fix or remove those rows"
    )


def _locate(
    path: InputFile | str | os.PathLike, column: str, kind: pa.DataType, again: dict[str, Any], count: Callable
) -> tuple[int, Any, int]:
    """Re-read one column as ``kind`` and find its bad cells with ``count`` (only on the error path)."""
    try:
        table = read_csv(path, column_types={column: kind}, include=[column], **again)
        return count(table.column(0))
    except NetadInputError:
        return 0, b"" if kind == pa.binary() else "", -1


def iter_csv_batches(
    path: InputFile,
    *,
    names: Sequence[str],
    column_types: Mapping[str, pa.DataType],
    include: Sequence[str],
    block_size: int,
) -> Iterator[pa.RecordBatch]:
    """Record batches of a CSV file with a header line; a field longer than a block restarts the reader with
    larger blocks after the rows already given. pyarrow errors propagate (the caller explains them)."""
    done = 0
    while True:
        read_options = pacsv.ReadOptions(
            column_names=list(names), skip_rows=1, skip_rows_after_names=done, block_size=block_size
        )
        convert_options = pacsv.ConvertOptions(
            column_types=dict(column_types), include_columns=list(include), strings_can_be_null=False
        )
        try:
            with open_binary(path) as f:
                reader = pacsv.open_csv(f, read_options=read_options, convert_options=convert_options)
                for batch in reader:
                    done += batch.num_rows
                    yield batch
            return
        except pa.ArrowInvalid as exc:
            if not is_straddling(exc):
                raise
            block_size = larger_block(block_size, path.name)
        except OSError as exc:
            if is_decompress_error(exc):
                raise decompress_error(path.name, exc) from None
            raise
