"""Elliptic Envelope: robust Mahalanobis distance from the Minimum Covariance Determinant (Rousseeuw, 1999)."""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn import covariance

from netad.detectors.base import BaseDetector
from netad.detectors.constraints import borrowed
from netad.errors import NetadInputError

logger = logging.getLogger(__name__)
CHUNK_ROWS = 65_536


class EllipticEnvelope(BaseDetector):
    """Score = squared Mahalanobis distance under a robust (FastMCD) estimate of the normal covariance.

    Wraps :class:`sklearn.covariance.EllipticEnvelope`. Columns constant on the training rows (unused one-hot
    levels) carry no covariance information and are ignored (``constant_columns_``). When the covariance is
    still singular, or FastMCD fails, the detector falls back to the Ledoit-Wolf shrunk covariance
    (:class:`sklearn.covariance.LedoitWolf`) and logs why (``fallback_``). FastMCD cost grows with rows x
    features^2, so ``fit`` uses a seeded subsample of at most ``max_samples`` rows (``None`` = all rows).
    ``support_fraction=0.9`` suits mostly-normal training data; ``None`` is scikit-learn's maximal-breakdown
    default.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = borrowed(
        covariance.EllipticEnvelope, "support_fraction", "assume_centered", "random_state"
    )

    def __init__(
        self,
        support_fraction: float | None = 0.9,
        assume_centered: bool = False,
        max_samples: int | None = 20_000,
        threshold: Any = "p99",
        random_state: int | None = None,
    ) -> None:
        self.support_fraction = support_fraction
        self.assume_centered = assume_centered
        self.max_samples = max_samples
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        name = type(self).__name__
        X_fit = self._fit_sample(X)
        varying = np.ptp(X_fit, axis=0) > 0
        if not varying.any():
            raise NetadInputError(f"{name}.fit X: every column is constant on the training rows")
        self.constant_columns_ = np.flatnonzero(~varying)
        if len(self.constant_columns_):
            logger.info("%s: ignoring %d constant columns", name, len(self.constant_columns_))
        self.columns_ = np.flatnonzero(varying)
        X_fit = X_fit[:, self.columns_].astype(np.float64)
        self.fallback_ = None
        # one-hot groups sum to 1, so their covariance is singular before FastMCD even starts
        eigenvalues = np.linalg.eigvalsh(np.cov(X_fit, rowvar=False).reshape(X_fit.shape[1], -1))
        if eigenvalues[0] <= eigenvalues[-1] * 1e-12:
            self.fallback_ = "the covariance of the training rows is singular (collinear columns)"
        else:
            self._fit_mcd(X_fit)
        if self.fallback_ is not None:
            logger.info(
                "%s: robust covariance (FastMCD) not usable (%s); falling back to the Ledoit-Wolf shrunk covariance",
                name,
                self.fallback_,
            )
            self.model_ = covariance.LedoitWolf(assume_centered=self.assume_centered).fit(X_fit)

    def _fit_mcd(self, X_fit: np.ndarray) -> None:
        """FastMCD; records in ``fallback_`` why it failed instead of raising."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.model_ = covariance.EllipticEnvelope(
                    support_fraction=self.support_fraction,
                    assume_centered=self.assume_centered,
                    random_state=self.random_state,
                ).fit(X_fit)
            for caught_warning in caught:
                message = str(caught_warning.message)
                if "rank" in message or "singular" in message:
                    self.fallback_ = self.fallback_ or message
                else:  # not ours to swallow
                    warnings.warn(message, caught_warning.category, stacklevel=2)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            self.fallback_ = f"{type(exc).__name__}: {exc}"

    def _score(self, X: np.ndarray) -> np.ndarray:
        # in chunks: the float64 copy of millions of rows would double the memory of the table
        return np.concatenate(
            [
                self.model_.mahalanobis(X[start : start + CHUNK_ROWS, self.columns_].astype(np.float64))
                for start in range(0, len(X), CHUNK_ROWS)
            ]
        )
