"""The alert log: one JSON line per flagged flow (identifiers, score, threshold, top features), to a file or stdout.

Lines are appended with one ``os.write`` per scored batch on a file opened ``O_APPEND``, so several uvicorn
workers can share one log without interleaving partial lines. An existing log is appended to, never replaced;
a link at its path is refused (:func:`netad.files.open_for_append`).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

from netad.errors import NetadInputError
from netad.files import open_for_append


class AlertLog:
    """Appends alert records as JSON lines to an open file descriptor (see :meth:`open`)."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd, self.name = fd, name
        self._lock = threading.Lock()
        self.written = 0

    @classmethod
    def open(cls, target: str | os.PathLike) -> AlertLog:
        """``-`` for stdout, else a file path (created if absent, appended to otherwise; not a directory)."""
        if str(target) == "-":
            return cls(sys.stdout.fileno(), "<stdout>")
        path = Path(target)
        if path.is_dir():
            raise NetadInputError(f"{path}: --alert-log is a directory; name a file (or - for stdout)")
        if not path.parent.is_dir():
            raise NetadInputError(f"{path.parent}: directory of --alert-log not found")
        fd = open_for_append(path, what="--alert-log")  # never through a link, as every netad output
        if not stat.S_ISREG(os.fstat(fd).st_mode) and not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
            raise NetadInputError(f"{path}: --alert-log must be a regular file or a pipe")
        return cls(fd, str(path))

    def write(self, alerts: list[dict[str, Any]]) -> None:
        """Append one line per alert, stamped with the UTC time (one write call for the whole batch)."""
        if not alerts:
            return
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        data = b"".join(orjson.dumps({"time": now, **alert}) + b"\n" for alert in alerts)
        with self._lock:
            view = memoryview(data)
            while view:  # a regular file takes it all at once; a pipe may take part
                view = view[os.write(self.fd, view) :]
            self.written += len(alerts)

    def close(self) -> None:
        if self.fd > 2:
            os.close(self.fd)
