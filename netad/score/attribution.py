"""Which features make a scored row unusual: a cheap per-feature attribution for ``--top-features`` and the
service (``netad.explain`` has SHAP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

STD_FLOOR = 1e-2
"""Smallest standard deviation used by the ``deviation`` attribution: a feature constant on the training rows
(a one-hot level or unknown-category flag never seen there) that is set in a scored row counts as 100 sd."""


def attribution_method(model: Any) -> str:
    """How ``top_features`` ranks features for this model (a :class:`netad.persist.LoadedModel`).

    - ``reconstruction``: per-feature squared reconstruction error, for detectors that declare themselves
      reconstruction models (``reconstructs``; PCA, the autoencoder);
    - ``deviation``: ``|x - mean| / max(std, 0.01)`` per feature, with the training statistics saved with the
      model (``reference`` of :func:`netad.persist.save_model`): how unusual each value is;
    - ``magnitude``: ``|x|`` of the preprocessed value when no statistics were saved (a z-score when the
      preprocessor used standard scaling).

    These are cheap screens, not explanations of the detector's decision; use :mod:`netad.explain` (SHAP).
    """
    if reconstructor(model.detector) is not None:
        return "reconstruction"
    return "deviation" if model.schema.feature_mean is not None else "magnitude"


def feature_attribution(model: Any, X: np.ndarray) -> np.ndarray:
    """Per-row, per-feature contribution (rows x output features, float32) by :func:`attribution_method`."""
    return attribution(model, X, reconstructor(model.detector))


def attribution(model: Any, X: np.ndarray, reconstruct: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """:func:`feature_attribution` with the detector's ``reconstruct`` looked up once by the caller."""
    if reconstruct is not None:
        return np.square(X - reconstruct(X), dtype=np.float32)
    if model.schema.feature_mean is not None:
        std = np.maximum(model.schema.feature_std, STD_FLOOR).astype(np.float32)
        return np.abs(X - model.schema.feature_mean.astype(np.float32)) / std
    return np.abs(X)


def top_features(attributions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(feature index, contribution) of the ``k`` largest contributions per row, largest first (ties: the lower
    feature index first)."""
    order = np.argsort(-attributions, axis=1, kind="stable")[:, :k].astype(np.int32)
    return order, np.take_along_axis(attributions, order, axis=1).astype(np.float32)


def reconstructor(detector: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """``detector.reconstruct`` when it declares itself a reconstruction model (see :func:`attribution_method`)."""
    return detector.reconstruct if detector.reconstructs else None
