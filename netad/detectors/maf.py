"""MAF density detector: a masked autoregressive flow fitted to normal traffic; the score is ``-log p(x)``.

The same flow (:class:`netad.nn.flows.MAF`) is stage 2 of latent sculpting, where it models benign latents;
here it models the (scaled) flow features directly, the "MAF on raw features" baseline of that study.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from netad.detectors.base import subsample_rows
from netad.detectors.constraints import Sizes, at_least, non_negative, positive
from netad.detectors.deep import DeepDetector
from netad.nn import check_sizes
from netad.nn.flows import MAF

logger = logging.getLogger(__name__)


class MAFDetector(DeepDetector):
    """Masked autoregressive flow on the feature table; anomaly score = negative log-likelihood (nats).

    Parameters
    ----------
    n_blocks
        MADE blocks (affine autoregressive transforms), the order reversed between blocks.
    hidden
        Hidden widths of each MADE (at least ``n_features - 1`` units keep every dependency expressible).
    max_log_scale
        Bound on each block's per-dimension log-scale (``tanh``-squashed): caps how sharp the density can get
        on near-constant features.
    noise
        Standard deviation of Gaussian noise added to training rows (dequantises the many discrete flow
        features; 0 = none). Scoring never adds noise.
    max_train_rows
        Fit on a seeded random subsample of at most this many rows (None = all): the flow's cost is linear in
        rows and a few hundred thousand rows pin its density down.

    The remaining parameters are documented on :class:`netad.detectors.deep.DeepDetector`.

    Examples
    --------
    >>> detector = MAFDetector(epochs=20, random_state=0).fit(X_train_normal)  # doctest: +SKIP
    >>> nll = detector.decision_function(X_test)  # doctest: +SKIP
    """

    _score_batch_size = 8192

    parameter_defaults = {"epochs": 20, "batch_size": 512, "patience": 5, "grad_clip": 1.0}

    def __init__(
        self,
        n_blocks: int = 5,
        hidden: Sequence[int] = (256,),
        max_log_scale: float = 2.0,
        noise: float = 0.0,
        max_train_rows: int | None = 200_000,
    ) -> None:
        self.n_blocks = n_blocks
        self.hidden = hidden
        self.max_log_scale = max_log_scale
        self.noise = noise
        self.max_train_rows = max_train_rows

    _parameter_constraints = {
        "hidden": [Sizes()],
        "n_blocks": [at_least(1)],
        "max_log_scale": [positive()],
        "noise": [non_negative()],
        "max_train_rows": [at_least(2), None],
    }

    def _build(self, n_features: int) -> nn.Module:
        return MAF(n_features, int(self.n_blocks), check_sizes(self.hidden, "hidden"), float(self.max_log_scale))

    def _train_arrays(self, X: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        rows = subsample_rows(X, self.max_train_rows, self._rng(), type(self).__name__)
        self.n_train_rows_ = len(X) if rows is None else len(rows)
        return X if rows is None else X[rows]

    def _loss(self, batch: torch.Tensor) -> torch.Tensor:
        if float(self.noise) > 0 and self.module_.training:
            batch = batch + float(self.noise) * torch.randn_like(batch)
        return self.module_.nll(batch).mean()

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_.nll(xb)

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_(xb)[0]  # the base-space code u: standard normal for normal traffic
