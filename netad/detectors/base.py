"""The detector contract every netad model follows (scikit-learn estimator + PyOD score convention).

- ``__init__`` only stores its arguments under the same names (so ``get_params``/``clone`` work);
- ``fit(X, y=None)`` learns, sets ``threshold_`` with the ``threshold`` strategy, and returns ``self``;
  unsupervised detectors accept and ignore any ``y`` (scikit-learn's convention, so Pipelines and grid searches
  can pass labels through); the other supervision kinds need 0/1 labels;
- ``threshold_`` at fit comes from rows the model never saw: ``fit`` keeps a seeded calibration share
  (:data:`CALIBRATION_SHARE`) of the training rows out of the model fit and sets the threshold on their scores
  (``threshold_calibration_`` records how; :func:`netad.persist.save_model` writes it to ``model.json``);
- ``decision_function(X)`` is the anomaly score: higher = more anomalous, everywhere in netad;
- ``predict(X)`` is 0/1 with 1 = attack (score > ``threshold_``); ``to_sklearn_outlier()`` gives scikit-learn's
  -1 (outlier) / +1 (inlier) convention instead;
- ``calibrate(X, y)`` re-learns ``threshold_`` on other data (validation normals, a labelled split).

Subclasses implement ``_fit(X, y)`` and ``_score(X)`` on validated float32 arrays. scikit-learn's own estimator
checks (``sklearn.utils.estimator_checks``) pass for every registered detector, except the ones that assume
scikit-learn's -1/+1 ``predict`` (see tests/detectors/test_contract.py).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import ClassifierTags

from netad import thresholds
from netad.detectors.constraints import check_parameters
from netad.errors import NetadInputError
from netad.supervision import LABEL_MEANING, SUPERVISION_KINDS  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

CALIBRATION_SHARE = 0.1
"""Share of the training rows ``fit`` keeps out of the model fit to set ``threshold_`` on their scores.

Why 10%: a percentile threshold from m held-out rows has a false-positive rate within about
sqrt(q (1 - q) / m) of the requested one (q = 0.01 for p99: +-0.3 points at m = 1,000 rows, +-0.1 at 10,000),
which 10% of any realistic training set reaches, while the model loses only a tenth of its rows (the same
trade the deep detectors already make for early stopping with ``validation_fraction=0.1``)."""

FIT_THRESHOLD_MAX_ROWS = 100_000
"""At most this many rows are held out (a seeded sample) to set ``threshold_`` at fit; more add no precision."""

MIN_CALIBRATION_ROWS = 10
"""Below this many held-out rows (fewer than about 100 training rows) the threshold is taken on the training
rows' own scores instead, and ``threshold_calibration_["method"]`` says ``"training-rows"``."""

_CALIBRATION_SALT = 0x7E5
"""Mixed into ``random_state`` so the calibration rows do not reuse the detector's own random stream."""


class NotFittedError(NetadInputError, SklearnNotFittedError):
    """A detector used before ``fit``: scikit-learn's ``NotFittedError`` that the netad CLI reports as bad input."""


class NonNumericInputError(NetadInputError, TypeError):
    """Feature values that are not numbers (a dict, an object): also a ``TypeError``, as NumPy raises."""


def check_features(
    X: Any, n_features: int | None = None, what: str = "X", min_rows: int = 1, who: str | None = None
) -> np.ndarray:
    """Validate a feature table once, at the boundary: dense, real, 2-D, numeric, finite; returned as float32.

    ``min_rows``: the fewest rows accepted (fit needs 2); ``n_features``: the width seen at fit, named with
    ``who`` (the detector). Errors name the offending columns and how many values are bad; their wording also
    matches what scikit-learn's estimator checks look for (``1 sample``, ``Reshape your data``, ...).
    """
    if sparse.issparse(X):
        raise NetadInputError(
            f"{what}: sparse input is not supported (netad detectors need dense tables); convert it with X.toarray()"
        )
    if isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
        if bad:
            raise NetadInputError(
                f"{what}: columns {bad[:5]} are not numeric ({X[bad[0]].dtype}); "
                "encode categorical columns first (netad.preprocess.FlowPreprocessor)"
            )
        complex_columns = [c for c in X.columns if pd.api.types.is_complex_dtype(X[c])]
        if complex_columns:
            raise NetadInputError(f"{what}: Complex data not supported (columns {complex_columns[:5]})")
        columns = [str(c) for c in X.columns]
        array = X.to_numpy(dtype=np.float32)
    else:
        columns = None
        try:
            array = X if isinstance(X, np.ndarray) else np.asarray(X)
            if array.dtype.kind == "c":
                raise NetadInputError(f"{what}: Complex data not supported; pass real-valued features")
            array = array.astype(np.float32, copy=False)
        except TypeError as exc:  # e.g. a dict among the values: float() argument must be a string or a real number
            raise NonNumericInputError(f"{what}: cannot convert to a numeric array ({exc})") from None
        except ValueError as exc:
            if isinstance(exc, NetadInputError):
                raise
            raise NetadInputError(f"{what}: cannot convert to a numeric array ({exc})") from None
    if array.ndim != 2:
        hint = (
            "; Reshape your data with X.reshape(-1, 1) if it has one feature or X.reshape(1, -1) if it is one row"
            if array.ndim == 1
            else ""
        )
        raise NetadInputError(f"{what}: expected a 2-D table (rows x features), got shape {array.shape}{hint}")
    if array.shape[0] == 0:
        raise NetadInputError(f"{what}: the table has no rows")
    if array.shape[0] < min_rows:
        raise NetadInputError(
            f"{what}: fitting needs at least {min_rows} rows, got {array.shape[0]} sample(s) (shape={array.shape})"
        )
    if array.shape[1] == 0:
        raise NetadInputError(
            f"{what}: the table has no feature columns: 0 feature(s) (shape={array.shape}) while a minimum of 1 "
            "is required."
        )
    if n_features is not None and array.shape[1] != n_features:
        raise NetadInputError(
            f"{what}: X has {array.shape[1]} features, but {who or 'the detector'} is expecting {n_features} "
            "features as input (as at fit)"
        )
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
    try:
        values = set(np.unique(y).tolist())
    except TypeError:  # mixed objects that cannot be sorted
        values = {repr(v) for v in y.tolist()}
    if not values <= {0, 1}:
        shown = sorted(values, key=repr)[:5]
        raise NetadInputError(f"{what}: labels must be 0 (normal) or 1 (attack); found {shown}")
    return y.astype(np.int8)


class BaseDetector(BaseEstimator):
    """Base class of every netad detector. See the module docstring for the contract."""

    supervision: ClassVar[str] = "unsupervised"
    """unsupervised: y ignored (fit on normal or contaminated data); semi-/weakly-supervised: y marks the few
    known anomalies; supervised: y holds both classes."""

    calibration_share: ClassVar[float] = CALIBRATION_SHARE
    """Share of the training rows held out of the model fit to set ``threshold_``. 0 sets it on the scores of
    the rows the model was fitted on (optimistic: kept for comparisons, see benchmarks/fit_threshold_holdout.py)."""

    threshold: Any = "p99"
    random_state: int | None = None

    # -- to implement -------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        raise NotImplementedError

    def _score(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- optional capabilities, declared (scoring and explanation read these, never probe) ----------------
    reconstructs: ClassVar[bool] = False
    """True for reconstruction models, which implement :meth:`reconstruct` (per-feature attribution uses it)."""

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """The model's reconstruction of preprocessed rows ``X`` (same shape, float32); only if ``reconstructs``."""
        raise NotImplementedError(f"{type(self).__name__} does not reconstruct its input")

    def threshold_conflict(self, strategy: Any) -> str | None:
        """Why threshold ``strategy`` cannot work with this detector's own settings, or None (the usual case).
        ``netad bench`` reports the reason as a warning of the run."""
        return None

    @property
    def context_rows(self) -> int:
        """How many rows before a row its score depends on: 0 for row-wise detectors (sequence models say more)."""
        return 0

    @property
    def _keeps_row_order(self) -> bool:
        """True when the model reads consecutive rows together (windows): the calibration rows are then the
        last rows of the table, not a random sample, so the fitted rows stay contiguous."""
        return False

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    """What each parameter accepts, in scikit-learn's style (:mod:`netad.detectors.constraints`)."""

    def _check_params(self) -> None:
        """The declared ``_parameter_constraints``; a subclass adds the rules that tie parameters together."""
        check_parameters(self, self._parameter_constraints)

    def check_params(self) -> None:
        """Check the parameters as ``fit`` will, without data (raises a one-line :class:`NetadInputError`), so a
        command line can refuse a bad value before any work starts."""
        self._check_params()

    # -- the contract -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> BaseDetector:
        """Learn from ``X`` (and ``y`` for detectors that use labels), then set ``threshold_`` on held-out rows.

        Unsupervised detectors accept and ignore ``y``. The other kinds need 0/1 labels (see
        ``LABEL_MEANING``). A seeded share of the rows (:data:`CALIBRATION_SHARE`; only unlabelled/normal
        rows for semi- and weakly supervised detectors, so every labelled anomaly is fitted) is kept out of the
        model fit and its scores set ``threshold_``.
        """
        name = type(self).__name__
        self._check_params()
        X = check_features(X, what=f"{name}.fit X", min_rows=2)
        if self.supervision == "unsupervised":
            y = None  # scikit-learn's convention for unsupervised estimators: accepted and ignored
        else:
            if y is None:
                raise NetadInputError(
                    f"{name} is {self.supervision} and requires y to be passed, but the target y is None: "
                    f"fit(X, y) needs labels ({LABEL_MEANING.get(self.supervision, '0/1')})"
                )
            y = check_labels(y, len(X), what=f"{name}.fit y")
            if self.supervision == "supervised" and len(np.unique(y)) < 2:
                raise NetadInputError(f"{name} is supervised: y must contain both 0 and 1 (found 1 class)")
        strategy = thresholds.resolve(self.threshold)
        if strategy.uses_test_data:
            raise NetadInputError(
                f"threshold {strategy.name!r} uses test data and exists only for evaluation (netad bench -t); "
                "a detector's own threshold is learned at fit: use a percentile, contamination:R or best-f1"
            )
        self.n_features_in_ = X.shape[1]
        held_out = self._calibration_rows(len(X), y)
        if held_out is None:
            self._fit(X, y)
            # too few rows to hold any out: the training rows' own scores, capped (a distribution, not every row)
            rows = subsample_rows(X, FIT_THRESHOLD_MAX_ROWS, self._rng(_CALIBRATION_SALT), f"{name} threshold")
            X_cal = X if rows is None else X[rows]
            y_cal = y if y is None or rows is None else y[rows]
            calibration = {"method": "training-rows", "rows": len(X_cal), "share": 0.0}
            reason = (
                "calibration_share is 0"
                if not self.calibration_share
                else f"{len(X)} training rows are too few to hold out {MIN_CALIBRATION_ROWS}"
            )
            # INFO, not WARNING: threshold_calibration_ (and model.json) record it, and a benchmark re-calibrates
            logger.info(
                "%s: %s; threshold_ comes from the scores of the rows the model was fitted on (optimistic): "
                "calibrate(X_val, y_val) on other rows",
                name,
                reason,
            )
        else:
            keep = np.ones(len(X), dtype=bool)
            keep[held_out] = False
            X_cal, y_cal = X[held_out], None if y is None else y[held_out]
            X, y = X[keep], None if y is None else y[keep]
            self._fit(X, y)
            calibration = {
                "method": "holdout",
                "rows": len(X_cal),
                "share": round(len(X_cal) / (len(X) + len(X_cal)), 6),
                "drawn_from": "last rows" if self._keeps_row_order else self._calibration_pool_name(),
                "seed": self.random_state if isinstance(self.random_state, int | np.integer) else None,
            }
        scores = self._score(X_cal)
        if strategy.needs_labels and (y_cal is None or len(np.unique(y_cal)) < 2):
            raise NetadInputError(
                f"threshold {strategy.name!r} needs normal and attack rows among the {len(X_cal)} rows {name} "
                f"sets threshold_ on at fit ({calibration.get('drawn_from', 'training rows')}): fit with a "
                f"percentile (p99), then calibrate(X_val, y_val, threshold={strategy.name!r}) on a labelled split"
            )
        # label-free strategies look at the rows believed normal (all of them when y is absent)
        self.threshold_ = strategy.choose(scores, y_cal)
        self.threshold_strategy_ = strategy.name
        self.threshold_calibration_ = {"strategy": strategy.name, **calibration}
        return self

    def _calibration_pool_name(self) -> str:
        if self.supervision == "unsupervised":
            return "all rows"
        if self.supervision == "supervised":
            return "each class (stratified)"
        return "rows labelled 0 (every labelled anomaly is fitted)"

    def _calibration_rows(self, n_rows: int, y: np.ndarray | None) -> np.ndarray | None:
        """Sorted positions of the rows held out of the model fit to set ``threshold_`` (None: too few rows)."""
        share = float(self.calibration_share)
        if not 0.0 <= share < 1.0:
            raise NetadInputError(f"{type(self).__name__}.calibration_share must lie in [0, 1), got {share}")
        if y is None:
            pools = [np.arange(n_rows)]
        elif self.supervision == "supervised":
            pools = [np.flatnonzero(y == 0), np.flatnonzero(y == 1)]
        else:  # the few labelled anomalies are too precious to hold out: calibrate on unlabelled/normal rows
            pools = [np.flatnonzero(y == 0)]
        pooled = sum(len(pool) for pool in pools)
        budget = min(round(share * pooled), FIT_THRESHOLD_MAX_ROWS)
        if budget < MIN_CALIBRATION_ROWS or n_rows - budget < 2:
            return None
        if self._keeps_row_order:  # the last rows, so the fitted rows stay one contiguous block
            return np.arange(n_rows - budget, n_rows) if y is None else None
        rng = self._rng(_CALIBRATION_SALT)
        picked = []
        for pool in pools:
            # stratified: each pool gives its share; a class never gives away all of its rows
            take = min(round(budget * len(pool) / pooled), len(pool) - 1)
            if take > 0:
                picked.append(rng.choice(pool, size=take, replace=False))
        rows = np.sort(np.concatenate(picked)) if picked else np.empty(0, dtype=np.int64)
        return rows if len(rows) >= MIN_CALIBRATION_ROWS else None

    def decision_function(self, X: Any) -> np.ndarray:
        """Anomaly score per row, higher = more anomalous (float64)."""
        self._check_fitted()
        name = type(self).__name__
        X = check_features(X, self.n_features_in_, what=f"{name}.decision_function X", who=name)
        return np.asarray(self._score(X), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """1 = attack (score above ``threshold_``), 0 = normal. (scikit-learn's -1/+1: ``to_sklearn_outlier()``.)"""
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
        self.threshold_calibration_ = {"strategy": strategy.name, "method": "calibrate", "rows": len(scores)}
        return self

    def to_sklearn_outlier(self) -> SklearnOutlierDetector:
        """This detector in scikit-learn's outlier-detector convention: ``predict`` gives -1 (outlier) / +1
        (inlier), ``decision_function`` is negative for outliers. Fitted already when this detector is."""
        view = SklearnOutlierDetector(self)
        if hasattr(self, "threshold_"):
            view.detector_ = self
        return view

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "threshold_")

    def __sklearn_tags__(self) -> Any:
        """scikit-learn tags: an outlier detector on dense, finite, real tables; y required unless unsupervised
        (then binary 0/1, which ``classifier_tags.multi_class=False`` tells scikit-learn's checks)."""
        tags = super().__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.target_tags.required = self.supervision != "unsupervised"
        if self.supervision != "unsupervised":
            tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")

    def _fit_sample(self, X: np.ndarray) -> np.ndarray:
        """The rows a detector with a ``max_samples`` cap fits on: all of ``X``, or a seeded sample of that many
        rows; records ``sample_indices_`` (None = all rows) and ``n_samples_fit_``."""
        self.sample_indices_ = subsample_rows(X, self.max_samples, self._rng(), type(self).__name__)  # type: ignore[attr-defined]
        X_fit = X if self.sample_indices_ is None else X[self.sample_indices_]
        self.n_samples_fit_ = len(X_fit)
        return X_fit

    def _rng(self, salt: int | None = None) -> np.random.Generator:
        """The detector's own seeded generator; with ``salt``, an independent stream from the same seed."""
        if salt is None or not isinstance(self.random_state, int | np.integer):
            return np.random.default_rng(self.random_state)
        return np.random.default_rng([salt, int(self.random_state)])

    # -- persistence: netad.persist saves and loads detectors (save_detector / load_detector) ---------------
    def _save_refusal(self) -> str | None:
        """Why :func:`netad.persist.save_model` must refuse this detector (None: it can be saved)."""
        return None


class SklearnOutlierDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """A netad detector in scikit-learn's outlier-detector convention (``detector.to_sklearn_outlier()``).

    ``predict`` returns -1 for outliers (netad: 1 = attack) and +1 for inliers; ``score_samples`` is the
    negated netad score (higher = more normal) and ``decision_function = score_samples - offset_`` with
    ``offset_ = -threshold_``, so ``decision_function < 0`` exactly where netad's ``predict`` says 1. ``fit``
    fits a clone of ``detector`` (as scikit-learn meta-estimators do); a view made from a fitted detector
    uses that detector as it is, and follows it when it is re-calibrated.

    >>> from sklearn.pipeline import make_pipeline  # doctest: +SKIP
    >>> pipe = make_pipeline(FlowPreprocessor(), make("iforest", random_state=0).to_sklearn_outlier())  # doctest: +SKIP
    """

    def __init__(self, detector: BaseDetector) -> None:
        self.detector = detector

    def fit(self, X: Any, y: Any = None) -> SklearnOutlierDetector:
        """Fit a clone of ``detector`` on ``X`` (and ``y`` when it uses labels)."""
        self.detector_ = clone(self.detector).fit(X, y)
        return self

    @property
    def offset_(self) -> float:
        """``-threshold_``: scikit-learn's decision_function = score_samples - offset_."""
        return -float(self._fitted().threshold_)

    @property
    def n_features_in_(self) -> int:
        return self._fitted().n_features_in_

    def score_samples(self, X: Any) -> np.ndarray:
        """Normality score, higher = more normal (the negated netad anomaly score)."""
        return -self._fitted().decision_function(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """``threshold_ - score``: negative for outliers, >= 0 for inliers (scikit-learn's convention)."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """-1 = outlier (attack), +1 = inlier."""
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def _fitted(self) -> BaseDetector:
        detector = self.__dict__.get("detector_")
        if detector is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")
        return detector

    def __sklearn_is_fitted__(self) -> bool:
        return "detector_" in self.__dict__

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = self.detector.__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        tags.input_tags, tags.target_tags = inner.input_tags, inner.target_tags
        tags.classifier_tags = inner.classifier_tags
        return tags
