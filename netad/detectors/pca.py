"""PCA reconstruction error (the residual-subspace method of Lakhina, Crovella & Diot, SIGCOMM 2004)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn import decomposition

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed

CHUNK_ROWS = 65_536


class PCAReconstruction(BaseDetector):
    """Score = squared distance between a row and its projection on the top principal components.

    Normal traffic lives close to a low-dimensional subspace; attacks leave a large residual. ``n_components``
    is a number of components (int) or the fraction of variance to keep (float in (0, 1)). Wraps
    :class:`sklearn.decomposition.PCA` (the ``"auto"`` solver uses the covariance matrix for tall tables, so
    millions of rows fit in seconds).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        decomposition.PCA, "n_components", "whiten", "svd_solver", "random_state"
    )

    def __init__(
        self,
        n_components: int | float = 0.95,
        whiten: bool = False,
        svd_solver: str = "auto",
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        # never ask for more components than the table can give (tiny tables, int n_components)
        n_components = self.n_components
        if isinstance(n_components, int | np.integer):
            n_components = min(int(n_components), *X.shape)
        self.model_ = decomposition.PCA(
            n_components=n_components,
            whiten=self.whiten,
            svd_solver=self.svd_solver,
            random_state=self.random_state,
        ).fit(X)
        self.n_components_ = int(self.model_.n_components_)

    reconstructs = True

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """The projection of ``X`` back from the principal subspace (float64 arithmetic, float32 result)."""
        X = np.asarray(X, dtype=np.float64)
        return self.model_.inverse_transform(self.model_.transform(X)).astype(np.float32)

    def _score(self, X: np.ndarray) -> np.ndarray:
        # in chunks, so scoring millions of rows never holds a second full-size copy of the table
        return np.concatenate([self._residual(X[start : start + CHUNK_ROWS]) for start in range(0, len(X), CHUNK_ROWS)])

    def _residual(self, X: np.ndarray) -> np.ndarray:
        # in float64: float32 projections differ by ~1e-7 relative between BLAS kernels (one row vs a block),
        # so a row's score would depend on what it is scored with
        X = X.astype(np.float64)
        residual = X - self.model_.inverse_transform(self.model_.transform(X))
        return np.square(residual).sum(axis=1, dtype=np.float64)
