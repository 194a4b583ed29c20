"""UNSW-NB15: the official training and testing partitions.

The two file names are swapped in the common download (the testing rows are distributed as
``UNSW_NB15_training-set.csv``), so partitions are identified by content: their row count (``OFFICIAL_ROWS``).
With two files of other sizes (e.g. filtered copies) the larger one is taken as training, as in the official
release.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.sources import find_named
from netad.datasets.spec import DatasetSpec
from netad.datasets.tabular import (
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

DOWNLOAD = "https://research.unsw.edu.au/projects/unsw-nb15-dataset"
OFFICIAL_FILES = ("UNSW_NB15_training-set.csv", "UNSW_NB15_testing-set.csv")
OFFICIAL_ROWS = {175_341: "train", 82_332: "test"}
PARTITION_NAME = {"train": "training", "test": "testing"}
CATEGORICAL = ("proto", "service", "state")
IDENTIFIERS = ("id",)


def attack_cat_name(raw: Any) -> str:
    """Stripped attack_cat; ``Normal`` -> the netad normal category; blank stays blank (checked later)."""
    text = (decode_text(raw) if isinstance(raw, bytes) else str(raw or "")).strip()
    return NORMAL_CATEGORY if text.lower() == "normal" else text


def identify_partitions(rows: list[int]) -> tuple[list[str | None], str]:
    """Official partition of each file from its row count, and how it was decided.

    175,341 rows = official training, 82,332 = official testing. Two files of other sizes: the larger is
    training (the official training partition is the larger one). One file of another size: unknown.
    """
    roles = [OFFICIAL_ROWS.get(n) for n in rows]
    how = "row count (175,341 = training, 82,332 = testing)"
    if len(rows) == 2 and None in roles:
        if roles[0] is None and roles[1] is None:
            if rows[0] == rows[1]:
                return roles, how
            big = int(rows[1] > rows[0])
            roles[big], roles[1 - big] = "train", "test"
            how = "relative size (neither file has an official row count; the larger is taken as training)"
        else:
            known = roles[0] or roles[1]
            roles = [r or ("test" if known == "train" else "train") for r in roles]
            how += "; the other file by elimination"
    return roles, how


def _read_file(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    names, notes = header_names(path)
    missing = [c for c in ("attack_cat", "label", *CATEGORICAL) if c not in names]
    if missing:
        raise NetadInputError(
            f"{path}: missing UNSW-NB15 column(s) {', '.join(missing)}; found {', '.join(names[:50])}"
        )
    features = [c for c in names if c not in (*IDENTIFIERS, "attack_cat", "label")]
    types = {c: (pa.string() if c in CATEGORICAL else FLOAT) for c in features}
    types.update(attack_cat=LABEL_TYPE, label=FLOAT)
    table = read_csv(path, names=names, skip_rows=1, column_types=types, include=[*features, "attack_cat", "label"])
    category = decode_categories(table.column("attack_cat"), attack_cat_name)
    label = table.column("label").to_numpy()
    bad = ~np.isin(label, (0, 1))
    if bad.any():
        raise NetadInputError(
            f"{path}: column 'label' must be 0 or 1; {int(bad.sum()):,} rows are not "
            f"(e.g. {label[bad][0]!r} on line {int(np.argmax(bad)) + 2:,})"
        )
    table = table.drop_columns(["attack_cat", "label"])
    return to_frame(table), label.astype(np.int8), category, notes


def _read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    parts = [_read_file(p) for p in files]
    roles, how = identify_partitions([len(f) for f, *_ in parts])
    if len(roles) == 2 and roles[0] is not None and roles[0] == roles[1]:
        raise NetadInputError(
            f"UNSW-NB15: {files[0]} and {files[1]} both hold the official {PARTITION_NAME[roles[0]]} partition "
            f"({len(parts[0][0]):,} rows); keep one of them"
        )
    notes = [
        "UNSW-NB15 partitions: 42 features (proto, service, state categorical; service '-' = none is kept as "
        "a category); 'id' (row number) dropped as an identifier; attack_category from attack_cat "
        "(stripped, 'Normal' -> 'normal')",
    ]
    common = [c for c in parts[0][0].columns if all(c in f.columns for f, *_ in parts)]
    for path, (frame, *_) in zip(files, parts, strict=True):
        extra = [c for c in frame.columns if c not in common]
        if extra:
            notes.append(f"{path.name}: column(s) {', '.join(extra)} not in every file, dropped")
    for path, role, (frame, _, _, file_notes) in zip(files, roles, parts, strict=True):
        notes.extend(file_notes)
        claimed = "train" if "training" in path.name.lower() else "test" if "testing" in path.name.lower() else None
        if role is None:
            notes.append(
                f"{path.name}: {len(frame):,} rows, neither official partition size (175,341 training, "
                "82,332 testing); partition unknown"
            )
            continue
        said = f"identified by {how}"
        if claimed and claimed != role:
            said += f"; its name says {PARTITION_NAME[claimed]}: the two names are swapped in the common download"
        notes.append(f"{path.name} holds the official {PARTITION_NAME[role]} partition ({len(frame):,} rows), {said}")
    features = pd.concat([f[common] for f, *_ in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
    label = np.concatenate([p[1] for p in parts])
    category = np.concatenate([p[2] for p in parts])
    sides = {r for r in roles if r is not None}
    split = None
    if sides == {"train", "test"}:
        split = np.concatenate([np.full(len(f), r, dtype=object) for r, (f, *_) in zip(roles, parts, strict=True)])
    else:
        notes.append("one partition only: official_split is None")

    # label is the binary ground truth; attack_cat must agree with it (blank attack_cat on a normal row is fine)
    blank = category == ""
    category[blank & (label == 0)] = NORMAL_CATEGORY
    disagree = ((label == 0) & (category != NORMAL_CATEGORY)) | ((label == 1) & ((category == NORMAL_CATEGORY) | blank))
    dropped: dict[str, int] = {}
    if disagree.any():
        # removed before the NaN check so each dropped row is counted once
        n = int(disagree.sum())
        dropped["label disagrees with attack_cat"] = n
        first = int(np.argmax(disagree))
        notes.append(
            f"{n:,} rows whose label disagrees with attack_cat dropped (e.g. label={label[first]} "
            f"attack_cat={category[first]!r})"
        )
        features = take_rows(features, ~disagree)
        label, category = label[~disagree], category[~disagree]
        split = None if split is None else split[~disagree]
    else:
        notes.append("label agrees with attack_cat on every row")
    features, keep, clean_dropped, clean_notes = clean_non_finite(
        features, [c for c in features.columns if c not in CATEGORICAL], "drop"
    )
    dropped.update(clean_dropped)
    sources = [source(p, digests, len(f), r or "data") for p, r, (f, *_) in zip(files, roles, parts, strict=True)]
    names = "+".join(PARTITION_NAME[r] for r in roles if r) or "unidentified partition"
    return build_dataset(
        name="unsw-nb15",
        features=features,
        label=label,
        attack_category=category,
        official_split=split,
        categorical=CATEGORICAL,
        sources=sources,
        dropped=dropped,
        notes=notes + clean_notes,
        version=f"UNSW-NB15 ({names})",
        keep=keep,
    )


SPECS = (
    DatasetSpec(
        name="unsw-nb15",
        description="UNSW-NB15 official training/testing partitions (42 features, 9 attack families)",
        title="UNSW-NB15",
        data_dir="unsw-nb15",
        download=DOWNLOAD,
        expected="UNSW_NB15_training-set.csv and/or UNSW_NB15_testing-set.csv, plain or .gz/.xz/.zip",
        find=lambda folder, options: find_named(folder, OFFICIAL_FILES),
        read=_read,
        version="unsw-nb15/1",
    ),
)
