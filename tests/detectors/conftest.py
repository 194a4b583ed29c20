"""Fixtures shared by the detector tests: small seeded samples of the real KDDCup99 (DAGMM npz) rows."""

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
