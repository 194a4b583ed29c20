"""Threshold strategies: percentile of normals, contamination, F1-optimal, oracle, and spec parsing."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from netad import thresholds
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")


@pytest.fixture(scope="module")
def validation(shared_data):
    """A labelled validation-like sample from real KDDCup99 rows, scored by distance to the normal mean."""
    table = np.load(shared_data / "kddcup99" / "kdd_cup.npz")["kdd"]
    rows = np.random.default_rng(1).choice(len(table), 8000, replace=False)
    X, y = table[rows, :-1], (table[rows, -1] != 1).astype(np.int8)
    return np.linalg.norm(X - X[y == 0].mean(axis=0), axis=1), y


@pytest.mark.parametrize("q", [95.0, 97.0, 99.0])
def test_percentile_uses_only_normal_rows_when_labels_are_given(validation, q):
    scores, y = validation
    threshold = thresholds.Percentile(q).choose(scores, y)
    assert threshold == pytest.approx(np.percentile(scores[y == 0], q))
    false_positive_rate = (scores[y == 0] > threshold).mean()
    assert false_positive_rate == pytest.approx(1 - q / 100, abs=0.01)


def test_contamination_flags_that_fraction(validation):
    scores, _ = validation
    threshold = thresholds.Contamination(0.05).choose(scores)
    assert (scores > threshold).mean() == pytest.approx(0.05, abs=0.01)


def test_best_f1_is_the_maximum_over_all_cut_offs(validation):
    scores, y = validation
    threshold = thresholds.BestF1().choose(scores, y)
    best = f1_score(y, scores > threshold)
    candidates = np.unique(scores)
    brute = max(f1_score(y, scores >= c) for c in candidates[:: max(1, len(candidates) // 400)])
    assert best >= brute - 1e-9


def test_best_f1_needs_both_classes():
    with pytest.raises(NetadInputError, match="both normal and attack"):
        thresholds.BestF1().choose(np.arange(4.0), np.zeros(4))


def test_oracle_is_marked_as_using_test_data():
    assert thresholds.resolve("oracle").uses_test_data
    assert not any(thresholds.resolve(s).uses_test_data for s in ("p99", "best-f1", "contamination:0.1"))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("p99", "p99"), ("P97", "p97"), ("percentile:99.5", "p99.5"), ("contamination:0.05", "contamination:0.05"),
     ("best-f1", "best-f1"), ("oracle", "oracle")],
)  # fmt: skip
def test_resolve_parses_spec_strings(spec, expected):
    assert thresholds.resolve(spec).name == expected


@pytest.mark.parametrize("spec", ["p100", "p0", "contamination:0.9", "median", "contamination:x"])
def test_resolve_rejects_bad_specs_with_a_clear_message(spec):
    with pytest.raises(NetadInputError, match="threshold|percentile|contamination"):
        thresholds.resolve(spec)


def test_seed_rule_pools_training_and_test_scores_and_is_labelled(validation):
    scores, _ = validation
    strategy = thresholds.resolve("seed:p80")
    assert strategy.name == "seed:p80" and strategy.uses_test_data and not strategy.needs_labels
    assert strategy.choose(scores) == pytest.approx(np.percentile(scores, 80))
    assert thresholds.test_data_tag("seed:p80") == "seed rule: uses test scores"
    assert thresholds.test_data_tag("oracle") == "oracle: test labels"
    assert thresholds.test_data_tag("p99") == ""
    with pytest.raises(NetadInputError, match="unknown threshold strategy 'no-such-rule'"):
        thresholds.uses_test_data("no-such-rule")  # an unknown spec is an error, never "honest" by default


@pytest.mark.parametrize("spec", ["seed:p100", "seed:80", "seed:"])
def test_seed_rule_rejects_bad_percentiles(spec):
    with pytest.raises(NetadInputError, match="seed:pQ"):
        thresholds.resolve(spec)
