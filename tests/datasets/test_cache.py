"""The parquet cache: a hit returns identical data and the same cleaning report without parsing, and any
change of file, loader or option misses it."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from netad.datasets import load, sources
from netad.datasets.registry import specs

pytestmark = pytest.mark.needs_data("cicids2017", "nsl-kdd", "nsl-kdd-21")


def _assert_same(a, b):
    pd.testing.assert_frame_equal(a.features, b.features)
    np.testing.assert_array_equal(a.label, b.label)
    assert a.label.dtype == b.label.dtype == np.int8
    np.testing.assert_array_equal(a.attack_category, b.attack_category)
    if a.official_split is None:
        assert b.official_split is None
    else:
        np.testing.assert_array_equal(a.official_split, b.official_split)
    assert a.describe() == b.describe()


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NETAD_CACHE", str(cache))
    return cache


@pytest.fixture
def no_parsing(monkeypatch):
    """Make every reader fail, so a load that succeeds must have come from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("parsed although cached")

    def install(name):
        monkeypatch.setitem(specs(), name, dataclasses.replace(specs()[name], read=refuse))

    return install


def test_second_load_comes_from_parquet_and_is_identical(shared_data, private_cache, no_parsing):
    first = load("nsl-kdd-sample")
    (parquet,) = (private_cache / "datasets").glob("nsl-kdd-sample-*.parquet")
    written = parquet.stat().st_mtime_ns
    no_parsing("nsl-kdd-sample")
    second = load("nsl-kdd-sample")
    _assert_same(first, second)
    assert parquet.stat().st_mtime_ns == written  # read, not rewritten


def test_cleaning_report_survives_the_cache(official_cic_csv, private_cache, no_parsing):
    path = official_cic_csv(edits={(0, "Flow Bytes/s"): b"Infinity", (1, "Flow Bytes/s"): b"NaN"}, blank_rows=2)
    first = load("cicids2017", path)
    assert first.dropped_rows == {"blank row (no label)": 2, "NaN or missing numeric value": 1, "Inf numeric value": 1}
    no_parsing("cicids2017")
    second = load("cicids2017", path)
    _assert_same(first, second)
    assert second.notes == first.notes and second.dropped_rows == first.dropped_rows


def test_cache_false_parses_and_writes_nothing(shared_data, private_cache):
    load("nsl-kdd-sample", cache=False)
    assert not (private_cache / "datasets").exists()


def test_changed_file_misses_the_cache(official_cic_csv, private_cache, cic_rows):
    path = official_cic_csv()
    assert load("cicids2017", path).n_rows == len(cic_rows)
    official_cic_csv(blank_rows=1, labels=[b"Bot"])  # same path, new content
    changed = load("cicids2017", path)
    assert changed.attack_category[0] == "Bot" and changed.dropped_rows == {"blank row (no label)": 1}
    assert len(list((private_cache / "datasets").glob("cicids2017-*.parquet"))) == 2


def test_options_have_their_own_cache_entries(official_cic_csv, private_cache):
    path = official_cic_csv(edits={(0, "Flow Bytes/s"): b"Infinity"})
    dropped, clipped = load("cicids2017", path), load("cicids2017", path, clean_inf="clip")
    assert clipped.n_rows == dropped.n_rows + 1
    assert load("cicids2017", path, clean_inf="clip").n_rows == clipped.n_rows


def test_sha256_index_avoids_rehashing_unchanged_files(official_cic_csv, private_cache, monkeypatch):
    path = official_cic_csv()
    calls = []
    real = sources._hash_file
    monkeypatch.setattr(sources, "_hash_file", lambda p: calls.append(p) or real(p))
    load("cicids2017", path)
    load("cicids2017", path)
    assert calls == [path]
    os.utime(path, ns=(1, 1))  # touched: hashed again, same digest, still a cache hit
    load("cicids2017", path)
    assert len(calls) == 2


def test_moved_files_still_hit_and_report_their_new_path(shared_data, private_cache, tmp_path, no_parsing):
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    shutil.copy(shared_data / "nsl-kdd" / "KDDTest-21.txt.xz", first_dir)
    first = load("nsl-kdd-21", first_dir)
    first_dir.rename(second_dir)
    no_parsing("nsl-kdd-21")
    moved = load("nsl-kdd-21", second_dir)
    assert moved.sources[0].path == str(second_dir / "KDDTest-21.txt.xz")
    assert moved.sources[0].sha256 == first.sources[0].sha256


def test_corrupt_cache_file_is_ignored_and_replaced(shared_data, private_cache, caplog):
    first = load("nsl-kdd-sample")
    (parquet,) = (private_cache / "datasets").glob("*.parquet")
    parquet.write_bytes(b"not parquet")
    with caplog.at_level(logging.WARNING, logger="netad.datasets.cache"):
        again = load("nsl-kdd-sample")
    _assert_same(first, again)
    assert "ignoring unreadable cache file" in caplog.text
    assert parquet.stat().st_size > 1000


def test_loaded_features_are_writable_from_csv_and_from_cache(shared_data, private_cache):
    for _ in range(2):  # parse, then cache hit
        ds = load("nsl-kdd-sample")
        ds.features.loc[0, "src_bytes"] = 1.0
        ds.features["duration"] *= 2
        assert ds.features.loc[0, "src_bytes"] == 1.0


def _save_many(path: str, cache_file: str) -> None:
    from pathlib import Path

    from netad.datasets import cache

    ds = load("nsl-kdd-sample", cache=False)
    for _ in range(5):
        cache.save(ds, Path(cache_file))


def test_concurrent_cache_writers_never_corrupt_the_file(shared_data, private_cache):
    import multiprocessing

    from netad.datasets import cache

    target = private_cache / "datasets" / "nsl.parquet"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_save_many, args=(str(private_cache), str(target))) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
        assert writer.exitcode == 0
    expected = load("nsl-kdd-sample", cache=False)
    _assert_same(cache.load_cached(target, {s.sha256: s.path for s in expected.sources}), expected)
    assert [p.name for p in target.parent.iterdir()] == ["nsl.parquet"]  # no temporary left behind


def test_a_link_planted_at_the_cache_path_is_neither_read_nor_written_through(shared_data, private_cache, caplog):
    from netad.datasets import cache

    first = load("nsl-kdd-sample")
    (entry,) = (private_cache / "datasets").glob("*.parquet")
    victim = private_cache / "victim.parquet"
    victim.write_bytes(b"precious")
    entry.unlink()
    entry.symlink_to(victim)
    with caplog.at_level(logging.WARNING):
        again = load("nsl-kdd-sample")  # parses again: the link is neither read nor replaced through
    _assert_same(again, first)
    assert victim.read_bytes() == b"precious"
    assert cache.load_cached(entry, {}) is None
