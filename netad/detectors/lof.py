"""Local Outlier Factor (Breunig et al., SIGMOD 2000) in novelty mode, via scikit-learn."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import neighbors

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed


class LocalOutlierFactor(BaseDetector):
    """Local Outlier Factor: a row is anomalous when its local density is low relative to its neighbours'.

    Wraps :class:`sklearn.neighbors.LocalOutlierFactor` with ``novelty=True`` (fit on training rows, score new
    ones); the score is the LOF itself (about 1 for inliers, larger for outliers). Every scored row is a
    nearest-neighbour query against the training rows, so ``fit`` keeps a seeded random subsample of at most
    ``max_samples`` rows (``None`` = all rows): scoring cost grows linearly with it.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        neighbors.LocalOutlierFactor, "n_neighbors", "algorithm", "leaf_size", "metric", "p", "n_jobs"
    )

    def __init__(
        self,
        n_neighbors: int = 20,
        algorithm: str = "auto",
        leaf_size: int = 30,
        metric: str = "minkowski",
        p: float = 2.0,
        max_samples: int | None = 20_000,
        n_jobs: int | None = 1,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.metric = metric
        self.p = p
        self.max_samples = max_samples
        self.n_jobs = n_jobs
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        X_fit = self._fit_sample(X)
        self.model_ = neighbors.LocalOutlierFactor(
            n_neighbors=min(self.n_neighbors, len(X_fit) - 1),
            algorithm=self.algorithm,
            leaf_size=self.leaf_size,
            metric=self.metric,
            p=self.p,
            novelty=True,
            n_jobs=self.n_jobs,
        ).fit(X_fit)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return -self.model_.score_samples(X)
