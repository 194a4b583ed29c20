"""Drift: PSI near 0 for the same distribution and over its threshold for a shifted one; a window whose scores
or features move away yields a drift record, a steady stream none."""

from __future__ import annotations

import numpy as np
import pytest

from netad.watch.drift import DriftMonitor, DriftSettings, population_stability_index


def test_psi_is_small_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=5000)
    assert population_stability_index(reference, rng.normal(size=5000)) < 0.02
    assert population_stability_index(reference, rng.normal(1.0, 1.0, size=5000)) > 0.25


def run(monitor, windows):  # noqa: ANN001, ANN201
    records = []
    for w, (scores, X) in enumerate(windows):
        start = w * 60 + np.linspace(0, 59, len(scores))
        records += monitor.add(start, scores, X)
    records += monitor.add(np.array([len(windows) * 60.0 + 1]), np.zeros(1), np.zeros((1, windows[0][1].shape[1])))
    return records


def test_a_score_shift_after_the_first_window_yields_one_drift_record():
    rng = np.random.default_rng(1)
    X = np.zeros((500, 2))
    steady = [(rng.normal(size=500), X) for _ in range(3)]
    monitor = DriftMonitor(["a", "b"], None, None, DriftSettings())
    assert run(monitor, steady) == []
    monitor = DriftMonitor(["a", "b"], None, None, DriftSettings())
    records = run(monitor, [*steady, (rng.normal(2.0, 1.0, size=500), X)])
    assert len(records) == 1 and records[0]["reference"] == "run-start"
    assert records[0]["score_psi"] > 0.25 and records[0]["flows"] == 500
    assert records[0]["window_start"] == pytest.approx(180.0)


def test_features_far_from_the_training_statistics_yield_a_record_from_the_first_window():
    rng = np.random.default_rng(2)
    monitor = DriftMonitor(["near", "far"], np.zeros(2), np.ones(2), DriftSettings(feature_share_threshold=0.5))
    X = np.column_stack([rng.normal(size=500), rng.normal(3.0, 1.0, size=500)])
    records = run(monitor, [(rng.normal(size=500), X)])
    assert len(records) == 1
    shift = records[0]["feature_shift"]
    assert shift["share"] == 0.5 and shift["top"][0]["name"] == "far"
    assert shift["top"][0]["smd"] == pytest.approx(3.0, abs=0.2)


def test_windows_with_too_few_flows_are_skipped():
    monitor = DriftMonitor(["a"], np.zeros(1), np.ones(1), DriftSettings(min_flows=100))
    assert run(monitor, [(np.zeros(50), np.full((50, 1), 10.0))]) == []


def test_one_batch_spanning_several_windows_is_split_by_flow_start():
    rng = np.random.default_rng(3)
    scores = np.r_[rng.normal(size=500), rng.normal(size=500), rng.normal(2.0, 1.0, size=500)]
    start = np.r_[np.linspace(0, 59, 500), np.linspace(60, 119, 500), np.linspace(120, 179, 500)]
    shuffled = rng.permutation(len(scores))  # flows end (and arrive) in another order than they start
    monitor = DriftMonitor(["a"], None, None, DriftSettings())
    records = monitor.add(start[shuffled], scores[shuffled], np.zeros((1500, 1)))
    records += monitor.add(np.array([181.0]), np.zeros(1), np.zeros((1, 1)))
    assert [(r["window_start"], r["flows"]) for r in records] == [(120.0, 500)]
    assert monitor.windows == 3


def test_with_the_models_score_reference_the_first_shifted_window_is_drift_since_training():
    rng = np.random.default_rng(4)
    reference = np.quantile(rng.normal(size=5000), np.linspace(0, 1, 101))  # as netad train saves it
    X = np.zeros((500, 1))
    monitor = DriftMonitor(["a"], None, None, DriftSettings(), score_reference=reference)
    assert run(monitor, [(rng.normal(size=500), X)]) == []
    monitor = DriftMonitor(["a"], None, None, DriftSettings(), score_reference=reference)
    records = run(monitor, [(rng.normal(2.0, 1.0, size=500), X)])
    assert len(records) == 1 and records[0]["reference"] == "model" and records[0]["score_psi"] > 0.25
