"""The improved CIC-IDS-2017 (Engelen, Rimmer & Joosen, 2021/2022): the same July 2017 captures re-extracted with
a corrected CICFlowMeter and relabelled, in the authors' 91-column layout.

Reads the authors' complete per-day CSVs (``monday.csv`` ... ``friday.csv``) and class-wise samples
in the same layout (one CSV per class, as in ``$NETAD_DATA/cicids2017-improved/``). Columns: ``id``, ``Flow ID``,
``Src IP``, ``Src Port``, ``Dst IP``, ``Dst Port``, ``Protocol``, ``Timestamp``, 81 flow features, ``Label``,
``Attempted Category``. Identifiers are never features; ``id`` and ``Timestamp`` are kept as
:attr:`Dataset.metadata`. Flows the authors mark as *attempted* attacks (no payload reached the victim:
``Attempted Category`` != -1, label ``"<family> - Attempted"``) are benign by default, as the authors recommend
(option ``attempted``: ``benign``, ``keep`` as their own attack categories, or ``drop``; always counted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.cicids2017 import cic_label, day_role, find_csv_files
from netad.datasets.spec import DatasetSpec
from netad.datasets.tabular import (
    CLEAN_INF,
    FLOAT,
    LABEL_TYPE,
    build_dataset,
    clean_non_finite,
    decode_categories,
    header_names,
    read_csv,
    source,
    take_rows,
    to_frame,
)
from netad.errors import NetadInputError

DOWNLOAD = "https://intrusion-detection.distrinet-research.be/CNS2022/"
TITLE = "CIC-IDS-2017 (improved)"
LABEL = "Label"
ATTEMPTED = "Attempted Category"
IDENTIFIERS = ("id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp")
METADATA = ("id", "Timestamp")
"""Identifier columns kept per row as :attr:`Dataset.metadata` (the source row id and the flow's start time)."""
ATTEMPTED_CHOICES = ("benign", "keep", "drop")
FULL_ROWS_APPROX = "about 2.1 million"
_ATTEMPTED_LABEL = re.compile(r"\s*-\s*attempted\s*$", re.IGNORECASE)


def split_attempted(label: str) -> tuple[str, bool]:
    """``"DoS Hulk - Attempted"`` -> ``("DoS Hulk", True)``; any other canonical label -> ``(label, False)``."""
    family = _ATTEMPTED_LABEL.sub("", label)
    return family, family != label


def _find(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    return find_csv_files(folder, options["files"], TITLE)


def _header(path: Path) -> tuple[list[str], list[str]]:
    names, notes = header_names(path)
    missing = [c for c in (LABEL, "Timestamp") if c not in names]
    if missing:
        found = ", ".join(names[:10])
        raise NetadInputError(
            f"{path}: no {' or '.join(map(repr, missing))} column; is this a file of the improved CIC-IDS-2017 "
            f"(91 columns: id, Flow ID, ..., Label, Attempted Category)? found {found}, ..."
        )
    return names, notes


def _feature_columns(names: Sequence[str]) -> list[str]:
    return [c for c in names if c not in (LABEL, ATTEMPTED) and c not in IDENTIFIERS and not re.search(r"\.\d+$", c)]


def _timestamps(column: pa.ChunkedArray, path: Path, notes: list[str]) -> Any:
    """``Timestamp`` as datetime64[us] (the authors' ``2017-07-07 13:39:36.267908``), else kept as text."""
    try:
        return pc.cast(column, pa.timestamp("us")).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        notes.append(f"{path.name}: Timestamp is not 'YYYY-MM-DD hh:mm:ss[.ffffff]'; kept as text in metadata")
        return column.to_pandas()


def _read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    notes = [
        "improved CIC-IDS-2017 has no official train/test split: official_split is None",
        "identifier columns are not features: id, Flow ID, Src IP, Src Port, Dst IP, Timestamp, and also Dst Port "
        "and Protocol, dropped exactly as the cicids2017 loader drops Destination Port and Protocol (a port names "
        "the attacked service, which would let a model memorise the capture); id and Timestamp are kept as metadata",
    ]
    headers = []
    for path in files:
        names, file_notes = _header(path)
        headers.append(names)
        notes.extend(file_notes)
    common = [c for c in _feature_columns(headers[0]) if all(c in h for h in headers[1:])]
    for path, names in zip(files, headers, strict=True):
        extra = [c for c in _feature_columns(names) if c not in common]
        if extra:
            notes.append(f"{path.name}: column(s) {', '.join(extra)} missing from other files; dropped (intersection)")
    if not common:
        raise NetadInputError(f"{TITLE}: the files {', '.join(p.name for p in files)} share no feature column")

    tables, categories, attempted_flags, metadata, sources = [], [], [], [], []
    for path, names in zip(files, headers, strict=True):
        types: dict[str, pa.DataType] = {c: FLOAT for c in common}
        types.update({LABEL: LABEL_TYPE, "Timestamp": pa.string()})
        include = [*common, LABEL, "Timestamp"]
        if "id" in names:
            types["id"] = pa.int64()
            include.append("id")
        if ATTEMPTED in names:
            types[ATTEMPTED] = pa.float64()  # -1 or a small code; float so that an empty cell reads as NaN
            include.append(ATTEMPTED)
        else:
            notes.append(f"{path.name}: no {ATTEMPTED!r} column; attempted attacks recognised by label only")
        table = read_csv(path, names=names, skip_rows=1, column_types=types, include=include)
        labels = decode_categories(table.column(LABEL), cic_label)
        codes, distinct = pd.factorize(labels)  # one regex per distinct label, not per row (2.1 M rows)
        flagged = np.array([split_attempted(str(v))[1] for v in distinct] + [False], dtype=bool)[codes]
        if ATTEMPTED in names:
            code = table.column(ATTEMPTED).to_numpy()
            flagged = flagged | (np.nan_to_num(code, nan=-1.0) != -1)
        categories.append(labels)
        attempted_flags.append(flagged)
        ids = table.column("id").to_numpy() if "id" in names else np.full(table.num_rows, -1, dtype=np.int64)
        metadata.append(pd.DataFrame({"id": ids, "Timestamp": _timestamps(table.column("Timestamp"), path, notes)}))
        sources.append(source(path, digests, table.num_rows, day_role(path)))
        tables.append(table.drop_columns([c for c in table.column_names if c not in common]))
        del table
    raw = np.concatenate(categories)
    attempted = np.concatenate(attempted_flags)
    meta = pd.concat(metadata, ignore_index=True)
    del categories, metadata
    features = to_frame(pa.concat_tables([tables.pop(0) for _ in range(len(tables))]))

    dropped: dict[str, int] = {}
    no_label = (raw == "") | (raw == None)  # noqa: E711 (element-wise on an object array)
    category, n_attempted, attempted_notes = _attempted(raw, attempted & ~no_label, options["attempted"])
    notes.extend(attempted_notes)
    remove = no_label.copy()
    if no_label.any():
        dropped["blank row (no label)"] = int(no_label.sum())
        notes.append(f"{int(no_label.sum()):,} rows without a label (blank lines of commas) dropped")
    if options["attempted"] == "drop" and n_attempted:
        remove |= attempted
        dropped["attempted attack (attempted='drop')"] = n_attempted
    if remove.any():
        features = take_rows(features, ~remove)
        category, meta = category[~remove], meta[~remove].reset_index(drop=True)
    features, keep, clean_dropped, clean_notes = clean_non_finite(features, common, options["clean_inf"])
    dropped.update(clean_dropped)
    total = sum(s.rows for s in sources)
    notes.append(
        f"{len(files)} file(s), {total:,} rows read; the authors' complete release has {FULL_ROWS_APPROX} rows in 5 "
        "day files (monday.csv ... friday.csv)"
    )
    notes.append("labels: BENIGN -> 'normal'; other labels as the authors spell them (Botnet, Portscan, ...)")
    return build_dataset(
        name="cicids2017-improved",
        features=features,
        label=(category != NORMAL_CATEGORY).astype(np.int8),
        attack_category=category,
        official_split=None,
        categorical=(),
        sources=sources,
        dropped=dropped,
        notes=notes + clean_notes,
        version=f"improved CIC-IDS-2017, attempted={options['attempted']} ({len(files)} file(s))",
        keep=keep,
        metadata=meta,
    )


def _attempted(raw: np.ndarray, attempted: np.ndarray, how: str) -> tuple[np.ndarray, int, list[str]]:
    """(attack category per row, number of attempted flows, notes) under the ``attempted`` option."""
    n = int(attempted.sum())
    category = raw.copy()
    if not n:
        return category, 0, [f"attempted attacks: none in these files (attempted={how!r} had nothing to do)"]
    family = {v: split_attempted(str(v))[0] for v in pd.unique(raw[attempted])}
    families = pd.Series(raw[attempted]).map(family).value_counts()
    detail = ", ".join(f"{name} {count:,}" for name, count in families.items())
    if how == "benign":
        category[attempted] = NORMAL_CATEGORY
        what = "relabelled benign, as the authors recommend"
    elif how == "keep":
        category[attempted] = pd.Series(raw[attempted]).map(lambda v: f"{family[v]} - Attempted").to_numpy()
        what = "kept as attacks, one category '<family> - Attempted' per family"
    else:
        what = "dropped"
    return category, n, [f"attempted attacks (attempted={how!r}): {n:,} flows {what} ({detail})"]


SPECS = (
    DatasetSpec(
        name="cicids2017-improved",
        description="improved CIC-IDS-2017 (Engelen et al.; corrected CICFlowMeter, relabelled), 81 features",
        title=TITLE,
        data_dir="cicids2017-improved",
        download=DOWNLOAD,
        expected="the authors' day CSVs (monday.csv ... friday.csv) or per-class CSVs in their 91-column layout, "
        "plain or .gz/.xz/.zip",
        find=_find,
        read=_read,
        version="cicids2017-improved/1",
        options={"files": None, "clean_inf": "drop", "attempted": "benign"},
        choices={"clean_inf": CLEAN_INF, "attempted": ATTEMPTED_CHOICES},
    ),
)
