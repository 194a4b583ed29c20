"""Parameter sweeps: config validation that names the file and key, grid/variant expansion, the sweep table
(mean ± std over seeds per variant) and its plots, on the embedded NSL-KDD sample and on UNSW-NB15."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.bench.sweep import load_config, run_sweep
from netad.cli import app
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("unsw-nb15")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"
SEED_EXPERIMENTS = ["ae_depth", "ae_bottleneck", "ae_activation", "ae_loss", "ae_optimizer", "ae_threshold"]


def _write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_grid_expands_to_the_cartesian_product_with_labelled_variants():
    config = load_config(
        {"dataset": "unsw-nb15", "detector": "autoencoder", "seeds": [0, 1], "params": {"epochs": 3},
         "grid": {"bottleneck": [4, 8], "activation": ["tanh", "relu", "elu"]}}
    )  # fmt: skip
    labels = [v.label for v in config.variants]
    assert len(labels) == 6 and len(set(labels)) == 6
    assert "bottleneck=8,activation=relu" in labels
    jobs = config.jobs()
    assert len(jobs) == 6 * 2
    job = next(j for j in jobs if j.variant == "bottleneck=8,activation=relu")
    assert job.params == {"epochs": 3, "bottleneck": 8, "activation": "relu"}
    assert config.swept == ["bottleneck", "activation"]


def test_named_variants_cross_the_grid_and_keep_their_names():
    config = load_config(
        {"dataset": "unsw-nb15", "detector": "autoencoder", "seeds": [0],
         "variants": [{"name": "shallow", "hidden": [32]}, {"name": "deep", "hidden": [128, 64, 32]}],
         "grid": {"bottleneck": [8, 16]}}
    )  # fmt: skip
    assert [v.label for v in config.variants] == [
        "shallow,bottleneck=8", "shallow,bottleneck=16", "deep,bottleneck=8", "deep,bottleneck=16",
    ]  # fmt: skip
    assert config.swept == ["variants", "bottleneck"]
    assert config.variants[2].params == {"hidden": [128, 64, 32], "bottleneck": 8}


def test_preprocessing_options_apply_to_every_job_and_can_be_swept(tmp_path):
    path = _write(
        tmp_path,
        'dataset = "unsw-nb15"\ndetector = "pca"\nseeds = [0]\n[preprocess]\nscaler = "robust"\n'
        "[grid]\npreprocess.log1p = [false, true]\nn_components = [0.9]\n",
    )
    config = load_config(path)
    assert config.swept == ["preprocess.log1p", "n_components"]
    assert [job.preprocess for job in config.jobs()] == [
        {"scaler": "robust", "log1p": False}, {"scaler": "robust", "log1p": True},
    ]  # fmt: skip
    assert all(job.params == {"n_components": 0.9} for job in config.jobs())
    with pytest.raises(NetadInputError, match=r"b\.toml: \[preprocess\] key 'log' is not a preprocessing option"):
        load_config(_write(tmp_path, 'dataset = "unsw-nb15"\ndetector = "pca"\n[preprocess]\nlog = true\n', "b.toml"))


def test_a_file_without_grid_or_variants_is_one_variant_over_several_thresholds():
    config = load_config(EXAMPLES / "ae_threshold.toml")
    assert len(config.variants) == 1
    assert len(config.thresholds) >= 3 and "best-f1" in config.thresholds
    assert len(config.jobs()) == len(config.seeds)


@pytest.mark.parametrize("name", SEED_EXPERIMENTS)
def test_the_seed_experiments_ship_as_valid_unsw_novelty_configs(name):
    config = load_config(EXAMPLES / f"{name}.toml")
    assert config.datasets == ["unsw-nb15"] and config.protocol == "novelty" and config.seeds == [0, 1, 2]
    assert config.detectors == ["autoencoder"] and config.max_train is not None
    assert all(v.params or name == "ae_threshold" for v in config.variants)


def test_unknown_top_level_key_names_the_file_and_the_key(tmp_path):
    path = _write(tmp_path, 'dataset = "unsw-nb15"\ndetector = "autoencoder"\n[gird]\nbottleneck = [4, 8]\n')
    with pytest.raises(NetadInputError, match=r"sweep\.toml.*'gird'"):
        load_config(path)


def test_unknown_detector_parameter_names_the_section_and_the_key(tmp_path):
    path = _write(tmp_path, 'dataset = "unsw-nb15"\ndetector = "autoencoder"\n[grid]\nbottlenek = [4, 8]\n')
    with pytest.raises(NetadInputError, match=r"sweep\.toml: \[grid\] key 'bottlenek' is not a parameter"):
        load_config(path)


@pytest.mark.parametrize("grid", ["[grid]\n", "[grid]\nbottleneck = []\n"])
def test_empty_grid_is_rejected(tmp_path, grid):
    path = _write(tmp_path, f'dataset = "unsw-nb15"\ndetector = "autoencoder"\n{grid}')
    with pytest.raises(NetadInputError, match=r"sweep\.toml: \[grid\].*empty"):
        load_config(path)


def test_an_invalid_parameter_value_fails_before_anything_runs(tmp_path):
    path = _write(tmp_path, 'dataset = "unsw-nb15"\ndetector = "autoencoder"\n[grid]\nactivation = ["tanh", "swish"]\n')
    with pytest.raises(NetadInputError, match=r"variant 'activation=swish'.*swish"):
        load_config(path)


def test_invalid_toml_names_the_file(tmp_path):
    path = _write(tmp_path, 'dataset = "unsw-nb15\n')
    with pytest.raises(NetadInputError, match=r"sweep\.toml: not valid TOML"):
        load_config(path)


def test_overrides_replace_dotted_settings():
    config = load_config(EXAMPLES / "ae_bottleneck.toml", {"seeds": [0], "params.epochs": 2, "grid.bottleneck": [4]})
    assert config.seeds == [0] and [v.label for v in config.variants] == ["bottleneck=4"]
    assert config.jobs()[0].params["epochs"] == 2


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
