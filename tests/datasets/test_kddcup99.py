"""KDD Cup 99: the raw 10% file with MANIFEST counts, an official test file when present, and the DAGMM
118-feature copy with its label semantics made explicit."""

from __future__ import annotations

import gzip
import lzma

import numpy as np
import pytest

from netad.datasets import NORMAL_CATEGORY, load
from netad.datasets.kddcup99 import KDD_CATEGORICAL, KDD_FEATURES

pytestmark = pytest.mark.needs_data("kddcup99", "kddcup99-dagmm")

ROWS, NORMAL, SMURF, NEPTUNE = 494_021, 97_278, 280_790, 107_201  # MANIFEST.md, kddcup99/


@pytest.fixture(scope="module")
def kdd(shared_data):
    return load("kddcup99")


def test_raw_10_percent_file_has_manifest_rows_and_23_labels(kdd):
    balance = kdd.class_balance()
    assert kdd.n_rows == ROWS and len(balance) == 23
    assert (balance["smurf"], balance["neptune"], balance[NORMAL_CATEGORY]) == (SMURF, NEPTUNE, NORMAL)
    assert not any(name.endswith(".") for name in balance)
    assert int(kdd.label.sum()) == ROWS - NORMAL
    assert kdd.official_split is None and kdd.dropped_rows == {}


def test_raw_file_has_the_41_named_kdd_features(kdd):
    assert list(kdd.features.columns) == KDD_FEATURES and len(KDD_FEATURES) == 41
    assert kdd.categorical_columns == KDD_CATEGORICAL
    assert set(kdd.features[list(kdd.numeric_columns)].dtypes) == {np.dtype("float32")}
    assert kdd.features["src_bytes"].max() > 1e6  # raw, unscaled byte counts


@pytest.fixture(scope="module")
def first_lines(shared_data):
    """The first 2,000 records of the raw 10% file."""
    return lzma.decompress((shared_data / "kddcup99" / "kddcup.data_10_percent.xz").read_bytes()).split(b"\n")[:2000]


def test_corrected_test_file_gives_the_official_split(first_lines, tmp_path):
    (tmp_path / "kddcup.data_10_percent").write_bytes(b"\n".join(first_lines) + b"\n")
    test_lines = [line.rsplit(b",", 1)[0] + b",apache2." for line in first_lines[:100]] + first_lines[100:300]
    (tmp_path / "corrected.gz").write_bytes(gzip.compress(b"\n".join(test_lines) + b"\n"))
    ds = load("kddcup99", tmp_path, cache=False)
    assert ds.describe()["official_split"] == {"train": 2_000, "test": 300}
    test_rows = ds.official_split == "test"
    assert (ds.attack_category[test_rows] == "apache2").sum() == 100
    assert [s.role for s in ds.sources] == ["train", "test"]


def test_full_variant_falls_back_to_the_10_percent_file_with_a_note(first_lines, tmp_path):
    (tmp_path / "kddcup.data_10_percent").write_bytes(b"\n".join(first_lines) + b"\n")
    ds = load("kddcup99", tmp_path, variant="full", cache=False)
    assert ds.n_rows == 2_000
    assert any("variant='full' not found" in note for note in ds.notes)
    (tmp_path / "kddcup.data").write_bytes(b"\n".join(first_lines[:500]) + b"\n")
    assert load("kddcup99", tmp_path, variant="full", cache=False).n_rows == 500
    assert load("kddcup99", tmp_path, cache=False).n_rows == 2_000


def test_header_line_is_recognised_and_skipped(first_lines, tmp_path):
    header = ",".join([*KDD_FEATURES, "label"]).encode()
    path = tmp_path / "kddcup.data_10_percent"
    path.write_bytes(b"\n".join([header, *first_lines[:50]]) + b"\n")
    ds = load("kddcup99", path, cache=False)
    assert ds.n_rows == 50 and any("header line skipped" in note for note in ds.notes)


def test_dagmm_copy_keeps_netad_label_semantics(shared_data, kdd):
    dagmm = load("kddcup99-dagmm")
    assert dagmm.features.shape == (ROWS, 118)
    assert set(dagmm.features.dtypes) == {np.dtype("float32")}
    # file label 1 = KDD "normal"; netad label 1 = attack, so the counts match the raw file's
    assert int((dagmm.label == 0).sum()) == NORMAL == int((kdd.label == 0).sum())
    assert dagmm.class_balance() == {"attack": ROWS - NORMAL, NORMAL_CATEGORY: NORMAL}
    assert any("DAGMM protocol flips" in note for note in dagmm.notes)
