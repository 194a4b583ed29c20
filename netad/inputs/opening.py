"""Opening a flow file: what it is (by its first bytes, not only its name), and a binary stream of its content.

Compression and parquet are recognised by magic bytes (gzip, bzip2, xz, zstd, zip, ``PAR1``), so a parquet file
renamed ``.csv`` or a gzip file without ``.gz`` is read for what it is. ``-`` is standard input, copied once to a
temporary file (parquet needs random access; a CSV is read twice when a bad value has to be located). Every
failure is a :class:`NetadInputError` naming the file: missing, a directory, empty, binary, truncated or corrupt.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from netad.errors import NetadInputError

STDIN = "-"
PARQUET_MAGIC = b"PAR1"
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
)
"""Leading bytes of the compressed formats netad reads."""
PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zstd", ".zip")


@dataclass(frozen=True)
class InputFile:
    """A flow file as found on disk: its compression (or None) and whether it holds parquet."""

    path: Path
    compression: str | None
    parquet: bool
    label: str = ""
    """How messages name the file (``<stdin>`` for standard input); the path when empty."""

    @property
    def name(self) -> str:
        return self.label or str(self.path)


def compression_of(head: bytes) -> str | None:
    """``gzip``/``bz2``/``xz``/``zstd``/``zip`` from a file's first bytes, None for an uncompressed file."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def inspect_input(path: str | os.PathLike, label: str = "") -> InputFile:
    """What ``path`` is, or a one-line error: missing, a directory, empty, parquet inside a compressed file,
    a name saying parquet over other content, or binary data that is no CSV."""
    path = Path(path)
    where = label or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NetadInputError(f"{where}: file not found") from None
    except OSError as exc:
        raise NetadInputError(f"{where}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise NetadInputError(f"{where}: is a directory; give a flow file (CSV, compressed CSV or parquet) inside it")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise NetadInputError(f"{where}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise NetadInputError(f"{where}: file is empty (no header line)")
    if head.startswith(PARQUET_MAGIC):
        return InputFile(path, None, True, label)
    compression = compression_of(head)
    named_parquet = _strip_compression(path.name).lower().endswith(PARQUET_SUFFIXES)
    content = InputFile(path, compression, False, label)
    if compression is not None:
        inner = _first_bytes(content, 8)
        if inner.startswith(PARQUET_MAGIC):
            raise NetadInputError(
                f"{where}: a {compression}-compressed parquet file; parquet compresses its own columns, "
                f"decompress the file first"
            )
        head = inner
    if named_parquet:
        raise NetadInputError(
            f"{where}: named like a parquet file but is not one (no PAR1 magic bytes); is it a CSV with the "
            "wrong extension, or an incomplete download?"
        )
    sample = _first_bytes(content, 4096) if compression else _raw_head(path, 4096)
    if b"\x00" in sample:
        raise NetadInputError(
            f"{where}: binary data (NUL bytes), not a CSV or parquet file; a UTF-16 text file must be saved as UTF-8"
        )
    return content


def _raw_head(path: Path, n: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def _first_bytes(source: InputFile, n: int) -> bytes:
    with open_binary(source) as f:
        return f.read(n)


def _strip_compression(name: str) -> str:
    lower = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def decompress_error(path: str | Path, exc: BaseException) -> NetadInputError:
    """The one-line error for a truncated or corrupt compressed file."""
    detail = str(exc).strip() or type(exc).__name__
    return NetadInputError(
        f"{path}: cannot decompress ({detail}); the file is truncated or corrupt — is the download complete?"
    )


DECOMPRESS_ERRORS = (lzma.LZMAError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError)


def is_decompress_error(exc: BaseException) -> bool:
    """Whether an error raised while reading is the compression layer failing (pyarrow says it as an OSError)."""
    if isinstance(exc, DECOMPRESS_ERRORS):
        return True
    text = str(exc).lower()
    return isinstance(exc, OSError) and any(
        word in text for word in ("compressed", "inflate", "bz2", "zstd", "lz4", "decompress", "gzip")
    )


@contextlib.contextmanager
def open_binary(source: InputFile | str | os.PathLike) -> Iterator[IO[bytes]]:
    """The decompressed bytes of a (compressed) flow file; errors of the compression layer become one line."""
    import pyarrow as pa

    if not isinstance(source, InputFile):
        path = Path(source)
        try:
            with open(path, "rb") as f:
                head = f.read(8)
        except FileNotFoundError:
            raise NetadInputError(f"{path}: file not found") from None
        except IsADirectoryError:
            raise NetadInputError(f"{path}: is a directory; give a file") from None
        source = InputFile(path, compression_of(head), head.startswith(PARQUET_MAGIC))
    path = source.path
    try:
        if source.compression == "xz":
            with lzma.open(path, "rb") as f:
                yield f
        elif source.compression == "zip":
            with zipfile.ZipFile(path) as archive, archive.open(_zip_member(archive, path)) as f:
                yield f
        else:  # plain, gzip, bzip2, zstd: decompressed by pyarrow in C++
            with pa.input_stream(str(path), compression=source.compression) as f:
                yield f
    except FileNotFoundError as exc:
        raise NetadInputError(f"{path}: file not found") from exc
    except (OSError, *DECOMPRESS_ERRORS) as exc:
        if source.compression is not None and is_decompress_error(exc):
            raise decompress_error(Path(source.name), exc) from None
        raise


def _zip_member(archive: zipfile.ZipFile, path: Path) -> str:
    members = [
        m.filename
        for m in archive.infolist()
        if not m.is_dir() and not m.filename.startswith("__MACOSX") and not m.filename.split("/")[-1].startswith(".")
    ]
    if len(members) != 1:
        raise NetadInputError(
            f"{path}: a zip archive must hold exactly one data file, this one holds {len(members)} "
            f"({', '.join(members[:5])}); extract it and point netad at the folder"
        )
    return members[0]


def read_head(path: InputFile | str | os.PathLike, n_lines: int = 1, max_bytes: int = 1 << 20) -> list[bytes]:
    """The first ``n_lines`` lines of a (compressed) file, without line endings; fewer if the file is shorter."""
    buf = b""
    with open_binary(path) as f:
        while buf.count(b"\n") < n_lines and len(buf) < max_bytes:
            chunk = f.read(1 << 16)
            if not chunk:
                break
            buf += chunk
    if not buf:
        return []
    lines = buf.split(b"\n")
    if buf.endswith(b"\n"):
        lines.pop()
    return [line.rstrip(b"\r") for line in lines[:n_lines]]


@contextlib.contextmanager
def spooled_stdin(stream: IO[bytes] | None = None) -> Iterator[Path]:
    """Standard input copied to a private temporary file (removed afterwards), read like any flow file."""
    stream = stream if stream is not None else sys.stdin.buffer
    fd, name = tempfile.mkstemp(prefix="netad-stdin-", suffix=".input")
    try:
        with os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(stream, f, 1 << 20)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
