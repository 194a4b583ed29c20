"""Supervised baselines (scikit-learn classifiers): the upper bound an anomaly detector is compared with."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import ensemble, neural_network
from threadpoolctl import threadpool_limits

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed


class SupervisedMLP(BaseDetector):
    """Multi-layer perceptron classifier; the score is the predicted attack probability.

    Wraps :class:`sklearn.neural_network.MLPClassifier` (Adam, early stopping on a held-out 10% of the
    training rows; off below ``EARLY_STOPPING_MIN_ROWS`` rows, where 10% cannot hold both classes). Needs labels
    with both classes: ``fit(X, y)``.
    """

    EARLY_STOPPING_MIN_ROWS: ClassVar[int] = 100

    supervision: ClassVar[str] = "supervised"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        neural_network.MLPClassifier,
        "hidden_layer_sizes",
        "activation",
        "alpha",
        "batch_size",
        "learning_rate_init",
        "max_iter",
        "early_stopping",
        "random_state",
    )

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (64, 32),
        activation: str = "relu",
        alpha: float = 1e-4,
        batch_size: int = 256,
        learning_rate_init: float = 1e-3,
        max_iter: int = 50,
        early_stopping: bool = True,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        self.model_ = neural_network.MLPClassifier(
            hidden_layer_sizes=self.hidden_layer_sizes,
            activation=self.activation,
            alpha=self.alpha,
            batch_size=min(self.batch_size, len(X)),
            learning_rate_init=self.learning_rate_init,
            max_iter=self.max_iter,
            early_stopping=bool(self.early_stopping) and len(X) >= self.EARLY_STOPPING_MIN_ROWS,
            random_state=self.random_state,
        ).fit(X, y)

    @property
    def n_iter_(self) -> int:
        """Training epochs run (scikit-learn's ``n_iter_``)."""
        return int(self.model_.n_iter_)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X)[:, 1]


class SupervisedGradientBoosting(BaseDetector):
    """Histogram gradient-boosted trees (LightGBM-style); the score is the predicted attack probability.

    Wraps :class:`sklearn.ensemble.HistGradientBoostingClassifier`. scikit-learn runs it on every core through
    OpenMP; ``n_jobs`` caps those threads (default 1: the benchmark runs jobs in parallel; ``None`` = no cap).
    """

    supervision: ClassVar[str] = "supervised"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        ensemble.HistGradientBoostingClassifier,
        "learning_rate",
        "max_iter",
        "max_leaf_nodes",
        "max_depth",
        "min_samples_leaf",
        "class_weight",
        "early_stopping",
        "random_state",
    )

    def __init__(
        self,
        learning_rate: float = 0.1,
        max_iter: int = 200,
        max_leaf_nodes: int | None = 31,
        max_depth: int | None = None,
        min_samples_leaf: int = 20,
        l2_regularization: float = 0.0,
        class_weight: str | dict | None = None,
        early_stopping: bool | str = "auto",
        n_jobs: int | None = 1,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.n_jobs = n_jobs
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        self.model_ = ensemble.HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            class_weight=self.class_weight,
            early_stopping=self.early_stopping,
            random_state=self.random_state,
        )
        with threadpool_limits(limits=self.n_jobs, user_api="openmp"):
            self.model_.fit(X, y)

    @property
    def n_iter_(self) -> int:
        """Boosting iterations run (scikit-learn's ``n_iter_``)."""
        return int(self.model_.n_iter_)

    def _score(self, X: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=self.n_jobs, user_api="openmp"):
            return self.model_.predict_proba(X)[:, 1]
