"""The one input layer: reading flow files (CSV, compressed CSV, parquet, standard input), their header, schema
and value checks, and the messages for what is wrong with them.

Dataset loaders, ``netad score`` and the scoring service read through it, so a bad file gets the same one-line
message (file, column, row, fix) wherever it is given. Modules: :mod:`~netad.inputs.opening` (what a file is,
decompression), :mod:`~netad.inputs.header` (column names), :mod:`~netad.inputs.values` (cell checks),
:mod:`~netad.inputs.csv` (pyarrow parsing), :mod:`~netad.inputs.source` (a file against a model's schema).
"""

from netad.inputs.csv import read_csv
from netad.inputs.header import decode_text, header_names
from netad.inputs.opening import STDIN, InputFile, inspect_input, open_binary, read_head, spooled_stdin
from netad.inputs.source import IDENTIFIER_COLUMNS, Chunk, FlowSource
from netad.inputs.values import NULL_TEXTS, count_non_numeric, is_number

__all__ = [
    "IDENTIFIER_COLUMNS", "NULL_TEXTS", "STDIN", "Chunk", "FlowSource", "InputFile", "count_non_numeric",
    "decode_text", "header_names", "inspect_input", "is_number", "open_binary", "read_csv", "read_head",
    "spooled_stdin",
]  # fmt: skip
