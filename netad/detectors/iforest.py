"""Isolation Forest (Liu, Ting & Zhou, ICDM 2008) via scikit-learn."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import ensemble

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed


class IsolationForest(BaseDetector):
    """Isolation Forest: anomalies are isolated by fewer random splits (shorter average path length).

    Wraps :class:`sklearn.ensemble.IsolationForest`; the score is the negated ``score_samples`` (higher = more
    anomalous). Each tree sees ``max_samples`` rows (256 with ``"auto"``), so fitting scales to millions of rows.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        ensemble.IsolationForest, "n_estimators", "max_samples", "max_features", "bootstrap", "n_jobs", "random_state"
    )

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int | float | str = "auto",
        max_features: int | float = 1.0,
        bootstrap: bool = False,
        n_jobs: int | None = 1,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        self.model_ = ensemble.IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=self.max_samples,
            max_features=self.max_features,
            bootstrap=self.bootstrap,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        ).fit(X)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return -self.model_.score_samples(X)
