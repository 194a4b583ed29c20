"""IoT-23 (Stratosphere Lab, CTU): Zeek ``conn.log.labeled`` files of one or more captures.

Format: ``#`` header lines (``#fields`` gives the names), then tab-separated rows, except that in every
official file the last three fields (``tunnel_parents label detailed-label``) are separated by three spaces;
files where they are tab-separated too are also accepted. ``-`` means unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from netad.datasets.base import NORMAL_CATEGORY
from netad.datasets.sources import COMPRESSIONS, read_head, strip_compression
from netad.datasets.spec import DatasetSpec
from netad.datasets.tabular import (
    FLOAT,
    build_dataset,
    clean_non_finite,
    decode_categories,
    decode_text,
    read_csv,
    source,
    take_rows,
    to_frame,
)
from netad.errors import NetadInputError

DOWNLOAD = "https://www.stratosphereips.org/datasets-iot23"
SUFFIX = "conn.log.labeled"
NUMERIC = (
    "duration",
    "orig_bytes",
    "resp_bytes",
    "missed_bytes",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
)
CATEGORICAL = ("proto", "service", "conn_state", "history")
_TAIL = "tunnel_parents label detailed-label"


def _find(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    best: dict[tuple[Path, str], Path] = {}
    for path in sorted(folder.rglob(f"*{SUFFIX}*")):
        base = strip_compression(path.name)
        if not path.is_file() or not base.lower().endswith(SUFFIX.lower()):
            continue
        key = (path.parent, base.lower())
        rank = COMPRESSIONS.index(path.name[len(base) :].lower())
        if key not in best or rank < COMPRESSIONS.index(best[key].name[len(base) :].lower()):
            best[key] = path
    return sorted(best.values())


def capture_name(path: Path) -> str:
    """``CTU-IoT-Malware-Capture-34-1.conn.log.labeled.xz`` or ``CTU-.../bro/conn.log.labeled`` -> capture id."""
    stem = strip_compression(path.name)[: -len(SUFFIX)].rstrip(".")
    if stem:
        return stem
    parent = path.parent.parent if path.parent.name.lower() == "bro" else path.parent
    return parent.name


def _parse_header(path: Path) -> tuple[list[str], list[str], int]:
    """(column names as pyarrow will see them, full Zeek field names, number of header lines)."""
    lines = read_head(path, 64)
    if not lines:
        raise NetadInputError(f"{path}: file is empty")
    n_header = next((i for i, line in enumerate(lines) if not line.startswith(b"#")), len(lines))
    fields = next((line for line in lines[:n_header] if line.startswith(b"#fields")), None)
    if fields is None:
        raise NetadInputError(f"{path}: no '#fields' header line; is this a Zeek conn.log.labeled file?")
    tab_items = [decode_text(x) for x in fields.split(b"\t")[1:]]
    full = [name for item in tab_items for name in item.split()]
    missing = [c for c in ("label", "detailed-label", *NUMERIC, *CATEGORICAL) if c not in full]
    if missing:
        raise NetadInputError(f"{path}: Zeek fields {', '.join(missing)} missing; found {', '.join(full)}")
    if n_header >= len(lines):
        return full, full, n_header  # header only; reading will report no rows
    n_tab_fields = lines[n_header].count(b"\t") + 1
    if n_tab_fields == len(full):
        return full, full, n_header
    if n_tab_fields == len(tab_items):
        return [*[i.strip() for i in tab_items[:-1]], _TAIL], full, n_header
    raise NetadInputError(
        f"{path}: first data line has {n_tab_fields} tab-separated fields; the #fields header has "
        f"{len(tab_items)} ({len(full)} names)"
    )


def _field(position: int):
    def pick(raw: Any) -> str:
        parts = (decode_text(raw) if isinstance(raw, bytes) else str(raw)).split()
        return parts[position] if len(parts) == 3 else ""

    return pick


def _read_capture(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    names, _, n_header = _parse_header(path)
    skipped: list[str] = []

    def skip(row: Any) -> str:
        skipped.append(row.text)
        return "skip"

    types: dict[str, pa.DataType] = {c: FLOAT for c in NUMERIC}
    types.update({c: pa.string() for c in CATEGORICAL})
    tail = [_TAIL] if _TAIL in names else ["label", "detailed-label"]
    types.update({c: pa.dictionary(pa.int32(), pa.string()) for c in tail})
    table = read_csv(
        path,
        names=names,
        skip_rows=n_header,
        column_types=types,
        include=[*NUMERIC, *CATEGORICAL, *tail],
        delimiter="\t",
        quoting=False,
        invalid_row_handler=skip,
        null_values=["-", "(empty)"],
    )
    if _TAIL in names:
        label = decode_categories(table.column(_TAIL), _field(1))
        detail = decode_categories(table.column(_TAIL), _field(2))
    else:
        label = decode_categories(table.column("label"), str)
        detail = decode_categories(table.column("detailed-label"), str)
    frame = to_frame(table.drop_columns(tail))
    notes = []
    comments = [t for t in skipped if t.startswith("#")]
    malformed = len(skipped) - len(comments)
    if comments:
        notes.append(f"{path.name}: {len(comments)} trailing '#' line(s) (e.g. #close) skipped")
    if malformed:
        raise NetadInputError(
            f"{path}: {malformed:,} line(s) do not have the {len(names)} fields of the header "
            f"(e.g. {next(t for t in skipped if not t.startswith('#'))[:120]!r})"
        )
    return frame, label, detail, notes


def _read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
    notes = [
        "IoT-23 Zeek conn logs: features duration, bytes, packets (numeric) and proto, service, conn_state, "
        "history (categorical; '-' = none is kept as a category); ts, uid, addresses, ports, local_orig/"
        "local_resp and tunnel_parents are not features and are dropped",
        "attack_category = detailed-label (C&C, DDoS, PartOfAHorizontalPortScan, ...), 'normal' for Benign",
    ]
    frames, labels, details, sources = [], [], [], []
    for path in files:
        frame, label, detail, file_notes = _read_capture(path)
        frames.append(frame)
        labels.append(label)
        details.append(detail)
        notes.extend(file_notes)
        sources.append(source(path, digests, len(frame), f"capture:{capture_name(path)}"))
    features = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    del frames
    raw_label = np.concatenate(labels)
    detail = np.concatenate(details)
    kind = np.char.lower(raw_label.astype(str))
    unknown = sorted(set(np.unique(kind)) - {"benign", "malicious"})
    if unknown:
        raise NetadInputError(f"IoT-23: label values must be Benign or Malicious, found also {unknown[:10]}")
    label = (kind == "malicious").astype(np.int8)
    category = np.where(label == 1, detail, NORMAL_CATEGORY).astype(object)
    bare = (label == 1) & np.isin(detail, ["-", ""])
    if bare.any():
        category[bare] = "Malicious"
        notes.append(f"{int(bare.sum()):,} Malicious rows without detailed-label: attack_category 'Malicious'")

    dropped: dict[str, int] = {}
    unset_counts = {c: int(features[c].isna().sum()) for c in NUMERIC}
    unset_counts = {c: n for c, n in unset_counts.items() if n}
    if unset_counts:
        detail_text = ", ".join(f"{c} {n:,}" for c, n in unset_counts.items())
        if options["unset"] == "zero":
            for c in unset_counts:
                features[c] = features[c].fillna(0).astype(np.float32)
            notes.append(
                f"unset numeric fields ('-': Zeek measured nothing, e.g. an unanswered connection attempt) set to "
                f"0 (unset='zero'): {detail_text}"
            )
        else:
            # removed before the NaN check so each row is counted once
            complete = ~features[list(unset_counts)].isna().any(axis=1).to_numpy()
            dropped["unset numeric field"] = int((~complete).sum())
            notes.append(f"rows with unset numeric fields dropped (unset='drop'): {detail_text}")
            features = take_rows(features, complete)
            label, category = label[complete], category[complete]
    features, keep, clean_dropped, clean_notes = clean_non_finite(features, NUMERIC, "drop")
    dropped.update(clean_dropped)
    captures = ", ".join(capture_name(p) for p in files)
    if options.get("family") is not None:
        subset, subset_notes = _family_subset(category, keep, options["family"], options.get("attack_fraction"))
        keep = subset if keep is None else keep & subset
        notes.extend(subset_notes)
    elif options.get("attack_fraction") is not None:
        raise NetadInputError("IoT-23: attack_fraction needs a family (e.g. family='C&C')")
    return build_dataset(
        name="iot23",
        features=features[[*NUMERIC, *CATEGORICAL]],
        label=label,
        attack_category=category,
        official_split=None,
        categorical=CATEGORICAL,
        sources=sources,
        dropped=dropped,
        notes=[*notes, "IoT-23 has no official train/test split: official_split is None", *clean_notes],
        version=f"IoT-23 conn.log.labeled ({len(files)} capture(s): {captures})",
        keep=keep,
    )


FAMILY_ALIASES = {"candc": "C&C", "cc": "C&C", "portscan": "PartOfAHorizontalPortScan"}
"""Short names accepted for ``family`` (case-insensitive), besides the detailed-label itself."""
FAMILY_SEED = 0
"""Seed of the ``attack_fraction`` subsample, fixed so that a family subset is the same table in every run."""


def _resolve_family(category: np.ndarray, family: str) -> str:
    """The detailed-label that ``family`` names (case-insensitive, or an alias such as ``candc``)."""
    wanted = str(family).strip().lower()
    wanted = FAMILY_ALIASES.get(wanted.replace("-", "").replace("_", ""), wanted).lower()
    found = sorted({str(c) for c in np.unique(category)} - {NORMAL_CATEGORY})
    match = [c for c in found if c.lower() == wanted]
    if not match:
        raise NetadInputError(
            f"IoT-23: family={family!r} is not a detailed-label of the capture(s); found {', '.join(found)} "
            f"(aliases: {', '.join(f'{k}={v}' for k, v in FAMILY_ALIASES.items())})"
        )
    return match[0]


def _family_subset(
    category: np.ndarray, keep: np.ndarray | None, family: str, attack_fraction: float | None
) -> tuple[np.ndarray, list[str]]:
    """Row mask of a seed-style subset: every benign row + the rows of one malicious family, optionally thinned
    (seeded, fixed) so that the family is ``attack_fraction`` of the rows."""
    label_name = _resolve_family(category, family)
    valid = np.ones(len(category), dtype=bool) if keep is None else keep
    benign = (category == NORMAL_CATEGORY) & valid
    attack = np.flatnonzero((category == label_name) & valid)
    others = int((valid & (category != NORMAL_CATEGORY) & (category != label_name)).sum())
    notes = [
        f"family subset (seed-style, as the MNPWAD IoT23_* sets): benign + {label_name!r}; {others:,} rows of "
        "other families left out"
    ]
    if attack_fraction is not None:
        fraction = float(attack_fraction)
        if not 0 < fraction < 1:
            raise NetadInputError(f"IoT-23: attack_fraction must lie in (0, 1), got {attack_fraction!r}")
        wanted = max(1, int(round(fraction / (1 - fraction) * int(benign.sum()))))
        if wanted < len(attack):
            rng = np.random.default_rng(FAMILY_SEED)
            notes.append(
                f"attack_fraction={fraction}: {wanted:,} of {len(attack):,} {label_name!r} rows kept (seeded random "
                f"subsample, seed {FAMILY_SEED}): attacks are {wanted / (wanted + int(benign.sum())):.1%} of rows"
            )
            attack = rng.choice(attack, size=wanted, replace=False)
        else:
            notes.append(f"attack_fraction={fraction}: only {len(attack):,} {label_name!r} rows; all kept")
    mask = benign.copy()
    mask[attack] = True
    return mask, notes


SPECS = (
    DatasetSpec(
        name="iot23",
        description="IoT-23 Zeek conn.log.labeled captures (Benign/Malicious, detailed labels as categories)",
        title="IoT-23",
        data_dir="iot23",
        download=DOWNLOAD,
        expected="*.conn.log.labeled (or <capture>/bro/conn.log.labeled), plain or .gz/.xz",
        find=_find,
        read=_read,
        version="iot23/1",
        options={"unset": "zero", "family": None, "attack_fraction": None},
        choices={"unset": ("zero", "drop")},
    ),
    *(
        DatasetSpec(
            name=f"iot23-{slug}",
            description=f"IoT-23 family subset: benign + {family} flows (seed-style IoT23_* set; option "
            "attack_fraction thins the family)",
            title=f"IoT-23 {family}",
            data_dir="iot23",
            download=DOWNLOAD,
            expected="*.conn.log.labeled (or <capture>/bro/conn.log.labeled), plain or .gz/.xz",
            find=_find,
            read=_read,
            version="iot23/1",
            options={"unset": "zero", "family": family, "attack_fraction": None},
            choices={"unset": ("zero", "drop"), "family": (family,)},
        )
        for slug, family in (("candc", "C&C"), ("ddos", "DDoS"), ("portscan", "PartOfAHorizontalPortScan"))
    ),
)
