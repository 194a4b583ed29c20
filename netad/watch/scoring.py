"""Score batches of metered flows with a saved model: NFStream columns -> the model's columns -> scores.

:meth:`FlowScorer.columns` is the one place that maps NFStream's flow columns to the column layout a model reads
(the layout it was trained on, chosen once by :func:`netad.flows.layout_for`). Rows with NaN/Inf in a column the
model reads are filled by the model's saved ``non_finite`` policy and scored, as ``netad score`` does (counted in
:attr:`ScoredBatch.cleaned`); a model without a policy leaves them unscored (counted in
:attr:`ScoredBatch.unscored`), and their flows still reach the host windows, unflagged.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.files import regular_file_inside
from netad.flows import flow_table, layout_for
from netad.flows.layouts import Layout
from netad.persist import MODEL_FILE, LoadedModel
from netad.score import feature_attribution
from netad.score.attribution import top_features

logger = logging.getLogger(__name__)

ABSENT_FILL = 0.0
"""Value of the CIC columns NFStream does not compute (bulk features; 0 on every CIC-IDS-2017 row checked)."""


@dataclass
class ModelInfo:
    """How alerts name the model: its directory name, detector, threshold and the sha256 of ``model.json``
    (which lists the sha256 of every other file of the model)."""

    name: str
    path: str
    detector: str
    threshold: float
    sha256: str

    @classmethod
    def of(cls, model: LoadedModel) -> ModelInfo:
        path = regular_file_inside(model.path, MODEL_FILE)
        return cls(
            name=model.path.name,
            path=str(model.path),
            detector=model.detector_name,
            threshold=float(model.detector.threshold_),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )


@dataclass
class ScoredBatch:
    """Scores of one batch: ``scored`` rows have a score (others NaN), ``flagged`` = score > threshold;
    ``X`` holds the preprocessed rows that were scored (for drift), ``top`` the top features of flagged rows."""

    scores: np.ndarray
    scored: np.ndarray
    flagged: np.ndarray
    X: np.ndarray
    top: dict[int, list[tuple[str, float]]]
    cleaned: int = 0
    """Rows with NaN/Inf filled by the model's policy, then scored."""
    unscored: int = 0
    """Rows with NaN/Inf left unscored (the model has no policy for them)."""


class FlowScorer:
    """Preprocess and score flow tables with a saved model; checks once that the model's columns exist."""

    def __init__(self, model: LoadedModel, top_features: int = 3) -> None:
        if model.preprocessor is None:
            raise NetadInputError(f"{model.path}: this model has no preprocessor; `netad watch` needs a flow model "
                                  "saved by `netad train`")  # fmt: skip
        self.model = model
        self.top_features = int(top_features)
        n_features = len(model.schema.output_features)
        if not 0 <= self.top_features <= n_features:
            raise NetadInputError(f"top features must lie in [0, {n_features}], got {top_features}")
        self.used = list(model.schema.used_columns)
        self.categorical = set(model.schema.categorical_columns)
        self.threshold = float(model.detector.threshold_)
        self.cleans_non_finite = model.preprocessor.non_finite != "error"

    @cached_property
    def layout(self) -> Layout:
        """The flow layout the model was trained on (looked up once per model, not per batch)."""
        return layout_for(self.model.schema.input_columns)

    def columns(self, nf: pd.DataFrame) -> pd.DataFrame:
        """The flow table the model reads, one row per NFStream flow of ``nf`` in its order, in the model's layout
        (columns the meter does not compute written as 0)."""
        return flow_table(nf, self.layout, fill_missing=ABSENT_FILL)

    def check_layout(self, produced: list[str]) -> None:
        """Refuse before any capture when the metered layout lacks a column the model reads."""
        missing = [c for c in self.used if c not in set(produced)]
        if missing:
            raise NetadInputError(
                f"{self.model.path}: the model reads {len(missing)} column(s) the flow meter does not produce "
                f"({', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}); `netad watch` scores models "
                f"trained on a layout netad.flows produces ({self.layout.name} is the closest)"
            )

    def score(self, table: pd.DataFrame) -> ScoredBatch:
        n = len(table)
        # columns dropped at fit (constant or duplicate) must be present but are never read: 0 where absent
        frame = table.reindex(columns=self.model.schema.input_columns, fill_value=0.0)
        numeric = [c for c in self.used if c not in self.categorical]
        values = frame[numeric].to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        scored = np.ones(n, dtype=bool) if self.cleans_non_finite else finite.all(axis=1)
        bad = n - int(finite.all(axis=1).sum())
        if bad:
            columns = ", ".join(c for c, ok in zip(numeric, finite.all(axis=0), strict=True) if not ok)
            if self.cleans_non_finite:
                logger.info("%d flow(s) with NaN/Inf in %s: filled by the model's saved policy, scored", bad, columns)
            else:
                logger.warning("%d flow(s) not scored: NaN/Inf in %s", bad, columns)
        scores = np.full(n, np.nan)
        X = np.empty((0, len(self.model.schema.output_features)), np.float32)
        if scored.any():
            X = self.model.preprocessor.transform(frame[scored])
            scores[scored] = self.model.detector.decision_function(X)
        flagged = np.zeros(n, dtype=bool)
        flagged[scored] = scores[scored] > self.threshold
        top: dict[int, list[tuple[str, float]]] = {}
        if self.top_features and flagged.any():
            rows = np.flatnonzero(scored)
            picked = flagged[scored]
            order, values = top_features(feature_attribution(self.model, X[picked]), self.top_features)
            names = self.model.schema.output_features
            for row, ranks, contributions in zip(rows[picked], order, values, strict=True):
                top[int(row)] = [(str(names[k]), float(c)) for k, c in zip(ranks, contributions, strict=True)]
        cleaned, unscored = (bad, 0) if self.cleans_non_finite else (0, bad)
        return ScoredBatch(scores, scored, flagged, X, top, cleaned=cleaned, unscored=unscored)
