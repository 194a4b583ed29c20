"""Zero-shot result columns: known-attack and unseen-family views of the test set, on real CIC-IDS-2017 rows.

Data: the CIC-IDS-2017 Thursday-morning (web attacks) and Friday-morning (Bot) subsets in ../shared/data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netad import metrics
from netad.bench import run
from netad.bench.job import ZERO_SHOT_METRICS, zero_shot_views
from netad.datasets import load
from netad.datasets.base import Dataset
from netad.protocols import make_split

pytestmark = pytest.mark.needs_data("cicids2017")

FILES = ["web_attacks_balanced*", "web_attacks_Bot*"]


@pytest.fixture(scope="module")
def zero_shot_run(shared_data, tmp_path_factory):
    return run(
        "cicids2017", "iforest,gbm", seeds=[0, 1], protocol="zero-shot", threshold="p99,p95",
        dataset_options={"files": FILES}, protocol_options={"unseen": ["Bot"]},
        detector_params={"gbm": {"max_iter": 30}}, out=tmp_path_factory.mktemp("zs") / "run", n_jobs=1,
    )  # fmt: skip


def test_zero_shot_rows_carry_known_and_zero_shot_metrics_and_summary_averages_them(zero_shot_run) -> None:
    results = zero_shot_run.results
    assert set(ZERO_SHOT_METRICS) <= set(results.columns)
    assert results[list(ZERO_SHOT_METRICS)].notna().all().all()
    summary = zero_shot_run.summary
    for name in ("known_f1", "zero_shot_f1", "zero_shot_auroc", "zero_shot_balanced_f1"):
        assert {f"{name}_mean", f"{name}_std"} <= set(summary.columns)
    per_seed = results.groupby(["detector", "threshold_strategy"])["zero_shot_f1"].mean()
    means = summary.set_index(["detector", "threshold_strategy"])["zero_shot_f1_mean"]
    pd.testing.assert_series_equal(per_seed.sort_index(), means.sort_index(), check_names=False)
    # a supervised model knows the web attacks but not Bot: the two views must tell that apart
    gbm = results[results["detector"] == "gbm"]
    assert (gbm["known_f1"] > gbm["zero_shot_f1"]).all()


def test_views_split_test_rows_into_seen_and_unseen_families_with_shared_normals(shared_data) -> None:
    split = make_split(load("cicids2017", files=FILES), "zero-shot", seed=3, unseen=["Bot"])
    views = zero_shot_views(split, seed=3)
    category, label = split.test.attack_category, split.test.label
    assert set(category[views["zero_shot"]]) == {"normal", "Bot"}
    assert "Bot" not in set(category[views["known"]])
    np.testing.assert_array_equal(np.intersect1d(views["known"], views["zero_shot"]), np.flatnonzero(label == 0))
    for name in ("known_balanced", "zero_shot_balanced"):
        rows = views[name]
        assert (label[rows] == 1).sum() == (label[rows] == 0).sum()
        assert set(rows) <= set(views[name.removesuffix("_balanced")])
    np.testing.assert_array_equal(views["zero_shot_balanced"], zero_shot_views(split, seed=3)["zero_shot_balanced"])


def test_zero_shot_f1_equals_binary_metrics_on_the_view(zero_shot_run, shared_data) -> None:
    split = make_split(load("cicids2017", files=FILES), "zero-shot", seed=0, unseen=["Bot"])
    run_dir = zero_shot_run.run_dir
    scores = pd.read_parquet(next(run_dir.glob("scores/*iforest__seed0.parquet")))
    np.testing.assert_array_equal(scores["row"].to_numpy(), split.test.rows)
    row = zero_shot_run.results.query("detector == 'iforest' and seed == 0 and threshold_strategy == 'p95'").iloc[0]
    view = zero_shot_views(split, seed=0)["zero_shot"]
    expected = metrics.binary_metrics(split.test.label[view], scores["score"].to_numpy()[view], row["threshold"])
    assert row["zero_shot_f1"] == pytest.approx(expected["f1"])
    assert row["zero_shot_auroc"] == pytest.approx(expected["auroc"])


def test_splits_without_unseen_families_get_no_zero_shot_columns() -> None:
    result = run("nsl-kdd-sample", "iforest", seeds=[0], threshold="p99", max_train=2000, write=False, n_jobs=1)
    assert "zero_shot_f1" not in result.results.columns


def test_with_the_wednesday_dos_families_present_the_default_is_the_seeds_four_unseen_families(shared_data) -> None:
    """The complete files hold DoS slowloris/Slowhttptest: then the seed's hold-out applies, with no caveat."""
    ds = load("cicids2017", files=FILES)
    category = np.asarray(ds.attack_category, dtype=object).copy()
    web = np.flatnonzero(category == "Web Attack - Brute Force")
    category[web[: len(web) // 2]] = "DoS slowloris"  # stand-ins: real rows relabelled as Wednesday families
    category[web[len(web) // 2 :]] = "DoS Slowhttptest"
    infiltration = load("cicids2017", files="*Infiltration*")
    merged = Dataset(
        name="cicids2017",
        features=pd.concat([ds.features, infiltration.features], ignore_index=True),
        label=np.r_[ds.label, infiltration.label],
        attack_category=np.r_[category, infiltration.attack_category],
    )
    split = make_split(merged, "zero-shot", seed=0)
    assert split.info["unseen_categories"] == sorted(["Bot", "DoS Slowhttptest", "DoS slowloris", "Infiltration"])
    assert "differs_from_seed" not in split.info
    train_families = set(split.train.attack_category) | set(split.validation.attack_category)
    assert not train_families & set(split.info["unseen_categories"])
