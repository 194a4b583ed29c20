"""PyOD/DeepOD peers behind netad's contract: names, supervision, seeds, threads, errors, and `netad bench` runs.

Data: the embedded NSL-KDD sample (real rows), cut by netad's own novelty and weak protocols.
"""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from netad.detectors import make
from netad.detectors.peers import PeerDetector, available_peers, peer_supervision
from netad.errors import NetadInputError
from netad.persist import save_detector, save_model

pytest.importorskip("pyod")
pytest.importorskip("deepod")


@pytest.fixture(scope="module")
def kdd() -> dict[str, np.ndarray]:
    """Preprocessed NSL-KDD sample rows: a novelty split (train = normals) and a weak split (+ a few attacks)."""
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load("nsl-kdd-sample")
    data: dict[str, np.ndarray] = {}
    novelty = make_split(dataset, "novelty", seed=0, max_train=2000)
    train, _ = novelty.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset).fit(train)
    rows = np.random.default_rng(0).choice(len(novelty.test.label), size=3000, replace=False)  # keep tests fast
    data["X_train"], data["X_test"] = pre.transform(train), pre.transform(novelty.test.features.iloc[rows])
    data["y_test"] = novelty.test.label[rows]
    weak = make_split(dataset, "weak", seed=0, max_train=2000)
    weak_frame, weak_labels = weak.fit_data("weakly-supervised")
    pre_weak = FlowPreprocessor.for_dataset(dataset).fit(weak_frame)
    data["X_weak"], data["y_weak"] = pre_weak.transform(weak_frame), weak_labels
    return data


def test_pyod_ecod_by_name_scores_real_attacks_higher_and_sets_a_netad_threshold(kdd):
    detector = make("pyod:ECOD", threshold="p95", random_state=0)  # seeded: which rows calibrate threshold_
    assert isinstance(detector, PeerDetector) and detector.supervision == "unsupervised"
    assert detector.fit(kdd["X_train"]) is detector
    scores = detector.decision_function(kdd["X_test"])
    assert np.isfinite(scores).all()
    assert roc_auc_score(kdd["y_test"], scores) > 0.85
    # threshold_ comes from netad's p95 strategy on the training rows fit held out, not PyOD's contamination
    held_out = detector._calibration_rows(len(kdd["X_train"]), None)
    held_out_scores = detector.decision_function(kdd["X_train"][held_out])
    assert detector.threshold_calibration_["method"] == "holdout"
    assert np.mean(held_out_scores <= detector.threshold_) == pytest.approx(0.95, abs=0.01)
    assert set(np.unique(detector.predict(kdd["X_test"]))) <= {0, 1}


def test_deepod_weakly_supervised_model_needs_labels(kdd):
    detector = make("deepod:DevNet", epochs=3, random_state=0)
    assert detector.supervision == "weakly-supervised"
    with pytest.raises(NetadInputError, match="needs labels"):
        detector.fit(kdd["X_weak"])
    assert 0 < kdd["y_weak"].sum() < 0.2 * len(kdd["y_weak"])  # a few known attacks among unlabelled rows
    # fit(X, y) and AUROC on real data: test_bench_runs_peers_with_netads_weak_split_thresholds_and_metrics


@pytest.mark.parametrize("model", ["DevNet", "DeepSAD", "PReNet", "RoSAS", "FeaWAD"])
def test_deepod_weak_models_are_weakly_supervised(model):
    assert make(f"deepod:{model}").supervision == "weakly-supervised"
    assert peer_supervision("deepod", "DeepSVDD") == "unsupervised"


def test_same_seed_gives_the_same_scores_and_leaves_the_callers_random_state_alone(kdd):
    np.random.seed(123)  # noqa: NPY002 - the global state DeepOD would otherwise overwrite
    random.seed(123)
    torch.manual_seed(123)
    numpy_before = np.random.get_state()[1].copy()  # noqa: NPY002
    before = (numpy_before, random.getstate(), torch.get_rng_state().clone())
    threads = torch.get_num_threads()
    X, X_test = kdd["X_train"][:500], kdd["X_test"][:500]
    first = make("deepod:DeepSVDD", epochs=1, random_state=7).fit(X).decision_function(X_test)
    second = make("deepod:DeepSVDD", epochs=1, random_state=7).fit(X).decision_function(X_test)
    np.testing.assert_array_equal(first, second)
    assert np.array_equal(np.random.get_state()[1], before[0])  # noqa: NPY002
    assert random.getstate() == before[1]
    assert torch.equal(torch.get_rng_state(), before[2])
    assert torch.get_num_threads() == threads


def test_peer_parameters_pass_through_and_clone_keeps_them():
    detector = make("pyod:IForest", n_estimators=17, random_state=3)
    assert detector.params == {"n_estimators": 17} and detector.random_state == 3
    peer_kwargs = detector.peer_params(n_features=5)
    assert peer_kwargs["n_estimators"] == 17 and peer_kwargs["random_state"] == 3
    assert clone(detector).get_params() == detector.get_params()
    # adapter defaults: CPU, quiet, fewer epochs for DeepOD; the caller's value wins
    assert make("deepod:DeepSVDD").peer_params(5)["device"] == "cpu"
    assert make("deepod:DeepSVDD").peer_params(5)["epochs"] == 20
    assert make("deepod:DeepSVDD", epochs=100).peer_params(5)["epochs"] == 100
    assert make("pyod:DeepSVDD").peer_params(9)["n_features"] == 9


def test_unknown_peer_model_or_parameter_is_a_clear_error():
    with pytest.raises(NetadInputError, match="pyod has no detector 'NotAModel'.*ECOD"):
        make("pyod:NotAModel")
    with pytest.raises(NetadInputError, match="takes no parameter.*'epochz'"):
        make("deepod:DevNet", epochz=3)
    assert make("deepod:dif").model == "DeepIsolationForest"  # alias, case-insensitive


def test_missing_library_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepod", None)  # import deepod now fails as if it were not installed
    with pytest.raises(NetadInputError, match=r"pip install --no-deps deepod"):
        make("deepod:DevNet")


def test_peers_cannot_be_saved_and_say_why(kdd, tmp_path):
    detector = make("pyod:ECOD").fit(kdd["X_train"][:300])
    with pytest.raises(NetadInputError, match="pickle"):
        save_detector(detector, tmp_path / "ecod")
    with pytest.raises(NetadInputError, match="pickle"):  # the model-directory writer (netad train) says the same
        save_model(tmp_path / "ecod", None, detector)
    assert not (tmp_path / "ecod").exists()


def test_available_peers_lists_installed_pyod_and_deepod_models():
    peers = available_peers()
    assert peers["pyod:ECOD"] == "unsupervised"
    assert peers["deepod:DevNet"] == "weakly-supervised"
    assert "pyod:AutoEncoder" in peers and "deepod:SLAD" in peers


def test_bench_runs_peers_with_netads_weak_split_thresholds_and_metrics(tmp_path):
    from netad.bench import run

    result = run(
        "nsl-kdd-sample", "deepod:DevNet", seeds=[0], protocol="weak", threshold="p99,best-f1",
        out=tmp_path / "run", max_train=1500, n_jobs=1, detector_params={"deepod:DevNet": {"epochs": 2}},
    )  # fmt: skip
    assert not result.errors
    rows = result.results
    assert set(rows["detector"]) == {"deepod:DevNet"}
    assert set(rows["threshold_source"]) == {"validation"}
    assert (rows["auroc"] > 0.6).all()
    assert (result.run_dir / "scores" / "nsl-kdd-sample__weak__deepod_DevNet__seed0.parquet").is_file()


def test_cli_lists_peers_with_their_supervision():
    from typer.testing import CliRunner

    from netad.cli import app

    result = CliRunner().invoke(app, ["detectors", "--peers"])
    assert result.exit_code == 0, result.output
    assert "pyod:ECOD" in result.output and "deepod:DevNet" in result.output
    assert "weakly-supervised" in result.output
