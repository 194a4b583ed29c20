"""Public network-intrusion datasets, and any flow table, as one :class:`Dataset` object.

>>> from netad.datasets import load
>>> ds = load("nsl-kdd-sample")          # shipped with netad, no download
>>> ds.features.shape, ds.label.mean()   # doctest: +SKIP

Files are found in ``path``, else ``$NETAD_DATA/<dataset-dir>/``, else ``~/.netad/data/<dataset-dir>/``;
a parsed copy is cached as parquet under ``$NETAD_CACHE`` (default ``~/.cache/netad``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from netad.datasets.base import NORMAL_CATEGORY, Dataset, SourceFile
from netad.errors import NetadError, NetadInputError

log = logging.getLogger(__name__)

__all__ = ["NORMAL_CATEGORY", "Dataset", "SourceFile", "available", "load", "locate", "summary"]


def available() -> dict[str, str]:
    """Dataset name -> one-line description (reads no file). ``csv:PATH`` loads any flow table."""
    from netad.datasets.registry import specs

    out = {name: spec.description for name, spec in specs().items() if name != "csv"}
    out["csv:PATH"] = specs()["csv"].description
    return out


def locate(name: str, path: str | os.PathLike | None = None, **options: Any) -> list[Path]:
    """The files ``load(name, path, **options)`` would read.

    Raises :class:`~netad.errors.NetadInputError` if there are none, saying where it looked and where the
    official files can be downloaded.
    """
    from netad.datasets.registry import get_spec

    spec, where = get_spec(name, path)
    return spec.locate(where, spec.resolve_options(options))


def load(name: str, path: str | os.PathLike | None = None, *, cache: bool = True, **options: Any) -> Dataset:
    """Read dataset ``name`` (see :func:`available`) into a :class:`Dataset`.

    Parameters
    ----------
    name : a registered name (``nsl-kdd``, ``cicids2017``...) or ``csv:PATH``.
    path : a file or folder to read instead of the default places.
    cache : reuse/write the parquet copy keyed by the files' sha256 (``False`` always parses).
    **options : dataset options, e.g. ``test_set="KDDTest-21"`` (nsl-kdd), ``clean_inf="clip"``
        (cicids2017, csv), ``files=["Tuesday*"]`` (cicids2017), ``label_column=``/``normal_label=`` (csv).
    """
    from netad.datasets import cache as parquet_cache
    from netad.datasets.registry import get_spec
    from netad.datasets.sources import file_sha256

    spec, where = get_spec(name, path)
    resolved = spec.resolve_options(options)
    files = spec.locate(where, resolved)
    digests = {f: file_sha256(f, use_index=cache) for f in files}
    display = f"csv:{where}" if spec.name == "csv" else spec.name
    if cache:
        key = parquet_cache.cache_key(spec.name, spec.version, resolved, [digests[f] for f in files])
        cached_at = parquet_cache.cache_path(spec.name, key)
        hit = parquet_cache.load_cached(cached_at, {d: f for f, d in digests.items()})
        if hit is not None:
            hit.name = display
            return hit
    log.info("parsing %s from %s", display, ", ".join(map(str, files)))
    ds = spec.read(files, resolved, digests)
    ds.name = display
    if cache:
        try:
            parquet_cache.save(ds, cached_at)
        except (OSError, NetadInputError) as e:  # a cache that cannot be written (read-only, a link) is skipped
            log.warning("cannot write the dataset cache %s: %s", cached_at, e)
    return ds


def summary(names: list[str] | None = None, *, top: int = 5) -> list[dict[str, Any]]:
    """One row per dataset for ``netad datasets``: where it is, and for found ones rows, attacks, balance.

    Found datasets are loaded (through the cache); a dataset that fails to load gets an ``error`` entry
    instead of raising, so one bad file does not hide the others.
    """
    from netad.datasets.registry import get_spec

    catalogue = available()
    rows = []
    for name in names if names is not None else [n for n in catalogue if n != "csv:PATH"]:
        spec, where = get_spec(name, None)
        row: dict[str, Any] = {"name": name, "description": spec.description, "found": False, "paths": []}
        try:
            row["paths"] = [str(p) for p in spec.locate(where, spec.resolve_options({}))]
        except NetadError as e:
            row["error"] = str(e)
            row["hint"] = (
                f"download from {spec.download} into ~/.netad/data/{spec.data_dir}/"
                if spec.download is not None
                else f"your own file: {spec.name}:PATH"
            )
            rows.append(row)
            continue
        row["found"] = True
        try:
            ds = load(name)
        except NetadError as e:
            row["error"] = str(e)
            rows.append(row)
            continue
        balance = ds.class_balance()
        row.update(
            version=ds.version,
            rows=ds.n_rows,
            features=int(ds.features.shape[1]),
            attacks=int(ds.label.sum()),
            categories=len(balance),
            class_balance=dict(list(balance.items())[:top]),
            official_split=ds.describe()["official_split"],
            dropped_rows=dict(ds.dropped_rows),
        )
        rows.append(row)
    return rows
