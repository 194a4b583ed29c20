"""Fixtures shared by the detector tests: small seeded samples of real KDDCup99 (DAGMM npz) and UNSW-NB15 rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


@pytest.fixture(scope="session")
def kdd_npz_sample(shared_data) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``sample(inlier_label, n_train, n_test_inliers, n_test_outliers)`` -> (X_train, X_test, y_test).

    Rows of ``kdd_cup.npz`` whose last column is ``inlier_label`` are the inliers: the first ``n_train`` of a seeded
    permutation train, the next ``n_test_inliers`` go to test with ``n_test_outliers`` rows of the other label
    (y_test: 0 = inlier, 1 = outlier)."""
    path = shared_data / "kddcup99" / "kdd_cup.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    data = np.load(path)["kdd"]
    features = data[:, :-1].astype(np.float32)

    def sample(inlier_label: int, n_train: int, n_test_inliers: int, n_test_outliers: int):
        rng = np.random.default_rng(0)
        inliers = rng.permutation(np.flatnonzero(data[:, -1] == inlier_label))
        outliers = rng.permutation(np.flatnonzero(data[:, -1] != inlier_label))
        X_test = features[np.r_[inliers[n_train : n_train + n_test_inliers], outliers[:n_test_outliers]]]
        y_test = np.r_[np.zeros(n_test_inliers), np.ones(n_test_outliers)].astype(np.int8)
        return features[inliers[:n_train]], X_test, y_test

    return sample


@pytest.fixture(scope="session")
def unsw_novelty_sample(shared_data) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``sample(n_train, n_test_each, log1p)`` -> (X_train, X_test, y_test) from the seed-0 UNSW-NB15 novelty split.

    ``n_train`` seeded training normals; ``n_test_each`` normal and ``n_test_each`` attack test rows; the
    ``FlowPreprocessor`` (signed log1p when ``log1p``) is fitted on the training sample only."""
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load("unsw-nb15")
    split = make_split(dataset, "novelty", seed=0)
    normals, _ = split.fit_data("unsupervised")

    def sample(n_train: int, n_test_each: int, log1p: bool):
        rng = np.random.default_rng(0)
        train = normals.iloc[rng.choice(len(normals), n_train, replace=False)]
        label = split.test.label
        rows = np.r_[
            rng.choice(np.flatnonzero(label == 0), n_test_each, replace=False),
            rng.choice(np.flatnonzero(label == 1), n_test_each, replace=False),
        ]
        pre = FlowPreprocessor.for_dataset(dataset, log1p=log1p).fit(train)
        return pre.transform(train), pre.transform(split.test.features.iloc[rows]), label[rows]

    return sample
