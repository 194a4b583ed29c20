"""Scoring one chunk of flows: non-finite values counted (and cleaned, skipped or refused), preprocessing, scores,
flags and the optional top features, as one Arrow table of output columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from netad.datasets.tabular import to_frame
from netad.errors import NetadInputError
from netad.inputs.source import Chunk, where
from netad.score.attribution import attribution, attribution_method, reconstructor, top_features

ON_BAD_ROWS = ("clean", "error", "skip")
"""NaN/±Inf/empty numeric values: cleaned by the model's saved policy and marked (default), an error, or skipped."""
NON_FINITE_COLUMN = "non_finite"
"""Output column: 1 on rows whose NaN/±Inf values were cleaned by the model's policy before scoring."""


@dataclass
class BadValues:
    """NaN/Inf/empty numeric values seen so far: rows and per-column cell counts, and the first row."""

    rows: int = 0
    by_column: dict[str, int] = field(default_factory=dict)
    first_row: int | None = None


class ChunkScorer:
    """Validates, preprocesses and scores chunks; counts bad rows; builds the output table of each chunk."""

    def __init__(self, model: Any, top_features: int, on_bad_rows: str, report: Any) -> None:
        self.model = model
        self.detector = model.detector
        self.preprocessor = model.preprocessor
        self.top_features = int(top_features)
        self.on_bad_rows = on_bad_rows
        self.policy = self.preprocessor.non_finite
        """The model's saved cleaning of NaN/±Inf ("error" for models saved without one)."""
        self.report = report
        self.attribution = attribution_method(model) if self.top_features else None
        self.feature_names = pa.array([str(f) for f in model.schema.output_features], pa.string())
        used = set(model.schema.used_columns)
        self.numeric = [c for c in model.schema.numeric_columns if c in used]
        self.unused = [c for c in model.schema.input_columns if c not in used]
        self.reconstruct = reconstructor(self.detector) if self.top_features else None
        self.context_rows = int(self.detector.context_rows)
        self.context: np.ndarray | None = None
        self.bad = BadValues()
        self.failed = False

    @property
    def cleans(self) -> bool:
        """Whether rows with NaN/±Inf are scored after the model's cleaning (and marked)."""
        return self.on_bad_rows == "clean" and self.policy != "error"

    def score(self, chunk: Chunk, keep: list[str]) -> pa.Table:
        table = chunk.table
        n = table.num_rows
        self.report.rows_read += n
        bad = self._count_bad(table, chunk.first_row)
        if bad.any() and not self.cleans and self.on_bad_rows != "skip":
            self.failed = True  # counting bad values through the rest of the file, writing nothing
        if self.failed:
            return table
        rows = np.arange(chunk.first_row, chunk.first_row + n, dtype=np.int64)
        marked = None
        if bad.any() and self.on_bad_rows == "skip":
            self.report.rows_skipped += int(bad.sum())
            table, rows = table.filter(pa.array(~bad)), rows[~bad]
        elif self.cleans:
            self.report.rows_cleaned += int(bad.sum())
            marked = bad.astype(np.int8)
        out = self._score_table(table, keep)
        if marked is not None:
            out = out.add_column(2, NON_FINITE_COLUMN, pa.array(marked, pa.int8()))
        return out.add_column(0, "row", pa.array(rows, pa.int64()))

    def _count_bad(self, table: pa.Table, first_row: int) -> np.ndarray:
        bad = np.zeros(table.num_rows, dtype=bool)
        for name in [c for c in table.column_names if c in self.numeric]:
            values = table.column(name).to_numpy(zero_copy_only=False)  # nulls -> NaN
            column_bad = ~np.isfinite(values)
            count = int(column_bad.sum())
            if count:
                if self.bad.first_row is None or first_row + int(np.argmax(column_bad)) < self.bad.first_row:
                    self.bad.first_row = first_row + int(np.argmax(column_bad))
                self.bad.by_column[name] = self.bad.by_column.get(name, 0) + count
                bad |= column_bad
        self.bad.rows += int(bad.sum())
        return bad

    def _score_table(self, table: pa.Table, keep: list[str]) -> pa.Table:
        kept = {c: table.column(c) for c in keep}
        model_columns = [c for c in table.column_names if c in set(self.model.schema.used_columns)]
        frame = to_frame(table.select(model_columns))
        for c in self.unused:  # dropped at fit: must be present, never read
            frame[c] = np.zeros(len(frame), dtype=np.float32)
        for column, count in self.preprocessor.unknown_category_counts(frame).items():
            self.report.unknown_categories[column] = self.report.unknown_categories.get(column, 0) + count
        if len(frame):
            X = self.preprocessor.transform(frame)
            del frame
            scores = self._scores(X)
        else:
            X, scores = np.empty((0, len(self.model.schema.output_features)), np.float32), np.empty(0)
        flagged = (scores > self.detector.threshold_).astype(np.int8)
        self.report.rows_scored += len(scores)
        self.report.rows_flagged += int(flagged.sum())
        columns: dict[str, Any] = {"score": pa.array(scores, pa.float64()), "is_attack": pa.array(flagged, pa.int8())}
        for name, values in kept.items():
            columns[output_name(name, self.top_features)] = values
        if self.top_features:
            columns.update(self._top_features(X))
        return pa.table(columns)

    def _scores(self, X: np.ndarray) -> np.ndarray:
        if not self.context_rows:
            return self.detector.decision_function(X)
        # a row's score depends on the rows before it (sequence windows): carry them across chunks
        if self.context is not None:
            X = np.concatenate([self.context, X])
        offset = 0 if self.context is None else len(self.context)
        scores = self.detector.decision_function(X)[offset:]
        self.context = X[-self.context_rows :].copy()
        return scores

    def _top_features(self, X: np.ndarray) -> dict[str, pa.Array]:
        k = self.top_features
        if len(X):
            order, contribution = top_features(attribution(self.model, X, self.reconstruct), k)
        else:
            order, contribution = np.empty((0, k), np.int32), np.empty((0, k), np.float32)
        out: dict[str, pa.Array] = {}
        for i in range(k):
            out[f"top_feature_{i + 1}"] = pa.DictionaryArray.from_arrays(pa.array(order[:, i]), self.feature_names)
            out[f"top_value_{i + 1}"] = pa.array(contribution[:, i], pa.float32())
        return out

    def file_metadata(self) -> dict[str, str]:
        """Key-value metadata of the output parquet: which model, threshold and attribution produced it."""
        return {
            "netad.model": str(self.model.path),
            "netad.detector": self.model.detector_name,
            "netad.threshold": repr(float(self.detector.threshold_)),
            "netad.attribution": self.attribution or "",
            "netad.non_finite": self.policy if self.cleans else self.on_bad_rows,
        }

    def raise_if_failed(self, name: str, parquet: bool) -> None:
        if not self.failed:
            return
        detail = ", ".join(f"{c!r}: {n:,}" for c, n in sorted(self.bad.by_column.items(), key=lambda kv: -kv[1]))
        first = self.bad.first_row
        at = "" if first is None else f" (first on data row {where(first, parquet)})"
        if self.on_bad_rows == "clean":  # asked to clean, but the model saved no policy for it
            fix = (
                "this model has no saved cleaning policy for them (trained on data that never held NaN/Inf, or "
                "saved by an older netad); pass --on-bad-rows skip to skip and count those rows"
            )
        else:
            fix = "clean them, or pass --on-bad-rows clean (the model's policy) or skip (skip and count the rows)"
        raise NetadInputError(f"{name}: NaN/Inf or empty values in numeric column(s) {detail}{at}; {fix}")


def output_name(column: str, top_features: int) -> str:
    """A kept input column's name in the output, prefixed ``input.`` when it collides with an output column."""
    reserved = {"row", "score", "is_attack", NON_FINITE_COLUMN}
    reserved |= {f"top_{kind}_{i + 1}" for kind in ("feature", "value") for i in range(top_features)}
    return f"input.{column}" if column in reserved else column
