"""The detector contract every netad model follows (scikit-learn estimator + PyOD score convention).

- ``__init__`` only stores its arguments under the same names (so ``get_params``/``clone`` work);
- ``fit(X, y=None)`` learns, sets ``threshold_`` with the ``threshold`` strategy, and returns ``self``;
- ``decision_function(X)`` is the anomaly score: higher = more anomalous, everywhere in netad;
- ``predict(X)`` is 0/1 with 1 = attack (score > ``threshold_``);
- ``calibrate(X, y)`` re-learns ``threshold_`` on other data (validation normals, a labelled split).

Subclasses implement ``_fit(X, y)`` and ``_score(X)`` on validated float32 arrays.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from netad import thresholds
from netad.errors import NetadInputError

logger = logging.getLogger(__name__)

FIT_THRESHOLD_MAX_ROWS = 100_000
"""At most this many training rows (a seeded subsample) are scored to set ``threshold_`` at fit."""

SUPERVISION_KINDS = ("unsupervised", "semi-supervised", "weakly-supervised", "supervised")


def check_features(X: Any, n_features: int | None = None, what: str = "X") -> np.ndarray:
    """Validate a feature table once, at the boundary: 2-D, numeric, finite; returned as float32.

    Errors name the offending columns and how many values are bad.
    """
    if isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
        if bad:
            raise NetadInputError(
                f"{what}: columns {bad[:5]} are not numeric ({X[bad[0]].dtype}); "
                "encode categorical columns first (netad.preprocess.FlowPreprocessor)"
            )
        columns = [str(c) for c in X.columns]
        array = X.to_numpy(dtype=np.float32)
    else:
        try:
            array = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise NetadInputError(f"{what}: cannot convert to a numeric array ({exc})") from None
        columns = None
    if array.ndim != 2:
        raise NetadInputError(f"{what}: expected a 2-D table (rows x features), got shape {array.shape}")
    if array.shape[0] == 0:
        raise NetadInputError(f"{what}: the table has no rows")
    if n_features is not None and array.shape[1] != n_features:
        raise NetadInputError(f"{what}: expected {n_features} features (as at fit), got {array.shape[1]}")
    finite = np.isfinite(array)
    if not finite.all():
        bad_per_column = (~finite).sum(axis=0)
        worst = np.flatnonzero(bad_per_column)[:5]
        names = [columns[i] if columns else f"#{i}" for i in worst]
        detail = ", ".join(f"{n!r}: {int(bad_per_column[i]):,}" for n, i in zip(names, worst, strict=True))
        raise NetadInputError(f"{what}: NaN/Inf values in columns {detail}; clean or impute them first")
    return np.ascontiguousarray(array)


def subsample_rows(X: np.ndarray, max_samples: int | None, rng: np.random.Generator, who: str) -> np.ndarray | None:
    """Sorted indices of a seeded random subsample of ``max_samples`` rows, or None when all rows are kept."""
    if max_samples is None or len(X) <= max_samples:
        return None
    logger.info("%s: fitting on a random subsample of %d of %d rows (max_samples)", who, max_samples, len(X))
    return np.sort(rng.choice(len(X), size=int(max_samples), replace=False))


def check_labels(y: Any, n_rows: int, what: str = "y") -> np.ndarray:
    """Validate binary labels (0 normal / 1 attack or labelled anomaly)."""
    y = np.asarray(y)
    if y.shape != (n_rows,):
        raise NetadInputError(f"{what}: expected {n_rows} labels, got shape {y.shape}")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise NetadInputError(f"{what}: labels must be 0 (normal) or 1 (attack); found {sorted(values)[:5]}")
    return y.astype(np.int8)


class BaseDetector(BaseEstimator):
    """Base class of every netad detector. See the module docstring for the contract."""

    supervision: ClassVar[str] = "unsupervised"
    """unsupervised: y ignored (fit on normal or contaminated data); semi-/weakly-supervised: y marks the few
    known anomalies; supervised: y holds both classes."""

    threshold: Any = "p99"
    random_state: int | None = None

    # -- to implement -------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        raise NotImplementedError

    def _score(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- the contract -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> BaseDetector:
        """Learn from ``X`` (and ``y`` for detectors that use labels), then set ``threshold_``."""
        X = check_features(X, what=f"{type(self).__name__}.fit X")
        if self.supervision == "unsupervised":
            y = None if y is None else check_labels(y, len(X))
        else:
            if y is None:
                raise NetadInputError(f"{type(self).__name__} is {self.supervision}: fit(X, y) needs labels")
            y = check_labels(y, len(X))
            if self.supervision == "supervised" and len(np.unique(y)) < 2:
                raise NetadInputError(f"{type(self).__name__} is supervised: y must contain both 0 and 1")
        self.n_features_in_ = X.shape[1]
        self._fit(X, None if self.supervision == "unsupervised" else y)
        strategy = thresholds.resolve(self.threshold)
        if strategy.uses_test_data:
            raise NetadInputError(
                f"threshold {strategy.name!r} uses test data and exists only for evaluation (netad bench -t); "
                "a detector's own threshold is learned at fit: use a percentile, contamination:R or best-f1"
            )
        # the fit-time threshold needs a score distribution, not every row: cap the cost on millions of rows
        rows = subsample_rows(X, FIT_THRESHOLD_MAX_ROWS, self._rng(), f"{type(self).__name__} threshold")
        if rows is not None:
            X = X[rows]
            y = None if y is None else y[rows]
        scores = self._score(X)
        if strategy.needs_labels:
            if y is None:
                raise NetadInputError(f"threshold {strategy.name!r} needs labels at fit; use calibrate(X_val, y_val)")
            self.threshold_ = strategy.choose(scores, y)
        else:
            # label-free strategies look at the rows believed normal (all of them when y is absent)
            self.threshold_ = strategy.choose(scores, y)
        self.threshold_strategy_ = strategy.name
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Anomaly score per row, higher = more anomalous (float64)."""
        self._check_fitted()
        X = check_features(X, self.n_features_in_, what=f"{type(self).__name__}.decision_function X")
        return np.asarray(self._score(X), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """1 = attack (score above ``threshold_``), 0 = normal."""
        return (self.decision_function(X) > self.threshold_).astype(np.int8)

    def calibrate(self, X: Any, y: Any = None, threshold: Any = None) -> BaseDetector:
        """Re-learn ``threshold_`` on other data, typically the validation split.

        With a percentile strategy and labels, only the normal rows are used.
        """
        strategy = thresholds.resolve(self.threshold if threshold is None else threshold)
        scores = self.decision_function(X)
        labels = None if y is None else check_labels(y, len(scores), what="calibrate y")
        self.threshold_ = strategy.choose(scores, labels)
        self.threshold_strategy_ = strategy.name
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise NetadInputError(f"{type(self).__name__} is not fitted yet: call fit(X) first")

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.random_state)

    # -- persistence (thin wrappers over netad.persist: safetensors/skops/JSON, no pickle) ----------------
    def _save_refusal(self) -> str | None:
        """Why :func:`netad.persist.save_model` must refuse this detector (None: it can be saved)."""
        return None

    def save(self, path: Any, overwrite: bool = False) -> Any:
        """Write this fitted detector to the directory ``path`` (see :func:`netad.persist.save_model`)."""
        from netad.persist import save_model

        return save_model(path, None, self, overwrite=overwrite)

    @classmethod
    def load(cls, path: Any) -> BaseDetector:
        """Read a detector saved with :meth:`save` (or the detector of a ``netad train`` model directory)."""
        from netad.persist import load_model

        detector = load_model(path).detector
        if not isinstance(detector, cls):
            raise NetadInputError(f"{path}: holds a {type(detector).__name__}, not a {cls.__name__}")
        return detector
