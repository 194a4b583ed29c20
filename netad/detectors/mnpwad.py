"""MNPWAD: multi-normal prototypes learning for weakly supervised anomaly detection (Dong et al. 2024,
arXiv 2408.14498; official code Dongzhijin/MNPWAD). Written from the paper's description and the official code's
equations; not a copy of it.

Training rows are unlabelled (contaminated: some are attacks) plus a few labelled anomalies (``y == 1``).

1. A stacked denoising autoencoder ``d -> h -> e`` is pre-trained layer by layer on the unlabelled rows, then
   fine-tuned end to end (:mod:`netad.nn.pretrain`); ``h = d - (d - e) // 2`` as in the official code.
2. Normal prototypes: k-means on the unit-normalised codes of the unlabelled rows. When ``n_prototypes`` is None
   the number is the k in 2..10 with the best silhouette (on at most 3,000 seeded rows), as in the official code,
   optionally only among the k whose clusters each hold at least ``min_cluster_share`` of the rows; one prototype
   if none does (:func:`netad.nn.prototypes.init_prototypes` says why).
3. End-to-end training (the shared trainer) of encoder, decoder, prototypes and score network. Similarity of a
   code ``z`` to prototype ``mu_k`` is DEC's Student-t kernel on the unit sphere; the *normal likelihood* of an
   unlabelled row is ``sigmoid(beta * max_k sim_k)``, divided by its batch mean, and weights every loss term of
   the unlabelled rows, so suspected anomalies in the unlabelled data count less. Three losses, balanced by
   dynamic weight averaging (temperature ``T = 2``):

   - reconstruction: likelihood-weighted smooth-L1 error of unlabelled rows, plus a hinge that asks labelled
     anomalies to reconstruct worse than that by the margin ``m1`` (where the official code puts ``m1``);
   - score: the score network's sigmoid output regressed (smooth L1) to 1 for labelled anomalies and 0 for
     unlabelled rows (likelihood-weighted);
   - prototypes: a contrastive term ``-log sigmoid(mean sim(unlabelled) - mean sim(anomalies))`` that pulls
     unlabelled rows towards their nearest prototype and pushes labelled anomalies away from all of them, plus
     ``lambda_kl`` x DEC's ``KL(p || q)`` clustering loss on the unlabelled rows.

4. Anomaly score: the score network (``e + 2 -> 16 -> 1``) over the normalised code, the reconstruction error and
   the highest prototype similarity; its logit is returned (same ranking as the sigmoid, without ties where the
   sigmoid saturates in float32).

Differences from the official code, on purpose: the prototype k-means and the pre-training early stopping use
unlabelled training rows, not labelled validation normals, and early stopping monitors a held-out share of the
training rows' loss, not validation AUC (netad never shows validation or test labels to ``fit``); DEC's target
``p`` carries no gradient and the KL term is likelihood-weighted; a hinge keeps prototypes apart (cosine at
most ``max_prototype_cosine``); the normal-likelihood weights carry no gradient; DWA weights come from the last
two epochs' mean losses (Liu et al. 2019) instead of the current batch; the decoder output is linear (inputs
are standardised, not min-max scaled); every batch of ``batch_size`` unlabelled rows gets ``anomaly_share`` x as
many labelled anomalies drawn with replacement (the official code: 8 per 128), and an epoch is one pass over the
unlabelled rows (official: 64 batches).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from netad.detectors.constraints import Interval, Real, any_case, at_least, non_negative, positive
from netad.detectors.deep import DeepDetector
from netad.errors import NetadInputError
from netad.nn import ACTIVATIONS, predict_batches, resolve_device, thread_limit
from netad.nn.pretrain import StackedAutoEncoder, pretrain_layerwise
from netad.nn.prototypes import (
    dec_kl,
    init_prototypes,
    normalise,
    soft_assignment,
    student_t_similarity,
)

logger = logging.getLogger(__name__)

MAX_CLUSTER_ROWS = 20_000
"""At most this many unlabelled rows (seeded subsample) are embedded for the k-means initialisation."""


class MNPNet(nn.Module):
    """Autoencoder + normal prototypes + score network; ``forward`` gives (recon error, code, similarity, logit)."""

    def __init__(self, widths: tuple[int, ...], n_prototypes: int, activation_name: str, alpha: float) -> None:
        super().__init__()
        self.autoencoder = StackedAutoEncoder(widths, activation_name)
        self.prototypes = nn.Parameter(normalise(torch.randn(n_prototypes, widths[-1])))
        self.scorer = nn.Sequential(nn.Linear(widths[-1] + 2, 16), nn.LeakyReLU(), nn.Linear(16, 1))
        self.alpha = float(alpha)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        code = self.autoencoder.encoder(x)
        error = F.smooth_l1_loss(self.autoencoder.decoder(code), x, reduction="none").mean(dim=1)
        z = normalise(code)
        similarity = student_t_similarity(z, normalise(self.prototypes), self.alpha)
        features = torch.cat([z, error.unsqueeze(1), similarity.max(dim=1).values.unsqueeze(1)], dim=1)
        return error, z, similarity, self.scorer(features).squeeze(1)


class MNPWAD(DeepDetector):
    """Weakly supervised detector: several normal prototypes + a few labelled anomalies (see module docstring).

    Parameters
    ----------
    n_prototypes
        Number of normal prototypes; None chooses it by silhouette over k = 2..10 among the k-means clusterings
        whose smallest cluster holds at least ``min_cluster_share`` of the unlabelled rows (``n_prototypes_``,
        ``silhouettes_`` and ``smallest_cluster_shares_`` after fit).
    min_cluster_share
        Size floor of the automatic prototype count. 0 (the default) is the official rule, silhouette alone: a 2%
        floor chosen earlier with every validation label did not hold up when chosen inside the weak protocol's
        label budget (benchmarks/results/weak_budget.md), so the official rule is the default again.
    embedding_dim
        Width of the code (the official ``n_emb``, 8).
    hidden
        Width of the hidden layer; None = ``d - (d - embedding_dim) // 2`` for ``d`` input features.
    m1
        Margin by which labelled anomalies must reconstruct worse than (weighted) unlabelled rows.
    lambda_kl
        Weight of DEC's KL clustering term inside the prototype loss.
    alpha
        Degrees of freedom of the Student-t similarity kernel.
    likelihood_sharpness
        ``beta`` in the normal likelihood ``sigmoid(beta * max similarity)`` (official: 1).
    dwa_temperature
        Temperature of dynamic weight averaging over the three losses (official: 2).
    anomaly_share
        Labelled anomalies per batch as a share of its unlabelled rows (official: 1/16), at least one.
    noise, pretrain_epochs
        Gaussian corruption std and epochs of each layer-wise pre-training stage (and of the fine-tuning).
    activation
        Hidden activation of the autoencoder (official: leaky ReLU).
    max_prototype_cosine
        Prototypes whose cosine exceeds this are pushed apart (a hinge added to the prototype loss; netad's
        addition: without it, prototypes that k-means placed close together merge during training).

    The remaining parameters are :class:`netad.detectors.deep.DeepDetector`'s; defaults follow the official
    ``train.sh``: batch 128, lr 0.005, weight decay 5e-4.

    Examples
    --------
    >>> detector = MNPWAD(random_state=0).fit(X_train, y_known)  # y_known: 1 = labelled anomaly  # doctest: +SKIP
    >>> detector.n_prototypes_, detector.normal_likelihood(X_train)[:3]  # doctest: +SKIP
    """

    supervision = "weakly-supervised"

    parameter_defaults = {"epochs": 30, "batch_size": 128, "lr": 0.005, "weight_decay": 5e-4}

    def __init__(
        self,
        n_prototypes: int | None = None,
        embedding_dim: int = 8,
        hidden: int | None = None,
        m1: float = 0.02,
        lambda_kl: float = 1.0,
        alpha: float = 1.0,
        likelihood_sharpness: float = 1.0,
        dwa_temperature: float = 2.0,
        anomaly_share: float = 1 / 16,
        noise: float = 0.05,
        pretrain_epochs: int = 10,
        activation: str = "leaky_relu",
        max_prototype_cosine: float = 0.9,
        min_cluster_share: float = 0.0,
    ) -> None:
        self.n_prototypes = n_prototypes
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.m1 = m1
        self.lambda_kl = lambda_kl
        self.alpha = alpha
        self.likelihood_sharpness = likelihood_sharpness
        self.dwa_temperature = dwa_temperature
        self.anomaly_share = anomaly_share
        self.noise = noise
        self.pretrain_epochs = pretrain_epochs
        self.activation = activation
        self.max_prototype_cosine = max_prototype_cosine
        self.min_cluster_share = min_cluster_share

    # -- parameters ----------------------------------------------------------------------------------------
    _parameter_constraints = {
        "n_prototypes": [at_least(1), None],
        "embedding_dim": [at_least(1)],
        "hidden": [at_least(1), None],
        "m1": [non_negative()],
        "lambda_kl": [non_negative()],
        "noise": [non_negative()],
        "likelihood_sharpness": [non_negative()],
        "alpha": [positive()],
        "dwa_temperature": [positive()],
        "anomaly_share": [positive()],
        "pretrain_epochs": [at_least(1)],
        "max_prototype_cosine": [Interval(Real, -1, 1, closed="right")],
        "min_cluster_share": [Interval(Real, 0, 0.5, closed="left")],
        "activation": [any_case(ACTIVATIONS)],
    }

    def _widths(self, n_features: int) -> tuple[int, int, int]:
        embedding = int(self.embedding_dim)
        hidden = int(self.hidden) if self.hidden is not None else n_features - (n_features - embedding) // 2
        return n_features, max(hidden, 1), embedding

    # -- fit: pre-train, initialise prototypes, then the shared trainer --------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        self._check_params()
        labelled = np.asarray(y) == 1
        if not labelled.any():
            raise NetadInputError("MNPWAD needs at least one labelled anomaly (y == 1) in fit(X, y)")
        if labelled.all():
            raise NetadInputError("MNPWAD needs unlabelled rows (y == 0) besides the labelled anomalies")
        unlabelled = X[~labelled]
        config = self._train_config()
        pre_config = dataclasses.replace(config, epochs=int(self.pretrain_epochs), verbose=False)
        autoencoder, pretrain_history = pretrain_layerwise(
            unlabelled,
            self._widths(X.shape[1]),
            pre_config,
            noise=float(self.noise),
            activation_name=str(self.activation),
        )
        rng = self._rng()
        rows = np.arange(len(unlabelled))
        if len(rows) > MAX_CLUSTER_ROWS:
            rows = np.sort(rng.choice(len(rows), size=MAX_CLUSTER_ROWS, replace=False))
        codes = predict_batches(
            autoencoder.encoder,
            unlabelled[rows],
            module=autoencoder,
            device=resolve_device(self.device),
            n_threads=self.n_threads,
        )
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.n_threads):
            init = init_prototypes(
                codes,
                None if self.n_prototypes is None else int(self.n_prototypes),
                min_cluster_share=float(self.min_cluster_share),
                random_state=self.random_state,
            )
        self.n_prototypes_ = int(init.n_prototypes)
        self.silhouettes_ = {str(k): round(v, 6) for k, v in init.silhouettes.items()}
        self.smallest_cluster_shares_ = {str(k): round(v, 6) for k, v in init.smallest_shares.items()}
        self.pretrain_epochs_ = {
            k[: -len("_train_loss")]: len(v) for k, v in pretrain_history.items() if k.endswith("_train_loss")
        }
        self._init_state = (autoencoder.state_dict(), torch.from_numpy(init.centers))
        self._pair_rng = rng
        self._loss_means: list[tuple[float, float, float]] = []
        self._weights = (1 / 3, 1 / 3, 1 / 3)
        try:
            super()._fit(X, y)
        finally:
            del self._init_state, self._pair_rng

    def _build(self, n_features: int) -> nn.Module:
        net = MNPNet(self._widths(n_features), int(self.n_prototypes_), str(self.activation), float(self.alpha))
        init = getattr(self, "_init_state", None)
        if init is not None:
            net.autoencoder.load_state_dict(init[0])
            with torch.no_grad():
                net.prototypes.copy_(init[1])
        return net

    def _train_arrays(self, X: np.ndarray, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Each unlabelled row paired with a labelled anomaly drawn with replacement: batches stay mixed."""
        labelled = np.asarray(y) == 1
        anomalies = X[labelled]
        pairs = self._pair_rng.integers(len(anomalies), size=int((~labelled).sum()))
        return X[~labelled], anomalies[pairs]

    # -- losses --------------------------------------------------------------------------------------------
    def _weights_of(self, similarity: torch.Tensor) -> torch.Tensor:
        """Normal likelihood of each unlabelled row, divided by the batch mean (no gradient)."""
        weight = torch.sigmoid(float(self.likelihood_sharpness) * similarity.max(dim=1).values).detach()
        return weight / weight.mean().clamp_min(1e-12)

    def _parts(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x_unlabelled, x_anomaly = batch
        n_anomalies = max(1, math.ceil(len(x_unlabelled) * float(self.anomaly_share)))
        error_u, _, sim_u, logit_u = self.module_(x_unlabelled)
        error_a, _, sim_a, logit_a = self.module_(x_anomaly[:n_anomalies])
        weight = self._weights_of(sim_u)

        reconstruction_u = (error_u * weight).mean()
        reconstruction = reconstruction_u + F.relu(reconstruction_u - error_a + float(self.m1)).mean()

        score_u = F.smooth_l1_loss(torch.sigmoid(logit_u), torch.zeros_like(logit_u), reduction="none")
        score_a = F.smooth_l1_loss(torch.sigmoid(logit_a), torch.ones_like(logit_a), reduction="none")
        score = score_a.mean() + (score_u * weight).mean()

        gap = (sim_u.max(dim=1).values * weight).mean() - sim_a.max(dim=1).values.mean()
        prototype = -F.logsigmoid(gap) + float(self.lambda_kl) * dec_kl(soft_assignment(sim_u), weight)
        prototype = prototype + self._separation()
        return reconstruction, score, prototype

    def _separation(self) -> torch.Tensor:
        """Hinge on the cosine of every pair of prototypes above ``max_prototype_cosine`` (netad addition)."""
        mu = normalise(self.module_.prototypes)
        if len(mu) < 2:
            return mu.new_zeros(())
        cosine = mu @ mu.T
        pairs = torch.triu_indices(len(mu), len(mu), offset=1, device=mu.device)
        return F.relu(cosine[pairs[0], pairs[1]] - float(self.max_prototype_cosine)).sum()

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        parts = self._parts(batch)
        total = sum(w * p for w, p in zip(self._weights, parts, strict=True))
        return {"loss": total, "reconstruction": parts[0], "score": parts[1], "prototype": parts[2]}

    def _val_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Fixed equal weights, so that epochs are comparable for early stopping."""
        parts = self._parts(batch)
        return {"loss": sum(parts) / 3, "reconstruction": parts[0], "score": parts[1], "prototype": parts[2]}

    def _on_epoch_start(self, epoch: int) -> None:
        # dynamic weight averaging (Liu et al. 2019): a loss that fell less since the epoch before gets more weight
        if len(self._loss_means) >= 2:
            ratios = [now / max(before, 1e-12) for now, before in zip(*self._loss_means[-1:-3:-1], strict=True)]
            logits = np.array(ratios) / float(self.dwa_temperature)
            weights = np.exp(logits - logits.max())
            self._weights = tuple(float(w) for w in weights / weights.sum())

    def _on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        self._loss_means.append(tuple(logs[f"train_{k}"] for k in ("reconstruction", "score", "prototype")))
        return None

    # -- scoring and inspection ----------------------------------------------------------------------------
    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_(xb)[3]

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_(xb)[1]

    def normal_likelihood(self, X: Any) -> np.ndarray:
        """``sigmoid(beta * max_k sim(z, mu_k))`` per row: the training weight of an unlabelled row (before
        division by its batch mean); higher = more likely normal."""
        from netad.detectors.base import check_features

        self._check_fitted()
        X = check_features(X, self.n_features_in_, what="MNPWAD.normal_likelihood X")
        beta = float(self.likelihood_sharpness)
        return predict_batches(
            lambda xb: torch.sigmoid(beta * self.module_(xb)[2].max(dim=1).values),
            X,
            module=self.module_,
            device=resolve_device(self.device_),
            n_threads=self.n_threads,
        )

    def prototypes(self) -> np.ndarray:
        """The learned normal prototypes on the unit sphere (n_prototypes_ x embedding_dim)."""
        self._check_fitted()
        with thread_limit(self.n_threads), torch.no_grad():
            return normalise(self.module_.prototypes.detach().cpu()).numpy()
