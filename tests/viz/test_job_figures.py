"""Run-directory figures from a real benchmark run on the embedded NSL-KDD sample."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from netad.bench import run
from netad.errors import NetadInputError
from netad.viz.job_figures import write_figures
from netad.viz.scores import uses_log_x

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "bench"
    result = run("nsl-kdd-sample", "iforest,pca", seeds=[0], threshold="p95,oracle", out=out, max_train=3000, n_jobs=1)
    assert not result.errors
    return result.run_dir


@pytest.fixture(scope="module")
def figures(run_dir):
    return write_figures(run_dir)


def test_one_png_per_saved_score_file_with_sensible_size(run_dir, figures):
    from matplotlib.image import imread

    score_files = sorted((run_dir / "scores").glob("*.parquet"))
    assert [f.job for f in figures] == [p.stem for p in score_files]
    for figure in figures:
        assert figure.path.parent == run_dir / "figures" and figure.path.suffix == ".png"
        image = imread(figure.path)
        height, width = image.shape[:2]
        assert 300 <= height <= 1000 and 1000 <= width <= 2500
        assert width > 2.5 * height, "three panels side by side"
        assert image[..., :3].std() > 0.05, "not a blank image"


def test_histogram_threshold_is_the_first_strategy_of_results_csv(run_dir, figures):
    results = pd.read_csv(run_dir / "results.csv")
    for figure in figures:
        detector = figure.job.split("__")[2]
        rows = results[(results.detector == detector) & (results.seed == 0)]
        first = rows.iloc[0]
        assert first["threshold_strategy"] == "p95"
        assert figure.threshold_strategy == "p95"
        assert figure.threshold == pytest.approx(first["threshold"], rel=1e-12)
        oracle = rows[rows.threshold_strategy == "oracle"].iloc[0]
        assert figure.threshold != pytest.approx(oracle["threshold"], rel=1e-9)


def test_histogram_draws_a_line_for_every_threshold_strategy_of_the_job(run_dir, figures):
    results = pd.read_csv(run_dir / "results.csv")
    for figure in figures:
        rows = results[(results.detector == figure.job.split("__")[2]) & (results.seed == 0)]
        assert [s for s, _ in figure.thresholds] == ["p95", "oracle"] == rows["threshold_strategy"].tolist()
        np.testing.assert_allclose([t for _, t in figure.thresholds], rows["threshold"], rtol=1e-12)


def test_curves_report_the_areas_of_the_saved_scores(run_dir, figures):
    results = pd.read_csv(run_dir / "results.csv")
    for figure in figures:
        scores = pd.read_parquet(run_dir / "scores" / f"{figure.job}.parquet")
        assert figure.auroc == pytest.approx(roc_auc_score(scores["label"], scores["score"]), abs=1e-9)
        assert figure.auprc == pytest.approx(average_precision_score(scores["label"], scores["score"]), abs=1e-9)
        detector = figure.job.split("__")[2]
        assert figure.auroc == pytest.approx(results[results.detector == detector]["auroc"].iloc[0], abs=1e-6)
        assert figure.n_normal + figure.n_attack == len(scores)
        assert figure.n_normal > 0 and figure.n_attack > 0


def test_log_axis_only_for_positive_scores_spanning_decades():
    rng = np.random.default_rng(0)
    assert uses_log_x(10 ** rng.uniform(-3, 2, 500))
    assert not uses_log_x(rng.uniform(1, 5, 500))
    assert not uses_log_x(np.r_[-1.0, 10 ** rng.uniform(-3, 2, 500)])


def test_out_dir_and_missing_scores(run_dir, tmp_path):
    drawn = write_figures(run_dir, out_dir=tmp_path / "elsewhere")
    assert all(f.path.exists() and f.path.parent == tmp_path / "elsewhere" for f in drawn)
    with pytest.raises(NetadInputError, match="no scores"):
        write_figures(tmp_path)


def test_missing_matplotlib_names_the_extra(run_dir, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for module in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r'pip install "netad\[plot\]"'):
        write_figures(run_dir)
