"""The run directory's writer: atomic files, never written through a link planted in the directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from netad.errors import NetadInputError
from netad.runs import prepare_run_dir, write_scores, write_tables

TABLE = pd.DataFrame({"dataset": ["d"], "detector": ["iforest"], "f1": [0.5]})


def test_overwrite_removes_a_planted_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    victim = tmp_path / "victim.csv"
    victim.write_text("precious")
    (run_dir / "results.csv").symlink_to(victim)
    with pytest.raises(NetadInputError, match="not empty"):
        prepare_run_dir(run_dir, overwrite=False, name_hint="x")
    prepare_run_dir(run_dir, overwrite=True, name_hint="x")
    write_tables(run_dir, TABLE, TABLE, TABLE, {"a": 1})
    assert victim.read_text() == "precious"
    assert not (run_dir / "results.csv").is_symlink()
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "results.csv"), TABLE)
    assert json.loads((run_dir / "config.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "config.json", "per_category.csv", "results.csv", "scores", "summary.csv"
    ]  # fmt: skip


def test_a_link_planted_among_the_scores_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    run_dir = prepare_run_dir(tmp_path / "run", overwrite=False, name_hint="x")
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"precious")
    (run_dir / "scores" / "job.parquet").symlink_to(victim)
    with pytest.raises(NetadInputError, match="job.parquet: is a symbolic link"):
        write_scores(run_dir / "scores", "job", pd.DataFrame({"score": [1.0]}))
    assert victim.read_bytes() == b"precious"
    write_scores(run_dir / "scores", "other", pd.DataFrame({"score": [1.0]}))
    assert pd.read_parquet(run_dir / "scores" / "other.parquet")["score"].tolist() == [1.0]
