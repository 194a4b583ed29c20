"""The benchmark runner on the embedded NSL-KDD sample: the run-directory contract and honest thresholds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from netad.bench import plan, run
from netad.errors import NetadInputError

REQUIRED_COLUMNS = {
    "dataset", "protocol", "detector", "seed", "threshold_strategy", "threshold", "precision", "recall",
    "f1", "auroc", "auprc", "fit_seconds", "score_seconds",
}  # fmt: skip


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "bench"
    return run(
        "nsl-kdd-sample", "iforest,pca", seeds=[0, 1], threshold="p99,best-f1,oracle", out=out,
        max_train=3000, n_jobs=1,
    )  # fmt: skip


def test_run_directory_holds_results_summary_config_and_scores(small_run):
    run_dir = small_run.run_dir
    results = pd.read_csv(run_dir / "results.csv")
    assert REQUIRED_COLUMNS <= set(results.columns)
    assert len(results) == 2 * 2 * 3  # detectors x seeds x threshold strategies
    summary = pd.read_csv(run_dir / "summary.csv")
    assert set(summary["n_seeds"]) == {2}
    assert {"f1_mean", "f1_std", "auroc_mean", "auroc_std"} <= set(summary.columns)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["options"]["seeds"] == [0, 1]
    sources = config["datasets"]["nsl-kdd-sample"]["sources"]
    assert sources and all(len(s["sha256"]) == 64 for s in sources)
    assert config["versions"]["scikit-learn"] != "not installed"
    assert len(list((run_dir / "scores").glob("*.parquet"))) == 4
    assert (run_dir / "per_category.csv").exists()


def test_saved_scores_reproduce_the_reported_metrics(small_run):
    results = pd.read_csv(small_run.run_dir / "results.csv")
    for path in (small_run.run_dir / "scores").glob("*.parquet"):
        scores = pd.read_parquet(path)
        detector, seed = path.stem.split("__")[2], int(path.stem.split("seed")[-1])
        row = results[(results.detector == detector) & (results.seed == seed)].iloc[0]
        assert row["auroc"] == pytest.approx(roc_auc_score(scores["label"], scores["score"]), abs=1e-6)
        assert row["auprc"] == pytest.approx(average_precision_score(scores["label"], scores["score"]), abs=1e-6)


def test_oracle_threshold_is_labelled_and_never_worse_on_test_f1(small_run):
    results = small_run.results
    oracle = results[results.threshold_strategy == "oracle"]
    assert oracle["threshold_source"].str.contains("oracle").all()
    honest = results[results.threshold_strategy != "oracle"]
    assert (honest["threshold_source"] == "validation").all()
    for (_detector, _seed), group in results.groupby(["detector", "seed"]):
        best = group.set_index("threshold_strategy")["f1"]
        assert best["oracle"] >= best["p99"] - 1e-12
        assert best["oracle"] >= best["best-f1"] - 1e-12


def test_detectors_beat_chance_on_the_official_test_file(small_run):
    assert (small_run.results["auroc"] > 0.8).all()
    # NSL-KDD's KDDTest+ has 22,544 rows: the protocol tests on the official file
    assert set(small_run.results["n_test"]) == {22544}


def test_parallel_run_gives_the_same_numbers_as_serial():
    kwargs = dict(seeds=[3], max_train=2000, write=False)
    serial = run("nsl-kdd-sample", "iforest,pca", n_jobs=1, **kwargs).results
    parallel = run("nsl-kdd-sample", "iforest,pca", n_jobs=2, **kwargs).results
    columns = ["detector", "seed", "threshold", "f1", "auroc"]
    pd.testing.assert_frame_equal(serial[columns], parallel[columns])


def test_existing_output_directory_is_never_overwritten(tmp_path):
    (tmp_path / "keep.txt").write_text("user data")
    with pytest.raises(NetadInputError, match="not empty"):
        run("nsl-kdd-sample", "pca", seeds=[0], out=tmp_path, max_train=500)
    assert (tmp_path / "keep.txt").read_text() == "user data"


def test_overwrite_replaces_the_previous_run_but_keeps_other_files(tmp_path):
    first = run("nsl-kdd-sample", "pca", seeds=[0, 1], out=tmp_path, max_train=500, n_jobs=1)
    assert len(list((first.run_dir / "scores").glob("*.parquet"))) == 2
    (tmp_path / "notes.txt").write_text("user notes")
    second = run("nsl-kdd-sample", "pca", seeds=[5], out=tmp_path, max_train=500, n_jobs=1, overwrite=True)
    scores = sorted(p.name for p in (second.run_dir / "scores").glob("*.parquet"))
    assert scores == ["nsl-kdd-sample__novelty__pca__seed5.parquet"]  # no stale seed-0/1 files
    assert set(pd.read_csv(tmp_path / "results.csv")["seed"]) == {5}
    assert (tmp_path / "notes.txt").read_text() == "user notes"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"detectors": "iforest,nosuch"}, "unknown detector"),
        ({"protocol": "nosuch"}, "unknown protocol"),
        ({"threshold": "p150"}, "percentile"),
        ({"detector_params": {"iforest": {"n_trees": 5}}}, "n_trees"),
        ({"detector_params": {"lof": {"n_neighbors": 5}}}, "not in this run"),
    ],
)
def test_plan_rejects_bad_options_before_any_work(kwargs, message):
    options = {"datasets": "nsl-kdd-sample", "detectors": "iforest", "seeds": [0]} | kwargs
    with pytest.raises(NetadInputError, match=message):
        plan(**options)


def test_max_train_caps_the_training_rows():
    result = run("nsl-kdd-sample", "pca", seeds=[0], max_train=1000, write=False)
    assert int(result.results["n_train"].iloc[0]) == 1000  # pca fits exactly the capped normal rows
    assert np.isfinite(result.results["auroc"]).all()


def test_seed_rule_threshold_is_the_percentile_of_training_and_test_scores(tmp_path):
    from netad.pipeline import fit_job, fit_scores

    result = run(
        "nsl-kdd-sample", "iforest", seeds=[0], threshold="p99,seed:p80", out=tmp_path / "b", max_train=2000,
        n_jobs=1,
    )  # fmt: skip
    row = result.results.set_index("threshold_strategy").loc["seed:p80"]
    assert "uses test data" in row["threshold_source"]
    assert json.loads((result.run_dir / "config.json").read_text())["oracle_thresholds_used"]
    job = plan("nsl-kdd-sample", "iforest", seeds=[0], threshold="seed:p80", max_train=2000)[0]
    train_scores = fit_scores(fit_job(job))  # the same seeded fit, scored on its own training rows
    test_scores = pd.read_parquet(next((result.run_dir / "scores").glob("*.parquet")))["score"].to_numpy()
    expected = np.percentile(np.concatenate([train_scores, test_scores]), 80)
    assert row["threshold"] == pytest.approx(expected, rel=1e-6)


def test_a_detector_refuses_a_threshold_that_needs_test_data():
    from netad.detectors import make

    X = np.random.default_rng(0).normal(size=(200, 4))
    for spec in ("seed:p80", "oracle"):
        with pytest.raises(NetadInputError, match="uses test data"):
            make("iforest", threshold=spec, random_state=0).fit(X)


def _nsl_sample_csv(path, labels):
    """The embedded NSL-KDD sample's training rows as a flow-table CSV with the given labels."""
    from netad.datasets import load

    sample = load("nsl-kdd-sample")
    train = np.flatnonzero(np.asarray(sample.official_split).astype(str) == "train")[:6000]
    frame = sample.features.iloc[train].reset_index(drop=True)
    frame["Label"] = labels(sample.label[train])
    frame.to_csv(path, index=False)
    return path


def test_a_good_model_gets_no_warning_and_a_useless_one_is_named_with_the_numbers(tmp_path):
    good = run("nsl-kdd-sample", "pca", seeds=[0], threshold="p99", max_train=2000, write=False)
    assert good.warnings == []
    rng = np.random.default_rng(0)
    shuffled = _nsl_sample_csv(tmp_path / "shuffled.csv",
                               lambda y: np.where(rng.permutation(y) == 1, "attack", "normal"))  # fmt: skip
    useless = run(f"csv:{shuffled}", "pca", seeds=[0], threshold="p99", out=tmp_path / "run", n_jobs=1,
                  dataset_options={"label_column": "Label", "normal_label": "normal"})  # fmt: skip
    # labels shuffled at random: no detector can rank them, and the warning says so with the measured numbers
    assert len(useless.warnings) == 1
    assert "near-useless on its own validation data" in useless.warnings[0] and "AUROC 0." in useless.warnings[0]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["warnings"] == useless.warnings


def test_data_without_attacks_is_reported_not_silently_scored_zero(tmp_path):
    calm = _nsl_sample_csv(tmp_path / "calm.csv", lambda y: np.full(len(y), "normal"))
    result = run(f"csv:{calm}", "pca", seeds=[0], threshold="p99", write=False,
                 dataset_options={"label_column": "Label", "normal_label": "normal"})  # fmt: skip
    assert any("has no attacks" in w for w in result.warnings)
    assert any("no labelled attacks" in w for w in result.warnings)


def test_duplicate_or_negative_seeds_are_refused_before_any_work():
    with pytest.raises(NetadInputError, match=r"seeds \[0\] given more than once"):
        plan("nsl-kdd-sample", "pca", [0, 0])
    with pytest.raises(NetadInputError, match="0 to 2"):
        plan("nsl-kdd-sample", "pca", [-1])


def test_one_seed_has_no_standard_deviation_rather_than_zero():
    result = run("nsl-kdd-sample", "pca", seeds=[0], max_train=1000, write=False)
    assert result.summary["n_seeds"].iloc[0] == 1 and np.isnan(result.summary["f1_std"].iloc[0])
