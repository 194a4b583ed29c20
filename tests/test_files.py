"""netad.files: atomic outputs that never follow a link nor replace a file unasked, and model reads kept inside."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from netad.errors import NetadInputError
from netad.files import atomic_open, atomic_path, regular_file_inside, write_bytes, write_text


def test_write_creates_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = write_text(tmp_path / "out.json", '{"a": 1}')
    assert target.read_text() == '{"a": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("mine")
    with pytest.raises(NetadInputError, match="exists; pass --overwrite"):
        write_text(target, "theirs")
    assert target.read_text() == "mine"
    write_text(target, "theirs", overwrite=True)
    assert target.read_text() == "theirs"


def test_link_at_target_is_refused_and_victim_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "out.parquet"
    link.symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(NetadInputError, match="symbolic link"):
            write_bytes(link, b"data", overwrite=overwrite)
    assert victim.read_text() == "precious"


def test_planted_partial_link_is_never_opened(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for name in ("out.bin.partial", ".out.bin.partial"):
        (tmp_path / name).symlink_to(victim)
    write_bytes(tmp_path / "out.bin", b"data")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.bin").read_bytes() == b"data"


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "out.csv", "w") as f:
        f.write("half")
        raise RuntimeError("writer died")
    assert list(tmp_path.iterdir()) == []


def test_directory_target_and_missing_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NetadInputError, match="is a directory"):
        write_text(tmp_path, "x", overwrite=True)
    with pytest.raises(NetadInputError, match="does not exist"):
        write_text(tmp_path / "nope" / "out.txt", "x")


def test_target_appearing_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(NetadInputError, match="exists"), atomic_path(target) as temporary:
        temporary.write_text("late")
        target.write_text("someone else's")
    assert target.read_text() == "someone else's"


def _write_many(path: str, byte: int) -> None:
    for _ in range(20):
        write_bytes(path, bytes([byte]) * 200_000, overwrite=True)


def test_concurrent_writers_never_mix(tmp_path: Path) -> None:
    target = tmp_path / "same.bin"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(target), b)) for b in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    data = target.read_bytes()
    assert len(data) == 200_000 and len(set(data)) == 1  # one writer's whole file, never a blend
    assert [p.name for p in tmp_path.iterdir()] == ["same.bin"]


def test_reads_stay_inside_the_directory(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "detector.json").write_text("{}")
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (model / "linked.json").symlink_to(outside)
    os.mkdir(model / "folder")
    assert regular_file_inside(model, "detector.json") == model / "detector.json"
    for name, problem in (
        ("linked.json", "symbolic link"),
        ("folder", "not a regular file"),
        ("../outside.json", "not a plain name"),
        ("missing.json", "is missing"),
    ):
        with pytest.raises(NetadInputError, match=problem):
            regular_file_inside(model, name)
