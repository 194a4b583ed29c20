"""The fit chain reports what the loader dropped (console and model.json) and saves the loader's Inf/NaN policy with
the model; `netad train -d csv:PATH` takes the csv options of `netad bench`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.datasets import load
from netad.pipeline import Job, cleaning_policy

runner = CliRunner()


@pytest.fixture(scope="module")
def nan_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 real NSL-KDD rows, 15 of them with an empty ``src_bytes`` (NaN)."""
    nsl = load("nsl-kdd-sample")
    frame = nsl.features.iloc[:1500].copy()
    frame["label"] = np.where(nsl.label[:1500] == 1, "attack", "normal")
    frame.loc[np.arange(0, 1500, 100), "src_bytes"] = np.nan
    path = tmp_path_factory.mktemp("nan") / "nan.csv"
    frame.to_csv(path, index=False)
    return path


def test_train_says_which_rows_the_loader_dropped_on_the_console_and_in_model_json(nan_csv, tmp_path):
    command = ["train", "-d", f"csv:{nan_csv}", "--label-column", "label", "--normal-label", "normal",
               "--drop-columns", "num_outbound_cmds", "-m", "iforest", "--param", "n_estimators=20", "-q"]  # fmt: skip
    result = runner.invoke(app, [*command, "-o", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    assert "15 of 1,500 rows dropped while loading (15 NaN or missing numeric value)" in result.stderr
    model = json.loads((tmp_path / "model" / "model.json").read_text())
    provenance = model["metadata"]["provenance"]
    assert provenance["dropped_rows"] == {"NaN or missing numeric value": 15} and provenance["dataset_rows"] == 1485
    assert provenance["non_finite"] == "clip"
    assert any("15 of 1,500 rows dropped" in w for w in model["metadata"]["warnings"])
    assert "num_outbound_cmds" not in model["schema"]["input_columns"]


def test_bench_says_dropped_rows_on_the_console_too(nan_csv, tmp_path):
    command = ["bench", "-d", f"csv:{nan_csv}", "--label-column", "label", "--normal-label", "normal",
               "-m", "iforest", "--seeds", "0", "-q", "-o", str(tmp_path / "run")]  # fmt: skip
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "csv:" in result.stderr and "15 of 1,500 rows dropped while loading" in result.stderr
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert list(config["datasets"].values())[0]["dropped_rows"] == {"NaN or missing numeric value": 15}


@pytest.mark.parametrize(
    ("dataset", "options", "policy"),
    [
        ("cicids2017", {}, "clip"),  # the loader drops Inf/NaN rows: scoring cannot drop, it clips
        ("cicids2017", {"clean_inf": "zero"}, "zero"),
        ("csv:flows.csv", {"clean_inf": "clip"}, "clip"),
        ("nsl-kdd", {}, "error"),  # no such values in its files: none are expected when scoring
    ],
)
def test_the_saved_policy_follows_the_training_loader(dataset, options, policy):
    job = Job(dataset=dataset, protocol="novelty", detector="iforest", seed=0, dataset_options=options)
    assert cleaning_policy(job) == policy
