"""BiGAN on real KDDCup99 rows (DAGMM npz; trained on KDD normal traffic, tested on held-out normals + attacks)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from netad.detectors import make
from netad.detectors.bigan import BiGAN
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")

# lr 1e-4 and batch 128 (defaults: Zenati's 1e-5 and 50) so that a few epochs suffice
FAST = {"epochs": 5, "batch_size": 128, "lr": 1e-4, "patience": None, "n_threads": 1}


@pytest.fixture(scope="module")
def kdd(kdd_npz_sample):
    """3,000 training normals; test = 1,000 held-out normals + 1,000 attacks."""
    return kdd_npz_sample(1, 3000, 1000, 1000)


@pytest.fixture(scope="module")
def fitted(kdd):
    return BiGAN(**FAST, random_state=0).fit(kdd[0])


def test_bigan_ranks_attacks_above_held_out_normal_traffic(kdd, fitted):
    _, X_test, y_test = kdd
    auroc = roc_auc_score(y_test, fitted.decision_function(X_test))
    assert auroc > 0.85, f"AUROC {auroc:.3f}"  # measured about 0.95 on this sample
    flagged = fitted.predict(kdd[0]).mean()
    assert 0.005 <= flagged <= 0.02, "p99 threshold flags about 1% of the training normals"


def test_discriminator_learns_and_history_is_logged(fitted):
    history = fitted.history_
    assert len(history["train_d_loss"]) == fitted.n_epochs_ == FAST["epochs"]
    # 2 log 2 = 1.386 is a discriminator at chance; it must do better than that after training
    assert history["train_d_loss"][-1] < 0.9 * history["train_d_loss"][0]
    assert history["train_d_loss"][-1] < 2 * np.log(2)
    assert np.isfinite(history["val_loss"]).all() and np.isfinite(history["train_g_loss"]).all()
    assert fitted.best_epoch_ is None, "patience=None keeps the final GAN"


def test_early_stopping_keeps_the_epoch_with_the_lowest_validation_score(kdd):
    X_train, X_test, _ = kdd
    detector = BiGAN(**{**FAST, "epochs": 12, "patience": 2}, random_state=0).fit(X_train)
    val = detector.history_["val_loss"]
    assert detector.stopped_early_ and detector.n_epochs_ < 12
    assert detector.best_epoch_ == int(np.argmin(val))
    # the kept weights are the best epoch's: re-scoring validation-like rows gives about that epoch's level
    assert detector.decision_function(X_train).mean() < max(val)


def test_score_mixes_reconstruction_and_feature_matching_by_alpha(kdd, fitted):
    X = torch.from_numpy(kdd[1][:50])
    net = fitted.module_
    with torch.no_grad():
        z = net.encoder(X)
        x_hat = net.generator(z)
        reconstruction = (X - x_hat).abs().sum(dim=1).numpy()
        matching = (net.discriminate(X, z)[1] - net.discriminate(x_hat, z)[1]).abs().sum(dim=1).numpy()
    np.testing.assert_allclose(fitted.decision_function(kdd[1][:50]), 0.9 * reconstruction + 0.1 * matching, rtol=1e-5)
    only_reconstruction = pickle.loads(pickle.dumps(fitted)).set_params(alpha=1.0)
    np.testing.assert_allclose(only_reconstruction.decision_function(kdd[1][:50]), reconstruction, rtol=1e-5)


def test_same_random_state_gives_identical_scores(kdd, fitted):
    X_train, X_test, _ = kdd
    again = BiGAN(**FAST, random_state=0).fit(X_train).decision_function(X_test)
    other = BiGAN(**FAST, random_state=1).fit(X_train).decision_function(X_test)
    np.testing.assert_array_equal(again, fitted.decision_function(X_test))
    assert not np.allclose(again, other)


def test_fitted_detector_pickles_without_optimizer_state(kdd, fitted):
    assert fitted._optimizers is None
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(kdd[1]), fitted.decision_function(kdd[1]))
    assert fitted.embed(kdd[1][:10]).shape == (10, 32)


def test_registered_and_bad_parameters_are_named():
    assert isinstance(make("bigan"), BiGAN)
    X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    with pytest.raises(NetadInputError, match="alpha"):
        BiGAN(alpha=1.5, epochs=1).fit(X)
    with pytest.raises(NetadInputError, match="lr_schedule"):
        BiGAN(lr_schedule="cosine", epochs=1).fit(X)
