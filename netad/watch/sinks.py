"""Where records go: a size-rotated JSON-lines file and/or stdout, flushed after every batch.

The file is opened without following a symbolic link (``O_NOFOLLOW``) and, unless ``append``, created new
(``O_EXCL``: an existing file is refused unless ``overwrite``, as :func:`netad.files.check_output` says). When it
exceeds ``max_bytes`` it is rotated as logrotate does: ``alerts.jsonl`` -> ``alerts.jsonl.1`` -> ... ->
``alerts.jsonl.<backups>`` (the oldest deleted), each move an ``os.replace`` of the name, never a write through a
link. Records of one batch are written and flushed together, so a reader (``tail -f``, a SIEM shipper) sees each
batch at once and never a partial line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO, Any, Protocol

from netad.errors import NetadInputError
from netad.files import check_output, open_for_append

DEFAULT_MAX_BYTES = 100 << 20
DEFAULT_BACKUPS = 5


class Sink(Protocol):
    def write(self, records: Sequence[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


def encode(records: Sequence[dict[str, Any]]) -> bytes:
    """JSON lines (UTF-8, no NaN: JSON has none)."""
    return "".join(json.dumps(r, separators=(",", ":"), allow_nan=False) + "\n" for r in records).encode()


class RotatingFileSink:
    """JSON lines appended to ``path``, rotated by size (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
        overwrite: bool = False,
        append: bool = False,
    ) -> None:
        if max_bytes < 1 or backups < 0:
            raise NetadInputError(f"alert file rotation needs max bytes >= 1 and backups >= 0, got {max_bytes}, "
                                  f"{backups}")  # fmt: skip
        self.path = check_output(path, overwrite=overwrite or append, what="alert file")
        self.max_bytes, self.backups = int(max_bytes), int(backups)
        self.rotations = 0
        self._file = self._open(truncate=overwrite and not append)

    def _open(self, truncate: bool) -> IO[bytes]:
        fd = open_for_append(self.path, what="alert file", truncate=truncate, exclusive=not self.path.exists())
        return os.fdopen(fd, "ab", buffering=0)

    def write(self, records: Sequence[dict[str, Any]]) -> None:
        if not records:
            return
        self._file.write(encode(records))
        if self._file.tell() >= self.max_bytes:
            self._rotate()

    def _rotate(self) -> None:
        self._file.close()
        names = [self.path] + [self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.backups + 1)]
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
        else:
            for older, newer in zip(reversed(names[1:]), reversed(names[:-1]), strict=True):
                if older.is_dir() and not older.is_symlink():
                    raise NetadInputError(f"alert file rotation: {older} is a directory")
                if newer.exists() or newer.is_symlink():
                    os.replace(newer, older)  # moves the name itself, a link included, never its target
        self.rotations += 1
        self._file = self._open(truncate=False)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


class StreamSink:
    """JSON lines to a text stream (stdout), flushed per batch."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def write(self, records: Sequence[dict[str, Any]]) -> None:
        if records:
            self.stream.write(encode(records).decode())
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()
