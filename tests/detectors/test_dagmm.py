"""DAGMM on real KDDCup99 rows (the DAGMM npz, label 1 = KDD 'normal' = the anomaly in DAGMM's protocol):
the energy ranks held-out anomalies high, stays finite on degenerate rows, and the mixture maths is right."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.metrics import roc_auc_score

from netad.detectors import make
from netad.detectors.dagmm import DAGMM, gmm_parameters, sample_energy, stable_cholesky
from netad.errors import NetadError, NetadInputError

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")

FAST = {"epochs": 8, "batch_size": 256, "lr": 1e-3, "n_threads": 1}


@pytest.fixture(scope="module")
def kdd(kdd_npz_sample):
    """DAGMM protocol in small: train on 4,000 KDD attack rows; test 1,500 held-out attacks + 500 KDD normals."""
    return kdd_npz_sample(0, 4000, 1500, 500)


@pytest.fixture(scope="module")
def fitted(kdd):
    return DAGMM(**FAST, random_state=0).fit(kdd[0])


def test_energy_ranks_held_out_anomalies_above_the_training_class(kdd, fitted):
    _, X_test, y_test = kdd
    energy = fitted.decision_function(X_test)
    auroc = roc_auc_score(y_test, energy)
    assert auroc > 0.9, f"AUROC {auroc:.3f}"  # measured about 0.98 on this sample


def test_training_loss_falls(fitted):
    history = fitted.history_
    assert len(history["train_loss"]) == fitted.n_epochs_ == FAST["epochs"]
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    # early on the covariance penalty dominates: the latent spread grows until 1/diag(Sigma) is small
    assert history["train_cov_penalty"][-1] < 0.5 * history["train_cov_penalty"][0]
    assert all(np.isfinite(history[key]).all() for key in ("train_loss", "train_energy", "train_reconstruction"))


def test_em_mixture_fits_the_training_latents_and_p99_flags_one_percent_of_the_held_out_rows(kdd, fitted):
    # fit keeps 10% of the rows out of the model (seeded) and sets threshold_ on their energies
    held_out = fitted._calibration_rows(len(kdd[0]), None)
    X_train, X_held_out = np.delete(kdd[0], held_out, axis=0), kdd[0][held_out]
    assert fitted.mixture == "em" and fitted.mixture_components == 2
    assert fitted.phi_.shape == (2,) and fitted.phi_.sum() == pytest.approx(1.0)
    assert fitted.means_.shape == (2, 3) and fitted.covariances_.shape == (2, 3, 3)
    assert np.all(np.linalg.eigvalsh(fitted.covariances_) > 0)
    z = fitted.embed(X_train).astype(np.float64)
    assert z.shape == (len(X_train), 3)
    # after an EM M-step the mixture's mean is the sample mean of the latents it was fitted on (the fitted rows)
    np.testing.assert_allclose(fitted.phi_ @ fitted.means_, z.mean(axis=0), rtol=1e-3, atol=1e-4)
    # the energy is -log of the fitted mixture density (sklearn's score_samples of the same parameters)
    from sklearn.mixture import GaussianMixture

    gmm = GaussianMixture(n_components=2, covariance_type="full")
    gmm.weights_, gmm.means_, gmm.covariances_ = fitted.phi_, fitted.means_, fitted.covariances_
    gmm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(fitted.covariances_))
    np.testing.assert_allclose(
        fitted.decision_function(X_train[:200]), -gmm.score_samples(z[:200]), rtol=1e-4, atol=1e-3
    )
    # default threshold: p99 of the held-out energies, about 1% of them flagged (not the paper's 20%)
    assert fitted.threshold_strategy_ == "p99"
    assert fitted.predict(X_held_out).mean() == pytest.approx(0.01, abs=0.01)


def test_network_mixture_is_the_estimation_networks_moments_over_the_fitted_rows(kdd):
    detector = DAGMM(**{**FAST, "epochs": 2}, mixture="network", random_state=0).fit(kdd[0])
    X_train = np.delete(kdd[0], detector._calibration_rows(len(kdd[0]), None), axis=0)
    assert detector.phi_.shape == (4,) and detector.covariances_.shape == (4, 3, 3)
    z = detector.embed(X_train).astype(np.float64)
    # gamma-weighted moments: the phi-weighted component means average to the latents' mean
    np.testing.assert_allclose(detector.phi_ @ detector.means_, z.mean(axis=0), rtol=1e-3, atol=1e-4)


def test_seed_rule_stays_available_for_evaluation_only(kdd):
    # the seed notebook's p80 of train + test energies pools test rows: netad bench -t seed:p80 applies it, a
    # detector's own fit-time threshold refuses it
    with pytest.raises(NetadInputError, match="test data"):
        DAGMM(**{**FAST, "epochs": 1}, threshold="seed:p80").fit(kdd[0])


def test_energies_are_finite_on_extreme_and_all_zero_rows(kdd, fitted):
    X_test = kdd[1]
    weird = np.vstack(
        [
            np.zeros((3, X_test.shape[1]), dtype=np.float32),
            np.full((2, X_test.shape[1]), 1e6, dtype=np.float32),
            np.full((2, X_test.shape[1]), -1e30, dtype=np.float32),
            X_test[:5] * 1e4,
        ]
    )
    energy = fitted.decision_function(weird)
    assert np.isfinite(energy).all()
    typical = fitted.decision_function(X_test[:500])
    assert energy.min() > np.median(typical), "degenerate rows look anomalous, not normal"


def test_fit_on_full_scale_data_has_no_nan(kdd):
    # the raw npz has columns in [0, 1]; scaled up (as a StandardScaler does to rare one-hot columns) training
    # and scoring must stay finite
    X_train, X_test, _ = kdd
    detector = DAGMM(**{**FAST, "epochs": 2}, random_state=1).fit(X_train * 300.0)
    assert np.isfinite(detector.decision_function(X_test * 300.0)).all()


def test_stable_cholesky_repairs_singular_and_slightly_indefinite_covariances():
    singular = torch.tensor([[[1.0, 1.0], [1.0, 1.0]]], dtype=torch.float64)  # rank 1
    with pytest.raises(RuntimeError):
        torch.linalg.cholesky(singular)
    factor, regularised, jitter = stable_cholesky(singular, eps=0.0)
    assert jitter > 0
    np.testing.assert_allclose((factor @ factor.mT).numpy(), regularised.numpy(), atol=1e-12)
    np.testing.assert_allclose(regularised.numpy(), (singular + jitter * torch.eye(2)).numpy())

    eigenvectors = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))[
        0
    ]
    indefinite = eigenvectors @ torch.diag(torch.tensor([2.0, 1.0, -1e-4], dtype=torch.float64)) @ eigenvectors.T
    factor, _, jitter = stable_cholesky(indefinite.unsqueeze(0), eps=1e-6)
    assert 1e-4 < jitter <= 1e-2, "retried with tenfold larger jitter until positive definite"
    z = torch.randn(10, 3, dtype=torch.float64)
    energy = sample_energy(z, torch.ones(1, dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64), factor)
    assert torch.isfinite(energy).all()

    with pytest.raises(NetadError, match="not positive definite"):
        stable_cholesky(torch.full((1, 2, 2), float("nan"), dtype=torch.float64))


def test_sample_energy_is_the_negative_log_mixture_density():
    rng = np.random.default_rng(0)
    phi = np.array([0.2, 0.5, 0.3])
    mu = rng.normal(size=(3, 2))
    a = rng.normal(size=(3, 2, 2))
    cov = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(2)
    z = rng.normal(size=(50, 2)) * 3
    density = sum(phi[k] * multivariate_normal(mu[k], cov[k]).pdf(z) for k in range(3))
    factor = torch.linalg.cholesky(torch.from_numpy(cov))
    energy = sample_energy(torch.from_numpy(z), torch.from_numpy(phi), torch.from_numpy(mu), factor)
    np.testing.assert_allclose(energy.numpy(), -np.log(density), rtol=1e-10)
    # far from every component the density underflows, the log-sum-exp does not
    far = sample_energy(
        torch.full((1, 2), 1e4, dtype=torch.float64), torch.from_numpy(phi), torch.from_numpy(mu), factor
    )
    assert torch.isfinite(far).all() and far.item() > 1e6


def test_gmm_parameters_with_hard_memberships_are_cluster_moments():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 3))
    assign = rng.integers(0, 2, size=300)
    gamma = np.eye(2)[assign]
    phi, mu, cov = gmm_parameters(torch.from_numpy(z), torch.from_numpy(gamma))
    for k in range(2):
        members = z[assign == k]
        assert phi[k].item() == pytest.approx(len(members) / 300)
        np.testing.assert_allclose(mu[k].numpy(), members.mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(cov[k].numpy(), np.cov(members.T, bias=True), atol=1e-12)


def test_same_random_state_gives_identical_energies(kdd, fitted):
    X_train, X_test, _ = kdd
    again = DAGMM(**FAST, random_state=0).fit(X_train).decision_function(X_test)
    other = DAGMM(**FAST, random_state=3).fit(X_train).decision_function(X_test)
    np.testing.assert_array_equal(again, fitted.decision_function(X_test))
    assert not np.allclose(again, other)


def test_pickle_round_trip_keeps_scores(kdd, fitted):
    X_test = kdd[1]
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(X_test), fitted.decision_function(X_test))


def test_registered_and_bad_parameters_are_named():
    assert isinstance(make("dagmm"), DAGMM)
    assert make("dagmm").get_params()["threshold"] == "p99"
    with pytest.raises(NetadInputError, match="n_components"):
        DAGMM(n_components=0, epochs=1).fit(np.zeros((20, 3), dtype=np.float32) + np.arange(3))
    with pytest.raises(NetadInputError, match="lambda_cov"):
        DAGMM(lambda_cov=-1.0, epochs=1).fit(np.ones((20, 3), dtype=np.float32))
    with pytest.raises(NetadInputError, match="mixture"):
        DAGMM(mixture="kmeans", epochs=1).fit(np.zeros((20, 3), dtype=np.float32) + np.arange(3))
