"""CIC-IDS-2017 flow tables: any subset of the day CSVs, MachineLearningCVE or GeneratedLabelledFlows layout.

Quirks of the official files handled here: leading spaces in column names, a duplicated ``Fwd Header
Length`` column, ``Infinity``/``NaN`` in ``Flow Bytes/s`` and ``Flow Packets/s``, labels with a cp1252 en dash
(byte ``0x96``) or its mis-decoded form ``â€“``, the ``Infilteration`` spelling, and blank rows (label empty).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.sources import list_data_files, strip_compression
from netad.datasets.spec import DatasetSpec
from netad.datasets.tabular import (
    CLEAN_INF,
    FLOAT,
    LABEL_TYPE,
    build_dataset,
    clean_non_finite,
    decode_categories,
    decode_text,
    header_names,
    read_csv,
    source,
    take_rows,
    to_frame,
)
from netad.errors import NetadInputError

DOWNLOAD = "https://www.unb.ca/cic/datasets/ids-2017.html"
FULL_ROWS = 2_830_743
LABEL = "Label"
IDENTIFIERS = (
    "Flow ID",
    "Source IP",
    "Source Port",
    "Destination IP",
    "Destination Port",
    "Timestamp",
    "Protocol",
    # CIC-IDS-2018 / CICFlowMeter-V4 spellings of the same columns
    "Src IP",
    "Src Port",
    "Dst IP",
    "Dst Port",
)
_DASHES = re.compile("\u00e2\u20ac\u201c|\u00e2\u0080\u0093|[\u2013\u2014\u0096\ufffd]")


def cic_label(raw: Any) -> str:
    """One canonical ASCII spelling per label: ``Web Attack \\x96 Brute Force`` -> ``Web Attack - Brute Force``."""
    if raw is None:
        return ""
    text = decode_text(raw) if isinstance(raw, bytes) else str(raw)
    text = _DASHES.sub("-", text)
    text = " ".join(text.split())
    text = re.sub(r"\s*-\s*", " - ", text) if text.lower().startswith("web attack") else text
    text = re.sub("infilteration", "Infiltration", text, flags=re.I)
    return NORMAL_CATEGORY if text.upper() == "BENIGN" else text


def day_role(path: Path) -> str:
    """``Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv`` -> ``day:Thursday-Morning``; else ``data``."""
    stem = path.name.lower()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        if day.lower() in stem:
            part = "-Morning" if "morning" in stem else "-Afternoon" if "afternoon" in stem else ""
            return f"day:{day}{part}"
    return "data"


def _find(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    return find_csv_files(folder, options["files"], "CIC-IDS-2017")


def find_csv_files(folder: Path, wanted: str | Sequence[str] | None, title: str) -> list[Path]:
    """The CSV files of ``folder`` (any compression), or those matching the glob pattern(s) ``wanted``.

    A pattern that matches nothing raises, naming the files that are there.
    """
    candidates = {name: path for name, path in list_data_files(folder).items() if name.endswith(".csv")}
    if wanted is None:
        return list(candidates.values())
    patterns = [wanted] if isinstance(wanted, str) else list(wanted)
    chosen: dict[str, Path] = {}
    for pattern in patterns:
        p = pattern.lower()
        hits = [
            path
            for name, path in candidates.items()
            if fnmatch.fnmatch(name, p) or fnmatch.fnmatch(path.name.lower(), p) or fnmatch.fnmatch(name, p + ".csv")
        ]
        if not hits:
            raise NetadInputError(
                f"{title}: files={pattern!r} matches nothing in {folder}; "
                f"found {', '.join(sorted(p.name for p in candidates.values())) or 'no CSV files'}"
            )
        chosen.update((str(h), h) for h in hits)
    return sorted(chosen.values(), key=lambda p: p.name.lower())


def _feature_columns(names: Sequence[str]) -> list[str]:
    return [c for c in names if c != LABEL and c not in IDENTIFIERS and not re.search(r"\.\d+$", c)]


def _read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    headers = []
    notes = [
        "CIC-IDS-2017 has no official train/test split: official_split is None",
        "identifier columns are not features and are dropped: Flow ID, Source/Destination IP, Source Port, "
        "Timestamp, and also Destination Port (as the latent-sculpting seed did: a port names the service "
        "attacked, which would let a model memorise the capture) and Protocol (only in the "
        "GeneratedLabelledFlows layout; dropped so both layouts give the same features)",
    ]
    for path in files:
        names, file_notes = header_names(path)
        if LABEL not in names:
            raise NetadInputError(
                f"{path}: no 'Label' column; is this a CIC-IDS-2017 flow CSV? found {', '.join(names[:12])}..."
            )
        headers.append(names)
        notes.extend(file_notes)
        layout = "GeneratedLabelledFlows" if "Flow ID" in names else "MachineLearningCVE"
        dups = [c for c in names if re.search(r"\.\d+$", c)]
        what = f"{path.name}: {layout} layout, {len(names)} columns"
        if dups:
            what += f"; duplicated column(s) {', '.join(dups)} dropped (copies in the official files)"
        notes.append(what)
    common = [c for c in _feature_columns(headers[0]) if all(c in h for h in headers[1:])]
    for path, names in zip(files, headers, strict=True):
        extra = [c for c in _feature_columns(names) if c not in common]
        if extra:
            notes.append(f"{path.name}: column(s) {', '.join(extra)} missing from other files; dropped (intersection)")
    if not common:
        raise NetadInputError(f"CIC-IDS-2017: the files {', '.join(p.name for p in files)} share no feature column")

    tables, categories, sources = [], [], []
    for path, names in zip(files, headers, strict=True):
        types = {c: FLOAT for c in common}
        types[LABEL] = LABEL_TYPE
        table = read_csv(path, names=names, skip_rows=1, column_types=types, include=[*common, LABEL])
        categories.append(decode_categories(table.column(LABEL), cic_label))
        sources.append(source(path, digests, table.num_rows, day_role(path)))
        tables.append(table.drop_columns([LABEL]))
        del table
    category = np.concatenate(categories)
    del categories
    # the per-file tables are handed over without a reference left here, so to_frame can free them as it goes
    features = to_frame(pa.concat_tables([tables.pop(0) for _ in range(len(tables))]))

    no_label = (category == "") | (category == None)  # noqa: E711 (element-wise on an object array)
    dropped: dict[str, int] = {}
    if no_label.any():
        # removed before the NaN check so that each dropped row is counted once, under its first reason
        dropped["blank row (no label)"] = int(no_label.sum())
        notes.append(f"{int(no_label.sum()):,} rows without a label (blank lines of commas) dropped")
        features = take_rows(features, ~no_label)
        category = category[~no_label]
    features, keep, clean_dropped, clean_notes = clean_non_finite(features, common, options["clean_inf"])
    dropped.update(clean_dropped)
    total = sum(s.rows for s in sources)
    if total < FULL_ROWS:
        notes.append(
            f"{len(files)} file(s), {total:,} rows read; the complete dataset has {FULL_ROWS:,} rows in 8 day files"
        )
    notes.append(
        "labels: BENIGN -> 'normal'; en dashes in any encoding -> 'Web Attack - ...'; Infilteration -> Infiltration"
    )
    return build_dataset(
        name="cicids2017",
        features=features,
        label=(category != NORMAL_CATEGORY).astype(np.int8),
        attack_category=category,
        official_split=None,
        categorical=(),
        sources=sources,
        dropped=dropped,
        notes=notes + clean_notes,
        version=f"CIC-IDS-2017 ({len(files)} file(s): {', '.join(strip_compression(p.name) for p in files)})",
        keep=keep,
    )


SPECS = (
    DatasetSpec(
        name="cicids2017",
        description="CIC-IDS-2017 day CSVs (MachineLearningCVE or GeneratedLabelledFlows), 76 numeric features",
        title="CIC-IDS-2017",
        data_dir="cicids2017",
        download=DOWNLOAD,
        expected="the day CSVs (*.pcap_ISCX.csv, or any *.csv), plain or .gz/.xz/.zip",
        find=_find,
        read=_read,
        version="cicids2017/1",
        options={"files": None, "clean_inf": "drop"},
        choices={"clean_inf": CLEAN_INF},
    ),
)
