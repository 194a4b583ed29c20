"""Drift signal: per window of traffic, does what the model sees still look like what it was trained on?

Two checks per window of ``window_seconds`` (traffic time) holding at least ``min_flows`` scored flows:

- **scores**: the population stability index (PSI) of the window's scores against a reference score
  distribution, over the reference's deciles. The reference is the model's own (quantiles of its normal
  validation scores, saved by ``netad train``; ``reference: "model"``); a model saved without one uses the first
  full window of this run (``reference: "run-start"``): the signal then says "traffic has changed since the watch
  started", not "since training". PSI >= ``psi_threshold`` (0.25: the usual "major shift" rule of thumb;
  0.1-0.25 is "moderate") emits a record;
- **features**: the standardised mean difference (SMD) of each model feature, ``|window mean - training mean| /
  max(training std, 0.01)``, against the feature statistics saved with the model (``feature_stats.safetensors``,
  training normals). When the share of features with SMD >= ``smd_threshold`` (1.0, a shift of one training
  standard deviation) reaches ``feature_share_threshold`` (0.25), a record is emitted.
  Models saved without feature statistics skip this check.

A window with either check over its threshold yields one ``event_type: "drift"`` record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

STD_FLOOR = 1e-2
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class DriftSettings:
    """Window and thresholds of :class:`DriftMonitor` (see the module docstring)."""

    window_seconds: float = 60.0
    min_flows: int = 100
    psi_threshold: float = 0.25
    smd_threshold: float = 1.0
    feature_share_threshold: float = 0.25
    bins: int = 10
    max_window_flows: int = 50_000
    """At most this many flows per window are kept for the checks (the first ones; the count is exact)."""


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of ``current`` against ``reference`` over the reference's quantile bins (empty bins floored at 1e-4)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    expected = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    p = np.maximum(expected / expected.sum(), PSI_EPSILON)
    q = np.maximum(actual / actual.sum(), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


class DriftMonitor:
    """Collects scored flows into traffic-time windows and returns a drift record body when a window drifts."""

    def __init__(
        self,
        feature_names: list[str],
        feature_mean: np.ndarray | None,
        feature_std: np.ndarray | None,
        settings: DriftSettings | None = None,
        score_reference: np.ndarray | None = None,
    ) -> None:
        self.settings = settings or DriftSettings()
        self.feature_names = feature_names
        self.mean = None if feature_mean is None else np.asarray(feature_mean, np.float64)
        self.std = None if feature_std is None else np.maximum(np.asarray(feature_std, np.float64), STD_FLOOR)
        self.reference = score_reference
        self.reference_kind = "model" if score_reference is not None else "run-start"
        self.window_start: float | None = None
        self._scores: list[np.ndarray] = []
        self._sums = None if self.mean is None else np.zeros_like(self.mean)
        self._n = 0
        self.windows = 0

    def add(self, start_seconds: np.ndarray, scores: np.ndarray, X: np.ndarray) -> list[dict[str, Any]]:
        """Add scored flows (their start times, scores, preprocessed rows); returns the drift records of the
        windows that closed. Each flow counts in the window of its start (a flow that started before the current
        window, reported late because it lasted long, counts in the current one)."""
        records: list[dict[str, Any]] = []
        if len(scores) == 0:
            return records
        order = np.argsort(start_seconds, kind="stable")
        start, scores, X = start_seconds[order], scores[order], X[order]
        if self.window_start is None:
            self.window_start = float(start[0])
        width = self.settings.window_seconds
        first = 0
        while first < len(start):
            last = int(np.searchsorted(start, self.window_start + width, side="left"))
            self._take(scores[first:last], X[first:last])
            if last == len(start):
                break
            record = self._close()
            if record is not None:
                records.append(record)
            # skip the empty windows of a gap in the traffic at once
            self.window_start += max(np.floor((start[last] - self.window_start) / width), 0.0) * width
            first = last
        return records

    def _take(self, scores: np.ndarray, X: np.ndarray) -> None:
        kept = sum(len(s) for s in self._scores)
        room = max(self.settings.max_window_flows - kept, 0)
        self._scores.append(np.asarray(scores[:room], np.float64))
        if self._sums is not None:
            self._sums += X[:room].sum(axis=0, dtype=np.float64)
        self._n += len(scores)

    def _close(self) -> dict[str, Any] | None:
        start = self.window_start
        end = start + self.settings.window_seconds
        self.window_start = end
        scores = np.concatenate(self._scores) if self._scores else np.empty(0)
        sums, n = self._sums, self._n
        self._scores, self._n = [], 0
        if self._sums is not None:
            self._sums = np.zeros_like(self._sums)
        if len(scores) < self.settings.min_flows:
            return None
        self.windows += 1
        body: dict[str, Any] = {
            "window_start": start,
            "window_end": end,
            "flows": int(n),
            "reference": self.reference_kind,
            "score_psi": None,
            "psi_threshold": self.settings.psi_threshold,
        }
        drifted = False
        if self.reference is None:  # the first full window becomes the score reference
            self.reference = scores
        else:
            psi = population_stability_index(self.reference, scores, self.settings.bins)
            body["score_psi"] = round(psi, 6)
            drifted = psi >= self.settings.psi_threshold
        if sums is not None:
            smd = np.abs(sums / len(scores) - self.mean) / self.std
            share = float(np.mean(smd >= self.settings.smd_threshold))
            worst = np.argsort(-smd)[:5]
            body["feature_shift"] = {
                "share": round(share, 6),
                "smd_threshold": self.settings.smd_threshold,
                "share_threshold": self.settings.feature_share_threshold,
                "top": [{"name": self.feature_names[i], "smd": round(float(smd[i]), 6)} for i in worst],
            }
            drifted |= share >= self.settings.feature_share_threshold
        return body if drifted else None
