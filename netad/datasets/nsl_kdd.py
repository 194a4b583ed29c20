"""NSL-KDD (KDDTrain+ / KDDTest+ / KDDTest-21), and the embedded official sample that needs no download."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

from netad.datasets.kddcup99 import finish_kdd
from netad.datasets.sources import find_named, strip_compression
from netad.datasets.spec import DatasetSpec

DOWNLOAD = "https://www.unb.ca/cic/datasets/nsl.html"
TRAIN_SETS = ("KDDTrain+", "KDDTrain+_20Percent")
TEST_SETS = ("KDDTest+", "KDDTest-21")
_NOTES = [
    "NSL-KDD records: 41 KDD features (protocol_type, service, flag categorical); attack_category is the "
    "attack name ('normal' for benign)",
    "the 43rd field, when present (difficulty level: how many of 21 classifiers got the record right), is "
    "not a traffic feature and is dropped",
]


def sample_dir() -> Path:
    """The folder of official NSL-KDD files shipped inside netad (see its README.md)."""
    return Path(str(package_files("netad.datasets").joinpath("sample")))


def _find(folder: Path, options: Mapping[str, Any]) -> list[Path]:
    train = find_named(folder, [options["train_set"] + ".txt"])
    test = find_named(folder, [options.get("test_set", "KDDTest-21") + ".txt"])
    return train + test


def _role(path: Path) -> str:
    stem = strip_compression(path.name)
    stem = stem[:-4] if stem.lower().endswith(".txt") else stem
    if stem in TRAIN_SETS:
        return "train"
    return "test" if stem in TEST_SETS else "data"


def _version(files: list[Path]) -> str:
    return "NSL-KDD (" + "/".join(strip_compression(p.name).removesuffix(".txt") for p in files) + ")"


def _reader(name: str, extra_notes: tuple[str, ...] = ()):
    def read(files: list[Path], options: Mapping[str, Any], digests: Mapping[Path, str]) -> Any:
        return finish_kdd(
            name=name,
            parts=[(p, _role(p)) for p in files],
            digests=digests,
            version=_version(files),
            notes=[*_NOTES, *extra_notes],
            extra=("difficulty",),
        )

    return read


_EXPECTED = "KDDTrain+.txt and/or KDDTest+.txt (or KDDTest-21.txt, KDDTrain+_20Percent.txt), plain or .gz/.xz"

SPECS = (
    DatasetSpec(
        name="nsl-kdd",
        description="NSL-KDD: KDDTrain+ (train) and KDDTest+ (test), 41 KDD features",
        title="NSL-KDD",
        data_dir="nsl-kdd",
        download=DOWNLOAD,
        expected=_EXPECTED,
        find=_find,
        read=_reader("nsl-kdd"),
        version="nsl-kdd/1",
        options={"train_set": "KDDTrain+", "test_set": "KDDTest+"},
        choices={"train_set": TRAIN_SETS, "test_set": TEST_SETS},
    ),
    DatasetSpec(
        name="nsl-kdd-21",
        description="NSL-KDD with the harder KDDTest-21 test set (records fewer than 21 learners got right)",
        title="NSL-KDD",
        data_dir="nsl-kdd",
        download=DOWNLOAD,
        expected=_EXPECTED,
        find=_find,
        read=_reader("nsl-kdd-21"),
        version="nsl-kdd/1",
        options={"train_set": "KDDTrain+"},
        choices={"train_set": TRAIN_SETS},
    ),
    DatasetSpec(
        name="nsl-kdd-sample",
        description="embedded NSL-KDD: official KDDTrain+_20Percent (train) + full KDDTest+ (test), no download",
        title="NSL-KDD sample",
        data_dir="nsl-kdd",
        download=DOWNLOAD,
        expected="KDDTrain+_20Percent.txt.xz and KDDTest+.txt.xz inside netad/datasets/sample/",
        find=lambda folder, options: find_named(folder, ["KDDTrain+_20Percent.txt", "KDDTest+.txt"]),
        read=_reader(
            "nsl-kdd-sample",
            (
                "embedded sample shipped with netad: the official 20% training subset (KDDTrain+_20Percent, "
                "25,192 rows) as train and the full official KDDTest+ (22,544 rows) as test, byte-identical "
                "to the UNB files",
            ),
        ),
        version="nsl-kdd/1",
        builtin=sample_dir,
    ),
)
