"""Fixtures for the input-layer tests: real NSL-KDD rows (the sample shipped with netad) and a small saved model."""

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
def nsl_frame() -> pd.DataFrame:
    """1,000 real rows with a text label column ``label`` (``normal`` or the attack name)."""
    nsl = load("nsl-kdd-sample")
    frame = nsl.features.iloc[1500:2500].reset_index(drop=True)
    frame["label"] = nsl.attack_category[1500:2500]
    return frame


@pytest.fixture(scope="session")
def nsl_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nsl = load("nsl-kdd-sample")
    train = nsl.features.iloc[np.flatnonzero(nsl.label[:1500] == 0)]
    preprocessor = FlowPreprocessor.for_dataset(nsl).fit(train)
    detector = get_class("iforest")(n_estimators=20, random_state=0).fit(preprocessor.transform(train))
    return save_model(tmp_path_factory.mktemp("inputs-model") / "iforest", preprocessor, detector)


@pytest.fixture
def csv_bytes(nsl_frame: pd.DataFrame) -> bytes:
    return nsl_frame.to_csv(index=False).encode()
