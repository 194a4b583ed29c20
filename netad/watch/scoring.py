"""Score batches of metered flows with a saved model: NFStream columns -> the model's columns -> scores.

:func:`model_columns` is the one place that maps NFStream's flow columns to the column layout a model reads
(today the CIC-IDS-2017 names of :func:`netad.flows.cic_flow_table`); a layout chooser for other training layouts
plugs in there. Rows with NaN/Inf in a column the model reads are filled by the model's saved ``non_finite`` policy
and scored, as ``netad score`` does (counted in :attr:`ScoredBatch.cleaned`); a model without a policy leaves them
unscored (counted in :attr:`ScoredBatch.unscored`), and their flows still reach the host windows, unflagged.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.files import regular_file_inside
from netad.persist import MODEL_FILE, LoadedModel
from netad.score import feature_attribution
from netad.score.attribution import top_features

logger = logging.getLogger(__name__)

ABSENT_FILL = 0.0
"""Value of the CIC columns NFStream does not compute (bulk features; 0 on every CIC-IDS-2017 row checked)."""


def model_columns(nf: pd.DataFrame, model: LoadedModel) -> pd.DataFrame:
    """The flow table ``model`` reads, one row per NFStream flow of ``nf``, in ``nf``'s row order: the layout the
    model was trained on (:func:`netad.flows.layout_for` its input columns), absent columns written as 0."""
    from netad.flows import flow_table, layout_for

    return flow_table(nf, layout_for(model.schema.input_columns), fill_missing=ABSENT_FILL)


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

    def check_layout(self, produced: list[str]) -> None:
        """Refuse before any capture when the metered layout lacks a column the model reads."""
        missing = [c for c in self.used if c not in set(produced)]
        if missing:
            raise NetadInputError(
                f"{self.model.path}: the model reads {len(missing)} column(s) the flow meter does not produce "
                f"({', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}); `netad watch` scores models "
                "trained on the CIC-IDS-2017 layout"
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
