"""The score variants of latent sculpting, by name: what each needs from the encoder pass and how it combines it.

Every variant reads the per-row parts of one encoder pass: ``margin`` (squared distance to the benign centroid minus
that to the attack centroid: stage 1's view), ``distance`` (to the benign centroid), and on demand ``nll`` (the
flow's ``-log p(z)``) and ``knn`` (mean distance to the nearest benign training latents). A new variant is one entry
in :data:`SCORE_VARIANTS`; ``score="auto"`` chooses among all of them on the internal validation set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Parts = Mapping[str, np.ndarray]


def flagged(margin: np.ndarray, stage1_margin: float) -> np.ndarray:
    """Stage 1's calibrated flag: closer to the attack centroid than to the benign one by > ``stage1_margin``."""
    return margin > float(stage1_margin)


def two_stage(margin: np.ndarray, second: np.ndarray, stage1_margin: float, median: float, scale: float) -> np.ndarray:
    """Stage-1 flag (1 or 0) + the second stage's value squashed into (0, 1) around its benign median, so every
    flagged row ranks above every other and the rest are ordered by ``second``."""
    return flagged(margin, stage1_margin).astype(np.float64) + (0.5 + np.arctan((second - median) / scale) / np.pi)


@dataclass(frozen=True)
class ScoreVariant:
    """One ``score`` setting: the optional parts it reads (``nll``, ``knn``) and how it turns parts into scores."""

    needs: tuple[str, ...]
    compute: Callable[[Any, Parts], np.ndarray]
    """``(fitted detector, parts) -> scores`` (float64, higher = more anomalous)."""


SCORE_VARIANTS: dict[str, ScoreVariant] = {
    # the seed's rule: stage-1 flag, else the flow's density
    "two-stage": ScoreVariant(
        ("nll",), lambda d, p: two_stage(p["margin"], p["nll"], d.stage1_margin_, d.nll_median_, d.nll_scale_)
    ),
    "density": ScoreVariant(("nll",), lambda d, p: p["nll"]),
    "distance": ScoreVariant((), lambda d, p: p["distance"]),
    "margin": ScoreVariant((), lambda d, p: p["margin"]),
    "knn": ScoreVariant(("knn",), lambda d, p: p["knn"]),
    # as two-stage, with the kNN distance in place of the flow's nll
    "two-stage-knn": ScoreVariant(
        ("knn",), lambda d, p: two_stage(p["margin"], p["knn"], d.stage1_margin_, d.knn_median_, d.knn_scale_)
    ),
}
"""Variant name -> :class:`ScoreVariant`; the order breaks ties when ``auto`` chooses (the earlier wins)."""

VARIANTS: tuple[str, ...] = tuple(SCORE_VARIANTS)
SCORES: tuple[str, ...] = ("auto", *VARIANTS)


def needed_parts(variants: Sequence[str]) -> set[str]:
    """The optional parts (``nll``, ``knn``) the named variants read."""
    return {part for name in variants for part in SCORE_VARIANTS[name].needs}


def variant_scores(detector: Any, parts: Parts, variants: Sequence[str]) -> dict[str, np.ndarray]:
    """Each named variant's scores from the parts of one encoder pass."""
    return {name: SCORE_VARIANTS[name].compute(detector, parts) for name in variants}
