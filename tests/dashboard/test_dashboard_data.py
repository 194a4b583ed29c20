"""Dashboard payloads: the score sample keeps the test set's mix, numbers match the run directory, JSON is strict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from netad.dashboard import data
from netad.errors import NetadInputError
from netad.metrics import binary_metrics


@pytest.fixture(scope="module")
def loaded(run_dir):
    return data.load_run(run_dir)


MAX_POINTS = 3000  # as the max_points fixture (tests/dashboard/conftest.py)


@pytest.fixture(scope="module")
def iforest_payload(loaded, max_points):
    assert max_points == MAX_POINTS
    return data.job_payload(loaded, "nsl-kdd-sample__novelty__iforest__seed0", MAX_POINTS)


def test_stratified_sample_keeps_every_category_share_within_one_row(run_dir):
    table = data.read_scores(run_dir / "scores" / "nsl-kdd-sample__novelty__iforest__seed0.parquet")
    categories = table["attack_category"].to_numpy()
    index = data.stratified_sample(categories, MAX_POINTS)
    assert len(index) == MAX_POINTS and np.all(np.diff(index) > 0)
    full = pd.Series(categories).value_counts()
    sampled = pd.Series(categories[index]).value_counts().reindex(full.index, fill_value=0)
    expected = full * MAX_POINTS / len(categories)
    assert (sampled - expected).abs().max() < 1.0
    assert np.array_equal(index, data.stratified_sample(categories, MAX_POINTS))  # seeded


def test_a_test_set_smaller_than_max_points_is_sent_whole():
    categories = np.array(["normal"] * 30 + ["dos"] * 5)
    assert np.array_equal(data.stratified_sample(categories, 100), np.arange(35))


def test_job_payload_repeats_results_csv_and_counts_every_test_row(run_dir, iforest_payload):
    results = pd.read_csv(run_dir / "results.csv")
    rows = results[(results["detector"] == "iforest") & (results["seed"] == 0)]
    assert [t["threshold_strategy"] for t in iforest_payload["thresholds"]] == rows["threshold_strategy"].tolist()
    assert [t["threshold"] for t in iforest_payload["thresholds"]] == rows["threshold"].tolist()
    scores = pd.read_parquet(run_dir / "scores" / "nsl-kdd-sample__novelty__iforest__seed0.parquet")
    assert iforest_payload["n_test"] == len(scores) == rows["tp"].iloc[0] + rows["fp"].iloc[0] + rows["tn"].iloc[
        0] + rows["fn"].iloc[0]  # fmt: skip
    sample = iforest_payload["sample"]
    assert sample["n"] == MAX_POINTS and sample["scores"] == sorted(sample["scores"])
    assert {r["attack_category"] for r in iforest_payload["per_category"]} >= set(sample["categories"])


def test_sample_metrics_estimate_the_full_test_metrics_at_the_run_threshold(iforest_payload):
    for reference in iforest_payload["thresholds"]:
        estimate = data.sample_metrics(iforest_payload["sample"], reference["threshold"])
        for name in ("precision", "recall", "f1", "accuracy"):
            assert abs(estimate[name] - reference[name]) < 0.05, (reference["threshold_strategy"], name)


def test_payload_is_strict_json_without_nan(iforest_payload):
    def refuse(constant):
        raise AssertionError(f"non-strict JSON constant {constant}")

    decoded = json.loads(data.to_json(iforest_payload), parse_constant=refuse)
    assert decoded["sample"]["scores"] == iforest_payload["sample"]["scores"]  # exact floats for the browser


def test_shap_top_features_come_from_explain_output_in_the_run_dir(loaded):
    pca = data.job_payload(loaded, "nsl-kdd-sample__novelty__pca__seed0", MAX_POINTS)
    assert [f["feature"] for f in pca["shap"]["features"]] == ["src_bytes", "dst_host_srv_count", "count", "service"]
    assert pca["shap"]["same_seed"] and "shap" in pca["figures"]
    other_seed = data.job_payload(loaded, "nsl-kdd-sample__novelty__pca__seed1", MAX_POINTS)
    assert other_seed["shap"] is not None and not other_seed["shap"]["same_seed"]
    assert data.job_payload(loaded, "nsl-kdd-sample__novelty__iforest__seed0", MAX_POINTS)["shap"] is None


def test_leaderboard_keeps_runs_apart_best_f1_first(loaded, second_run_dir):
    board = data.leaderboard([loaded, data.load_run(second_run_dir)])
    summary = pd.read_csv(loaded.path / "summary.csv")
    assert len(board) == 2 * len(summary)
    assert set(board["run_name"]) == {loaded.name, second_run_dir.name}
    for _, part in board.groupby(["run", "threshold_strategy"]):
        assert part["f1_mean"].is_monotonic_decreasing


def test_a_directory_that_is_not_a_run_is_refused_by_name(tmp_path):
    with pytest.raises(NetadInputError, match="not a benchmark run directory"):
        data.load_run(tmp_path)
    with pytest.raises(NetadInputError, match="nosuch"):
        data.load_run(tmp_path / "nosuch")


def test_sample_metrics_are_netad_metrics_of_the_sample(iforest_payload):
    sample = iforest_payload["sample"]
    threshold = sample["scores"][len(sample["scores"]) // 2]
    expected = binary_metrics(np.array(sample["labels"]), np.array(sample["scores"]), threshold)
    assert data.sample_metrics(sample, threshold) == expected


@pytest.mark.slow
def test_real_explain_output_saved_in_the_run_dir_reaches_the_payload(run_dir, tmp_path):
    import shutil

    from netad.bench import plan
    from netad.explain import explain_alerts

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    job = plan("nsl-kdd-sample", "iforest", [0], max_train=3000, save_scores=False)[0]
    result = explain_alerts(job, n_alerts=5, n_background=20, out_dir=copy / "explain-iforest")
    payload = data.job_payload(data.load_run(copy), "nsl-kdd-sample__novelty__iforest__seed0", MAX_POINTS)
    expected = result.explanation.mean_abs().head(len(payload["shap"]["features"]))
    assert [f["feature"] for f in payload["shap"]["features"]] == expected["feature"].tolist()
    assert payload["shap"]["same_seed"] and payload["shap"]["n_alerts"] == 5
