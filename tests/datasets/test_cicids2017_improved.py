"""Improved CIC-IDS-2017: the pinned class-wise sample loads with MANIFEST counts, identifiers never become
features, timestamps are metadata, and the authors' per-day layout (attempted attacks, Infinity, blank rows) is
handled with every attempted flow counted."""

from __future__ import annotations

import lzma
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netad.datasets import NORMAL_CATEGORY, load
from netad.datasets.cicids2017_improved import split_attempted
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("cicids2017-improved")

IDENTIFIERS = ("id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp")
# MANIFEST.md, cicids2017-improved/: file -> (label as spelled there, BENIGN -> netad's "normal"; rows)
MANIFEST = {
    "BENIGN_5000.csv.xz": (NORMAL_CATEGORY, 5_000),
    "Botnet_736.csv.xz": ("Botnet", 736),
    "DDoS_5000.csv.xz": ("DDoS", 5_000),
    "DoS_GoldenEye_5000.csv.xz": ("DoS GoldenEye", 5_000),
    "DoS_Hulk_5000.csv.xz": ("DoS Hulk", 5_000),
    "DoS_Slowhttptest_1740.csv.xz": ("DoS Slowhttptest", 1_740),
    "DoS_Slowloris_3859.csv.xz": ("DoS Slowloris", 3_859),
    "FTP-Patator_3972.csv.xz": ("FTP-Patator", 3_972),
    "Heartbleed_11.csv.xz": ("Heartbleed", 11),
    "Infiltration_-_Portscan_5000.csv.xz": ("Infiltration - Portscan", 5_000),
    "Infiltration_36.csv.xz": ("Infiltration", 36),
    "Portscan_5000.csv.xz": ("Portscan", 5_000),
    "SSH-Patator_2961.csv.xz": ("SSH-Patator", 2_961),
    "Web_Attack_-_Brute_Force_73.csv.xz": ("Web Attack - Brute Force", 73),
    "Web_Attack_-_SQL_Injection_13.csv.xz": ("Web Attack - SQL Injection", 13),
    "Web_Attack_-_XSS_18.csv.xz": ("Web Attack - XSS", 18),
}


def test_pinned_sample_gives_manifest_rows_and_one_category_per_file(cicids_improved) -> None:
    ds = cicids_improved
    expected = dict(MANIFEST.values())
    assert ds.n_rows == 43_419 == sum(expected.values())
    assert ds.class_balance() == expected
    assert int(ds.label.sum()) == 43_419 - 5_000 and ds.label.dtype == np.int8
    assert ds.dropped_rows == {} and ds.official_split is None
    assert len(ds.sources) == 16 and {Path(s.path).name for s in ds.sources} == set(MANIFEST)
    assert any("attempted attacks: none" in note for note in ds.notes)


def test_identifiers_are_not_features_and_81_float32_features_remain(cicids_improved) -> None:
    features = cicids_improved.features
    assert features.shape[1] == 81  # 91 columns - 8 identifiers - Label - Attempted Category
    assert set(features.dtypes) == {np.dtype("float32")}
    assert not set(IDENTIFIERS) & set(features.columns)
    assert {"Total Fwd Packet", "FWD Init Win Bytes", "ICMP Type", "Total TCP Flow Time"} <= set(features.columns)
    assert any("Dst Port" in note and "Destination Port" in note for note in cicids_improved.notes)


def test_timestamps_and_ids_are_kept_as_metadata(shared_data) -> None:
    files = ["Botnet_736.csv.xz", "SSH-Patator_2961.csv.xz"]
    ds = load("cicids2017-improved", files=files)
    assert list(ds.metadata.columns) == ["id", "Timestamp"]
    assert ds.metadata["Timestamp"].dtype.kind == "M"  # datetime64
    days = ds.metadata["Timestamp"].dt.strftime("%Y-%m-%d")
    # MANIFEST: Botnet is from Friday 7 July, SSH-Patator from Tuesday 4 July
    assert set(days[ds.attack_category == "Botnet"]) == {"2017-07-07"}
    assert set(days[ds.attack_category == "SSH-Patator"]) == {"2017-07-04"}
    first = lzma.open(shared_data / "cicids2017-improved" / "Botnet_736.csv.xz", "rt").readlines()[1].split(",")
    assert ds.metadata["id"].iloc[0] == int(first[0])
    assert ds.metadata["Timestamp"].iloc[0] == pd.Timestamp(first[7])
    assert ds.describe()["metadata_columns"] == ["id", "Timestamp"]
    # a cache hit returns the same metadata
    again = load("cicids2017-improved", files=files)
    pd.testing.assert_frame_equal(again.metadata, ds.metadata)
    assert ds.subset(np.array([3, 1])).metadata["id"].tolist() == ds.metadata["id"].iloc[[3, 1]].tolist()


# -- the authors' complete per-day layout, written from real rows of the sample ---------------------------------
def _day_csv(tmp_path: Path, shared_data: Path, edits: dict[int, tuple[str, str]] | None = None) -> Path:
    """A ``wednesday.csv`` in the authors' layout: 20 real benign and 20 real slowloris rows of the sample, with
    ``edits`` {row: (label, attempted category)}, one Infinity in Flow Bytes/s and a blank line of commas."""
    lines = []
    for name in ["BENIGN_5000.csv.xz", "DoS_Slowloris_3859.csv.xz"]:
        text = lzma.open(shared_data / "cicids2017-improved" / name, "rt").read().splitlines()
        header, rows = text[0], text[1:21]
        lines += rows
    cells = [line.split(",") for line in lines]
    names = header.split(",")
    for row, (label, code) in (edits or {}).items():
        cells[row][names.index("Label")] = label
        cells[row][names.index("Attempted Category")] = code
    cells[5][names.index("Flow Bytes/s")] = "Infinity"
    body = [header] + [",".join(c) for c in cells] + ["," * (len(names) - 1)]
    path = tmp_path / "wednesday.csv"
    path.write_text("\r\n".join(body) + "\r\n")
    return path


# rows 20.. are slowloris: two attempted by label and code, one by code only
ATTEMPTED = {20: ("DoS Slowloris - Attempted", "3"), 21: ("DoS Slowloris - Attempted", "3"), 22: ("DoS Slowloris", "3")}


def test_attempted_attacks_become_benign_by_default_and_are_counted(tmp_path, shared_data) -> None:
    ds = load("cicids2017-improved", _day_csv(tmp_path, shared_data, ATTEMPTED), cache=False)
    assert ds.sources[0].role == "day:Wednesday" and ds.sources[0].rows == 41  # 40 rows + the blank line
    assert ds.dropped_rows == {"blank row (no label)": 1, "Inf numeric value": 1}
    assert ds.n_rows == 39
    assert ds.class_balance() == {NORMAL_CATEGORY: 19 + 3, "DoS Slowloris": 17}
    note = next(n for n in ds.notes if n.startswith("attempted attacks"))
    assert "3 flows relabelled benign" in note and "DoS Slowloris 3" in note


def test_attempted_keep_and_drop(tmp_path, shared_data) -> None:
    path = _day_csv(tmp_path, shared_data, ATTEMPTED)
    kept = load("cicids2017-improved", path, cache=False, attempted="keep")
    assert kept.class_balance() == {NORMAL_CATEGORY: 19, "DoS Slowloris": 17, "DoS Slowloris - Attempted": 3}
    assert kept.label[kept.attack_category == "DoS Slowloris - Attempted"].tolist() == [1, 1, 1]
    dropped = load("cicids2017-improved", path, cache=False, attempted="drop")
    assert dropped.class_balance() == {NORMAL_CATEGORY: 19, "DoS Slowloris": 17}
    assert dropped.dropped_rows["attempted attack (attempted='drop')"] == 3
    assert len(dropped.metadata) == dropped.n_rows == 36
    with pytest.raises(NetadInputError, match="attempted='maybe' is not one of"):
        load("cicids2017-improved", path, cache=False, attempted="maybe")


def test_split_attempted_reads_the_authors_suffix() -> None:
    assert split_attempted("Botnet - Attempted") == ("Botnet", True)
    assert split_attempted("Web Attack - Brute Force - Attempted") == ("Web Attack - Brute Force", True)
    assert split_attempted("Infiltration - Portscan") == ("Infiltration - Portscan", False)


def test_a_file_of_another_layout_is_rejected_with_its_name(tmp_path) -> None:
    path = tmp_path / "official.csv"  # the MachineLearningCVE layout: no identifiers, no Timestamp
    path.write_text(" Destination Port, Flow Duration, Label\n80,1000,BENIGN\n")
    with pytest.raises(NetadInputError, match=r"official\.csv: no 'Timestamp' column; is this a file of the improved"):
        load("cicids2017-improved", path, cache=False)
