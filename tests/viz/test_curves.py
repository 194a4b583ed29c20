"""Plotly score figures (dashboard, report) of a real benchmark run on the embedded NSL-KDD sample: every test
row counted, curves from corner to corner, areas as scikit-learn computes them."""

from __future__ import annotations

import numpy as np
import pytest

from netad.runs import read_scores
from netad.viz.curves import pr_figure, roc_figure, score_histogram
from netad.viz.scores import uses_log_x

pytest.importorskip("plotly")


def test_histogram_counts_every_finite_test_row_per_class(shared_bench_run):
    table = read_scores(shared_bench_run / "scores" / "nsl-kdd-sample__novelty__pca__seed1.parquet")
    scores, labels = table["score"].to_numpy(), table["label"].to_numpy()
    fig = score_histogram(scores, labels, [("p99", float(np.median(scores)))], slider=True)
    for trace, value in zip(fig.data, (0, 1), strict=True):
        assert np.nansum(np.asarray(trace.y, dtype=float)) == (labels == value).sum()
    assert fig.layout.meta["log_x"] == uses_log_x(scores)
    assert len(fig.layout.shapes) == 2  # the slider's line, then the p99 line


def test_roc_curve_runs_from_origin_to_corner_with_sklearn_auroc(shared_bench_run):
    from sklearn.metrics import roc_auc_score

    table = read_scores(shared_bench_run / "scores" / "nsl-kdd-sample__novelty__pca__seed0.parquet")
    fig = roc_figure(table["score"].to_numpy(), table["label"].to_numpy(), marker=True)
    curve = fig.data[0]
    assert (curve.x[0], curve.y[0]) == (0.0, 0.0) and (curve.x[-1], curve.y[-1]) == (1.0, 1.0)
    assert f"{roc_auc_score(table['label'], table['score']):.4f}" in curve.name
    assert fig.data[-1].name == "slider threshold"


def test_pr_curve_reports_sklearn_average_precision(shared_bench_run):
    from sklearn.metrics import average_precision_score

    table = read_scores(shared_bench_run / "scores" / "nsl-kdd-sample__novelty__iforest__seed1.parquet")
    fig = pr_figure(table["score"].to_numpy(), table["label"].to_numpy())
    assert fig.data[0].name == f"AUPRC {average_precision_score(table['label'], table['score']):.4f}"
    assert fig.data[0].x[0] == pytest.approx(1.0) and fig.data[0].x[-1] == pytest.approx(0.0)  # recall 1 -> 0
