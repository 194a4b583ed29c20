"""Real CIC-IDS-2017 flows in the official layout, with the Infinity/NaN the official day files hold on zero-duration
flows: a model trained through the loader scores them with its saved cleaning, counts and marks them, never drops.

The shared Tuesday subset stores those cells as -1 (its preparer replaced them); the test restores what the official
MachineLearningCVE files hold there (``Flow Packets/s`` = ``Infinity``; ``Flow Bytes/s`` = ``Infinity``, or ``NaN``
when the flow carried no payload bytes) and writes the official header (leading spaces, ``Fwd Header Length`` twice).
"""

from __future__ import annotations

import lzma
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.persist import load_model
from netad.pipeline import Job, train_model
from netad.score import read_scores, score_file

pytestmark = pytest.mark.needs_data("cicids2017")
TUESDAY = "cicids2017/Tuesday_Working_balanced.csv.xz"
runner = CliRunner()


@pytest.fixture(scope="module")
def tuesday(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / TUESDAY, low_memory=False)


@pytest.fixture(scope="module")
def model(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    job = Job(dataset="cicids2017", protocol="novelty", detector="pca", seed=0, params={"n_components": 8},
              dataset_path=str(shared_data / TUESDAY), max_train=4000)  # fmt: skip
    return train_model(job, tmp_path_factory.mktemp("cic") / "pca").path


@pytest.fixture(scope="module")
def official_slice(tuesday: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """2,000 real rows (every zero-duration flow among them) as an official day file; returns (path, Inf/NaN rows)."""
    zero = np.flatnonzero(tuesday["Flow Duration"].to_numpy() == 0)
    others = np.random.default_rng(0).choice(np.setdiff1d(np.arange(len(tuesday)), zero), 2000 - len(zero), False)
    rows = tuesday.iloc[np.sort(np.concatenate([zero, others]))].reset_index(drop=True).astype(object)
    zero_duration = rows["Flow Duration"].to_numpy() == 0
    payload = (rows["Total Length of Fwd Packets"] + rows["Total Length of Bwd Packets"]).to_numpy() > 0
    rows.loc[zero_duration, "Flow Packets/s"] = "Infinity"
    rows.loc[zero_duration & payload, "Flow Bytes/s"] = "Infinity"
    rows.loc[zero_duration & ~payload, "Flow Bytes/s"] = "NaN"
    rows.insert(rows.columns.get_loc("Fwd Header Length") + 1, "Fwd Header Length.1", rows["Fwd Header Length"])
    header = [f" {c}" if i else c for i, c in enumerate(rows.columns)]
    header[header.index(" Fwd Header Length.1")] = " Fwd Header Length"
    path = tmp_path_factory.mktemp("official") / "Tuesday-WorkingHours.pcap_ISCX.csv.xz"
    with lzma.open(path, "wt", newline="") as f:
        f.write(",".join(header) + "\r\n")
        rows.to_csv(f, header=False, index=False, lineterminator="\r\n")
    assert zero_duration.sum() >= 20  # the slice really holds such flows
    return path, np.flatnonzero(zero_duration)


def test_the_model_saves_the_loaders_cleaning_as_fill_values(model):
    preprocessor = load_model(model).preprocessor
    assert preprocessor.non_finite == "clip"  # the cicids2017 loader's clean_inf="drop" -> clip when scoring
    j = preprocessor.numeric_columns_.index("Flow Bytes/s")
    assert preprocessor.posinf_fill_[j] > 1e6 and preprocessor.nan_fill_[j] == 0


def test_official_rows_with_infinity_are_scored_counted_and_marked(model, official_slice, tmp_path):
    path, bad_rows = official_slice
    out = tmp_path / "scores.parquet"
    report = score_file(model, path, out, chunk_rows=700)
    scores = read_scores(out)
    assert report.rows_read == report.rows_scored == len(scores) == 2000 and report.rows_skipped == 0
    assert report.rows_cleaned == len(bad_rows) and report.cleaning == "clip"
    assert report.non_finite_by_column["Flow Packets/s"] == len(bad_rows)
    np.testing.assert_array_equal(np.flatnonzero(scores["non_finite"]), bad_rows)
    assert np.isfinite(scores["score"]).all()
    assert any("Fwd Header Length" in note and "twice" in note for note in report.notes)

    # the cleaned rows score exactly as the same rows with Inf -> training max and NaN -> 0 written in by hand
    loaded = load_model(model)
    pre = loaded.preprocessor
    frame = pd.read_csv(path, skipinitialspace=True).rename(columns=str.strip)[loaded.schema.input_columns]
    for name in ("Flow Bytes/s", "Flow Packets/s"):
        j = pre.numeric_columns_.index(name)
        values = frame[name].astype(np.float32)
        frame[name] = values.replace([np.inf], pre.posinf_fill_[j]).fillna(pre.nan_fill_[j])
    expected = loaded.detector.decision_function(pre.transform(frame.astype(np.float32)))
    np.testing.assert_allclose(scores["score"], expected, rtol=1e-5, atol=1e-6)


def test_skip_and_error_stay_explicit_choices(model, official_slice, tmp_path):
    path, bad_rows = official_slice
    result = runner.invoke(app, ["score", str(model), str(path), "-o", str(tmp_path / "s.parquet"),
                                 "--on-bad-rows", "skip"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"skipped {len(bad_rows):,} row(s)" in result.stderr
    assert len(read_scores(tmp_path / "s.parquet")) == 2000 - len(bad_rows)
    result = runner.invoke(app, ["score", str(model), str(path), "-o", str(tmp_path / "e.parquet"),
                                 "--on-bad-rows", "error"])  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert "'Flow Packets/s'" in lines[0] and "--on-bad-rows" in lines[0]
    assert not (tmp_path / "e.parquet").exists()


def test_the_cli_says_how_many_rows_it_cleaned(model, official_slice, tmp_path):
    path, bad_rows = official_slice
    result = runner.invoke(app, ["score", str(model), str(path), "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0, result.output
    assert f"cleaned {len(bad_rows):,} row(s)" in result.stderr and "non_finite=1" in result.stderr
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert len(lines) == 2000 and '"non_finite":1' in lines[int(bad_rows[0])]
