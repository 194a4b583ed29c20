"""FlowScorer and NaN/Inf: filled and scored under the model's saved policy, as netad score does; left unscored
(and counted) for a model without one."""

from __future__ import annotations

import numpy as np
import pytest

from netad.datasets import load
from netad.detectors import get_class
from netad.persist import load_model, save_model
from netad.preprocess import FlowPreprocessor
from netad.watch.scoring import FlowScorer


@pytest.fixture(scope="module")
def flows():
    nsl = load("nsl-kdd-sample")
    return nsl, nsl.features.iloc[:2000].reset_index(drop=True)


def _model(flows, tmp_path, non_finite: str):
    nsl, train = flows
    preprocessor = FlowPreprocessor.for_dataset(nsl, non_finite=non_finite).fit(train)
    detector = get_class("pca")(random_state=0).fit(preprocessor.transform(train))
    return load_model(save_model(tmp_path / non_finite, preprocessor, detector))


def test_a_model_with_a_policy_scores_non_finite_flows_and_counts_them(flows, tmp_path):
    model = _model(flows, tmp_path, "clip")
    table = flows[1].iloc[:50].copy()
    table["src_bytes"] = table["src_bytes"].astype(float)
    table.loc[[3, 9], "src_bytes"] = [np.nan, np.inf]
    batch = FlowScorer(model).score(table)
    assert batch.scored.all() and batch.cleaned == 2 and batch.unscored == 0
    expected = model.detector.decision_function(model.preprocessor.transform(table))
    np.testing.assert_allclose(batch.scores, expected, rtol=1e-6)


def test_a_model_without_a_policy_leaves_them_unscored_and_counted(flows, tmp_path):
    model = _model(flows, tmp_path, "error")
    table = flows[1].iloc[:50].copy()
    table["src_bytes"] = table["src_bytes"].astype(float)
    table.loc[[3, 9], "src_bytes"] = [np.nan, np.inf]
    batch = FlowScorer(model).score(table)
    assert batch.unscored == 2 and batch.cleaned == 0
    assert np.flatnonzero(~batch.scored).tolist() == [3, 9] and np.isnan(batch.scores[[3, 9]]).all()
