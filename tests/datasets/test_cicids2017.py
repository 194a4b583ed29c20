"""CIC-IDS-2017: the shared subsets load with MANIFEST counts, and the quirks of the official files the
subsets lack (spaced header, duplicated column, Infinity/NaN, cp1252 labels, blank rows) are handled."""

from __future__ import annotations

import numpy as np
import pytest

from netad.datasets import NORMAL_CATEGORY, load, locate
from netad.datasets.cicids2017 import cic_label
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("cicids2017")

# MANIFEST.md, cicids2017/: per-file label counts of the four shared subsets
MANIFEST_COUNTS = {
    NORMAL_CATEGORY: 32_282 + 4_588 + 85 + 5_087,
    "FTP-Patator": 7_938,
    "SSH-Patator": 5_897,
    "Bot": 1_966,
    "Infiltration": 36,
    "Web Attack - Brute Force": 1_507,
    "Web Attack - XSS": 652,
    "Web Attack - Sql Injection": 21,
}
IDENTIFIERS = ("Flow ID", "Source IP", "Source Port", "Destination IP", "Destination Port", "Timestamp", "Protocol")


@pytest.fixture(scope="module")
def cic(shared_data):
    return load("cicids2017")


def test_shared_subsets_give_manifest_rows_and_label_counts(cic):
    assert cic.n_rows == 46_117 + 6_554 + 121 + 7_267
    assert cic.class_balance() == MANIFEST_COUNTS
    assert cic.label.dtype == np.int8
    assert int(cic.label.sum()) == cic.n_rows - MANIFEST_COUNTS[NORMAL_CATEGORY]
    assert cic.dropped_rows == {}
    assert cic.official_split is None


def test_features_are_76_float32_columns_without_identifiers(cic):
    assert cic.features.shape[1] == 76
    assert set(cic.features.dtypes) == {np.dtype("float32")}
    assert cic.categorical_columns == ()
    assert not set(IDENTIFIERS) & set(cic.features.columns)
    assert any("Destination Port" in note for note in cic.notes)


def test_both_layouts_align_to_the_same_columns(shared_data, cic):
    generated = load("cicids2017", files=["web_attacks_balanced*"])  # GeneratedLabelledFlows, 84 columns
    plain = load("cicids2017", files=["Tuesday*"])  # MachineLearningCVE, 78 columns
    assert list(generated.features.columns) == list(plain.features.columns) == list(cic.features.columns)
    assert any("GeneratedLabelledFlows" in note for note in generated.notes)


def test_files_option_picks_a_subset_and_rejects_unknown_names(shared_data):
    tuesday = load("cicids2017", files="Tuesday*")
    assert tuesday.n_rows == 46_117
    assert tuesday.sources[0].role == "day:Tuesday"
    with pytest.raises(NetadInputError, match="Wednesday.*matches nothing.*Tuesday_Working_balanced"):
        locate("cicids2017", files=["Wednesday*"])


def test_official_layout_quirks_are_handled(official_cic_csv, cic_rows):
    path = official_cic_csv()
    ds = load("cicids2017", path, cache=False)
    assert ds.n_rows == len(cic_rows)
    assert "Fwd Header Length" in ds.features.columns
    assert not any(c.endswith(".1") or c != c.strip() for c in ds.features.columns)
    assert any("spaces removed" in note for note in ds.notes)
    assert any("Fwd Header Length.1" in note and "dropped" in note for note in ds.notes)
    expected = np.array([float(row[1]) for row in cic_rows], dtype=np.float32)  # Flow Duration
    np.testing.assert_array_equal(ds.features["Flow Duration"].to_numpy(), expected)


@pytest.mark.parametrize(
    "raw",
    [b"Web Attack \x96 Brute Force", "Web Attack – Brute Force".encode(), "Web Attack â€“ Brute Force".encode()],
    ids=["cp1252", "utf8", "mojibake"],
)
def test_web_attack_dash_in_any_encoding_becomes_one_ascii_label(official_cic_csv, raw):
    ds = load("cicids2017", official_cic_csv(labels=[raw]), cache=False)
    assert ds.attack_category[0] == "Web Attack - Brute Force"
    assert ds.label[0] == 1


def test_label_spellings_are_canonical():
    assert cic_label(b"Infilteration") == "Infiltration"
    assert cic_label(b" BENIGN ") == NORMAL_CATEGORY
    assert cic_label(b"Web Attack \x96 Sql Injection") == "Web Attack - Sql Injection"
    assert cic_label(b"DoS Hulk") == "DoS Hulk"


def test_infinity_and_nan_rows_are_dropped_and_counted_by_default(official_cic_csv):
    edits = {
        (0, "Flow Bytes/s"): b"Infinity",
        (0, "Flow Packets/s"): b"Infinity",
        (1, "Flow Bytes/s"): b"NaN",
        (1, "Flow Packets/s"): b"Infinity",
        (2, "Flow Bytes/s"): b"",
    }
    ds = load("cicids2017", official_cic_csv(edits=edits), cache=False)
    assert ds.dropped_rows == {"NaN or missing numeric value": 2, "Inf numeric value": 1}
    assert np.isfinite(ds.features.to_numpy()).all()
    note = next(n for n in ds.notes if "clean_inf='drop'" in n)
    assert "'Flow Bytes/s': 2 NaN/missing, 1 Inf" in note


def test_clean_inf_clip_and_zero_keep_every_row(official_cic_csv, cic_rows):
    edits = {(0, "Flow Bytes/s"): b"Infinity", (1, "Flow Bytes/s"): b"NaN", (2, "Flow Bytes/s"): b"-Infinity"}
    path = official_cic_csv(edits=edits)
    finite = np.array([float(r[14]) for r in cic_rows[3:]], dtype=np.float32)  # column 14 = Flow Bytes/s
    clipped = load("cicids2017", path, cache=False, clean_inf="clip").features["Flow Bytes/s"].to_numpy()
    assert len(clipped) == len(cic_rows)
    assert clipped[0] == finite.max() and clipped[1] == 0 and clipped[2] == finite.min()
    zeroed = load("cicids2017", path, cache=False, clean_inf="zero")
    assert zeroed.features["Flow Bytes/s"].to_numpy()[:3].tolist() == [0, 0, 0]
    assert zeroed.dropped_rows == {} and any("clean_inf='zero'" in n for n in zeroed.notes)


def test_blank_rows_are_dropped_and_counted_once(official_cic_csv, cic_rows):
    ds = load("cicids2017", official_cic_csv(blank_rows=3), cache=False)
    assert ds.n_rows == len(cic_rows)
    assert ds.dropped_rows == {"blank row (no label)": 3}


def test_non_numeric_feature_value_names_column_count_and_line(official_cic_csv):
    path = official_cic_csv(edits={(4, "Flow Duration"): b"oops", (9, "Flow Duration"): b"oops"})
    with pytest.raises(NetadInputError, match=r"'Flow Duration'.* 2 non-numeric value\(s\) \(e.g. 'oops' on line 6\)"):
        load("cicids2017", path, cache=False)


def test_unknown_clean_inf_value_is_rejected():
    with pytest.raises(NetadInputError, match="clean_inf='nan' is not one of"):
        load("cicids2017", clean_inf="nan")
