"""Command-line options checked when they are parsed, before any data is read or model fitted: detector parameters
(by the detector's own and scikit-learn's constraints), seeds, threshold strategies that need attacks on all-normal
data. Each is one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.datasets import load

runner = CliRunner()
CSV = ["--label-column", "label", "--normal-label", "normal"]


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, (result.exit_code, result.stderr)
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if a dataset is read: parse-time checks come before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset was loaded before the options were checked")

    monkeypatch.setattr("netad.datasets.load", refuse)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "iforest.n_estimators=abc"], "expected an integer"),
        (["--param", "iforest.n_estimators=-1"], "'n_estimators' parameter of IsolationForest must be an int"),
        (["--param", "ocsvm.nu=2"], "'nu' parameter of OneClassSVM"),
        (["--param", "autoencoder.epochs=-1"], "epochs must be >= 1"),
        (["--seeds=-1"], "seed(s) [-1]"),
        (["--seeds", "12345678901234567890"], "from 0 to 2**32 - 1"),
        (["--seeds", "0,x"], "--seeds '0,x'"),
    ],
)
def test_bench_options_fail_before_any_work(args, message, no_loading, tmp_path):
    detector = args[1].split(".")[0] if args[0] == "--param" else "iforest"
    result = runner.invoke(app, ["bench", "-d", "nsl-kdd-sample", "-m", detector, "-o", str(tmp_path / "run"), *args])
    assert message in one_line_error(result)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "n_estimators=abc"], "expected an integer"),
        (["--param", "n_estimators=-1"], "in the range [1, inf)"),
        (["--seed", "12345678901234567890"], "from 0 to 2**32 - 1"),
        (["--seed", "-1"], "seed(s) [-1]"),
    ],
)
def test_train_options_fail_before_any_work(args, message, no_loading, tmp_path):
    result = runner.invoke(app, ["train", "-d", "nsl-kdd-sample", "-m", "iforest", "-o", str(tmp_path / "m"), *args])
    assert message in one_line_error(result)


@pytest.fixture(scope="module")
def all_normal_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nsl = load("nsl-kdd-sample")
    frame = nsl.features.iloc[np.flatnonzero(nsl.label == 0)[:1200]].copy()
    frame["label"] = "normal"
    path = tmp_path_factory.mktemp("normal") / "normal.csv"
    frame.to_csv(path, index=False)
    return path


def test_best_f1_on_all_normal_data_is_refused_before_fitting(all_normal_csv, tmp_path, monkeypatch):
    from netad.detectors.base import BaseDetector

    def no_fit(*args, **kwargs):
        raise AssertionError("the detector was fitted before the threshold check")

    monkeypatch.setattr(BaseDetector, "fit", no_fit)
    bench = ["bench", "-d", f"csv:{all_normal_csv}", *CSV, "-m", "iforest", "-t", "best-f1", "--seeds", "0"]
    line = one_line_error(runner.invoke(app, [*bench, "-o", str(tmp_path / "run")]))
    assert "'best-f1' needs attack rows" in line and "no attack" in line
    assert not (tmp_path / "run").exists()
    train = ["train", "-d", f"csv:{all_normal_csv}", *CSV, "-m", "iforest", "-t", "best-f1", "-q"]
    line = one_line_error(runner.invoke(app, [*train, "-o", str(tmp_path / "model")]))
    assert "'best-f1' needs attacks in the validation split" in line
