"""The MAF density detector on real NSL-KDD flows (the sample bundled with netad)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from netad.datasets import load
from netad.detectors.maf import MAFDetector
from netad.errors import NetadInputError
from netad.preprocess import FlowPreprocessor

FAST = {"n_blocks": 3, "hidden": (64,), "epochs": 5, "n_threads": 1, "random_state": 0}


@pytest.fixture(scope="module")
def nsl():
    ds = load("nsl-kdd-sample")
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(ds.label == 0))
    attack = rng.permutation(np.flatnonzero(ds.label == 1))[:1000]
    pre = FlowPreprocessor.for_dataset(ds, log1p=True).fit(ds.features.iloc[normal[:4000]])
    X_train = pre.transform(ds.features.iloc[normal[:4000]])
    X_test = pre.transform(ds.features.iloc[np.r_[normal[4000:5000], attack]])
    return X_train, X_test, np.r_[np.zeros(1000), np.ones(len(attack))]


def test_maf_scores_real_attacks_as_less_likely_than_held_out_normal_traffic(nsl) -> None:
    X_train, X_test, y_test = nsl
    detector = MAFDetector(**FAST).fit(X_train)
    assert detector.history_["train_loss"][-1] < detector.history_["train_loss"][0]
    assert roc_auc_score(y_test, detector.decision_function(X_test)) > 0.85
    assert detector.embed(X_test[:10]).shape == (10, X_train.shape[1])


def test_max_train_rows_fits_on_a_seeded_subsample(nsl) -> None:
    X_train, X_test, _ = nsl
    first = MAFDetector(**{**FAST, "epochs": 1, "max_train_rows": 500}).fit(X_train)
    again = MAFDetector(**{**FAST, "epochs": 1, "max_train_rows": 500}).fit(X_train)
    assert first.n_train_rows_ == 500
    np.testing.assert_allclose(first.decision_function(X_test[:50]), again.decision_function(X_test[:50]), rtol=1e-5)


def test_bad_flow_parameters_are_named(nsl) -> None:
    X_train, _, _ = nsl
    with pytest.raises(NetadInputError, match="n_blocks"):
        MAFDetector(n_blocks=0).fit(X_train[:100])
    with pytest.raises(NetadInputError, match="max_log_scale"):
        MAFDetector(max_log_scale=0).fit(X_train[:100])
