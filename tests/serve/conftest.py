"""Fixtures of the service tests: models trained by `netad train` on the bundled NSL-KDD sample, real rows of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("fastapi")
pytest.importorskip("orjson")
pytest.importorskip("httpx")

KEY = "test-key-123"
AUTH = {"X-API-Key": KEY}


def _train(out: Path, detector: str, *params: str) -> Path:
    from netad.cli import app as cli

    args = ["train", "-d", "nsl-kdd-sample", "-m", detector, "--max-train", "3000", "-o", str(out), "-q"]
    for param in params:
        args += ["--param", param]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An iforest model (50 trees)."""
    return _train(tmp_path_factory.mktemp("serve") / "iforest", "iforest", "n_estimators=50")


@pytest.fixture(scope="session")
def pca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("serve") / "pca", "pca")


@pytest.fixture(scope="session")
def rows() -> pd.DataFrame:
    """Real NSL-KDD rows (normal and attacks) with their label as an extra column."""
    from netad.datasets import load

    data = load("nsl-kdd-sample")
    picked = np.sort(np.random.default_rng(3).choice(data.n_rows, 400, replace=False))
    frame = data.features.iloc[picked].reset_index(drop=True)
    frame["label"] = data.label[picked]
    return frame


@pytest.fixture(scope="session")
def to_records() -> Callable[[pd.DataFrame], list[dict]]:
    """A table as JSON records (what a client sends)."""
    return lambda frame: json.loads(frame.to_json(orient="records"))


@pytest.fixture(scope="session")
def expected_scores() -> Callable[[Path, pd.DataFrame], np.ndarray]:
    """The saved model's own scores for a table (its preprocessor's transform, its detector)."""
    from netad.persist import load_model

    def scores(model_dir: Path, frame: pd.DataFrame) -> np.ndarray:
        model = load_model(model_dir)
        return model.detector.decision_function(model.preprocessor.transform(frame[model.schema.input_columns]))

    return scores


@pytest.fixture(scope="module")
def client(model_dir):
    from fastapi.testclient import TestClient

    from netad.serve import create_app

    return TestClient(create_app(model_dir, api_key=KEY, max_rows=500, max_body_mb=1.0))
