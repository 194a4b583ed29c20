"""Declared parameter checks (netad.detectors.constraints) on the deep detectors."""

from __future__ import annotations

import pytest
from sklearn.utils._param_validation import InvalidParameterError

from netad.detectors import available, get_class, make
from netad.detectors.constraints import InvalidParameter, OneOf, Sizes, any_case
from netad.detectors.deep import DeepDetector
from netad.errors import NetadInputError

DEEP = sorted(name for name in available() if issubclass(get_class(name), DeepDetector))


@pytest.mark.parametrize("name", sorted(available()))
def test_every_declared_constraint_names_a_parameter_and_the_defaults_satisfy_them(name):
    detector = get_class(name)()
    assert detector._parameter_constraints, f"{name} declares no parameter checks"
    assert set(detector._parameter_constraints) <= set(detector.get_params())
    detector.check_params()  # the defaults are valid


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("autoencoder", {"activation": "swish"}, r"'activation' parameter of AutoEncoder must be one of .*'relu'"),
        ("autoencoder", {"hidden": (32, -1)}, r"'hidden' parameter of AutoEncoder must be a sequence of positive"),
        ("vae", {"n_samples": 0}, r"'n_samples' parameter of VAE must be an int in the range \[1, inf\)"),
        ("beta-vae", {"beta": -1.0}, r"'beta' parameter of BetaVAE must be a float in the range \[0"),
        ("dagmm", {"mixture": "EM"}, r"'mixture' parameter of DAGMM must be one of 'em', 'network'\. Got 'EM'"),
        ("maf", {"max_train_rows": 1}, r"'max_train_rows' parameter of MAFDetector must be an int .* or None"),
        ("mnpwad", {"min_cluster_share": 0.5}, r"'min_cluster_share' .* range \[0\.0, 0\.5\)"),
        ("latent-sculpting", {"stage1_fpr": 1.0}, r"'stage1_fpr' parameter of LatentSculpting .* \(0\.0, 1\.0\)"),
        ("latent-sculpting", {"d_model": 10, "n_heads": 4}, r"d_model \(10\) must be divisible by n_heads \(4\)"),
        ("bigan", {"lr_schedule": "cosine"}, "lr_schedule must be 'none'"),
        ("neutral", {"transform_type": "rotate"}, "unknown transform_type 'rotate'"),
        ("iforest", {"max_samples": -3}, r"'max_samples' parameter of IsolationForest"),
        ("lof", {"n_neighbors": 0}, r"'n_neighbors' parameter of LocalOutlierFactor"),
        ("pca", {"svd_solver": "magic"}, r"'svd_solver' parameter of PCAReconstruction"),
        ("autoencoder", {"epochs": 0}, "epochs must be >= 1"),
    ],
)
def test_a_bad_parameter_is_an_input_error_that_names_it_and_the_detector(name, params, message):
    with pytest.raises(NetadInputError, match=message):
        make(name, **params).check_params()


def test_the_error_is_also_scikit_learns_invalid_parameter_error():
    with pytest.raises(InvalidParameterError) as caught:
        make("vae", score="energy")._check_params()
    assert isinstance(caught.value, InvalidParameter) and isinstance(caught.value, ValueError)


def test_names_the_models_lower_case_are_accepted_in_any_case_and_the_others_only_as_written():
    make("autoencoder", activation="ReLU", loss="MSE")._check_params()
    make("seq2seq", mode="Window")._check_params()
    assert any_case(["relu"]).is_satisfied_by("ReLU") and not any_case(["relu"]).is_satisfied_by(3)
    assert OneOf(["em"]).is_satisfied_by("em") and not OneOf(["em"]).is_satisfied_by("EM")
    assert str(OneOf(["b", "a"], any_case=True)) == "one of 'b', 'a' (any case)"


@pytest.mark.parametrize(("value", "ok"), [((64, 32), True), ([8], True), (16, True), ((8, 0), False), ("64", False),
                                           (None, False), ((8.5,), True)])  # fmt: skip
def test_sizes_accepts_positive_widths_as_netad_nn_check_sizes_reads_them(value, ok):
    assert Sizes().is_satisfied_by(value) is ok
