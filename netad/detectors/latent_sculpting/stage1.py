"""Stage 1 of latent sculpting: the network (encoder and flow in one module) and the rows the encoder trains on.

The encoder and its dual-centroid loss live in :mod:`netad.nn.sculpt`, the flow in :mod:`netad.nn.flows`; here is
what the detector adds around them: which benign and known-attack rows stage 1 sees, and the internal validation
set held out of both stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from netad.nn.flows import MAF
from netad.nn.sculpt import HybridEncoder


class LatentSculptingNet(nn.Module):
    """The two trained parts in one module (saved and restored together): ``encoder`` and ``flow``."""

    def __init__(self, encoder: HybridEncoder, flow: MAF) -> None:
        super().__init__()
        self.encoder = encoder
        self.flow = flow

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


@dataclass(frozen=True)
class Stage1Rows:
    """Row positions (sorted) of stage 1: what the encoder trains on, and the internal validation set."""

    train: np.ndarray
    validation: np.ndarray
    n_benign: int
    """Benign rows chosen for stage 1 (training + validation)."""
    n_attack: int
    """Known-attack rows chosen for stage 1 (training + validation)."""


def choose_stage1_rows(
    y: np.ndarray,
    rng: np.random.Generator,
    benign_ratio: float | None,
    max_rows: int | None,
    validation_fraction: float,
) -> Stage1Rows:
    """All known attacks (``y == 1``) and a seeded share of the benign rows (``benign_ratio`` x the attacks; None =
    all), capped at ``max_rows`` keeping the proportion; then ``validation_fraction`` of each class held out."""
    attack = np.flatnonzero(y == 1)
    benign = np.flatnonzero(y == 0)
    if benign_ratio is not None:
        n_benign = min(len(benign), max(1, int(round(float(benign_ratio) * len(attack)))))
        if n_benign < len(benign):
            benign = np.sort(rng.choice(benign, size=n_benign, replace=False))
    if max_rows is not None and len(benign) + len(attack) > int(max_rows):
        share = int(max_rows) / (len(benign) + len(attack))
        benign, attack = (
            np.sort(rng.choice(rows, size=max(2, int(round(share * len(rows)))), replace=False))
            if len(rows) > 2
            else rows
            for rows in (benign, attack)
        )
    # the internal validation set: a seeded share of each class, never trained on by either stage
    n_val = [int(round(float(validation_fraction) * len(part))) for part in (benign, attack)]
    if min(n_val) >= 1 and all(len(part) - n >= 1 for part, n in zip((benign, attack), n_val, strict=True)):
        held = [rng.permutation(part)[:n] for part, n in zip((benign, attack), n_val, strict=True)]
        validation = np.sort(np.concatenate(held))
    else:
        validation = np.empty(0, dtype=np.int64)
    train = np.setdiff1d(np.concatenate([benign, attack]), validation)  # sorted
    return Stage1Rows(train=train, validation=validation, n_benign=int(len(benign)), n_attack=int(len(attack)))
