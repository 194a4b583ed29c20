"""KDD Cup 1999: the raw UCI files (41 named features) and the DAGMM 118-feature preprocessed copy.

The KDD record format (41 features + attack name) is shared with NSL-KDD, whose loader reuses
:func:`read_kdd_file`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.sources import find_named, read_head, strip_compression
from netad.datasets.spec import DatasetSpec
from netad.datasets.tabular import (
    FLOAT,
    LABEL_TYPE,
    build_dataset,
    clean_non_finite,
    decode_categories,
    decode_text,
    read_csv,
    source,
    to_frame,
)
from netad.errors import NetadInputError

KDD_FEATURES = (
    "duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot "
    "num_failed_logins logged_in num_compromised root_shell su_attempted num_root num_file_creations "
    "num_shells num_access_files num_outbound_cmds is_host_login is_guest_login count srv_count "
    "serror_rate srv_serror_rate rerror_rate srv_rerror_rate same_srv_rate diff_srv_rate "
    "srv_diff_host_rate dst_host_count dst_host_srv_count dst_host_same_srv_rate dst_host_diff_srv_rate "
    "dst_host_same_src_port_rate dst_host_srv_diff_host_rate dst_host_serror_rate dst_host_srv_serror_rate "
    "dst_host_rerror_rate dst_host_srv_rerror_rate"
).split()
"""The 41 standard KDD Cup 99 feature names (kddcup.names), in file order."""

KDD_CATEGORICAL = ("protocol_type", "service", "flag")

DOWNLOAD = "https://kdd.ics.uci.edu/databases/kddcup99/kddcup99.html"
TRAIN_10_PERCENT = ("kddcup.data_10_percent", "kddcup.data_10_percent_corrected")
TRAIN_FULL = ("kddcup.data", "kddcup.data.corrected")
TEST = ("corrected",)


def kdd_attack_name(raw: Any) -> str:
    """``b'smurf.'`` -> ``'smurf'``; ``normal`` -> the netad normal category."""
    text = (decode_text(raw) if isinstance(raw, bytes) else str(raw)).strip().rstrip(".").strip()
    return NORMAL_CATEGORY if text.lower() == "normal" else text


def read_kdd_file(path: Path, *, extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """One KDD-format file -> (41 features, attack names, notes). ``extra`` names trailing columns to skip.

    The file has no header; a first line starting with ``duration`` is taken as one and skipped.
    """
    head = read_head(path, 1)
    if not head or not head[0].strip():
        raise NetadInputError(f"{path}: file is empty")
    first = head[0].split(b",")
    has_header = first[0].strip().lower() == b"duration"
    n_min = len(KDD_FEATURES) + 1
    n_max = n_min + len(extra)
    if not n_min <= len(first) <= n_max:
        expected = f"{n_min}" if n_min == n_max else f"{n_min} or {n_max}"
        raise NetadInputError(
            f"{path}: expected {expected} comma-separated fields per line (41 KDD features + attack name"
            f"{' + ' + ', '.join(extra) if extra else ''}), found {len(first)}"
        )
    names = [*KDD_FEATURES, "label", *extra[: len(first) - n_min]]
    types = {c: (pa.string() if c in KDD_CATEGORICAL else FLOAT) for c in KDD_FEATURES}
    types["label"] = LABEL_TYPE
    table = read_csv(path, names=names, skip_rows=int(has_header), column_types=types, include=[*KDD_FEATURES, "label"])
    category = decode_categories(table.column("label"), kdd_attack_name)
    table = table.drop_columns(["label"])
    notes = []
    if has_header:
        notes.append(f"{path.name}: header line skipped")
    return to_frame(table), category, notes


def finish_kdd(
    *,
    name: str,
    parts: list[tuple[Path, str]],
    digests: Mapping[Path, str],
    version: str,
    notes: list[str],
    extra: tuple[str, ...] = (),
) -> Any:
    """Read KDD-format ``parts`` (path, role) and assemble the Dataset; one role -> no official split."""
    frames, categories, splits, sources = [], [], [], []
    for path, role in parts:
        frame, category, file_notes = read_kdd_file(path, extra=extra)
        frames.append(frame)
        categories.append(category)
        splits.append(np.full(len(frame), role, dtype=object))
        sources.append(source(path, digests, len(frame), role))
        notes.extend(file_notes)
    features = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    category = np.concatenate(categories)
    roles = {role for _, role in parts}
    split = np.concatenate(splits) if roles == {"train", "test"} else None
    if split is None:
        notes.append(f"one partition only ({', '.join(sorted(roles))}): official_split is None")
    features, keep, dropped, clean_notes = clean_non_finite(
        features, [c for c in KDD_FEATURES if c not in KDD_CATEGORICAL], "drop"
    )
    return build_dataset(
        name=name,
        features=features,
        label=(category != NORMAL_CATEGORY).astype(np.int8),
        attack_category=category,
        official_split=split,
        categorical=KDD_CATEGORICAL,
        sources=sources,
        dropped=dropped,
        notes=notes + clean_notes,
        version=version,
        keep=keep,
    )


def _find_raw(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    ten, full = find_named(folder, TRAIN_10_PERCENT), find_named(folder, TRAIN_FULL)
    preferred, other = (ten, full) if options["variant"] == "10_percent" else (full, ten)
    train = (preferred or other)[:1]
    return train + find_named(folder, TEST)


def _role(path: Path) -> str:
    return "test" if strip_compression(path.name).lower() in TEST else "train"


def _read_raw(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    parts = [(p, _role(p)) for p in files]
    notes = [
        "raw KDD Cup 99 records: 41 features (protocol_type, service, flag categorical, 38 numeric); "
        "attack_category is the attack name with its trailing dot removed ('normal' for benign)"
    ]
    train_names = [strip_compression(p.name).lower() for p, role in parts if role == "train"]
    if train_names:
        is_full = train_names[0] in TRAIN_FULL
        if is_full != (options["variant"] == "full"):
            notes.append(f"variant={options['variant']!r} not found here; read {train_names[0]} instead")
    return finish_kdd(name="kddcup99", parts=parts, digests=digests, version=_raw_version(parts), notes=notes)


def _raw_version(parts: list[tuple[Path, str]]) -> str:
    names = "/".join(strip_compression(p.name) for p, _ in parts)
    return f"KDD Cup 1999 ({names})"


def _find_dagmm(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    return find_named(folder, ["kdd_cup.npz"])


def _read_dagmm(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    (path,) = files
    try:
        with np.load(path) as archive:
            if "kdd" not in archive:
                raise NetadInputError(f"{path}: no array 'kdd' in this npz (found {', '.join(archive.files)})")
            data = archive["kdd"]
    except (OSError, ValueError) as e:
        raise NetadInputError(f"{path}: not a readable numpy .npz file ({e})") from e
    if data.ndim != 2 or data.shape[1] < 2:
        raise NetadInputError(f"{path}: array 'kdd' has shape {data.shape}, expected (rows, features + 1)")
    raw_label = data[:, -1]
    if not np.isin(raw_label, (0, 1)).all():
        raise NetadInputError(f"{path}: last column of 'kdd' must be 0/1, found {np.unique(raw_label)[:10]}")
    features = pd.DataFrame(data[:, :-1].astype(np.float32), columns=[f"x{i:03d}" for i in range(data.shape[1] - 1)])
    del data
    label = (raw_label == 0).astype(np.int8)
    category = np.where(label == 1, "attack", NORMAL_CATEGORY).astype(object)
    notes = [
        f"DAGMM preprocessing of KDD Cup 99 10% (danieltan07/dagmm): {features.shape[1]} features "
        "(categoricals one-hot, numerics scaled), named x000... because the preprocessing kept no names",
        "label semantics: in the file 1 = KDD 'normal'; here label = 1 for KDD attack rows and 0 for normal, "
        "as in every netad dataset. The DAGMM protocol flips them: it treats the 'normal' rows (the "
        "minority, about 20%) as the anomalies",
    ]
    features, keep, dropped, clean_notes = clean_non_finite(features, list(features.columns), "drop")
    return build_dataset(
        name="kddcup99-dagmm",
        features=features,
        label=label,
        attack_category=category,
        official_split=None,
        categorical=(),
        sources=[source(path, digests, len(label), "train")],
        dropped=dropped,
        notes=notes + clean_notes,
        version="KDD Cup 1999 10% (DAGMM kdd_cup.npz)",
        keep=keep,
    )


SPECS = (
    DatasetSpec(
        name="kddcup99",
        description="KDD Cup 1999 raw records (10% or full training file, optional 'corrected' test file)",
        title="KDD Cup 1999",
        data_dir="kddcup99",
        download=DOWNLOAD,
        expected="kddcup.data_10_percent (or kddcup.data) and optionally corrected, plain or .gz/.xz",
        find=_find_raw,
        read=_read_raw,
        version="kddcup99/1",
        options={"variant": "10_percent"},
        choices={"variant": ("10_percent", "full")},
    ),
    DatasetSpec(
        name="kddcup99-dagmm",
        description="KDD Cup 1999 10% as preprocessed by DAGMM (118 features, kdd_cup.npz)",
        title="KDD Cup 1999 (DAGMM kdd_cup.npz)",
        data_dir="kddcup99",
        download="https://github.com/danieltan07/dagmm (kdd_cup.npz)",
        expected="kdd_cup.npz",
        find=_find_dagmm,
        read=_read_dagmm,
        version="kddcup99-dagmm/1",
        # already one-hot / min-max scaled by the DAGMM code; standard-scaling it again blows rare one-hot columns
        # up to ~200 (DAGMM seed 0: best-f1 F1 0.919 with it, see benchmarks/results/kdd_family.md)
        preprocess={"scaler": None},
    ),
)
