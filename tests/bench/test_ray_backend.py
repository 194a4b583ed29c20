"""The Ray backend runs the same jobs as joblib and gives the same results; tests start a local Ray instance.

Data: the embedded NSL-KDD sample (real rows), small training caps so one Ray start dominates the runtime.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.bench import run
from netad.bench.sweep import run_sweep
from netad.cli import app
from netad.errors import NetadInputError

ray = pytest.importorskip("ray")

METRIC_COLUMNS = ["dataset", "detector", "seed", "threshold_strategy", "threshold", "precision", "recall", "f1",
                  "auroc", "auprc", "n_train", "n_test"]  # fmt: skip


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance (1 CPU) shared by the tests of this module; stopped afterwards."""
    ray.init(num_cpus=1, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_ray_backend_reproduces_the_joblib_results_and_writes_the_scores_on_the_driver(tmp_path, local_ray):
    options = {"seeds": [0], "threshold": "p99,best-f1", "max_train": 1500}
    local = run("nsl-kdd-sample", "iforest,pca", out=tmp_path / "joblib", n_jobs=1, **options)
    remote = run("nsl-kdd-sample", "iforest,pca", out=tmp_path / "ray", backend="ray", **options)
    assert not local.errors and not remote.errors
    pd.testing.assert_frame_equal(local.results[METRIC_COLUMNS], remote.results[METRIC_COLUMNS])
    for path in sorted((tmp_path / "joblib" / "scores").glob("*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(tmp_path / "ray" / "scores" / path.name))
    assert len(list((tmp_path / "ray" / "scores").glob("*.parquet"))) == 2


@pytest.mark.slow
def test_ray_backend_without_a_running_instance_starts_and_stops_a_private_one(tmp_path):
    assert not ray.is_initialized()
    result = run("nsl-kdd-sample", "pca,pyod:ECOD", seeds=[0, 1], max_train=1500, out=tmp_path / "run", backend="ray",
                 n_jobs=2)  # fmt: skip
    assert not result.errors and len(result.results) == 4
    assert not ray.is_initialized()


def test_sweep_runs_its_variants_on_ray(tmp_path, local_ray):
    config = {"name": "pca_k", "dataset": "nsl-kdd-sample", "detector": "pca", "seeds": [0], "max_train": 1500,
              "grid": {"n_components": [2, 5]}}  # fmt: skip
    result = run_sweep(config, tmp_path / "sweep", plots=False, backend="ray")
    assert not result.errors
    assert sorted(result.table["variant"]) == ["n_components=2", "n_components=5"]
    assert result.bench.results["auroc"].between(0.5, 1.0).all()


def test_unknown_backend_or_address_without_ray_is_refused_before_any_work(tmp_path):
    with pytest.raises(NetadInputError, match="unknown backend 'dask'"):
        run("nsl-kdd-sample", "pca", seeds=[0], out=tmp_path / "a", backend="dask")
    with pytest.raises(NetadInputError, match="--address.*is for --backend ray"):
        run("nsl-kdd-sample", "pca", seeds=[0], out=tmp_path / "b", address="127.0.0.1:6379")
    result = CliRunner().invoke(app, ["bench", "--detectors", "pca", "--address", "auto", "--out", str(tmp_path / "c")])
    assert result.exit_code != 0
    assert "--backend ray" in result.output
    assert not (tmp_path / "c").exists()
