"""MNPWAD on a small real weak split: IoT-23 capture 34-1, benign + DDoS (DDoS thinned to 20% of the rows), 1% of
the training attacks labelled, the other training attacks left unlabelled among the benign flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from netad.datasets import load
from netad.detectors import make
from netad.errors import NetadInputError
from netad.persist import load_detector, save_detector
from netad.preprocess import FlowPreprocessor
from netad.protocols import make_split

pytestmark = pytest.mark.needs_data("iot23")

FAST = {"epochs": 10, "pretrain_epochs": 5, "n_threads": 1}


@dataclass
class WeakData:
    X: np.ndarray  # training rows (contaminated)
    y_known: np.ndarray  # 1 = labelled anomaly
    y_true: np.ndarray  # ground truth of the training rows (tests only)
    X_test: np.ndarray
    y_test: np.ndarray


@pytest.fixture(scope="module")
def weak(shared_data) -> WeakData:
    dataset = load("iot23-ddos", attack_fraction=0.2)
    split = make_split(dataset, "weak", seed=0, labelled_ratio=0.01)
    frame, known = split.fit_data("weakly-supervised")
    pre = FlowPreprocessor.for_dataset(dataset).fit(frame)
    return WeakData(
        pre.transform(frame), known, split.train.label, pre.transform(split.test.features), split.test.label
    )


@pytest.fixture(scope="module")
def fitted(weak):
    return make("mnpwad", random_state=0, min_cluster_share=0.02, **FAST).fit(weak.X, weak.y_known)


def test_split_is_contaminated_with_few_labels(weak):
    assert 0 < weak.y_known.sum() <= 0.02 * weak.y_true.sum() + 1
    assert weak.y_true[weak.y_known == 0].sum() > 100  # unlabelled attacks stay in the training rows


def test_prototypes_are_distinct_unit_vectors_chosen_by_silhouette_without_tiny_clusters(fitted):
    prototypes = fitted.prototypes()
    # the plain silhouette picks 10, the top of its range, on these codes; the size floor stops short of it
    assert 2 <= fitted.n_prototypes_ < 10 and prototypes.shape == (fitted.n_prototypes_, 8)
    assert set(fitted.silhouettes_) == {str(k) for k in range(2, 11)} == set(fitted.smallest_cluster_shares_)
    shares = fitted.smallest_cluster_shares_
    eligible = {k: v for k, v in fitted.silhouettes_.items() if shares[k] >= fitted.min_cluster_share}
    assert fitted.silhouettes_[str(fitted.n_prototypes_)] == max(eligible.values())
    assert np.allclose(np.linalg.norm(prototypes, axis=1), 1.0, atol=1e-5)
    cosine = prototypes @ prototypes.T
    assert cosine[~np.eye(len(cosine), dtype=bool)].max() < 0.99  # no two prototypes collapsed


def test_normal_likelihood_is_lower_for_labelled_anomalies_than_for_normals(fitted, weak):
    likelihood = fitted.normal_likelihood(weak.X)
    normal = weak.y_true == 0
    labelled = weak.y_known == 1
    assert likelihood[labelled].mean() < likelihood[normal].mean()
    # ranking all training rows: benign above attacks (labelled and unlabelled), i.e. the weights down-weight
    # the contamination, not just the few rows the loss saw labelled
    assert roc_auc_score(normal, likelihood) > 0.7


def test_auprc_clearly_beats_the_unsupervised_autoencoder_with_1pct_labels(fitted, weak):
    ours = average_precision_score(weak.y_test, fitted.decision_function(weak.X_test))
    autoencoder = make("autoencoder", epochs=15, n_threads=1, random_state=0).fit(weak.X)
    baseline = average_precision_score(weak.y_test, autoencoder.decision_function(weak.X_test))
    assert ours > baseline + 0.1, (ours, baseline)
    assert roc_auc_score(weak.y_test, fitted.decision_function(weak.X_test)) > 0.85


def test_save_load_round_trip_keeps_prototypes_and_scores(fitted, weak, tmp_path):
    save_detector(fitted, tmp_path / "model")
    loaded = load_detector(tmp_path / "model", type(fitted))
    assert loaded.n_prototypes_ == fitted.n_prototypes_
    np.testing.assert_array_equal(loaded.decision_function(weak.X_test), fitted.decision_function(weak.X_test))
    np.testing.assert_allclose(loaded.prototypes(), fitted.prototypes())


def test_given_number_of_prototypes_is_used(weak):
    detector = make("mnpwad", n_prototypes=3, random_state=1, epochs=1, pretrain_epochs=1, n_threads=1)
    detector.fit(weak.X, weak.y_known)
    assert detector.n_prototypes_ == 3 and detector.silhouettes_ == {}


def test_fit_needs_a_labelled_anomaly(weak):
    with pytest.raises(NetadInputError, match="labelled anomaly"):
        make("mnpwad", epochs=1, pretrain_epochs=1).fit(weak.X, np.zeros(len(weak.X), dtype=np.int8))
    with pytest.raises(NetadInputError, match="m1"):
        make("mnpwad", m1=-1).fit(weak.X, weak.y_known)
    with pytest.raises(NetadInputError, match="min_cluster_share"):
        make("mnpwad", min_cluster_share=0.7).fit(weak.X, weak.y_known)
