"""Saved models: every registered detector round-trips exactly; tampered, disguised or missing files are refused.

Data: real NSL-KDD rows (the sample bundled with netad) through a fitted FlowPreprocessor.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_edits import copy_model, rewrite_listed_hash

from netad.datasets import load
from netad.detectors import BaseDetector, available, get_class
from netad.errors import NetadInputError
from netad.persist import load_detector, load_model, save_detector, save_model
from netad.pipeline import train_model
from netad.preprocess import FlowPreprocessor


def _contract_fast_params() -> dict[str, dict[str, object]]:
    """FAST_PARAMS of the contract test (one place says what 'fast' means for each detector)."""
    path = Path(__file__).parent / "detectors" / "test_contract.py"
    try:
        spec = importlib.util.spec_from_file_location("_netad_contract_params", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return dict(module.FAST_PARAMS)
    except (OSError, AttributeError, ImportError):
        return {}


FAST_PARAMS = _contract_fast_params()
TORCH_FAST = {"epochs": 2, "n_threads": 1, "hidden_size": 8}  # any deep detector, keys it does not take ignored
N_TRAIN, N_ATTACK, N_HELD_OUT = 800, 200, 400


@dataclass
class Sample:
    train: pd.DataFrame  # normal rows
    attack: pd.DataFrame
    held_out: pd.DataFrame  # normals and attacks not used for fitting
    preprocessor: FlowPreprocessor


@pytest.fixture(scope="module")
def sample() -> Sample:
    ds = load("nsl-kdd-sample")
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(ds.label == 0))
    attack = rng.permutation(np.flatnonzero(ds.label == 1))
    train = ds.features.iloc[normal[:N_TRAIN]].reset_index(drop=True)
    held = np.r_[normal[N_TRAIN : N_TRAIN + N_HELD_OUT // 2], attack[N_ATTACK : N_ATTACK + N_HELD_OUT // 2]]
    return Sample(
        train=train,
        attack=ds.features.iloc[attack[:N_ATTACK]].reset_index(drop=True),
        held_out=ds.features.iloc[held].reset_index(drop=True),
        preprocessor=FlowPreprocessor.for_dataset(ds).fit(train),
    )


def make_fast(name: str, **params: object) -> BaseDetector:
    cls = get_class(name)  # a registered detector whose module does not import fails here, never skips
    accepted = inspect.signature(cls.__init__).parameters
    fast = dict(FAST_PARAMS.get(name, {}))
    if "n_threads" in accepted:  # a torch detector
        fast = {**TORCH_FAST, **fast}
    fast = {k: v for k, v in fast.items() if k in accepted}
    return cls(**{**fast, "random_state": 0, **params})


def fit_on(detector: BaseDetector, sample: Sample) -> BaseDetector:
    X = sample.preprocessor.transform(sample.train)
    if detector.supervision == "unsupervised":
        return detector.fit(X)
    X_attack = sample.preprocessor.transform(sample.attack)
    y = np.r_[np.zeros(len(X)), np.ones(len(X_attack))].astype(np.int8)
    return detector.fit(np.vstack([X, X_attack]), y)


def is_torch(detector: BaseDetector) -> bool:
    return hasattr(detector, "module_")


@pytest.fixture(scope="module")
def saved_autoencoder(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    detector = fit_on(make_fast("autoencoder"), sample)
    return save_model(tmp_path_factory.mktemp("ae") / "model", sample.preprocessor, detector, {"note": "test"})


class _MakesDirectoryWhenUnpickled:
    """A pickle payload with a visible side effect: proof that loading did (not) execute code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (os.makedirs, (str(self.marker),))


class Harmless:
    """A class outside scikit-learn/numpy, for the skops allow-list test."""

    def __init__(self) -> None:
        self.value = 1


# -- round trip -------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(available()))
def test_saved_and_loaded_detector_scores_held_out_rows_identically(name, sample, tmp_path):
    detector = fit_on(make_fast(name), sample)
    reference = sample.preprocessor.transform(sample.train)
    save_model(tmp_path / "model", sample.preprocessor, detector, {"dataset": "nsl-kdd-sample"}, reference=reference)

    loaded = load_model(tmp_path / "model")
    assert type(loaded.detector) is type(detector)
    assert loaded.detector_name == name
    assert loaded.detector.threshold_ == detector.threshold_
    assert loaded.detector.threshold_strategy_ == detector.threshold_strategy_
    assert loaded.detector.get_params() == detector.get_params()
    X_expected = sample.preprocessor.transform(sample.held_out)
    X_loaded = loaded.preprocessor.transform(sample.held_out)
    np.testing.assert_array_equal(X_loaded, X_expected)
    expected, got = detector.decision_function(X_expected), loaded.detector.decision_function(X_loaded)
    if is_torch(detector):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(loaded.detector.predict(X_loaded), detector.predict(X_expected))
    assert loaded.metadata == {"dataset": "nsl-kdd-sample"}
    assert loaded.schema.output_features == list(sample.preprocessor.get_feature_names_out())
    np.testing.assert_allclose(loaded.schema.feature_mean, reference.mean(axis=0, dtype=np.float64), atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {"scaler": "minmax", "log1p": True},
        {"scaler": "robust", "unknown_indicator": False},
        {"scaler": None, "max_categories": 5},
    ],
    ids=["minmax-log1p", "robust", "max-categories"],
)
def test_preprocessor_variants_are_rebuilt_exactly(options, sample, tmp_path):
    ds = load("nsl-kdd-sample")
    preprocessor = FlowPreprocessor.for_dataset(ds, **options).fit(sample.train)
    detector = make_fast("pca").fit(preprocessor.transform(sample.train))
    loaded = load_model(save_model(tmp_path / "model", preprocessor, detector))
    np.testing.assert_array_equal(
        loaded.preprocessor.transform(sample.held_out), preprocessor.transform(sample.held_out)
    )
    if options.get("max_categories"):  # the infrequent grouping survived
        infrequent = loaded.preprocessor.encoder_.infrequent_categories_
        assert any(c is not None and len(c) for c in infrequent)
        assert [list(c) for c in infrequent if c is not None] == [
            list(c) for c in preprocessor.encoder_.infrequent_categories_ if c is not None
        ]


def test_save_and_load_detector_round_trip_without_a_preprocessor(sample, tmp_path):
    X = sample.preprocessor.transform(sample.train)
    detector = make_fast("iforest").fit(X)
    save_detector(detector, tmp_path / "iforest")
    loaded = load_detector(tmp_path / "iforest", get_class("iforest"))
    X_held = sample.preprocessor.transform(sample.held_out)
    np.testing.assert_array_equal(loaded.decision_function(X_held), detector.decision_function(X_held))
    assert load_model(tmp_path / "iforest").preprocessor is None
    # model.json says where threshold_ was set: on the 10% of training rows fit held out of the model
    detector_json = json.loads((tmp_path / "iforest" / "model.json").read_text())["detector"]
    held_out = detector._calibration_rows(len(X), None)
    assert detector_json["threshold_calibration"] == {
        "strategy": "p99", "method": "holdout", "rows": len(held_out), "share": pytest.approx(0.1, abs=1e-3),
        "drawn_from": "all rows", "seed": 0,
    }  # fmt: skip
    assert loaded.threshold_calibration_ == detector.threshold_calibration_
    with pytest.raises(NetadInputError, match="not a PCAReconstruction"):
        load_detector(tmp_path / "iforest", get_class("pca"))


def test_loading_a_deep_model_leaves_the_global_torch_rng_alone(saved_autoencoder):
    import torch

    before = torch.get_rng_state()
    load_model(saved_autoencoder)
    assert torch.equal(torch.get_rng_state(), before)


def test_train_model_keeps_the_threshold_the_benchmark_chooses_on_validation(tmp_path):
    from netad.bench import plan
    from netad.bench.job import run_job

    job = plan("nsl-kdd-sample", "pca", [0], "novelty", "p97", max_train=2000, save_scores=False)[0]
    trained = train_model(job, tmp_path / "model")
    bench = run_job(job).rows[0]
    loaded = load_model(tmp_path / "model")
    assert loaded.detector.threshold_ == bench["threshold"] == trained.threshold
    assert loaded.detector.threshold_strategy_ == "p97"
    assert loaded.metadata["metrics"]["test"]["auroc"] == pytest.approx(bench["auroc"])
    assert loaded.metadata["provenance"]["seed"] == 0
    assert loaded.metadata["threshold"]["chosen_on"] == "validation"
    calibration = json.loads((tmp_path / "model" / "model.json").read_text())["detector"]["threshold_calibration"]
    assert calibration == {"strategy": "p97", "method": "validation", "rows": trained.n_validation}
    assert loaded.schema.feature_mean is not None
    # the drift reference: quantiles of the scores of normal validation rows; the p97 cut lies at their 97th
    assert loaded.score_reference.shape == (101,) and np.all(np.diff(loaded.score_reference) >= 0)
    assert loaded.score_reference[97] == pytest.approx(loaded.detector.threshold_, rel=0.05)
    with pytest.raises(NetadInputError, match="not empty"):
        train_model(job, tmp_path / "model")
    oracle = plan("nsl-kdd-sample", "pca", [0], "novelty", "oracle", max_train=2000, save_scores=False)[0]
    with pytest.raises(NetadInputError, match="test labels"):
        train_model(oracle, tmp_path / "oracle")


# -- refusing what is not a saved model -------------------------------------------------------------------
def test_a_modified_weights_file_is_refused_by_name(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    weights = bytearray((model / "weights.safetensors").read_bytes())
    weights[-3] ^= 0xFF  # one flipped bit pattern in the last tensor's data
    (model / "weights.safetensors").write_bytes(bytes(weights))
    with pytest.raises(NetadInputError, match=r"weights\.safetensors: sha256 does not match"):
        load_model(model)


def test_a_pickle_disguised_as_safetensors_is_refused_without_running_it(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    marker = tmp_path / "code-ran"
    (model / "weights.safetensors").write_bytes(pickle.dumps(_MakesDirectoryWhenUnpickled(marker)))
    rewrite_listed_hash(model, "weights.safetensors")
    with pytest.raises(NetadInputError, match=r"weights\.safetensors: not a safetensors file"):
        load_model(model)
    assert not marker.exists()


def test_a_pickle_disguised_as_skops_is_refused_without_running_it(sample, tmp_path):
    detector = make_fast("iforest").fit(sample.preprocessor.transform(sample.train))
    model = save_model(tmp_path / "m", sample.preprocessor, detector)
    marker = tmp_path / "code-ran"
    (model / "model_.skops").write_bytes(pickle.dumps(_MakesDirectoryWhenUnpickled(marker)))
    rewrite_listed_hash(model, "model_.skops")
    with pytest.raises(NetadInputError, match=r"model_\.skops: not a skops file"):
        load_model(model)
    assert not marker.exists()


def test_a_skops_file_with_types_outside_the_allow_list_is_refused(sample, tmp_path):
    import skops.io as sio

    detector = make_fast("pca").fit(sample.preprocessor.transform(sample.train))
    model = save_model(tmp_path / "m", sample.preprocessor, detector)
    (model / "model_.skops").write_bytes(sio.dumps(Harmless()))
    rewrite_listed_hash(model, "model_.skops")
    with pytest.raises(NetadInputError, match="outside the allow-list.*Harmless"):
        load_model(model)


def test_a_missing_file_is_named(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    (model / "preprocessor.safetensors").unlink()
    with pytest.raises(NetadInputError, match=r"preprocessor\.safetensors: missing"):
        load_model(model)
    with pytest.raises(NetadInputError, match=r"model\.json: missing"):
        load_model(tmp_path)


def test_unknown_detector_and_newer_format_are_refused(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    description = json.loads((model / "model.json").read_text())
    (model / "model.json").write_text(json.dumps({**description, "detector": {**description["detector"], "name": "x"}}))
    with pytest.raises(NetadInputError, match="unknown detector 'x'"):
        load_model(model)
    (model / "model.json").write_text(json.dumps({**description, "format_version": 99}))
    with pytest.raises(NetadInputError, match="newer netad"):
        load_model(model)


def test_state_without_a_safe_format_cannot_be_saved(sample, tmp_path):
    detector = make_fast("pca").fit(sample.preprocessor.transform(sample.train))
    detector.callback_ = lambda x: x  # not data: refusing beats pickling it
    with pytest.raises(NetadInputError, match="cannot save PCAReconstruction.callback_"):
        save_model(tmp_path / "m", sample.preprocessor, detector)
    assert not (tmp_path / "m").exists()


def test_saving_refuses_a_non_empty_directory_unless_overwrite(sample, tmp_path):
    X = sample.preprocessor.transform(sample.train)
    first = make_fast("pca", n_components=3).fit(X)
    second = make_fast("pca", n_components=5).fit(X)
    save_model(tmp_path / "m", sample.preprocessor, first)
    with pytest.raises(NetadInputError, match="not empty"):
        save_model(tmp_path / "m", sample.preprocessor, second)
    save_model(tmp_path / "m", sample.preprocessor, second, overwrite=True)
    assert load_model(tmp_path / "m").detector.n_components == 5


def test_loading_a_scikit_learn_model_does_not_import_torch(sample, tmp_path):
    import subprocess
    import sys

    detector = make_fast("iforest").fit(sample.preprocessor.transform(sample.train))
    save_model(tmp_path / "m", sample.preprocessor, detector)
    code = (
        "import sys; from netad.persist import load_model; "
        f"load_model({str(tmp_path / 'm')!r}); print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
