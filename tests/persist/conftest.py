"""Small fitted models on real NSL-KDD rows (the sample bundled with netad), saved once per module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netad.datasets import load
from netad.detectors import get_class
from netad.persist import save_model
from netad.preprocess import FlowPreprocessor


@pytest.fixture(scope="session")
def nsl_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(600 normal training rows, 300 held-out rows of both classes)."""
    ds = load("nsl-kdd-sample")
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(ds.label == 0))
    attack = rng.permutation(np.flatnonzero(ds.label == 1))
    held = np.r_[normal[600:750], attack[:150]]
    return ds.features.iloc[normal[:600]].reset_index(drop=True), ds.features.iloc[held].reset_index(drop=True)


@pytest.fixture(scope="session")
def fitted_preprocessor(nsl_rows) -> FlowPreprocessor:
    return FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"]).fit(nsl_rows[0])


def fit_and_save(directory: Path, name: str, preprocessor: FlowPreprocessor, rows: pd.DataFrame, **params) -> Path:
    detector = get_class(name)(random_state=0, **params).fit(preprocessor.transform(rows))
    return save_model(directory, preprocessor, detector)


@pytest.fixture(scope="session")
def saved_autoencoder(tmp_path_factory, fitted_preprocessor, nsl_rows) -> Path:
    return fit_and_save(
        tmp_path_factory.mktemp("ae") / "model", "autoencoder", fitted_preprocessor, nsl_rows[0], epochs=2, n_threads=1
    )


@pytest.fixture(scope="session")
def saved_iforest(tmp_path_factory, fitted_preprocessor, nsl_rows) -> Path:
    return fit_and_save(tmp_path_factory.mktemp("if") / "model", "iforest", fitted_preprocessor, nsl_rows[0],
                        n_estimators=20)  # fmt: skip
