"""Parsed datasets kept as parquet under ``$NETAD_CACHE/datasets/``, so a second load skips CSV parsing.

The key is the sha256 of every source file, the loader version and the options; a changed file, a new
loader version or other options give a new key. The whole cleaning report (sources, dropped_rows, notes,
version) is stored in the parquet metadata, so a cache hit reports exactly what the first parse did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from netad.datasets.base import Dataset, SourceFile
from netad.datasets.sources import cache_dir
from netad.datasets.tabular import decode_categories, to_frame
from netad.files import atomic_path

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
_LABEL, _CATEGORY, _SPLIT = "__netad_label__", "__netad_attack_category__", "__netad_official_split__"
_META = b"netad.dataset"
_METADATA_PREFIX = "__netad_meta__"  # per-row metadata columns (Dataset.metadata), stored next to the features


def cache_key(dataset: str, loader_version: str, options: Mapping[str, Any], digests: list[str]) -> str:
    """A short hex key for (dataset, loader version, options, source sha256s)."""
    payload = {"format": CACHE_FORMAT, "dataset": dataset, "loader": loader_version, "options": options}
    payload["sources"] = digests
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_path(dataset: str, key: str) -> Path:
    """Where the parquet copy for ``key`` lives."""
    return cache_dir() / "datasets" / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', dataset)}-{key}.parquet"


def _to_table(ds: Dataset) -> pa.Table:
    # float32 numpy columns are wrapped, not copied, so writing costs little extra memory
    table = pa.Table.from_pandas(ds.features, preserve_index=False)
    table = table.append_column(_LABEL, pa.array(ds.label, pa.int8()))
    table = table.append_column(_CATEGORY, pa.array(ds.attack_category, pa.string()).dictionary_encode())
    if ds.official_split is not None:
        table = table.append_column(_SPLIT, pa.array(ds.official_split, pa.string()).dictionary_encode())
    if ds.metadata is not None:
        for name in ds.metadata.columns:
            table = table.append_column(_METADATA_PREFIX + str(name), pa.array(ds.metadata[name]))
    return table


def save(ds: Dataset, path: Path) -> None:
    """Write ``ds`` to ``path`` atomically (a half-written file is never read).

    One row group: read back, every column is a single chunk that numpy wraps without copying (faster than
    smaller row groups; measured in benchmarks/results/design_notes.md).
    """
    meta = {
        "format": CACHE_FORMAT,
        "name": ds.name,
        "version": ds.version,
        "categorical_columns": list(ds.categorical_columns),
        "sources": [s.to_dict() for s in ds.sources],
        "dropped_rows": ds.dropped_rows,
        "notes": ds.notes,
    }
    table = _to_table(ds)
    table = table.replace_schema_metadata({_META: json.dumps(meta).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique temporary file per writer: concurrent loads of the same dataset each write whole files, and the
    # last rename wins (they hold the same rows: the key is the files' sha256)
    with atomic_path(path, overwrite=True, what="dataset cache") as temporary:
        pq.write_table(table, temporary, compression="lz4", row_group_size=max(ds.n_rows, 1))
    log.info("cached %s (%d rows) at %s", ds.name, ds.n_rows, path)


def load_cached(path: Path, files_by_sha256: Mapping[str, Path]) -> Dataset | None:
    """The cached dataset at ``path``, or None if absent or unreadable (then the caller parses again)."""
    if path.is_symlink():
        log.warning("ignoring the dataset cache %s: it is a symbolic link, which netad never reads", path)
        return None
    if not path.is_file():
        return None
    try:
        table = pq.ParquetFile(path, memory_map=True).read()
        meta = json.loads(table.schema.metadata[_META])
        if meta.get("format") != CACHE_FORMAT:
            return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as e:
        log.warning("ignoring unreadable cache file %s: %s", path, e)
        return None
    label = table.column(_LABEL).to_numpy().astype(np.int8, copy=False)
    category = decode_categories(table.column(_CATEGORY), str)
    split = decode_categories(table.column(_SPLIT), str) if _SPLIT in table.column_names else None
    meta_columns = [c for c in table.column_names if c.startswith(_METADATA_PREFIX)]
    metadata = (
        table.select(meta_columns).rename_columns([c[len(_METADATA_PREFIX) :] for c in meta_columns]).to_pandas()
        if meta_columns
        else None
    )
    special = [c for c in (_LABEL, _CATEGORY, _SPLIT, *meta_columns) if c in table.column_names]
    held = [table]
    del table
    features = to_frame(held.pop().drop_columns(special))  # no reference left here: columns freed as converted
    sources = []
    for s in meta["sources"]:
        current = files_by_sha256.get(s["sha256"])
        sources.append(SourceFile(str(current) if current else s["path"], s["sha256"], s["rows"], s["role"]))
    log.info("loaded %s from cache %s", meta["name"], path)
    return Dataset(
        name=meta["name"],
        features=features,
        label=label,
        attack_category=category,
        official_split=split,
        categorical_columns=tuple(meta["categorical_columns"]),
        sources=sources,
        dropped_rows=dict(meta["dropped_rows"]),
        notes=list(meta["notes"]),
        version=meta["version"],
        metadata=metadata,
    )
