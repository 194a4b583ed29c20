"""One-Class SVM (Schölkopf et al., Neural Computation 2001): exact (libsvm) and scalable (Nystroem + SGD)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import kernel_approximation, linear_model, svm

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed


class OneClassSVM(BaseDetector):
    """Exact One-Class SVM with an RBF kernel: a boundary around the training data in kernel space.

        Wraps :class:`sklearn.svm.OneClassSVM`; the score is the negated ``score_samples``. libsvm is roughly
        quadratic in the number of rows, so ``fit`` uses a seeded random subsample of at most ``max_samples`` rows
        (``None`` = all rows; 20,000 KDD rows fit in seconds, but the cost grows about quadratically and with the
    number of support vectors). For millions of rows prefer ``ocsvm-sgd``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        svm.OneClassSVM, "nu", "kernel", "gamma", "tol", "cache_size"
    )

    def __init__(
        self,
        nu: float = 0.05,
        kernel: str = "rbf",
        gamma: float | str = "scale",
        tol: float = 1e-3,
        cache_size: float = 500.0,
        max_samples: int | None = 20_000,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.nu = nu
        self.kernel = kernel
        self.gamma = gamma
        self.tol = tol
        self.cache_size = cache_size
        self.max_samples = max_samples
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        X_fit = self._fit_sample(X)
        self.model_ = svm.OneClassSVM(
            kernel=self.kernel, nu=self.nu, gamma=self.gamma, tol=self.tol, cache_size=self.cache_size
        ).fit(X_fit)

    def _score(self, X: np.ndarray) -> np.ndarray:
        return -self.model_.score_samples(X)


class ScalableOneClassSVM(BaseDetector):
    """One-Class SVM for millions of rows: Nystroem RBF features + a linear One-Class SVM trained by SGD.

    Follows scikit-learn's recipe (:class:`~sklearn.kernel_approximation.Nystroem` +
    :class:`~sklearn.linear_model.SGDOneClassSVM`): the kernel map is learnt from ``n_components`` random
    rows, then ``epochs`` shuffled passes of ``partial_fit`` over chunks of ``batch_size`` rows keep memory
    bounded. ``gamma="scale"`` means ``1 / (n_features * X.var())`` as in :class:`sklearn.svm.OneClassSVM`.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        linear_model.SGDOneClassSVM, "nu", "learning_rate"
    )

    def __init__(
        self,
        nu: float = 0.05,
        gamma: float | str = "scale",
        n_components: int = 300,
        epochs: int = 5,
        batch_size: int = 65_536,
        learning_rate: str = "optimal",
        eta0: float = 0.01,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.nu = nu
        self.gamma = gamma
        self.n_components = n_components
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        rng = self._rng()
        seed = int(rng.integers(2**31 - 1))
        if self.gamma == "scale":
            variance = self._variance(X)
            self.gamma_ = 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        else:
            self.gamma_ = float(self.gamma)
        # The kernel map is learnt on n_components seeded rows, in float64: its normalisation K_mm^-1/2 is
        # ill-conditioned (condition ~1e7 on KDD rows), and in float32 its rounding depended on the BLAS kernel, so
        # scores differed by ~1e-3 between CPUs and batch sizes. Only the basis rows are copied to float64.
        basis = np.sort(rng.choice(len(X), size=min(self.n_components, len(X)), replace=False))
        self.feature_map_ = kernel_approximation.Nystroem(
            kernel="rbf", gamma=self.gamma_, n_components=len(basis), random_state=seed
        ).fit(X[basis].astype(np.float64))
        self.model_ = linear_model.SGDOneClassSVM(
            nu=self.nu, learning_rate=self.learning_rate, eta0=self.eta0, random_state=seed
        )
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                rows = np.sort(order[start : start + self.batch_size])
                self.model_.partial_fit(self._features(X[rows]))

    def _features(self, X: np.ndarray) -> np.ndarray:
        """The Nystroem RBF features of a chunk of rows, computed in float64 (see ``_fit``)."""
        return self.feature_map_.transform(X.astype(np.float64))

    def _variance(self, X: np.ndarray) -> float:
        """``X.var()`` over all values, in chunks (a float64 copy of millions of rows would not fit)."""
        mean = float(X.mean(dtype=np.float64))
        squares = sum(
            float(np.square(X[start : start + self.batch_size] - mean, dtype=np.float64).sum())
            for start in range(0, len(X), self.batch_size)
        )
        return squares / X.size

    def _score(self, X: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                -self.model_.score_samples(self._features(X[start : start + self.batch_size]))
                for start in range(0, len(X), self.batch_size)
            ]
        )
