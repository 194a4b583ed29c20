"""Where dataset files are found, how (compressed) files are opened, and their sha256 fingerprints.

Search order for a dataset stored in folder ``<dataset-dir>``: an explicit ``path`` (file or folder), then
``$NETAD_DATA/<dataset-dir>/``, then ``~/.netad/data/<dataset-dir>/``. The first place holding matching files
wins; places are never merged, so one dataset is never read twice from two copies.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import lzma
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from netad.errors import NetadInputError
from netad.files import write_text

log = logging.getLogger(__name__)

COMPRESSIONS = ("", ".xz", ".gz", ".bz2", ".zip")
"""Accepted suffixes after an official file name, in order of preference (plain parses fastest)."""

_INDEX_NAME = "sha256-index.json"


def cache_dir() -> Path:
    """``$NETAD_CACHE`` or ``~/.cache/netad``: parsed parquet copies and the sha256 index live here."""
    return Path(os.environ.get("NETAD_CACHE") or Path.home() / ".cache" / "netad")


def search_dirs(data_dir: str) -> list[tuple[str, Path | None]]:
    """The default places a dataset's files are looked for, as (how it was found, folder) pairs."""
    env = os.environ.get("NETAD_DATA")
    return [
        ("$NETAD_DATA", Path(env) / data_dir if env else None),
        ("~/.netad/data", Path.home() / ".netad" / "data" / data_dir),
    ]


def strip_compression(name: str) -> str:
    """``KDDTest+.txt.xz`` -> ``KDDTest+.txt``."""
    lower = name.lower()
    for suffix in COMPRESSIONS[1:]:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def list_data_files(directory: Path) -> dict[str, Path]:
    """Files of ``directory`` by lower-cased name without compression suffix; plain copies win over compressed."""
    found: dict[str, Path] = {}
    rank: dict[str, int] = {}
    for entry in sorted(directory.iterdir()):
        if not entry.is_file() or entry.name.startswith("."):
            continue
        base = strip_compression(entry.name)
        suffix = entry.name[len(base) :].lower()
        r = COMPRESSIONS.index(suffix)
        key = base.lower()
        if key not in rank or r < rank[key]:
            found[key], rank[key] = entry, r
    return found


def find_named(directory: Path, names: Iterable[str]) -> list[Path]:
    """The files of ``directory`` with one of the official ``names`` (case-insensitive, any compression)."""
    files = list_data_files(directory)
    return [files[n.lower()] for n in names if n.lower() in files]


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


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open a plain, ``.xz``, ``.gz``, ``.bz2`` or single-file ``.zip`` file for binary reading.

    Plain, gzip and bzip2 files are opened by pyarrow (decompression in C++, no GIL); xz and zip go through
    the standard library, which pyarrow's CSV reader accepts as file objects.
    """
    import pyarrow as pa

    suffix = path.name.lower()[len(strip_compression(path.name)) :]
    try:
        if suffix == ".xz":
            with lzma.open(path, "rb") as f:
                yield f
        elif suffix == ".zip":
            with zipfile.ZipFile(path) as archive, archive.open(_zip_member(archive, path)) as f:
                yield f
        else:
            with pa.input_stream(str(path), compression="detect") as f:
                yield f
    except FileNotFoundError as e:
        raise NetadInputError(f"{path}: file not found") from e
    except (lzma.LZMAError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError) as e:
        raise NetadInputError(f"{path}: cannot decompress ({e}); is the download complete?") from e


def read_head(path: Path, n_lines: int = 1, max_bytes: int = 1 << 20) -> list[bytes]:
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


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _load_index(index_path: Path) -> dict[str, list]:
    if index_path.is_symlink():  # netad's own cache file: a link there was planted, never followed
        return {}
    try:
        return json.loads(index_path.read_text())
    except (OSError, ValueError):
        return {}


def file_sha256(path: Path, *, use_index: bool = True) -> str:
    """sha256 of the file's bytes as stored (compressed files are not decompressed).

    Hashing a 1 GB CSV takes seconds, so an index in the cache folder maps (path, size, mtime_ns) to the last
    digest; a file changed in place gets a new size or mtime and is hashed again.
    """
    stat = path.stat()
    key = str(path.resolve())
    index_path = cache_dir() / _INDEX_NAME
    if use_index:
        entry = _load_index(index_path).get(key)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
    digest = _hash_file(path)
    if use_index:
        try:
            index_path.parent.mkdir(parents=True, exist_ok=True)
            index = _load_index(index_path)
            index[key] = [stat.st_size, stat.st_mtime_ns, digest]
            write_text(index_path, json.dumps(index, indent=0, sort_keys=True), overwrite=True, what="sha256 index")
        except (OSError, NetadInputError) as e:
            log.warning("cannot update the sha256 index %s: %s", index_path, e)
    return digest
