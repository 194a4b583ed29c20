"""UNSW-NB15: partitions identified by content, not by their (swapped) file names; BOM, blanks and
label/attack_cat disagreements handled and reported."""

from __future__ import annotations

import lzma

import numpy as np
import pytest

from netad.datasets import NORMAL_CATEGORY, load
from netad.datasets.unsw_nb15 import CATEGORICAL, identify_partitions
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("unsw-nb15")

SHARED = "UNSW_NB15_training-set.csv.xz"  # holds the 82,332-row official *testing* partition (MANIFEST.md)
MANIFEST_COUNTS = {
    NORMAL_CATEGORY: 37_000, "Generic": 18_871, "Exploits": 11_132, "Fuzzers": 6_062, "DoS": 4_089,
    "Reconnaissance": 3_496, "Analysis": 677, "Backdoor": 583, "Shellcode": 378, "Worms": 44,
}  # fmt: skip


@pytest.fixture(scope="module")
def unsw(shared_data):
    return load("unsw-nb15")


@pytest.fixture(scope="module")
def unsw_lines(shared_data):
    return lzma.decompress((shared_data / "unsw-nb15" / SHARED).read_bytes()).split(b"\r\n")


def test_shared_file_is_identified_as_the_official_testing_partition(unsw):
    assert unsw.n_rows == 82_332
    assert unsw.sources[0].role == "test"
    assert unsw.official_split is None  # one partition only
    assert any("official testing partition" in n and "names are swapped" in n for n in unsw.notes)
    assert unsw.version == "UNSW-NB15 (testing)"


def test_categories_match_the_manifest_and_agree_with_label(unsw):
    assert unsw.class_balance() == MANIFEST_COUNTS
    assert int(unsw.label.sum()) == 45_332
    assert unsw.dropped_rows == {}
    assert any("label agrees with attack_cat on every row" in n for n in unsw.notes)


def test_42_features_bom_stripped_and_id_dropped(unsw):
    columns = list(unsw.features.columns)
    assert len(columns) == 42 and columns[0] == "dur"
    assert not any("\ufeff" in c or c in ("id", "label", "attack_cat") for c in columns)
    assert unsw.categorical_columns == CATEGORICAL
    assert set(unsw.features[list(unsw.numeric_columns)].dtypes) == {np.dtype("float32")}
    assert "-" in set(unsw.features["service"])  # "no service" kept as a category


def test_content_wins_over_a_correct_name(shared_data, tmp_path):
    (tmp_path / "UNSW_NB15_testing-set.csv.xz").symlink_to(shared_data / "unsw-nb15" / SHARED)
    ds = load("unsw-nb15", tmp_path, cache=False)
    assert ds.sources[0].role == "test"
    assert not any("swapped" in n for n in ds.notes)


def test_two_truncated_partitions_are_told_apart_by_size(unsw_lines, tmp_path):
    header, rows = unsw_lines[0], [r for r in unsw_lines[1:] if r]
    (tmp_path / "UNSW_NB15_training-set.csv").write_bytes(b"\r\n".join([header, *rows[:300]]) + b"\r\n")
    (tmp_path / "UNSW_NB15_testing-set.csv").write_bytes(b"\r\n".join([header, *rows[-700:]]) + b"\r\n")
    ds = load("unsw-nb15", tmp_path, cache=False)
    assert ds.describe()["official_split"] == {"train": 700, "test": 300}
    assert any("relative size" in n for n in ds.notes)


def test_partition_rule():
    assert identify_partitions([82_332, 175_341])[0] == ["test", "train"]
    assert identify_partitions([175_341, 1_000])[0] == ["train", "test"]
    assert identify_partitions([5_000])[0] == [None]
    assert identify_partitions([900, 1_000])[0] == ["test", "train"]


def test_same_partition_twice_is_an_error(shared_data, tmp_path):
    for name in ("UNSW_NB15_training-set.csv.xz", "UNSW_NB15_testing-set.csv.xz"):
        (tmp_path / name).symlink_to(shared_data / "unsw-nb15" / SHARED)
    with pytest.raises(NetadInputError, match="both hold the official testing partition"):
        load("unsw-nb15", tmp_path, cache=False)


def test_blank_attack_cat_and_disagreeing_rows(unsw_lines, tmp_path):
    header, rows = unsw_lines[0], [r for r in unsw_lines[1:] if r]
    normal = rows[0].rsplit(b",", 2)[0]  # the record without attack_cat,label
    edited = [
        normal + b", Normal ,0",
        normal + b",,0",  # blank attack_cat on a normal row: fine
        normal + b",Exploits ,1",
        normal + b",Normal,1",  # disagreement
        normal + b",DoS,0",  # disagreement
    ]
    path = tmp_path / "UNSW_NB15_training-set.csv"
    path.write_bytes(b"\r\n".join([header, *edited]) + b"\r\n")
    ds = load("unsw-nb15", path, cache=False)
    assert ds.attack_category.tolist() == [NORMAL_CATEGORY, NORMAL_CATEGORY, "Exploits"]
    assert ds.label.tolist() == [0, 0, 1]
    assert ds.dropped_rows == {"label disagrees with attack_cat": 2}
    assert ds.official_split is None and any("partition unknown" in n for n in ds.notes)
