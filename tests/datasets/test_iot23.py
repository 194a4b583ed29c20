"""IoT-23: the Zeek conn.log.labeled quirks (3-space tail separator, '-' unset, '#' lines), MANIFEST counts,
and the official nested folder layout."""

from __future__ import annotations

import lzma

import numpy as np
import pandas as pd
import pytest

from netad.datasets import NORMAL_CATEGORY, load, locate
from netad.datasets.iot23 import CATEGORICAL, NUMERIC
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("iot23")

CAPTURE = "CTU-IoT-Malware-Capture-34-1.conn.log.labeled.xz"
MANIFEST_COUNTS = {"DDoS": 14_394, "C&C": 6_706, NORMAL_CATEGORY: 1_923, "PartOfAHorizontalPortScan": 122}


@pytest.fixture(scope="module")
def iot(shared_data):
    return load("iot23")


@pytest.fixture(scope="module")
def capture_lines(shared_data):
    return lzma.decompress((shared_data / "iot23" / CAPTURE).read_bytes()).split(b"\n")


def test_capture_has_manifest_counts(iot):
    assert iot.n_rows == 23_145
    assert iot.class_balance() == MANIFEST_COUNTS
    assert int(iot.label.sum()) == 23_145 - 1_923  # MANIFEST says "Malicious 22,222": a typo for 21,222
    assert iot.sources[0].role == "capture:CTU-IoT-Malware-Capture-34-1"
    assert iot.official_split is None


def test_features_drop_identifiers_and_fill_unset_numbers_with_a_note(iot):
    assert list(iot.features.columns) == [*NUMERIC, *CATEGORICAL]
    numeric = iot.features[list(NUMERIC)]
    assert set(numeric.dtypes) == {np.dtype("float32")} and np.isfinite(numeric.to_numpy()).all()
    note = next(n for n in iot.notes if "unset numeric fields" in n)
    unset = int(iot.features["duration"].eq(0).sum())
    assert "duration 17,824" in note and unset >= 17_824
    assert {"S0", "OTH"} <= set(iot.features["conn_state"]) and "-" in set(iot.features["service"])


def test_unset_drop_removes_and_counts_the_rows(shared_data, iot):
    dropped = load("iot23", unset="drop", cache=False)
    assert dropped.n_rows + dropped.dropped_rows["unset numeric field"] == iot.n_rows
    assert dropped.dropped_rows["unset numeric field"] == 17_824


def test_tab_separated_tail_and_trailing_close_line(capture_lines, tmp_path, iot):
    fixed = [line.replace(b"   ", b"\t") for line in capture_lines if line]
    fixed.append(b"#close\t2019-03-15-15-10-11")
    path = tmp_path / "capture.conn.log.labeled"
    path.write_bytes(b"\n".join(fixed) + b"\n")
    ds = load("iot23", path, cache=False)
    assert ds.class_balance() == MANIFEST_COUNTS
    pd.testing.assert_frame_equal(ds.features, iot.features)
    assert any("#close" in n for n in ds.notes)


def test_official_nested_layout_is_found(capture_lines, tmp_path):
    folder = tmp_path / "CTU-IoT-Malware-Capture-1-1" / "bro"
    folder.mkdir(parents=True)
    (folder / "conn.log.labeled").write_bytes(b"\n".join(capture_lines[:108]) + b"\n")
    (found,) = locate("iot23", tmp_path)
    ds = load("iot23", tmp_path, cache=False)
    assert found.parent == folder and ds.n_rows == 100
    assert ds.sources[0].role == "capture:CTU-IoT-Malware-Capture-1-1"


def test_family_subset_keeps_benign_and_one_family(iot):
    candc = load("iot23-candc")
    assert candc.class_balance() == {"C&C": MANIFEST_COUNTS["C&C"], NORMAL_CATEGORY: MANIFEST_COUNTS[NORMAL_CATEGORY]}
    assert any("14,516 rows of other families left out" in n for n in candc.notes)
    same = load("iot23", family="candc")  # an alias, on the plain dataset
    pd.testing.assert_frame_equal(same.features, candc.features)
    assert list(candc.features.columns) == list(iot.features.columns)


def test_attack_fraction_thins_the_family_the_same_way_every_time(shared_data):
    first = load("iot23-ddos", attack_fraction=0.2, cache=False)
    again = load("iot23-ddos", attack_fraction=0.2, cache=False)
    benign = MANIFEST_COUNTS[NORMAL_CATEGORY]
    assert first.class_balance() == {NORMAL_CATEGORY: benign, "DDoS": round(0.2 / 0.8 * benign)}
    pd.testing.assert_frame_equal(first.features, again.features)
    assert any("481 of 14,394 'DDoS' rows kept" in n for n in first.notes)
    # a family smaller than the requested share is kept whole, and the note says so
    scan = load("iot23-portscan", attack_fraction=0.2)
    assert scan.class_balance()["PartOfAHorizontalPortScan"] == MANIFEST_COUNTS["PartOfAHorizontalPortScan"]
    assert any("all kept" in n for n in scan.notes)


def test_unknown_family_or_bad_fraction_is_explained(shared_data):
    with pytest.raises(NetadInputError, match="found C&C, DDoS, PartOfAHorizontalPortScan"):
        load("iot23", family="Okiru")
    with pytest.raises(NetadInputError, match="attack_fraction must lie in"):
        load("iot23-candc", attack_fraction=1.5)
    with pytest.raises(NetadInputError, match="needs a family"):
        load("iot23", attack_fraction=0.2)
