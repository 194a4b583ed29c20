"""Validated rows -> scores, flags and top features (the HTTP-free part of the service).

:meth:`ScoringService.score_batch` scores the rows of several requests as one matrix (micro-batching) and
splits the results back per request. The preprocessor runs through :meth:`FlowPreprocessor.transform_arrays`,
the same steps as ``netad score``, so a row gets the same score alone, in a batch or from a file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.persist import LoadedModel
from netad.score import attribution_method, feature_attribution
from netad.score.attribution import top_features
from netad.serve.alerts import AlertLog
from netad.serve.problems import RequestProblem, problem
from netad.serve.validation import MAX_IGNORED_SHOWN, InputSchema, Rows

DEFAULT_MAX_ROWS = 10_000
MAX_TOP_FEATURES = 20


@dataclass
class ScoreJob:
    """One request's validated rows waiting to be scored, with what it asked for."""

    rows: Rows
    top_features: int
    started: float
    """``time.perf_counter()`` when the request's validation began (for the response's ``seconds``)."""


class ScoringService:
    """Validates requests against the model's schema and scores batches of them."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        n_threads: int | None = None,
        alert_log: AlertLog | None = None,
        alert_top_features: int = 3,
        on_scored: Callable[[int, int], None] | None = None,
    ) -> None:
        if model.preprocessor is None:
            raise NetadInputError(
                f"{model.path}: this model has no preprocessor (saved with save_detector); the service scores flow "
                "tables: save one with `netad train`"
            )
        if n_threads is not None and "n_threads" in model.detector.get_params():
            model.detector.set_params(n_threads=int(n_threads))
        self.model = model
        self.max_rows = int(max_rows)
        self.schema = InputSchema(model)
        self.feature_names = [str(f) for f in model.schema.output_features]
        self.max_top_features = min(MAX_TOP_FEATURES, len(self.feature_names))
        self.attribution = attribution_method(model)
        self.threshold = float(model.detector.threshold_)
        self.context_rows = int(getattr(model.detector, "context_rows", 0) or 0)
        self.alert_log = alert_log
        self.alert_top_features = min(int(alert_top_features), len(self.feature_names))
        self.on_scored = on_scored
        encoder = model.preprocessor.encoder_
        self._known_categories = [frozenset(c.tolist()) for c in encoder.categories_] if encoder is not None else []

    # -- validation (on the request's own thread) ------------------------------------------------------------
    def check_top_features(self, k: int) -> int:
        if not 0 <= int(k) <= self.max_top_features:
            raise RequestProblem(
                422,
                [
                    problem(
                        ["query", "top_features"],
                        "value_error",
                        f"top_features must lie in [0, {self.max_top_features}]",
                    )
                ],
            )
        return int(k)

    def check_size(self, n_rows: int) -> None:
        if n_rows > self.max_rows:
            raise RequestProblem(
                413, f"{n_rows:,} rows in one request; this service accepts at most {self.max_rows:,} (split the batch)"
            )

    def validate_records(self, records: list[Any]) -> Rows:
        self.check_size(len(records))
        return self.schema.from_records(records)

    def validate_frame(self, frame: pd.DataFrame) -> Rows:
        self.check_size(len(frame))
        return self.schema.from_frame(frame)

    # -- scoring (one thread at a time) ----------------------------------------------------------------------
    def score_frame(self, frame: pd.DataFrame, top_features: int = 0) -> dict[str, Any]:
        """Validate and score one table (no batching); raises :class:`RequestProblem` (422/413)."""
        started = time.perf_counter()
        k = self.check_top_features(top_features)
        return self.score_batch([ScoreJob(self.validate_frame(frame), k, started)])[0]

    def score_batch(self, jobs: list[ScoreJob]) -> list[dict[str, Any]]:
        """Score the rows of ``jobs`` as one matrix; one response body per job, in order."""
        sizes = [job.rows.n_rows for job in jobs]
        n = sum(sizes)
        k_max = max(job.top_features for job in jobs)
        if n:
            # a new array: the preprocessor transforms it in place, the jobs keep their rows
            numeric = (
                np.concatenate([job.rows.numeric for job in jobs]) if len(jobs) > 1 else jobs[0].rows.numeric.copy()
            )
            categorical = None
            if self.schema.categorical:
                categorical = (
                    np.concatenate([job.rows.categorical for job in jobs])
                    if len(jobs) > 1
                    else jobs[0].rows.categorical
                )
            with np.errstate(over="ignore", invalid="ignore"):  # beyond float32 counts as infinite
                non_finite = ~np.isfinite(numeric).all(axis=1)
            X = self.model.preprocessor.transform_arrays(numeric, categorical)
            scores = np.asarray(self.model.detector.decision_function(X), dtype=np.float64)
        else:
            X, scores, categorical = np.empty((0, len(self.feature_names)), np.float32), np.empty(0), None
            non_finite = np.zeros(0, dtype=bool)
        flagged = scores > self.threshold
        contribution = feature_attribution(self.model, X) if k_max and n else None
        if self.on_scored is not None:
            self.on_scored(n, int(flagged.sum()))
        if self.alert_log is not None and flagged.any():
            self._log_alerts(jobs, sizes, X, scores, flagged)
        results, start = [], 0
        for job, size in zip(jobs, sizes, strict=True):
            part = slice(start, start + size)
            start += size
            result = self._response(job, scores[part], flagged[part], categorical, part, contribution)
            cleaned = np.flatnonzero(non_finite[part])
            result["n_non_finite"] = len(cleaned)
            result["non_finite_rows"] = cleaned[:MAX_IGNORED_SHOWN].tolist()
            results.append(result)
        return results

    def _response(
        self,
        job: ScoreJob,
        scores: np.ndarray,
        flagged: np.ndarray,
        categorical: np.ndarray | None,
        part: slice,
        contribution: np.ndarray | None,
    ) -> dict[str, Any]:
        k = job.top_features
        ignored = list(job.rows.ignored)
        result: dict[str, Any] = {
            "model": self.model.detector_name,
            "threshold": self.threshold,
            "n_rows": len(scores),
            "n_flagged": int(flagged.sum()),
            "scores": scores.tolist(),
            "is_attack": flagged.tolist(),
            "explanations": None,
            "attribution": self.attribution if k else None,
            "ignored_columns": ignored[:MAX_IGNORED_SHOWN],
            "n_ignored_columns": len(ignored),
            "unknown_categories": self._unknown_counts(categorical[part] if categorical is not None else None),
        }
        if k and contribution is not None and len(scores):
            order, values = top_features(contribution[part], k)
            result["explanations"] = [
                self._contributions(row, row_values) for row, row_values in zip(order, values, strict=True)
            ]
        result["seconds"] = time.perf_counter() - job.started
        return result

    def _unknown_counts(self, categorical: np.ndarray | None) -> dict[str, int]:
        """Rows per categorical column whose category was never seen at fit."""
        if categorical is None or not len(categorical):
            return {}
        counts = {}
        for j, (name, known) in enumerate(zip(self.schema.categorical, self._known_categories, strict=True)):
            n_unknown = sum(v not in known for v in categorical[:, j].tolist())
            if n_unknown:
                counts[name] = n_unknown
        return counts

    def _contributions(self, order: np.ndarray, values: np.ndarray) -> list[dict[str, Any]]:
        """One row's top features as ``{"feature", "contribution"}`` records (see :func:`top_features`)."""
        names = self.feature_names
        return [{"feature": names[j], "contribution": float(v)} for j, v in zip(order, values, strict=True)]

    def _log_alerts(
        self, jobs: list[ScoreJob], sizes: list[int], X: np.ndarray, scores: np.ndarray, flagged: np.ndarray
    ) -> None:
        rows = np.flatnonzero(flagged)
        k = self.alert_top_features
        order, values = top_features(feature_attribution(self.model, X[rows]), k) if k else (None, None)
        owners = np.repeat(np.arange(len(jobs)), sizes)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        alerts = []
        for i, row in enumerate(rows):
            job = int(owners[row])
            local = int(row - offsets[job])
            top = []
            if order is not None:
                top = self._contributions(order[i], values[i])
            alerts.append(
                {
                    "model": self.model.detector_name,
                    "row": local,
                    **jobs[job].rows.identifiers(local),
                    "score": float(scores[row]),
                    "threshold": self.threshold,
                    "top_features": top,
                }
            )
        self.alert_log.write(alerts)
