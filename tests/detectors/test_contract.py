"""One contract test over every registered detector (like scikit-learn's ``parametrize_with_checks``).

Each ``check_*`` function is one promise of ``netad.detectors.base``; the test runs every check on every name in
``netad.detectors.available()``, so new detectors are covered as soon as they are registered. Data: small
seeded samples of real KDDCup99 rows (the DAGMM npz: 118 numeric features, label 1 = normal traffic).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from netad.detectors import BaseDetector, available, get_class
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")

# keep every fit to a second or two; keys a detector does not take are ignored
FAST_PARAMS: dict[str, dict[str, object]] = {
    "autoencoder": {"epochs": 2},
    "vae": {"epochs": 2},
    "beta-vae": {"epochs": 2},
    "ocsvm-sgd": {"n_components": 100, "epochs": 2},
    "mlp": {"max_iter": 20},
    "gbm": {"max_iter": 30},
    "dagmm": {"epochs": 10, "lr": 1e-3, "batch_size": 256},
    "bigan": {"epochs": 2, "lr": 1e-4, "batch_size": 128},
    "seq2seq": {"epochs": 1, "hidden_size": 16},
    "mnpwad": {"epochs": 2, "pretrain_epochs": 1, "n_prototypes": 2, "n_threads": 1},
    "maf": {"epochs": 2, "n_blocks": 2, "hidden": (32,), "n_threads": 1},
    "neutral": {"epochs": 2, "n_transforms": 4, "batch_size": 128, "n_threads": 1},
    "latent-sculpting": {
        "epochs": 1,
        "batch_size": 128,
        "lr": 1e-3,
        "conv_channels": (4, 4),
        "d_model": 8,
        "n_heads": 2,
        "n_layers": 1,
        "dim_feedforward": 16,
        "latent_dim": 4,
        "flow_blocks": 2,
        "flow_hidden": (16,),
        "flow_epochs": 1,
        "max_flow_rows": 1000,
        "n_threads": 1,
    },  # fmt: skip
}
N_TRAIN, N_TRAIN_ATTACKS, N_EVAL = 2000, 500, 500


@dataclass
class ContractData:
    X_normal: np.ndarray  # training rows: real normal traffic
    X_attack: np.ndarray  # labelled attacks, only shown to detectors that use labels
    X_test: np.ndarray  # held-out normals then attacks
    y_test: np.ndarray
    X_val: np.ndarray  # validation normals and attacks for calibrate()
    y_val: np.ndarray

    def training_set(self, supervision: str) -> tuple[np.ndarray, np.ndarray | None]:
        if supervision == "unsupervised":
            return self.X_normal, None
        X = np.vstack([self.X_normal, self.X_attack])
        return X, np.r_[np.zeros(len(self.X_normal)), np.ones(len(self.X_attack))].astype(np.int8)


@pytest.fixture(scope="module")
def data(shared_data: Path) -> ContractData:
    path = shared_data / "kddcup99" / "kdd_cup.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    kdd = np.load(path)["kdd"]
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(kdd[:, -1] == 1))
    attack = rng.permutation(np.flatnonzero(kdd[:, -1] == 0))
    features = kdd[:, :-1].astype(np.float32)
    n_normal_used = N_TRAIN + 2 * N_EVAL
    n_attack_used = N_TRAIN_ATTACKS + 2 * N_EVAL
    X_normal, X_normal_test, X_normal_val = np.split(features[normal[:n_normal_used]], [N_TRAIN, N_TRAIN + N_EVAL])
    X_attack, X_attack_test, X_attack_val = np.split(
        features[attack[:n_attack_used]], [N_TRAIN_ATTACKS, N_TRAIN_ATTACKS + N_EVAL]
    )
    labels = np.r_[np.zeros(N_EVAL), np.ones(N_EVAL)].astype(np.int8)
    return ContractData(
        X_normal=X_normal,
        X_attack=X_attack,
        X_test=np.vstack([X_normal_test, X_attack_test]),
        y_test=labels,
        X_val=np.vstack([X_normal_val, X_attack_val]),
        y_val=labels,
    )


def make_detector(name: str, **params: object) -> BaseDetector:
    """A fast instance of ``name``; skips when the detector's module is not written yet."""
    try:
        cls = get_class(name)
    except ModuleNotFoundError as exc:  # a registered module another change has not added yet
        pytest.skip(f"detector {name!r}: module {exc.name!r} is not importable yet ({exc})")
    accepted = inspect.signature(cls.__init__).parameters
    fast = {k: v for k, v in FAST_PARAMS.get(name, {}).items() if k in accepted}
    return cls(**{**fast, "random_state": 0, **params})


def fit(detector: BaseDetector, data: ContractData) -> BaseDetector:
    X, y = data.training_set(detector.supervision)
    return detector.fit(X, y)


_fitted: dict[str, BaseDetector] = {}


def fitted(name: str, data: ContractData) -> BaseDetector:
    """One fitted detector per name, shared by the read-only checks."""
    if name not in _fitted:
        _fitted[name] = fit(make_detector(name), data)
    return _fitted[name]


# -- the checks ----------------------------------------------------------------------------------------------
def check_fit_returns_self_and_sets_learned_attributes(name: str, data: ContractData) -> None:
    detector = make_detector(name)
    assert not hasattr(detector, "threshold_")
    assert fit(detector, data) is detector
    assert detector.n_features_in_ == data.X_normal.shape[1]
    assert np.isfinite(detector.threshold_)
    _fitted.setdefault(name, detector)


def check_scores_are_finite_float64_one_per_row(name: str, data: ContractData) -> None:
    scores = fitted(name, data).decision_function(data.X_test)
    assert scores.dtype == np.float64
    assert scores.shape == (len(data.X_test),)
    assert np.isfinite(scores).all()


def check_predict_is_binary_and_agrees_with_threshold(name: str, data: ContractData) -> None:
    detector = fitted(name, data)
    predicted = detector.predict(data.X_test)
    assert set(np.unique(predicted).tolist()) <= {0, 1}
    np.testing.assert_array_equal(predicted, detector.decision_function(data.X_test) > detector.threshold_)


def check_attacks_score_higher_than_normal_traffic(name: str, data: ContractData) -> None:
    detector = fitted(name, data)
    scores = detector.decision_function(data.X_test)
    assert roc_auc_score(data.y_test, scores) > 0.75
    if detector.supervision == "unsupervised":
        # rows far outside the training data: every feature shifted by 5 (features lie in about [0, 1])
        far = data.X_test[: len(data.X_test) // 2] + 5.0
        normal_scores = scores[data.y_test == 0]
        far_scores = detector.decision_function(far)
        is_far = np.r_[np.zeros(len(normal_scores)), np.ones(len(far))]
        assert roc_auc_score(is_far, np.r_[normal_scores, far_scores]) > 0.99


def check_clone_and_params_round_trip(name: str, data: ContractData) -> None:
    detector = make_detector(name, threshold="p95")
    params = detector.get_params()
    assert params["threshold"] == "p95" and params["random_state"] == 0
    twin = clone(detector)
    assert twin is not detector and twin.get_params() == params
    assert twin.set_params(threshold="p90") is twin
    assert twin.threshold == "p90" and detector.threshold == "p95"
    unfitted = clone(fitted(name, data))
    assert not hasattr(unfitted, "threshold_")


def check_same_random_state_gives_same_scores(name: str, data: ContractData) -> None:
    first = fitted(name, data).decision_function(data.X_test)
    again = fit(make_detector(name), data).decision_function(data.X_test)
    np.testing.assert_allclose(again, first, rtol=1e-5, atol=1e-8)


def check_calibrate_puts_threshold_at_requested_percentile_of_normals(name: str, data: ContractData) -> None:
    detector = copy.deepcopy(fitted(name, data))
    assert detector.calibrate(data.X_val, data.y_val, threshold="p95") is detector
    normal_scores = detector.decision_function(data.X_val[data.y_val == 0])
    assert detector.threshold_ == pytest.approx(np.percentile(normal_scores, 95))
    assert detector.threshold_strategy_ == "p95"


def check_nan_input_is_rejected_by_name(name: str, data: ContractData) -> None:
    X = data.X_normal.copy()
    X[3, 7] = np.nan
    detector = make_detector(name)
    y = None if detector.supervision == "unsupervised" else (np.arange(len(X)) % 2).astype(np.int8)
    with pytest.raises(NetadInputError, match="NaN"):
        detector.fit(X, y)
    with pytest.raises(NetadInputError, match="NaN"):
        fitted(name, data).decision_function(X[:10])


def check_wrong_feature_count_is_rejected(name: str, data: ContractData) -> None:
    with pytest.raises(NetadInputError, match="expected 118 features"):
        fitted(name, data).decision_function(data.X_test[:, :-1])


def check_labels_are_validated_and_required_unless_unsupervised(name: str, data: ContractData) -> None:
    detector = make_detector(name)
    with pytest.raises(NetadInputError, match=f"expected {N_TRAIN} labels"):
        detector.fit(data.X_normal, np.zeros(N_TRAIN - 1, dtype=np.int8))
    if detector.supervision != "unsupervised":
        with pytest.raises(NetadInputError, match="needs labels"):
            detector.fit(data.X_normal)


CHECKS: list[Callable[[str, ContractData], None]] = [
    check_fit_returns_self_and_sets_learned_attributes,
    check_scores_are_finite_float64_one_per_row,
    check_predict_is_binary_and_agrees_with_threshold,
    check_attacks_score_higher_than_normal_traffic,
    check_clone_and_params_round_trip,
    check_same_random_state_gives_same_scores,
    check_calibrate_puts_threshold_at_requested_percentile_of_normals,
    check_nan_input_is_rejected_by_name,
    check_wrong_feature_count_is_rejected,
    check_labels_are_validated_and_required_unless_unsupervised,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", sorted(available()))
def test_detector_contract(name: str, check: Callable[[str, ContractData], None], data: ContractData) -> None:
    check(name, data)
