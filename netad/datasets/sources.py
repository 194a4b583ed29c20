"""Where dataset files are found, how (compressed) files are opened, and their sha256 fingerprints.

Search order for a dataset stored in folder ``<dataset-dir>``: an explicit ``path`` (file or folder), then
``$NETAD_DATA/<dataset-dir>/``, then ``~/.netad/data/<dataset-dir>/``. The first place holding matching files
wins; places are never merged, so one dataset is never read twice from two copies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from netad.errors import NetadInputError
from netad.files import write_text
from netad.inputs.opening import open_binary, read_head

__all__ = ["COMPRESSIONS", "cache_dir", "file_sha256", "find_named", "list_data_files", "open_binary", "read_head"]

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
