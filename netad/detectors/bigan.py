"""BiGAN anomaly detector (Donahue et al. 2017; scoring of Zenati et al. 2018, "Efficient GAN-based anomaly
detection").

An encoder E maps rows to codes, a generator G maps codes to rows, and a discriminator D tells real pairs
(x, E(x)) from generated pairs (G(z), z), z ~ N(0, I). At the optimum E inverts G on the data, so a row far
from the normal traffic the GAN was trained on is poorly reconstructed by G(E(x)) and its pair looks different
to D. Anomaly score (Zenati et al., eq. 1 with the feature-matching discriminator loss):

    A(x) = alpha * ||x - G(E(x))||_1 + (1 - alpha) * ||f_D(x, E(x)) - f_D(G(E(x)), E(x))||_1,

with f_D the discriminator's last hidden layer. Architecture defaults follow Zenati et al.'s KDDCup99 networks
(E: 64 units, code 32; G: 64-128; D: 128-unit x and z branches and a 128-unit joint layer, leaky ReLU 0.1,
dropout 0.2). Training uses the trainer's ``_step`` hook: one discriminator step, then one encoder+generator
step per batch, each with its own optimizer from :func:`netad.nn.make_optimizer` (Adam, beta1 = 0.5 as usual
for GANs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from netad.detectors.constraints import Interval, Real, Sizes, at_least
from netad.detectors.deep import DeepDetector
from netad.errors import NetadInputError
from netad.nn import check_sizes, make_optimizer, mlp


class BiGANNet(nn.Module):
    """Encoder, generator and a discriminator over (x, z) pairs that also exposes its intermediate features."""

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        encoder_hidden: Sequence[int],
        generator_hidden: Sequence[int],
        discriminator_hidden: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = mlp([n_features, *encoder_hidden, latent_dim], "leaky_relu")
        self.generator = mlp([latent_dim, *generator_hidden, n_features], "relu")
        width = int(discriminator_hidden)
        self.d_x = mlp([n_features, width], "leaky_relu", last_activation=True)
        self.d_z = mlp([latent_dim, width], "leaky_relu", last_activation=True)
        self.d_joint = mlp([2 * width, width], "leaky_relu", last_activation=True)
        self.d_dropout = nn.Dropout(dropout)
        self.d_out = nn.Linear(width, 1)

    def discriminate(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logit, features)``: D's real-vs-generated logit and its last hidden layer f_D(x, z)."""
        hx = self.d_dropout(self.d_x(x))
        hz = self.d_dropout(self.d_z(z))
        features = self.d_joint(torch.cat([hx, hz], dim=1))
        return self.d_out(self.d_dropout(features)).squeeze(1), features

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return [p for m in (self.d_x, self.d_z, self.d_joint, self.d_out) for p in m.parameters()]

    def generator_parameters(self) -> list[nn.Parameter]:
        return [*self.encoder.parameters(), *self.generator.parameters()]


class BiGAN(DeepDetector):
    """Bidirectional GAN detector scored by reconstruction and discriminator feature matching (Zenati et al.).

    Parameters
    ----------
    latent_dim
        Size of the code z (and of the prior N(0, I) the generator samples from).
    encoder_hidden, generator_hidden
        Hidden widths of E (leaky ReLU 0.1) and G (ReLU); both have linear outputs.
    discriminator_hidden
        Width of D's x branch, z branch and joint layer (leaky ReLU 0.1).
    dropout
        Dropout in D (training only).
    alpha
        Weight of the L1 reconstruction term in the score; 1 - alpha weighs the feature-matching term.
    beta1
        Adam's first-moment decay for both optimizers (0.5 is the usual GAN setting; ignored by other
        optimizers).

    Training defaults follow Zenati et al. (Adam lr 1e-5, batch 50) with their early stopping: the monitored
    ``val_loss`` is the mean anomaly score of the validation rows (10% of the training rows, normal traffic),
    and the weights of the epoch where it was lowest are kept (``patience`` 5). GAN losses themselves are no
    model-selection signal: on NSL-KDD the discriminator wins within a few epochs at lr 1e-4 and the test AUROC
    falls from 0.93 to 0.79 while the validation score rises fivefold, so the stopping rule matters. The
    remaining parameters are documented on :class:`netad.detectors.deep.DeepDetector`.
    """

    parameter_defaults = {"batch_size": 50, "lr": 1e-5, "patience": 5}

    def __init__(
        self,
        latent_dim: int = 32,
        encoder_hidden: Sequence[int] = (64,),
        generator_hidden: Sequence[int] = (64, 128),
        discriminator_hidden: int = 128,
        dropout: float = 0.2,
        alpha: float = 0.9,
        beta1: float = 0.5,
    ) -> None:
        self.latent_dim = latent_dim
        self.encoder_hidden = encoder_hidden
        self.generator_hidden = generator_hidden
        self.discriminator_hidden = discriminator_hidden
        self.dropout = dropout
        self.alpha = alpha
        self.beta1 = beta1

    _parameter_constraints = {
        "latent_dim": [at_least(1)],
        "encoder_hidden": [Sizes()],
        "generator_hidden": [Sizes()],
        "discriminator_hidden": [at_least(1)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "beta1": [Interval(Real, 0, 1, closed="left")],
    }

    def _check_params(self) -> None:
        super()._check_params()
        if self.lr_schedule != "none":
            raise NetadInputError("BiGAN steps its own two optimizers: lr_schedule must be 'none'")

    def _build(self, n_features: int) -> nn.Module:
        net = BiGANNet(
            n_features,
            int(self.latent_dim),
            check_sizes(self.encoder_hidden, "encoder_hidden"),
            check_sizes(self.generator_hidden, "generator_hidden"),
            int(self.discriminator_hidden),
            float(self.dropout),
        )
        config = self._train_config()
        self._optimizers = (
            make_optimizer(config, net.discriminator_parameters()),
            make_optimizer(config, net.generator_parameters()),
        )
        for optimizer in self._optimizers:
            for group in optimizer.param_groups:
                if "betas" in group:
                    group["betas"] = (float(self.beta1), group["betas"][1])
        return net

    def _step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        """One discriminator update, then one encoder+generator update (non-saturating BiGAN losses)."""
        net: BiGANNet = self.module_
        d_optimizer, g_optimizer = self._optimizers
        z_prior = torch.randn(len(batch), net.latent_dim, device=batch.device)
        ones = torch.ones(len(batch), device=batch.device)
        zeros = torch.zeros(len(batch), device=batch.device)

        # discriminator: real pairs (x, E(x)) -> 1, generated pairs (G(z), z) -> 0
        with torch.no_grad():
            z_real, x_fake = net.encoder(batch), net.generator(z_prior)
        real_logit, _ = net.discriminate(batch, z_real)
        fake_logit, _ = net.discriminate(x_fake, z_prior)
        d_loss = F.binary_cross_entropy_with_logits(real_logit, ones) + F.binary_cross_entropy_with_logits(
            fake_logit, zeros
        )
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self._clip(net.discriminator_parameters())
        d_optimizer.step()

        # encoder + generator: fool D with the labels swapped
        real_logit, _ = net.discriminate(batch, net.encoder(batch))
        fake_logit, _ = net.discriminate(net.generator(z_prior), z_prior)
        g_loss = F.binary_cross_entropy_with_logits(real_logit, zeros) + F.binary_cross_entropy_with_logits(
            fake_logit, ones
        )
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self._clip(net.generator_parameters())
        g_optimizer.step()
        return {"loss": (d_loss + g_loss).detach(), "d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def _clip(self, parameters: list[nn.Parameter]) -> None:
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(parameters, float(self.grad_clip))

    def _val_loss(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        """Early-stopping signal: the mean anomaly score of validation rows (and their L1 reconstruction)."""
        reconstruction = (batch - self.module_.generator(self.module_.encoder(batch))).abs().sum(dim=1).mean()
        return {"loss": self._score_batch(batch).mean(), "reconstruction": reconstruction}

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        net: BiGANNet = self.module_
        z = net.encoder(xb)
        x_hat = net.generator(z)
        _, f_real = net.discriminate(xb, z)
        _, f_fake = net.discriminate(x_hat, z)
        alpha = float(self.alpha)
        reconstruction = (xb - x_hat).abs().sum(dim=1)
        feature_matching = (f_real - f_fake).abs().sum(dim=1)
        return alpha * reconstruction + (1.0 - alpha) * feature_matching

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        try:
            super()._fit(X, y)
        finally:
            self._optimizers = None  # optimizer state is training-only; keeps the fitted detector small

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        """The encoder's code E(x) (``embed`` returns it per row)."""
        return self.module_.encoder(xb)
