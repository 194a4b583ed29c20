"""Stage 2 of latent sculpting: a masked autoregressive flow fitted to benign latents, ``-log p(z)`` as a score."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.nn import TrainConfig, TrainResult, train


def flow_config(detector: Any) -> TrainConfig:
    """The flow's training settings: its own epochs, rate and batch (Adam, gradient norm clipped at 1, no early
    stopping), the detector's device and threads, and a seed one above the detector's."""
    return TrainConfig(
        epochs=int(detector.flow_epochs),
        batch_size=int(detector.flow_batch_size),
        lr=float(detector.flow_lr),
        optimizer="adam",
        patience=None,
        validation_fraction=float(detector.validation_fraction),
        grad_clip=1.0,
        device=detector.device,
        n_threads=detector.n_threads,
        verbose=detector.verbose,
        random_state=None if detector.random_state is None else int(detector.random_state) + 1,
    ).check()


def train_flow(detector: Any, z_benign: np.ndarray) -> TrainResult:
    """Fit ``detector.module_.flow`` to the benign latents by maximum likelihood (the shared trainer)."""
    flow = detector.module_.flow
    return train(flow, z_benign, lambda z: flow.nll(z).mean(), flow_config(detector))


def flow_nll(detector: Any, Z: np.ndarray) -> np.ndarray:
    """``-log p(z)`` of each latent row under the fitted flow (float32)."""
    return detector._predict(detector.module_.flow.nll, Z)


def median_and_spread(values: np.ndarray, floor: float) -> tuple[float, float]:
    """``(median, interquartile range)`` of ``values``, the range floored at ``floor``: where the two-stage scores
    centre and scale a stage-2 value before squashing it into (0, 1)."""
    low, median, high = np.percentile(values, [25, 50, 75])
    return float(median), float(max(high - low, floor))
