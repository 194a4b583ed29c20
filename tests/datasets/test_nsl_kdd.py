"""NSL-KDD: official partitions with MANIFEST counts, the KDDTest-21 variants, and the embedded sample that
works with no data folder at all."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from netad.datasets import NORMAL_CATEGORY, load, locate
from netad.datasets.kddcup99 import KDD_CATEGORICAL, KDD_FEATURES
from netad.datasets.nsl_kdd import sample_dir
from netad.datasets.sources import file_sha256

pytestmark = pytest.mark.needs_data("nsl-kdd", "nsl-kdd-21", "nsl-kdd/KDDTrain+_20Percent.txt.xz")

# MANIFEST.md, nsl-kdd/
TRAIN_ROWS, TEST_ROWS, TEST21_ROWS, TRAIN20_ROWS = 125_973, 22_544, 11_850, 25_192
NEVER_IN_TRAIN = {
    "apache2", "httptunnel", "mailbomb", "mscan", "named", "processtable", "ps", "saint", "sendmail",
    "snmpgetattack", "snmpguess", "sqlattack", "udpstorm", "worm", "xlock", "xsnoop", "xterm",
}  # fmt: skip


@pytest.fixture(scope="module")
def nsl(shared_data):
    return load("nsl-kdd")


def _counts(ds, split):
    rows = ds.official_split == split
    return rows.sum(), (ds.attack_category[rows] == NORMAL_CATEGORY).sum()


def test_official_partitions_have_manifest_rows_and_normal_counts(nsl):
    assert _counts(nsl, "train") == (TRAIN_ROWS, 67_343)
    assert _counts(nsl, "test") == (TEST_ROWS, 9_711)
    assert nsl.n_rows == TRAIN_ROWS + TEST_ROWS
    assert [s.role for s in nsl.sources] == ["train", "test"]
    assert nsl.version == "NSL-KDD (KDDTrain+/KDDTest+)"


def test_41_kdd_features_three_categorical_rest_float32(nsl):
    assert list(nsl.features.columns) == KDD_FEATURES
    assert nsl.categorical_columns == KDD_CATEGORICAL
    numeric = nsl.features[list(nsl.numeric_columns)]
    assert set(numeric.dtypes) == {np.dtype("float32")} and numeric.shape[1] == 38
    assert set(nsl.features["protocol_type"]) == {"tcp", "udp", "icmp"}
    assert "difficulty" not in nsl.features.columns


def test_attack_names_have_no_trailing_dots_and_17_appear_only_in_test(nsl):
    train = set(nsl.attack_category[nsl.official_split == "train"])
    test = set(nsl.attack_category[nsl.official_split == "test"])
    assert len(train - {NORMAL_CATEGORY}) == 22 and len(test - {NORMAL_CATEGORY}) == 37
    assert test - train == NEVER_IN_TRAIN
    assert not any(c.endswith(".") for c in train | test)
    np.testing.assert_array_equal(nsl.label, (nsl.attack_category != NORMAL_CATEGORY).astype(np.int8))


def test_kddtest21_by_option_and_by_name_are_the_same(shared_data):
    by_option = load("nsl-kdd", test_set="KDDTest-21")
    by_name = load("nsl-kdd-21")
    assert _counts(by_name, "test") == (TEST21_ROWS, 2_152)
    pd.testing.assert_frame_equal(by_option.features, by_name.features)
    np.testing.assert_array_equal(by_option.official_split, by_name.official_split)


def test_one_partition_only_has_no_official_split(shared_data):
    ds = load("nsl-kdd", shared_data / "nsl-kdd" / "KDDTest+.txt.xz")
    assert ds.n_rows == TEST_ROWS and ds.official_split is None
    assert ds.sources[0].role == "test"
    assert any("one partition only" in note for note in ds.notes)


def test_sample_is_byte_identical_to_the_official_files(shared_data):
    shipped = {p.name for p in sample_dir().iterdir() if p.name.endswith(".xz")}
    assert shipped == {"KDDTrain+_20Percent.txt.xz", "KDDTest+.txt.xz"}
    for name in shipped:
        assert file_sha256(sample_dir() / name) == file_sha256(shared_data / "nsl-kdd" / name)


def test_sample_loads_on_a_machine_without_data(monkeypatch, tmp_path):
    monkeypatch.delenv("NETAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    ds = load("nsl-kdd-sample", cache=False)
    assert _counts(ds, "train") == (TRAIN20_ROWS, 13_449)
    assert _counts(ds, "test") == (TEST_ROWS, 9_711)
    assert all(str(sample_dir()) in s.path for s in ds.sources)
    assert any("20% training subset" in note for note in ds.notes)


def test_sample_equals_the_20_percent_train_set_of_the_full_data(shared_data):
    sample = load("nsl-kdd-sample")
    full = load("nsl-kdd", train_set="KDDTrain+_20Percent")
    pd.testing.assert_frame_equal(sample.features, full.features)
    np.testing.assert_array_equal(sample.attack_category, full.attack_category)


def test_plain_copy_is_preferred_over_compressed_and_gives_the_same_rows(shared_data, tmp_path):
    import lzma

    shutil.copy(shared_data / "nsl-kdd" / "KDDTest-21.txt.xz", tmp_path / "KDDTest-21.txt.xz")
    (tmp_path / "KDDTest-21.txt").write_bytes(lzma.decompress((tmp_path / "KDDTest-21.txt.xz").read_bytes()))
    (found,) = locate("nsl-kdd-21", tmp_path)
    assert found.name == "KDDTest-21.txt"
    plain, packed = load("nsl-kdd-21", found), load("nsl-kdd-21", tmp_path / "KDDTest-21.txt.xz")
    pd.testing.assert_frame_equal(plain.features, packed.features)
    assert plain.sources[0].sha256 != packed.sources[0].sha256  # the hash is of the bytes as stored


def test_gzip_copy_reads_the_same(shared_data, tmp_path):
    import gzip
    import lzma

    raw = lzma.decompress((shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").read_bytes())
    (tmp_path / "KDDTest-21.txt.gz").write_bytes(gzip.compress(raw))
    packed = load("nsl-kdd-21", tmp_path, cache=False)
    assert packed.n_rows == TEST21_ROWS
    assert packed.class_balance() == load("nsl-kdd-21", shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").class_balance()
