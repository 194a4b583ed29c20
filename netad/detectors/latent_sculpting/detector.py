"""The latent sculpting detector: parameters, the two-stage fit, and scoring (see the package docstring)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from netad.detectors.constraints import Interval, OneOf, Real, Sizes, at_least, non_negative, positive
from netad.detectors.deep import DeepDetector
from netad.detectors.latent_sculpting.density import flow_nll, median_and_spread, train_flow
from netad.detectors.latent_sculpting.knn import fit_knn_reference, knn_mean, knn_tables
from netad.detectors.latent_sculpting.scores import SCORES, VARIANTS, flagged, needed_parts, variant_scores
from netad.detectors.latent_sculpting.stage1 import LatentSculptingNet, Stage1Rows, choose_stage1_rows
from netad.errors import NetadInputError
from netad.nn import check_sizes
from netad.nn.flows import MAF
from netad.nn.sculpt import SEPARATIONS, HybridEncoder, dual_centroid_loss

logger = logging.getLogger(__name__)


class LatentSculpting(DeepDetector):
    """Two-stage zero-shot detector: DCCL-sculpted encoder (stage 1) + MAF on benign latents (stage 2).

    Parameters
    ----------
    conv_channels, d_model, n_heads, n_layers, dim_feedforward, dropout, latent_dim
        Encoder: Conv1d widths (kernel 2), Transformer width, heads, layers, feed-forward width, dropout, and the
        latent size (the seed: (32, 16, 16, 16, 16), 64, 4, 3, 256, 0.1, 32).
    alpha, beta, gamma, margin
        DCCL weights of benign compactness, attack compactness and centroid separation, and the margin on the
        squared centroid distance.
    separation
        ``distance`` (hinge on the centroid distance; escapes the collapse the seed's squared hinge falls into on
        short CPU runs, see :mod:`netad.nn.sculpt`) or ``squared`` (the seed's hinge).
    input_noise
        Standard deviation of Gaussian noise added to stage-1 training inputs (0.1 in the seed).
    stage1_benign_ratio
        Benign rows in stage 1 = this x the number of known attack rows (seeded sample; None = every benign row).
    max_stage1_rows
        Cap on the stage-1 rows (a seeded subsample keeping the benign/attack proportion; None = no cap): bounds
        the encoder's training cost on millions of rows.
    flow_blocks, flow_hidden, flow_max_log_scale
        MAF: MADE blocks (16), hidden widths of each MADE ((512,)), bound of each block's log-scale (1 = the
        seed's tanh).
    flow_epochs, flow_lr, flow_batch_size
        Stage-2 training (10, 5e-4, 512 in the seed; Adam, gradient norm clipped at 1).
    max_flow_rows
        At most this many benign training rows (seeded subsample) are encoded for the flow; None = all.
    score
        ``two-stage`` (stage-1 flag, then flow; the seed's rule), ``density`` (``-log p(z)``), ``distance``
        (squared distance to the benign centroid), ``margin`` (stage 1's centroid-distance gap), ``knn`` (mean
        distance to the ``knn_k`` nearest benign training latents), ``two-stage-knn`` (stage-1 flag, then ``knn``)
        or ``auto`` (the variant with the best AUROC on the internal validation set held out at fit; see the module
        docstring). Default ``two-stage-knn`` (module docstring: why).
    stage1_fpr
        Share of benign training rows stage 1 may flag: sets ``stage1_margin_`` (None = the seed's plain
        nearest-centroid rule, margin 0).
    knn_k, knn_max_rows
        Neighbours averaged by the ``knn`` scores (10), and the cap on the benign reference latents kept for them
        (a seeded sample of the flow's training latents, 50,000; None = all): scoring costs ~``knn_max_rows`` x
        ``latent_dim`` multiply-adds per row, and the reference is saved with the model.

    ``epochs``, ``batch_size``, ``lr``, ``optimizer``, ``weight_decay``, ``grad_clip`` ... are stage 1's (seed:
    10, 512, 3e-4, AdamW, 1e-2, 1.0); see :class:`netad.detectors.deep.DeepDetector`. ``validation_fraction``
    sizes the internal validation set (per class, of the stage-1 rows): stage 1's validation loss, and the rows
    ``score="auto"`` chooses on (0 = none; then ``auto`` means ``two-stage``).

    Examples
    --------
    >>> detector = LatentSculpting(random_state=0).fit(X_train, y_known)  # doctest: +SKIP
    >>> scores = detector.decision_function(X_test)  # doctest: +SKIP
    >>> latents = detector.embed(X_test)  # doctest: +SKIP
    """

    supervision: ClassVar[str] = "semi-supervised"
    # rows per scoring pass: each row is ~27 tokens through the Transformer, so 512 rows keep the activations
    # near cache (measured on 1 thread: ~10-30% more rows/s than 4096; benchmarks/results/cicids2017_scale.md)
    _score_batch_size = 512

    parameter_defaults = {
        "epochs": 10,
        "batch_size": 512,
        "lr": 3e-4,
        "optimizer": "adamw",
        "weight_decay": 1e-2,
        "patience": None,
        "grad_clip": 1.0,
    }

    def __init__(
        self,
        conv_channels: Sequence[int] = (32, 16, 16, 16, 16),
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 3,
        dim_feedforward: int = 256,
        dropout: float = 0.1,
        latent_dim: int = 32,
        alpha: float = 1.0,
        beta: float = 1.0,
        gamma: float = 1.0,
        margin: float = 5.0,
        separation: str = "distance",
        input_noise: float = 0.1,
        stage1_benign_ratio: float | None = 1.0,
        max_stage1_rows: int | None = None,
        flow_blocks: int = 16,
        flow_hidden: Sequence[int] = (512,),
        flow_max_log_scale: float = 1.0,
        flow_epochs: int = 10,
        flow_lr: float = 5e-4,
        flow_batch_size: int = 512,
        max_flow_rows: int | None = 100_000,
        score: str = "two-stage-knn",
        stage1_fpr: float | None = 0.01,
        knn_k: int = 10,
        knn_max_rows: int | None = 50_000,
    ) -> None:
        self.conv_channels = conv_channels
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.latent_dim = latent_dim
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.margin = margin
        self.separation = separation
        self.input_noise = input_noise
        self.stage1_benign_ratio = stage1_benign_ratio
        self.max_stage1_rows = max_stage1_rows
        self.flow_blocks = flow_blocks
        self.flow_hidden = flow_hidden
        self.flow_max_log_scale = flow_max_log_scale
        self.flow_epochs = flow_epochs
        self.flow_lr = flow_lr
        self.flow_batch_size = flow_batch_size
        self.max_flow_rows = max_flow_rows
        self.score = score
        self.stage1_fpr = stage1_fpr
        self.knn_k = knn_k
        self.knn_max_rows = knn_max_rows

    # -- parameters and network ------------------------------------------------------------------------
    def threshold_conflict(self, strategy: Any) -> str | None:
        """Why a percentile threshold leaves stage 2 nothing to flag, or None.

        Stage 1 flags about ``stage1_fpr`` of benign rows with scores above every stage-2 score; a percentile
        threshold pQ flags (100 - Q)% of normals, so when that is no more than ``stage1_fpr`` the cut falls among
        stage-1 flags and no unseen-family row can pass on its stage-2 score alone.
        """
        q = getattr(strategy, "q", None)
        if q is None or self.stage1_fpr is None or self.score not in ("two-stage", "two-stage-knn"):
            return None
        if (100.0 - float(q)) / 100.0 > float(self.stage1_fpr) + 1e-12:
            return None
        return (
            f"latent-sculpting: threshold {strategy.name} flags {100.0 - float(q):g}% of normals, no more than the "
            f"{100 * float(self.stage1_fpr):g}% stage 1 already flags (stage1_fpr={self.stage1_fpr}), so stage 2 "
            "cannot flag unseen families: use a lower percentile or a smaller stage1_fpr"
        )

    _parameter_constraints = {
        "conv_channels": [Sizes()],
        "flow_hidden": [Sizes()],
        **{name: [at_least(1)] for name in ("d_model", "n_heads", "n_layers", "dim_feedforward", "latent_dim")},
        "flow_blocks": [at_least(1)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        **{name: [non_negative()] for name in ("alpha", "beta", "gamma", "margin", "input_noise")},
        "stage1_benign_ratio": [positive(), None],
        "flow_max_log_scale": [positive()],
        "max_stage1_rows": [at_least(4), None],
        "max_flow_rows": [at_least(2), None],
        "separation": [OneOf(SEPARATIONS)],
        "stage1_fpr": [Interval(Real, 0, 1, closed="neither"), None],
        "knn_k": [at_least(1)],
        "knn_max_rows": [at_least(2), None],
        "score": [OneOf(SCORES)],
    }

    def _check_params(self) -> None:
        super()._check_params()
        if int(self.d_model) % int(self.n_heads):
            raise NetadInputError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")

    def _build(self, n_features: int) -> nn.Module:
        encoder = HybridEncoder(
            n_features,
            check_sizes(self.conv_channels, "conv_channels"),
            int(self.d_model),
            int(self.n_heads),
            int(self.n_layers),
            int(self.dim_feedforward),
            float(self.dropout),
            int(self.latent_dim),
        )
        flow = MAF(
            int(self.latent_dim),
            int(self.flow_blocks),
            check_sizes(self.flow_hidden, "flow_hidden"),
            float(self.flow_max_log_scale),
        )
        return LatentSculptingNet(encoder, flow)

    # -- stage 1: the sculpting loss -------------------------------------------------------------------
    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, labels = batch
        encoder = self.module_.encoder
        if encoder.training and float(self.input_noise) > 0:
            x = x + float(self.input_noise) * torch.randn_like(x)
        return dual_centroid_loss(
            encoder(x),
            labels,
            float(self.alpha),
            float(self.beta),
            float(self.gamma),
            float(self.margin),
            str(self.separation),
        )

    # -- fit: stage 1 through DeepDetector._fit (the shared trainer), then stage 2 --------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        if y is None or not (y == 1).any() or not (y == 0).any():
            raise NetadInputError(
                "LatentSculpting needs benign rows (y=0) and rows of known attack families (y=1) to sculpt the "
                "latent space; use a zero-shot or novelty split with labelled seen attacks"
            )
        self._train_config()  # every setting checked before any row is drawn (DeepDetector._fit checks them again)
        self._check_params()
        rng = self._rng()
        stage1 = choose_stage1_rows(
            y, rng, self.stage1_benign_ratio, self.max_stage1_rows, float(self.validation_fraction)
        )
        val_rows = stage1.validation
        X_val, y_val = X[val_rows], y[val_rows].astype(np.int8)
        self.stage1_rows_ = {
            "benign": stage1.n_benign,
            "attack": stage1.n_attack,
            "validation_benign": int((y_val == 0).sum()),
            "validation_attack": int((y_val == 1).sum()),
        }
        logger.info(
            "latent sculpting stage 1: %d benign + %d known-attack rows (%d of them held out for validation)",
            stage1.n_benign,
            stage1.n_attack,
            len(val_rows),
        )
        self._stage1 = stage1
        try:
            super()._fit(X, y)  # builds the network under the seed and trains the encoder with _loss
        finally:
            del self._stage1

        X1, y1 = self._train_arrays_of(X, y, stage1)
        z1 = self._encode(X1)
        self.benign_centroid_ = z1[y1 == 0].mean(axis=0).astype(np.float32)
        self.attack_centroid_ = z1[y1 == 1].mean(axis=0).astype(np.float32)
        del X1, z1

        # stage 2: the flow on benign latents of the training rows (capped), the validation rows left out
        benign_all = np.setdiff1d(np.flatnonzero(y == 0), val_rows)
        if self.max_flow_rows is not None and len(benign_all) > int(self.max_flow_rows):
            benign_all = np.sort(rng.choice(benign_all, size=int(self.max_flow_rows), replace=False))
        z_benign = self._encode(X[benign_all])
        self.flow_rows_ = int(len(benign_all))
        logger.info("latent sculpting stage 2: MAF on %d benign latents", len(z_benign))
        self.flow_history_ = train_flow(self, z_benign).history
        margin = (
            np.square(z_benign - self.benign_centroid_).sum(axis=1)
            - np.square(z_benign - self.attack_centroid_).sum(axis=1)
        ).astype(np.float64)
        self.stage1_margin_ = (
            0.0 if self.stage1_fpr is None else max(0.0, float(np.quantile(margin, 1.0 - float(self.stage1_fpr))))
        )
        self.stage1_benign_flag_rate_ = float(flagged(margin, self.stage1_margin_).mean())
        self.nll_median_, self.nll_scale_ = median_and_spread(flow_nll(self, z_benign).astype(np.float64), 1e-6)
        self.module_.eval()
        self.knn_reference_, self.knn_median_, self.knn_scale_ = fit_knn_reference(
            z_benign, rng, int(self.knn_k), self.knn_max_rows, self.n_threads
        )
        del z_benign

        # choose the score on the internal validation set (known families only: it holds no unseen one)
        self.validation_auroc_: dict[str, float] = {}
        if len(val_rows):
            from sklearn.metrics import roc_auc_score

            variants = self._variant_scores(X_val, VARIANTS)
            self.validation_auroc_ = {name: float(roc_auc_score(y_val, variants[name])) for name in VARIANTS}
        self.auto_score_ = (
            max(VARIANTS, key=lambda name: self.validation_auroc_[name])  # ties: the earlier variant
            if self.validation_auroc_
            else "two-stage"
        )
        logger.info("latent sculpting: auto score %s (validation AUROC %s)", self.auto_score_, self.validation_auroc_)

    @staticmethod
    def _train_arrays_of(X: np.ndarray, y: np.ndarray, stage1: Stage1Rows) -> tuple[np.ndarray, np.ndarray]:
        return X[stage1.train], y[stage1.train].astype(np.int8)

    def _train_arrays(self, X: np.ndarray, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Stage 1's rows (benign and known attacks) with their labels, for the dual-centroid loss."""
        return self._train_arrays_of(X, y, self._stage1)  # type: ignore[arg-type]

    def _validation_arrays(self, X: np.ndarray, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
        """The internal validation set (per class; None when too few rows to hold any out)."""
        rows = self._stage1.validation
        return (X[rows], y[rows].astype(np.int8)) if len(rows) else None  # type: ignore[index]

    # -- scoring ---------------------------------------------------------------------------------------
    def _encode(self, X: np.ndarray) -> np.ndarray:
        return self._predict(self.module_.encoder, X)

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_.encoder(xb)

    def _parts_batch(
        self,
        xb: torch.Tensor,
        with_flow: bool,
        with_knn: bool = False,
        tables: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Per row: ``[margin, distance]`` (+ ``nll`` when ``with_flow``, + ``knn`` when ``with_knn``), from one
        encoder pass."""
        z = self.module_.encoder(xb)
        c_b = torch.as_tensor(self.benign_centroid_, device=z.device)
        c_a = torch.as_tensor(self.attack_centroid_, device=z.device)
        to_benign = (z - c_b).square().sum(dim=1)
        margin = to_benign - (z - c_a).square().sum(dim=1)
        columns = [margin, to_benign]
        if with_flow:
            columns.append(self.module_.flow.nll(z))
        if with_knn:
            columns.append(knn_mean(z, int(self.knn_k), tables).to(z.dtype))  # type: ignore[arg-type]
        return torch.stack(columns, dim=1)

    def _parts(self, X: np.ndarray, with_flow: bool, with_knn: bool = False) -> dict[str, np.ndarray]:
        if with_knn and not hasattr(self, "knn_reference_"):
            raise NetadInputError(
                "this LatentSculpting model was fitted before the knn scores existed (no knn_reference_); refit it "
                "to use score='knn' or 'two-stage-knn'"
            )
        tables = knn_tables(self.knn_reference_, torch.device(self.device_)) if with_knn else None
        out = self._predict(lambda xb: self._parts_batch(xb, with_flow, with_knn, tables), X).astype(np.float64)
        parts = {"margin": out[:, 0], "distance": out[:, 1]}
        if with_flow:
            parts["nll"] = out[:, 2]
        if with_knn:
            parts["knn"] = out[:, -1]
        return parts

    def _variant_scores(self, X: np.ndarray, variants: Sequence[str]) -> dict[str, np.ndarray]:
        """The named variants' scores (see :data:`SCORE_VARIANTS`) from one encoder pass over ``X``."""
        needs = needed_parts(variants)
        return variant_scores(self, self._parts(X, with_flow="nll" in needs, with_knn="knn" in needs), variants)

    def score_variants(self, X: Any) -> dict[str, np.ndarray]:
        """Every ``score`` variant of each row (``two-stage``, ``density``, ``distance``, ``margin``, ``knn``,
        ``two-stage-knn``; float64), from one encoder pass: what ``decision_function`` returns under each setting
        of ``score``."""
        from netad.detectors.base import check_features

        self._check_fitted()
        X = check_features(X, self.n_features_in_, what="LatentSculpting.score_variants X")
        return self._variant_scores(X, VARIANTS)

    def stage_scores(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(nll, flagged)``: the flow's ``-log p(z)`` and stage 1's calibrated nearest-centroid flag, per row."""
        from netad.detectors.base import check_features

        self._check_fitted()
        X = check_features(X, self.n_features_in_, what="LatentSculpting.stage_scores X")
        return self._stage_scores(X)

    def _stage_scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parts = self._parts(X, with_flow=True)
        return parts["nll"], flagged(parts["margin"], self.stage1_margin_)

    def _score(self, X: np.ndarray) -> np.ndarray:
        variant = getattr(self, "auto_score_", "two-stage") if str(self.score) == "auto" else str(self.score)
        return self._variant_scores(X, (variant,))[variant]
