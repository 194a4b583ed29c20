"""Sweep files: config validation that names the file and key, grid/variant expansion, the shipped seed
experiments, dotted overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from netad.bench.sweep_config import load_config
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
