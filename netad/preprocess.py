"""The fitted feature pipeline: flow table (numeric + categorical columns) -> float32 matrix for detectors.

Fit on the training part of a split only; transform validation and test with what was learned there.
Numeric columns: optional signed log1p, then a scikit-learn scaler. Categorical columns: scikit-learn's
``OneHotEncoder`` with ``handle_unknown="ignore"`` (a category never seen at fit becomes an all-zero row
block; it is counted and logged). Columns constant or exactly duplicated in the training data are dropped
and recorded.

Non-finite values: training rows must be finite (the dataset loaders clean them); at transform, ``non_finite``
says what a NaN or ±Inf becomes: an error, or the fitted fill values (``clip``: ±Inf -> the column's training
max/min, NaN -> 0, as the loaders' ``clean_inf="clip"``; ``zero``: both -> 0). The fill values are fitted state
saved with a model, so ``netad score`` cleans a row as the policy of the model's training loader says.

The output is built chunk by chunk into one preallocated float32 array, so a table of millions of rows costs the
output plus a few small buffers (a ``ColumnTransformer`` would hold every block and their ``hstack`` at once).

Example
-------
>>> pre = FlowPreprocessor.for_dataset(dataset, log1p=True)          # doctest: +SKIP
>>> X_train = pre.fit_transform(split.train.features)                 # doctest: +SKIP
>>> X_test = pre.transform(split.test.features)                       # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from netad.errors import NetadInputError

if TYPE_CHECKING:
    from netad.datasets.base import Dataset

logger = logging.getLogger(__name__)

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
NON_FINITE = ("error", "clip", "zero")
"""What :meth:`FlowPreprocessor.transform` does with NaN/±Inf in a numeric column (see the module docstring)."""


def _scaler_name(scaler: str | None) -> str | None:
    """The scaler's key in SCALERS; ``None`` or ``"none"`` (as typed on the command line) mean no scaling."""
    return None if scaler is None or str(scaler).lower() == "none" else str(scaler).lower()


_CHUNK_ROWS = 131_072  # rows transformed at a time: bounds the temporary buffers, not the output


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """sign(x) * log1p(|x|), in place for float arrays: compresses heavy tails and keeps negatives finite."""
    magnitude = np.log1p(np.abs(x))
    return np.copysign(magnitude, x, out=x)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _numeric_values(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """The column as a numeric array (a view when the frame already holds numpy numbers).

    Non-numeric text raises an error naming the column, the count and examples.
    """
    series = frame[column]
    if _is_numeric(series):
        if isinstance(series.dtype, np.dtype):
            return series.to_numpy()
        return series.to_numpy(dtype=np.float32, na_value=np.nan)  # nullable extension dtypes: NA -> NaN
    coerced = pd.to_numeric(series, errors="coerce")
    bad = coerced.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        examples = pd.unique(series[bad])[:3].tolist()
        raise NetadInputError(
            f"{what}: numeric column {column!r} has {int(bad.sum()):,} non-numeric values (e.g. {examples}); "
            "clean them or list the column in categorical_columns"
        )
    return coerced.to_numpy(dtype=np.float32, na_value=np.nan)


def _column_digest(values: np.ndarray) -> str:
    return hashlib.blake2b(memoryview(np.ascontiguousarray(values)).cast("B"), digest_size=16).hexdigest()


class FlowPreprocessor(TransformerMixin, BaseEstimator):
    """Flow table -> float32 matrix: one-hot categoricals, optional signed log1p, scaling, drops constant and
    duplicate columns. Fit on training rows only.

    Parameters
    ----------
    categorical_columns : columns to one-hot encode; None = the non-numeric columns of the table at fit.
    scaler : "standard", "minmax", "robust" or None (numeric columns only; one-hot columns stay 0/1).
    log1p : False, True (every numeric column whose training minimum is >= 0) or a list of column names;
        applied as sign(x) * log1p(|x|) before scaling.
    drop_constant : drop columns with a single value in the training data (``dropped_constant_``).
    drop_duplicate_columns : drop columns exactly equal to an earlier column in the training data
        (``dropped_duplicate_``: dropped -> kept).
    max_categories : cap on one-hot columns per categorical column; rarer categories share one
        "infrequent" column (scikit-learn's ``OneHotEncoder(max_categories=...)``).
    unknown_indicator : add a ``<column>_<unknown>`` 0/1 column per categorical column, set when the category
        was never seen at fit. Without it such rows are all-zero one-hot rows and their clearest signal (a
        protocol or service never seen in normal traffic) is lost; it is constant 0 on the training rows.
    non_finite : "error" (NaN/Inf at transform is an error), "clip" (±Inf -> the column's training max/min,
        NaN -> 0) or "zero" (both -> 0); the fill values are fitted (``posinf_fill_``, ``neginf_fill_``,
        ``nan_fill_``, one per kept numeric column). Training rows must be finite whatever the policy.

    Fitted attributes
    -----------------
    feature_names_in_, n_features_in_, numeric_columns_, categorical_columns_, log1p_columns_, scaler_ (the
    fitted scikit-learn scaler or None), encoder_ (the fitted OneHotEncoder or None), dropped_constant_,
    dropped_duplicate_, unknown_indicator_columns_, n_features_out_, posinf_fill_, neginf_fill_, nan_fill_.
    """

    def __init__(
        self,
        categorical_columns: Sequence[str] | None = None,
        scaler: str | None = "standard",
        log1p: bool | Sequence[str] = False,
        drop_constant: bool = True,
        drop_duplicate_columns: bool = True,
        max_categories: int | None = None,
        unknown_indicator: bool = True,
        non_finite: str = "error",
    ) -> None:
        self.categorical_columns = categorical_columns
        self.scaler = scaler
        self.log1p = log1p
        self.drop_constant = drop_constant
        self.drop_duplicate_columns = drop_duplicate_columns
        self.max_categories = max_categories
        self.unknown_indicator = unknown_indicator
        self.non_finite = non_finite

    @classmethod
    def for_dataset(cls, dataset: Dataset, **kwargs: Any) -> FlowPreprocessor:
        """A preprocessor whose categorical columns are the dataset's, with the dataset's registered preprocessing
        defaults (e.g. no scaler for an already scaled file); other arguments passed through and win."""
        from netad.datasets.registry import specs

        spec = specs().get(dataset.name)
        defaults = dict(spec.preprocess) if spec is not None else {}
        return cls(categorical_columns=list(dataset.categorical_columns), **{**defaults, **kwargs})

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None) -> FlowPreprocessor:
        """Learn categories, dropped columns and scaling statistics from the training table ``X``."""
        what = f"{type(self).__name__}.fit"
        frame = self._check_frame(X, what)
        if len(frame) == 0:
            raise NetadInputError(f"{what}: the table has no rows")
        if _scaler_name(self.scaler) is not None and _scaler_name(self.scaler) not in SCALERS:
            raise NetadInputError(f"{what}: unknown scaler {self.scaler!r}; choose one of {sorted(SCALERS)} or none")
        if self.non_finite not in NON_FINITE:
            raise NetadInputError(f"{what}: non_finite={self.non_finite!r} is not one of {', '.join(NON_FINITE)}")
        not_str = [c for c in frame.columns if not isinstance(c, str)]
        if not_str:
            raise NetadInputError(f"{what}: column names must be strings; got {not_str[:5]}")
        names_in = list(frame.columns)
        if self.categorical_columns is None:
            categorical = [c for c in names_in if not _is_numeric(frame[c])]
        else:
            categorical = list(self.categorical_columns)
            missing = [c for c in categorical if c not in names_in]
            if missing:
                raise NetadInputError(f"{what}: categorical_columns {missing} are not in the table")
        numeric = [c for c in names_in if c not in set(categorical)]

        columns = [_numeric_values(frame, c, what) for c in numeric]
        self._check_finite(columns, numeric, what)
        self.dropped_constant_: list[str] = []
        self.dropped_duplicate_: dict[str, str] = {}
        numeric_kept = self._select_numeric(columns, numeric)
        categorical_kept = self._select_categorical(frame, categorical)

        # one float32 copy of the kept training columns, column-major so per-column work is contiguous
        block = np.empty((len(frame), len(numeric_kept)), dtype=np.float32, order="F")
        for j, c in enumerate(numeric_kept):
            block[:, j] = columns[numeric.index(c)]
        del columns
        self._fit_fill_values(block)
        self.log1p_columns_ = self._resolve_log1p(block, numeric_kept, numeric, what)
        for c in self.log1p_columns_:
            signed_log1p(block[:, numeric_kept.index(c)])
        self.scaler_ = self._fit_scaler(block) if _scaler_name(self.scaler) is not None and numeric_kept else None
        del block

        if categorical_kept:
            self.encoder_ = OneHotEncoder(
                handle_unknown="ignore",
                sparse_output=False,
                dtype=np.float32,
                max_categories=self.max_categories,
            ).fit(self._categorical_block(frame, categorical_kept))
        else:
            self.encoder_ = None

        self.feature_names_in_ = np.asarray(names_in, dtype=object)
        self.n_features_in_ = len(names_in)
        self.numeric_columns_ = numeric_kept
        self.categorical_columns_ = categorical_kept
        self.unknown_indicator_columns_ = (
            [f"{c}_<unknown>" for c in categorical_kept] if self.unknown_indicator and self.encoder_ else []
        )
        self._feature_names_out = np.asarray(
            numeric_kept
            + ([] if self.encoder_ is None else list(self.encoder_.get_feature_names_out(categorical_kept)))
            + self.unknown_indicator_columns_,
            dtype=object,
        )
        self.n_features_out_ = len(self._feature_names_out)
        if self.n_features_out_ == 0:
            raise NetadInputError(f"{what}: every column was dropped as constant or duplicate; nothing to learn from")
        if self.dropped_constant_ or self.dropped_duplicate_:
            logger.info(
                "dropped %d constant columns %s and %d duplicate columns %s (from the training rows)",
                len(self.dropped_constant_),
                self.dropped_constant_,
                len(self.dropped_duplicate_),
                self.dropped_duplicate_,
            )
        return self

    def _select_numeric(self, columns: list[np.ndarray], names: list[str]) -> list[str]:
        """Names of the numeric columns kept: not constant, not an exact copy of an earlier column.

        Constant = min == max in training (what ``VarianceThreshold(0)`` decides, without its float64 copy
        of the whole table).
        """
        kept: list[str] = []
        by_digest: dict[str, list[tuple[str, np.ndarray]]] = {}
        for name, values in zip(names, columns, strict=True):
            if self.drop_constant and values.min() == values.max():
                self.dropped_constant_.append(name)
                continue
            if self.drop_duplicate_columns:
                as_float = np.ascontiguousarray(values, dtype=np.float32)
                candidates = by_digest.setdefault(_column_digest(as_float), [])
                twin = next((k for k, v in candidates if np.array_equal(v, as_float)), None)
                if twin is not None:
                    self.dropped_duplicate_[name] = twin
                    continue
                candidates.append((name, as_float))
            kept.append(name)
        return kept

    def _fit_fill_values(self, block: np.ndarray) -> None:
        """Per kept numeric column, what +Inf, -Inf and NaN become at transform under ``non_finite``."""
        p = block.shape[1]
        self.nan_fill_ = np.zeros(p, dtype=np.float32)
        if self.non_finite == "zero" or len(block) == 0:
            self.posinf_fill_, self.neginf_fill_ = np.zeros(p, np.float32), np.zeros(p, np.float32)
        else:  # "clip" (and "error", where they are never used): the training range
            self.posinf_fill_ = block.max(axis=0).astype(np.float32)
            self.neginf_fill_ = block.min(axis=0).astype(np.float32)

    def _fit_scaler(self, block: np.ndarray) -> Any:
        scaler = SCALERS[_scaler_name(self.scaler)](copy=False)
        if _scaler_name(self.scaler) == "robust":
            return scaler.fit(block)  # needs whole columns for its quantiles (taken one column at a time)
        # partial_fit over row chunks: same statistics as fit, without fit's float64 temporary of the table
        for start in range(0, len(block), _CHUNK_ROWS):
            scaler.partial_fit(block[start : start + _CHUNK_ROWS])
        return scaler

    def _select_categorical(self, frame: pd.DataFrame, categorical: list[str]) -> list[str]:
        """Drop categorical columns that are constant or duplicate another categorical column in training."""
        kept: list[str] = []
        for c in categorical:
            values = frame[c].astype(str)
            if self.drop_constant and values.nunique(dropna=False) <= 1:
                self.dropped_constant_.append(c)
                continue
            twin = None
            if self.drop_duplicate_columns:
                twin = next((k for k in kept if frame[k].astype(str).equals(values)), None)
            if twin is not None:
                self.dropped_duplicate_[c] = twin
            else:
                kept.append(c)
        return kept

    def _resolve_log1p(self, block: np.ndarray, kept: list[str], numeric: list[str], what: str) -> list[str]:
        if self.log1p is False or self.log1p is None:
            return []
        if self.log1p is True:
            return [c for j, c in enumerate(kept) if block[:, j].min() >= 0] if len(block) else []
        if isinstance(self.log1p, str):
            raise NetadInputError(f"{what}: log1p must be True/False or a list of column names, not {self.log1p!r}")
        unknown = [c for c in self.log1p if c not in numeric]
        if unknown:
            raise NetadInputError(f"{what}: log1p columns {unknown} are not numeric columns of the table")
        return [c for c in kept if c in set(self.log1p)]  # columns dropped as constant/duplicate are skipped

    # -- transform ----------------------------------------------------------------------------------
    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The float32, C-contiguous feature matrix (rows x ``n_features_out_``) for table ``X``."""
        check_is_fitted(self, "n_features_out_")
        what = f"{type(self).__name__}.transform"
        frame = self._check_frame(X, what)
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise NetadInputError(f"{what}: the table lacks {len(missing)} columns seen at fit: {missing}")
        numeric = self.numeric_columns_
        columns = [_numeric_values(frame, c, what) for c in numeric]
        cleaning = self.non_finite != "error"
        self._check_finite(columns, numeric, what, allow_non_finite=cleaning)
        unknown = self.unknown_category_counts(frame)
        if unknown:
            logger.info(
                "%s: categories not seen at fit (all-zero one-hot, flagged in <unknown> columns if enabled): %s",
                what,
                ", ".join(f"{c!r}: {n:,} rows" for c, n in unknown.items()),
            )

        n, p = len(frame), len(numeric)
        out = np.empty((n, self.n_features_out_), dtype=np.float32)
        categorical = frame[self.categorical_columns_]
        buffer = np.empty((min(n, _CHUNK_ROWS), p), dtype=np.float32)  # reused: page faults are not free
        for start in range(0, n, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, n)
            if p:
                block = buffer[: stop - start]
                for j, values in enumerate(columns):
                    block[:, j] = values[start:stop]
                out[start:stop, :p] = self.transform_numeric(block)
            if self.encoder_ is not None:
                chunk = self._categorical_block(categorical.iloc[start:stop], self.categorical_columns_)
                out[start:stop, p:] = self.encode_categories(chunk)
        return out

    def transform_numeric(self, block: np.ndarray) -> np.ndarray:
        """The numeric step of :meth:`transform` (signed log1p, scaler) on a float32 block, in place.

        ``block`` holds the kept numeric columns (``numeric_columns_`` order); NaN/±Inf in it are filled by the
        fitted ``non_finite`` policy first (with ``"error"`` the caller has refused them).
        """
        if self.non_finite != "error":
            self._fill_non_finite(block)
        numeric = self.numeric_columns_
        log_idx = [numeric.index(c) for c in self.log1p_columns_]
        if len(log_idx) == len(numeric):
            signed_log1p(block)
        else:
            for j in log_idx:
                signed_log1p(block[:, j])
        if self.scaler_ is not None:
            block = self.scaler_.transform(block)  # in place: the scaler was made with copy=False
        return block

    def encode_categories(self, values: np.ndarray) -> np.ndarray:
        """The categorical step of :meth:`transform`: one-hot columns, then ``<unknown>`` indicators (float32).

        ``values`` is an object array of text (rows x ``categorical_columns_``). A dictionary lookup per column
        gives what ``encoder_.transform`` gives, without its per-call cost (which dominates for a few rows);
        with infrequent-category grouping the encoder itself is used.
        """
        n_unknown = len(self.unknown_indicator_columns_)
        n = len(values)
        out = np.zeros((n, self.n_features_out_ - len(self.numeric_columns_)), dtype=np.float32)
        if getattr(self.encoder_, "_infrequent_enabled", False) or self.encoder_.drop is not None:
            out[:, : out.shape[1] - n_unknown] = self.encoder_.transform(values)
            known = [np.isin(values[:, j], c) for j, c in enumerate(self.encoder_.categories_)]
        else:
            known, offset = [], 0
            for j, categories in enumerate(self.encoder_.categories_):
                lookup = {c: k for k, c in enumerate(categories.tolist())}
                index = np.fromiter((lookup.get(v, -1) for v in values[:, j]), dtype=np.int64, count=n)
                hit = index >= 0
                out[np.flatnonzero(hit), offset + index[hit]] = 1.0
                known.append(hit)
                offset += len(categories)
        for j in range(n_unknown):
            out[:, out.shape[1] - n_unknown + j] = ~known[j]
        return out

    def transform_arrays(self, numeric: np.ndarray, categorical: np.ndarray | None) -> np.ndarray:
        """:meth:`transform` for values already in the fitted column order, without building a table.

        ``numeric``: float32 (rows x ``numeric_columns_``), finite, modified in place when writable;
        ``categorical``: object array of text (rows x ``categorical_columns_``) or None when there are none.
        The same steps as :meth:`transform` (:meth:`transform_numeric`, :meth:`encode_categories`), so the
        same output.
        """
        check_is_fitted(self, "n_features_out_")
        numeric = np.require(numeric, dtype=np.float32, requirements=["C", "W"])  # a copy only when needed
        n, p = len(numeric), len(self.numeric_columns_)
        out = np.empty((n, self.n_features_out_), dtype=np.float32)
        if p:
            out[:, :p] = self.transform_numeric(numeric)
        if self.encoder_ is not None:
            out[:, p:] = self.encode_categories(categorical)
        return out

    def _fill_non_finite(self, block: np.ndarray) -> None:
        """NaN/±Inf in a row block (columns = ``numeric_columns_``) replaced in place by the fitted fill values."""
        bad = ~np.isfinite(block)
        if not bad.any():
            return
        for j in np.flatnonzero(bad.any(axis=0)):
            column = block[:, j]
            column[np.isnan(column)] = self.nan_fill_[j]
            column[np.isposinf(column)] = self.posinf_fill_[j]
            column[np.isneginf(column)] = self.neginf_fill_[j]

    def non_finite_counts(self, X: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
        """(rows holding NaN/±Inf in a numeric column the transform reads, count per such column)."""
        check_is_fitted(self, "n_features_out_")
        rows = np.zeros(len(X), dtype=bool)
        counts: dict[str, int] = {}
        for c in self.numeric_columns_:
            values = _numeric_values(X, c, f"{type(self).__name__}.non_finite_counts")
            if values.dtype.kind != "f":
                continue
            bad = ~np.isfinite(values)
            n_bad = int(np.count_nonzero(bad))
            if n_bad:
                counts[c] = n_bad
                rows |= bad
        return rows, counts

    def unknown_category_counts(self, X: pd.DataFrame) -> dict[str, int]:
        """Rows per categorical column whose category was never seen at fit (encoded as all zeros)."""
        check_is_fitted(self, "n_features_out_")
        counts: dict[str, int] = {}
        if self.encoder_ is None:
            return counts
        for c, categories in zip(self.categorical_columns_, self.encoder_.categories_, strict=True):
            n_unknown = int((~X[c].astype(str).isin(categories)).sum())
            if n_unknown:
                counts[c] = n_unknown
        return counts

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names: kept numeric columns, then ``<column>_<category>`` one-hot columns."""
        check_is_fitted(self, "n_features_out_")
        return self._feature_names_out.copy()

    # -- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def _check_frame(X: Any, what: str) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise NetadInputError(
                f"{what}: expected a pandas DataFrame with named columns (e.g. split.train.features), "
                f"got {type(X).__name__}"
            )
        return X

    @staticmethod
    def _check_finite(columns: list[np.ndarray], names: list[str], what: str, allow_non_finite: bool = False) -> None:
        """Every numeric value finite (NaN/Inf pass with ``allow_non_finite``: they are filled later) and, for
        float64 input, within float32 range; else an error naming the columns."""
        limit = float(np.finfo(np.float32).max)
        bad = {}
        for name, values in zip(names, columns, strict=True):
            if values.dtype.kind != "f":
                continue
            finite = np.isfinite(values)
            ok = np.ones_like(finite) if allow_non_finite else finite.copy()
            if values.dtype.itemsize > 4:
                ok &= ~finite | (np.abs(values) <= limit)
            n_bad = values.size - int(np.count_nonzero(ok))
            if n_bad:
                bad[name] = n_bad
        if bad:
            detail = ", ".join(f"{c!r}: {n:,}" for c, n in bad.items())
            raise NetadInputError(
                f"{what}: NaN/Inf values (or values beyond float32 range) in numeric columns {detail}; "
                "clean or impute them first"
            )

    @staticmethod
    def _categorical_block(frame: pd.DataFrame, categorical: list[str]) -> np.ndarray:
        # str() so that numbers-as-categories and missing values (as "nan") are encoded consistently
        return np.column_stack([frame[c].astype(str).to_numpy(dtype=object) for c in categorical])
