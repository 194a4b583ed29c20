"""Safe file outputs and model-directory reads: atomic, never through a symbolic link, never over a file unasked.

Every file netad writes goes to a fresh temporary file beside the target (``mkstemp``: ``O_CREAT | O_EXCL``, so a
planted file or link at the temporary name is never opened), is flushed and fsynced, then moved into place in one
step: ``os.link`` when the target must not exist (fails if it appeared meanwhile) or ``os.replace`` with
``overwrite`` (replaces a link itself, never writes through it). Two runs writing the same target never share a
temporary file, so one of them wins whole instead of both corrupting it. A target that is a link is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from netad.errors import NetadInputError

PARTIAL_SUFFIX = ".partial"


def check_output(path: str | os.PathLike, *, overwrite: bool = False, what: str = "output") -> Path:
    """The target as a Path, or a clear error: it is a link, a directory, exists without ``overwrite``, or its
    folder is missing."""
    target = Path(path)
    if target.is_symlink():
        raise NetadInputError(f"{what} {target}: is a symbolic link; netad does not write through links (remove it)")
    if target.is_dir():
        raise NetadInputError(f"{what} {target}: is a directory; give a file name")
    if target.exists() and not overwrite:
        raise NetadInputError(f"{what} {target} already exists; pass --overwrite to replace it")
    if not target.parent.is_dir():
        raise NetadInputError(f"{what} {target}: folder {target.parent} does not exist")
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = False, what: str = "output") -> Iterator[Path]:
    """A fresh temporary path beside ``path`` for a writer that takes a file name (pyarrow, matplotlib); it is
    fsynced and moved onto ``path`` when the block ends without an error, removed otherwise."""
    target = check_output(path, overwrite=overwrite, what=what)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        _fsync_file(temporary)
        _move_into_place(temporary, target, overwrite=overwrite, what=what)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "wb", *, overwrite: bool = False, what: str = "output", **kwargs: Any
) -> Iterator[IO[Any]]:
    """``open`` for writing, atomically (see the module docstring); ``mode`` is ``"wb"`` or ``"w"``."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes whole files: mode 'wb' or 'w', not {mode!r}")
    with atomic_path(path, overwrite=overwrite, what=what) as temporary, open(temporary, mode, **kwargs) as f:
        yield f
        f.flush()


def write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = False, what: str = "output") -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb", overwrite=overwrite, what=what) as f:
        f.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = False, what: str = "output") -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite, what=what)


def open_for_append(
    path: str | os.PathLike, *, what: str = "output", exclusive: bool = False, truncate: bool = False
) -> int:
    """A write-only ``O_APPEND`` descriptor for a log that grows line by line (alert logs), never opened through a
    link (``O_NOFOLLOW``); ``exclusive``: the file must be new; ``truncate``: emptied first. One ``os.write`` per
    batch then lands whole even when several processes share the file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if truncate:
        flags |= os.O_TRUNC
    elif exclusive:
        flags |= os.O_EXCL
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NetadInputError(
                f"{what} {path}: is a symbolic link; netad does not write through links (remove it)"
            ) from None
        raise NetadInputError(f"{what} {path}: cannot open it ({exc.strerror})") from None


def regular_file_inside(directory: str | os.PathLike, name: str, what: str = "model file") -> Path:
    """``directory/name`` if it is a regular file inside ``directory`` (not a link, no ``..``), else a clear error;
    checked before anything reads it."""
    folder = Path(directory)
    path = folder / name
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise NetadInputError(f"{folder}: {what} {name!r} is not a plain name inside the directory")
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise NetadInputError(f"{folder}: {what} {name} is missing") from None
    if stat.S_ISLNK(info.st_mode):
        raise NetadInputError(f"{folder}: {what} {name} is a symbolic link; netad reads only files inside the model")
    if not stat.S_ISREG(info.st_mode):
        raise NetadInputError(f"{folder}: {what} {name} is not a regular file")
    if path.resolve().parent != folder.resolve():
        raise NetadInputError(f"{folder}: {what} {name} resolves outside the model directory")
    return path


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened or synced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _move_into_place(temporary: Path, target: Path, *, overwrite: bool, what: str) -> None:
    if overwrite:
        if target.is_dir() and not target.is_symlink():
            raise NetadInputError(f"{what} {target}: is a directory; give a file name")
        os.replace(temporary, target)  # replaces a link planted meanwhile itself, never its target
    else:
        try:
            os.link(temporary, target)  # fails if the target appeared since the check: never replaced unasked
        except FileExistsError:
            raise NetadInputError(f"{what} {target} already exists; pass --overwrite to replace it") from None
        except OSError:  # a filesystem without hard links: fall back to a rename after one more check
            if target.exists() or target.is_symlink():
                raise NetadInputError(f"{what} {target} already exists; pass --overwrite to replace it") from None
            os.replace(temporary, target)
    _fsync_directory(target.parent)
