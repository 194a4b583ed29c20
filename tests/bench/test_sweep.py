"""Running parameter sweeps: the sweep table (mean ± std over seeds per variant) and its plots, on the embedded
NSL-KDD sample and on UNSW-NB15, and the CLI's one-line config errors."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.bench.sweep import run_sweep
from netad.cli import app

pytestmark = pytest.mark.needs_data("unsw-nb15")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"


def _write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def iforest_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "run"
    config = {
        "name": "iforest_samples", "dataset": "nsl-kdd-sample", "detector": "iforest", "seeds": [0, 1],
        "thresholds": ["p99", "best-f1"], "max_train": 3000, "params": {"n_estimators": 50},
        "grid": {"max_samples": [32, 256]},
    }  # fmt: skip
    return run_sweep(config, out=out, n_jobs=1)


def test_sweep_table_has_one_row_per_variant_and_threshold_with_mean_and_std_over_seeds(iforest_sweep):
    run_dir = iforest_sweep.run_dir
    table = pd.read_csv(run_dir / "sweep.csv")
    assert len(table) == 2 * 2
    assert set(table["max_samples"]) == {32, 256} and set(table["n_seeds"]) == {2}
    results = pd.read_csv(run_dir / "results.csv")
    for _, row in table.iterrows():
        runs = results[(results.variant == row["variant"]) & (results.threshold_strategy == row["threshold_strategy"])]
        assert sorted(runs.seed) == [0, 1]
        assert row["f1_mean"] == pytest.approx(runs.f1.mean())
        assert row["f1_std"] == pytest.approx(runs.f1.std(ddof=1))
        assert row["auroc_mean"] > 0.7  # real traffic: an isolation forest ranks attacks well above chance
    config = json.loads((run_dir / "config.json").read_text())
    assert config["options"]["sweep"]["swept"] == ["max_samples"]
    assert {j["variant"] for j in config["jobs"]} == {"max_samples=32", "max_samples=256"}


def test_sweep_draws_one_metric_plot_per_swept_parameter(iforest_sweep):
    assert [p.name for p in iforest_sweep.plots] == ["max_samples.png"]
    image = matplotlib.image.imread(iforest_sweep.plots[0])
    assert image.shape[0] > 200 and image.shape[1] > 600
    assert image.std() > 0.05  # not a blank canvas


def test_cli_sweep_runs_an_autoencoder_grid_on_unsw_and_prints_mean_and_std(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["sweep", str(EXAMPLES / "ae_bottleneck.toml"), "-o", str(out), "-j", "1", "--set", "seeds=[0,1]",
              "--set", "max_train=3000", "--set", "params.epochs=2", "--set", "grid.bottleneck=[4,16]"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "bottleneck=4" in result.stdout and "±" in result.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["bottleneck"].unique()) == [4, 16]
    assert (table["auroc_mean"] > 0.6).all()
    assert (out / "sweep.toml").exists() and (out / "plots" / "bottleneck.png").exists()


def test_cli_sweep_reports_config_errors_in_one_line(tmp_path):
    path = _write(tmp_path, 'dataset = "unsw-nb15"\ndetector = "autoencoder"\nseed = [0]\n')
    result = CliRunner().invoke(app, ["sweep", str(path)])
    assert result.exit_code == 2
    assert "unknown key(s) ['seed']" in result.output and "Traceback" not in result.output


def test_cli_sweep_dry_run_lists_jobs_without_running(tmp_path):
    result = CliRunner().invoke(app, ["sweep", str(EXAMPLES / "ae_activation.toml"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "15 jobs" in result.stdout and "activation=leaky_relu" in result.stdout
