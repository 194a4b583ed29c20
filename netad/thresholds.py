"""Threshold strategies: small objects that turn anomaly scores into a cut-off.

Composed around any detector (never coded inside one). ``choose(scores, y)`` returns the threshold; a sample
is flagged as an attack when its score is strictly greater than the threshold.

Spec strings, as used by the CLI and ``BaseDetector(threshold=...)``:

``p99`` / ``p97.5`` / ``percentile:99``  percentile of the scores of normal rows (validation normals by default)
``contamination:0.05``                   flag that fraction of the calibration rows
``best-f1``                              F1-optimal on a labelled validation split
``oracle``                               F1-optimal on the *test* set; only when asked, labelled in every output
``seed:p80``                             q-th percentile of training *and test* scores pooled (the DAGMM seed
                                         notebook's rule); uses test data, so only when asked, labelled as such

Strategies with ``uses_test_data`` are evaluation-only: ``netad bench`` applies them, a detector's own
``threshold`` (set at fit, where no test data exists) refuses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from netad.errors import NetadInputError


class ThresholdStrategy(Protocol):
    name: str
    needs_labels: bool
    uses_test_data: bool

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float: ...


@dataclass(frozen=True)
class Percentile:
    """The q-th percentile of normal scores: about (100 - q)% false positives on normal traffic."""

    q: float = 99.0
    needs_labels: bool = False
    uses_test_data: bool = False

    @property
    def name(self) -> str:
        return f"p{self.q:g}"

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float:
        normal = scores if y is None else scores[np.asarray(y) == 0]
        if normal.size == 0:
            raise NetadInputError(f"threshold {self.name}: no normal rows to take a percentile of")
        return float(np.percentile(normal, self.q))


@dataclass(frozen=True)
class Contamination:
    """Flag a fixed fraction of the calibration rows (PyOD's ``contamination``)."""

    rate: float = 0.1
    needs_labels: bool = False
    uses_test_data: bool = False

    @property
    def name(self) -> str:
        return f"contamination:{self.rate:g}"

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float:
        return float(np.percentile(scores, 100.0 * (1.0 - self.rate)))


def best_f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The cut-off maximising F1 over all distinct scores (ties broken towards the higher threshold)."""
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        raise NetadInputError("F1-optimal threshold needs both normal and attack rows in the labelled split")
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order]
    tp = np.cumsum(t)
    fp = np.cumsum(~t)
    # only cut between distinct scores: the last index of each run of equal scores
    last = np.r_[s[1:] != s[:-1], True]
    tp, fp, s = tp[last], fp[last], s[last]
    f1 = 2 * tp / (tp + fp + t.sum())
    best = int(np.argmax(f1))
    # flag rows with score > threshold: put the threshold just below the best cut's lowest score
    below = s[best + 1] if best + 1 < len(s) else s[best] - 1.0
    return float((s[best] + below) / 2.0)


@dataclass(frozen=True)
class BestF1:
    """F1-optimal threshold on a labelled validation split."""

    name: str = "best-f1"
    needs_labels: bool = True
    uses_test_data: bool = False

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float:
        if y is None:
            raise NetadInputError("threshold 'best-f1' needs labels: use a validation split with attacks")
        return best_f1_threshold(scores, y)


@dataclass(frozen=True)
class Oracle:
    """Best F1 on the test set itself. Optimistic by construction; every output labels it as 'oracle'."""

    name: str = "oracle"
    needs_labels: bool = True
    uses_test_data: bool = True

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float:
        if y is None:
            raise NetadInputError("threshold 'oracle' needs the test labels")
        return best_f1_threshold(scores, y)


@dataclass(frozen=True)
class SeedPooledPercentile:
    """The DAGMM seed notebook's rule: the q-th percentile of training and test scores pooled together.

    Leaks the test set's score distribution into the threshold (it assumes the test anomaly share), so it is
    offered only to reproduce the seed, and ``uses_test_data`` labels it in every output. ``choose`` takes the
    pooled scores; :func:`netad.bench.job.choose_threshold` pools them.
    """

    q: float = 80.0
    needs_labels: bool = False
    uses_test_data: bool = True
    needs_train_scores: bool = True

    @property
    def name(self) -> str:
        return f"seed:p{self.q:g}"

    def choose(self, scores: np.ndarray, y: np.ndarray | None = None) -> float:
        if scores.size == 0:
            raise NetadInputError(f"threshold {self.name}: no scores to take a percentile of")
        return float(np.percentile(scores, self.q))


_PERCENTILE = re.compile(r"^(?:p|percentile:)(\d+(?:\.\d+)?)$")


def resolve(spec: str | ThresholdStrategy) -> ThresholdStrategy:
    """Turn a spec string (``p99``, ``contamination:0.05``, ``best-f1``, ``oracle``) into a strategy."""
    if not isinstance(spec, str):
        return spec
    text = spec.strip().lower()
    if m := _PERCENTILE.match(text):
        q = float(m.group(1))
        if not 0.0 < q < 100.0:
            raise NetadInputError(f"threshold {spec!r}: the percentile must lie strictly between 0 and 100")
        return Percentile(q)
    if text.startswith("contamination:"):
        try:
            rate = float(text.split(":", 1)[1])
        except ValueError:
            rate = -1.0
        if not 0.0 < rate < 0.5:
            raise NetadInputError(f"threshold {spec!r}: the contamination rate must lie in (0, 0.5)")
        return Contamination(rate)
    if text in ("best-f1", "f1"):
        return BestF1()
    if text == "oracle":
        return Oracle()
    if text.startswith("seed:"):
        m = _PERCENTILE.match(text.split(":", 1)[1])
        q = float(m.group(1)) if m else -1.0
        if not 0.0 < q < 100.0:
            raise NetadInputError(f"threshold {spec!r}: expected seed:pQ with 0 < Q < 100, e.g. seed:p80")
        return SeedPooledPercentile(q)
    raise NetadInputError(
        f"unknown threshold strategy {spec!r}; use p99 / p97 / p95 / percentile:Q, contamination:R, best-f1, "
        "oracle or seed:pQ"
    )


def uses_test_data(spec: str | ThresholdStrategy) -> bool:
    """True for evaluation-only strategies (``oracle``, ``seed:pQ``); an unknown spec is an error, not False."""
    return bool(resolve(spec).uses_test_data)


def test_data_tag(spec: str | ThresholdStrategy) -> str:
    """The label every output puts after a strategy that uses test data ('' for the honest ones)."""
    if not uses_test_data(spec):
        return ""
    return "oracle: test labels" if resolve(spec).needs_labels else "seed rule: uses test scores"
