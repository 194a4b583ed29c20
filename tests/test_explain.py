"""SHAP explanations of anomaly scores on UNSW-NB15: shapes, additivity, an injected extreme value ranks first,
one-hot columns summed into their source, and the files `netad explain` writes."""

from __future__ import annotations

import json
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.bench.spec import Job
from netad.cli import app
from netad.explain import explain_alerts, explain_scores, one_hot_sources
from netad.pipeline import fit_job

pytest.importorskip("shap")

pytestmark = pytest.mark.needs_data("unsw-nb15")


@pytest.fixture(scope="module")
def fitted(shared_data):
    job = Job("unsw-nb15", "novelty", "autoencoder", seed=0, params={"epochs": 3, "n_threads": 1}, max_train=5000)
    fit = fit_job(job)
    fit_frame, _ = fit.split.fit_data("unsupervised")
    background = fit.preprocessor.transform(fit_frame.sample(60, random_state=0))
    X_test = fit.preprocessor.transform(fit.split.test.features)
    return job, fit, background, X_test


def _normal_rows(fit, X_test, n):
    """Typical normal test rows: those with the median scores among normals."""
    normal = np.flatnonzero(fit.split.test.label == 0)
    scores = fit.detector.decision_function(X_test[normal])
    middle = np.argsort(scores)[len(scores) // 2 - n // 2 :][:n]
    return X_test[normal[middle]]


def test_shap_values_have_one_column_per_feature_and_add_up_to_the_score(fitted):
    _, fit, background, X_test = fitted
    names = list(fit.preprocessor.get_feature_names_out())
    rows = X_test[:8]
    explanation = explain_scores(fit.detector, rows, background, names, random_state=0)
    assert explanation.method == "permutation"
    assert explanation.values.shape == (8, len(names)) and explanation.feature_names == names
    assert np.allclose(explanation.scores, fit.detector.decision_function(rows))
    assert np.allclose(explanation.base_values, fit.detector.decision_function(background).mean(), rtol=1e-4)
    # permutation SHAP is additive per row: sum of values + base value = the anomaly score
    assert explanation.additivity_gap().max() <= 1e-4 * (1 + np.abs(explanation.scores).max())


@pytest.mark.parametrize("column", ["sbytes", "ct_srv_src"])
def test_an_injected_extreme_value_is_the_top_contributing_feature(fitted, column):
    _, fit, background, X_test = fitted
    names = list(fit.preprocessor.get_feature_names_out())
    rows = _normal_rows(fit, X_test, 3).copy()
    j = names.index(column)
    rows[:, j] = 40.0  # 40 training standard deviations: far outside normal traffic
    explanation = explain_scores(fit.detector, rows, background, names, random_state=1)
    assert [top[0][0] for top in explanation.top_features(1)] == [column] * 3
    assert explanation.mean_abs()["feature"].iloc[0] == column


def test_one_hot_columns_are_summed_into_their_source_column(fitted):
    _, fit, background, X_test = fitted
    names = list(fit.preprocessor.get_feature_names_out())
    sources = one_hot_sources(fit.preprocessor)
    assert sources["sbytes"] == "sbytes" and sources["service_http"] == "service"
    explanation = explain_scores(fit.detector, X_test[:5], background, names, random_state=0)
    grouped = explanation.aggregate(sources)
    assert {"proto", "service", "state"} <= set(grouped.feature_names)
    assert not any(name.startswith(("service_", "proto_", "state_")) for name in grouped.feature_names)
    members = [names.index(n) for n in grouped.groups["service"]]
    assert np.allclose(grouped.values[:, grouped.feature_names.index("service")], explanation.values[:, members].sum(1))
    assert np.allclose(grouped.values.sum(1), explanation.values.sum(1))
    assert np.isnan(grouped.data[:, grouped.feature_names.index("service")]).all()


def test_kernel_explainer_gives_the_same_shape_and_stays_additive(fitted):
    _, fit, background, X_test = fitted
    explanation = explain_scores(fit.detector, X_test[:2], background, method="kernel", random_state=0)
    assert explanation.method == "kernel" and explanation.values.shape == (2, X_test.shape[1])
    assert explanation.additivity_gap().max() <= 1e-3 * (1 + np.abs(explanation.scores).max())


def test_explain_alerts_writes_a_plot_importances_and_per_alert_top_features(fitted, tmp_path):
    job, fit, _, _ = fitted
    result = explain_alerts(job, n_alerts=12, top_k=4, n_background=50, plot="beeswarm", out_dir=tmp_path, fitted=fit)
    alerts = result.alerts
    assert len(alerts) == 12
    assert (alerts["score"] > result.threshold).all() and alerts["score"].is_monotonic_decreasing
    assert alerts["label"].mean() > 0.5  # the top alerts on real traffic are mostly attacks

    image = matplotlib.image.imread(tmp_path / "shap_summary.png")
    assert image.shape[0] > 300 and image.shape[1] > 300
    importance = pd.read_csv(tmp_path / "mean_abs_shap.csv")
    assert importance["mean_abs_shap"].is_monotonic_decreasing and list(importance["rank"]) == list(
        range(1, len(importance) + 1)
    )
    assert "service" in set(importance["feature"])  # grouped one-hot columns by default

    document = json.loads((tmp_path / "alerts.json").read_text())
    assert document["n_alerts"] == 12 and document["threshold_strategy"] == "p99"
    for alert in document["alerts"]:
        shap_values = [f["shap"] for f in alert["top_features"]]
        assert len(shap_values) == 4 and shap_values == sorted(shap_values, reverse=True)
    first = document["alerts"][0]
    raw = fit.split.test.features.iloc[int(np.flatnonzero(fit.split.test.rows == first["row"])[0])]
    feature = first["top_features"][0]
    if feature["feature"] in raw.index:
        assert feature["value"] == pytest.approx(float(raw[feature["feature"]]))

    table = pd.read_csv(tmp_path / "alerts_top_features.csv")
    assert len(table) == 12 * 4 and {"alert", "row", "feature", "shap", "value", "attack_category"} <= set(table)
    values = pd.read_csv(tmp_path / "shap_values.csv")
    shap_columns = [c for c in values.columns if c.startswith("shap:")]
    assert len(values) == 12 and len(shap_columns) == len(result.explanation.feature_names)


def test_missing_shap_raises_an_import_error_naming_the_extra(fitted, monkeypatch):
    _, fit, background, X_test = fitted
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match=r'pip install "netad\[explain\]"'):
        explain_scores(fit.detector, X_test[:2], background)


def test_cli_explain_prints_importances_and_writes_files(tmp_path):
    out = tmp_path / "xai"
    result = CliRunner().invoke(
        app, ["explain", "-d", "unsw-nb15", "-m", "pca", "--max-train", "3000", "--n-alerts", "5",
              "--n-background", "30", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "mean |SHAP|" in result.stdout and "top alerts" in result.stdout
    assert {p.name for p in out.iterdir()} >= {"shap_summary.png", "mean_abs_shap.csv", "alerts.json"}


def test_few_features_use_the_exact_explainer_and_stay_additive(fitted):
    from netad.detectors import make

    _, _, background, X_test = fitted
    detector = make("pca", random_state=0).fit(background[:, :6])
    explanation = explain_scores(detector, X_test[:4, :6], background[:, :6], random_state=0)
    assert explanation.method == "exact" and explanation.values.shape == (4, 6)
    assert explanation.additivity_gap().max() <= 1e-4 * (1 + np.abs(explanation.scores).max())


def test_explaining_in_chunks_for_progress_gives_the_values_of_one_call(fitted, monkeypatch):
    from netad import explain

    _, fit, background, X_test = fitted
    rows = X_test[:12]
    chunked = explain_scores(fit.detector, rows, background, method="permutation", max_evals=300, random_state=1)
    monkeypatch.setattr(explain, "SHAP_CHUNK_ROWS", 1000)
    whole = explain_scores(fit.detector, rows, background, method="permutation", max_evals=300, random_state=1)
    np.testing.assert_allclose(chunked.values, whole.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(chunked.base_values, whole.base_values, rtol=1e-12)


def test_cli_explain_keeps_earlier_files_unless_overwrite(tmp_path):
    out = tmp_path / "xai"
    out.mkdir()
    (out / "alerts.json").write_text("mine")
    args = ["explain", "-d", "nsl-kdd-sample", "-m", "pca", "--n-alerts", "3", "--n-background", "20", "-o", str(out)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "alerts.json" in refused.output and "--overwrite" in refused.output
    assert (out / "alerts.json").read_text() == "mine"
    replaced = CliRunner().invoke(app, [*args, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads((out / "alerts.json").read_text())["n_alerts"] == 3
