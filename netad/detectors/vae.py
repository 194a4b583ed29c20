"""Variational autoencoders (Kingma & Welling 2014) and beta-VAE (Higgins et al. 2017) as anomaly detectors.

Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), reparameterised sampling, standard-normal prior, Gaussian
decoder p(x|z) = N(x_hat, diag(sigma^2)). The reconstruction term is the decoder's negative log-likelihood
summed over features, so reconstruction and KL are both in nats per row and ``beta`` weighs them as in the
papers. (Averaging the squared error over features instead, as many Keras examples do, silently multiplies the
KL weight by the number of features and collapses the posterior.)

``decoder_variance="learned"`` (default) learns one sigma^2 per feature (sigma-VAE, Rybkin et al. 2021; floored
at 1e-3) instead of fixing sigma = 1. With unit variance a standardised flow feature is "half noise" to the
model, the KL term wins and the code carries little information; a learned variance lets well-reconstructed
features weigh more. This is what turns the VAE from worse than the AE (the seed's finding) into its equal.

Anomaly scores (``score=``):

- ``reconstruction``: squared error of the decoded posterior mean, averaged over features (deterministic);
- ``elbo``: the negative ELBO with beta = 1, Monte-Carlo over ``n_samples`` draws of z (a bound on -log p(x));
- ``reconstruction_probability`` (default): An & Cho (2015): -(1/L) sum_l log p(x | z_l), z_l ~ q(z|x),
  L = ``n_samples``; with the learned variance, a precision-weighted reconstruction error.

The measurements behind these defaults: benchmarks/results/design_notes.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from netad.detectors.constraints import Sizes, any_case, at_least, non_negative
from netad.detectors.deep import DeepDetector
from netad.errors import NetadInputError
from netad.nn import ACTIVATIONS, check_sizes, mlp

KL_WARMUPS = ("none", "linear", "cyclical")
SCORES = ("reconstruction", "elbo", "reconstruction_probability")
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_MIN_DECODER_LOGVAR = math.log(1e-3)
DECODER_VARIANCES = ("unit", "learned")


def kl_weight(schedule: str, beta: float, warmup_epochs: int, epoch: int, ramp_fraction: float = 0.5) -> float:
    """KL weight used in training epoch ``epoch`` (0-based).

    ``none``: ``beta`` throughout. ``linear`` (Bowman et al. 2016): ``beta * min(1, epoch / warmup_epochs)``,
    i.e. 0 in the first epoch, ``beta`` from epoch ``warmup_epochs`` on. ``cyclical`` (Fu et al. 2019):
    cycles of ``warmup_epochs`` epochs, each ramping linearly from 0 to ``beta`` over its first
    ``ramp_fraction`` and holding ``beta`` for the rest.
    """
    if schedule == "none" or warmup_epochs <= 0:
        return float(beta)
    if schedule == "linear":
        return float(beta) * min(1.0, epoch / warmup_epochs)
    if schedule == "cyclical":
        position = epoch % warmup_epochs
        return float(beta) * min(1.0, position / max(ramp_fraction * warmup_epochs, 1e-12))
    raise NetadInputError(f"unknown kl_warmup {schedule!r}; use one of {', '.join(KL_WARMUPS)}")


class VAENet(nn.Module):
    """MLP encoder to (mu, logvar) of a ``latent_dim`` Gaussian; mirrored MLP decoder with linear output."""

    def __init__(
        self,
        n_features: int,
        hidden: Sequence[int],
        latent_dim: int,
        activation: str,
        dropout: float = 0.0,
        batchnorm: bool = False,
        learned_variance: bool = False,
    ) -> None:
        super().__init__()
        widths = [n_features, *hidden]
        self.encoder = mlp(widths, activation, dropout=dropout, batchnorm=batchnorm, last_activation=True)
        self.mu = nn.Linear(widths[-1], latent_dim)
        self.logvar = nn.Linear(widths[-1], latent_dim)
        self.decoder = mlp([latent_dim, *widths[::-1]], activation, dropout=dropout, batchnorm=batchnorm)
        # per-feature decoder log-variance (sigma-VAE, Rybkin et al. 2021); a fixed 0 = unit variance
        self.decoder_logvar = nn.Parameter(torch.zeros(n_features), requires_grad=learned_variance)

    def output_logvar(self) -> torch.Tensor:
        """Per-feature decoder log-variance, floored so near-constant training columns stay finite."""
        return self.decoder_logvar.clamp(min=_MIN_DECODER_LOGVAR)

    def nll(self, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        """-log N(x | x_hat, diag(exp(output_logvar))) per row, in nats."""
        logvar = self.output_logvar()
        return 0.5 * ((x - x_hat).square() * torch.exp(-logvar) + logvar).sum(dim=1) + x.shape[1] * _HALF_LOG_2PI

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        # clamp keeps exp(logvar) finite when an early batch pushes the encoder far out
        return self.mu(h), self.logvar(h).clamp(-15.0, 10.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per row, in nats."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)


class VAE(DeepDetector):
    """Variational autoencoder detector trained on (mostly) normal traffic.

    Parameters
    ----------
    hidden
        Encoder layer widths; the decoder mirrors them.
    latent_dim
        Dimension of z.
    activation, dropout, batchnorm
        As in :class:`netad.detectors.autoencoder.AutoEncoder`.
    beta
        Weight of the KL term (1 = the ELBO; > 1 = beta-VAE).
    kl_warmup, warmup_epochs
        KL annealing: ``none``, ``linear`` over ``warmup_epochs`` or ``cyclical`` with cycles of that length
        (see :func:`kl_weight`). Validation (early stopping) always uses the full ``beta`` so epochs compare.
    score
        ``reconstruction_probability`` (default; ranked attacks best in the measurements of the module
        docstring), ``elbo`` or ``reconstruction``. The sampled scores use ``n_samples`` fixed draws of the
        latent noise, taken at fit under ``random_state`` (``score_noise_``): scoring is deterministic.
    n_samples
        Monte-Carlo draws of z per row for ``elbo`` and ``reconstruction_probability``.
    decoder_variance
        ``learned`` (default: one variance per feature) or ``unit`` (fixed sigma = 1, plain MSE).

    The remaining parameters are documented on :class:`netad.detectors.deep.DeepDetector`.
    """

    def __init__(
        self,
        hidden: Sequence[int] = (64, 32),
        latent_dim: int = 16,
        activation: str = "tanh",
        dropout: float = 0.0,
        batchnorm: bool = False,
        beta: float = 1.0,
        kl_warmup: str = "none",
        warmup_epochs: int = 10,
        score: str = "reconstruction_probability",
        n_samples: int = 10,
        decoder_variance: str = "learned",
    ) -> None:
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.warmup_epochs = warmup_epochs
        self.score = score
        self.n_samples = n_samples
        self.decoder_variance = decoder_variance

    _parameter_constraints = {
        "hidden": [Sizes()],
        "latent_dim": [at_least(1)],
        "activation": [any_case(ACTIVATIONS)],
        "beta": [non_negative()],
        "kl_warmup": [any_case(KL_WARMUPS)],
        "warmup_epochs": [at_least(0)],
        "score": [any_case(SCORES)],
        "n_samples": [at_least(1)],
        "decoder_variance": [any_case(DECODER_VARIANCES)],
    }

    def _build(self, n_features: int) -> nn.Module:
        self.kl_weights_: list[float] = []
        self._kl_weight = self.kl_weight(0)
        net = VAENet(
            n_features,
            check_sizes(self.hidden, "hidden"),
            int(self.latent_dim),
            self.activation,
            dropout=float(self.dropout),
            batchnorm=bool(self.batchnorm),
            learned_variance=str(self.decoder_variance).lower() == "learned",
        )
        # Monte-Carlo scores reuse one fixed set of standard-normal draws for every row (common random
        # numbers): a row's score does not depend on the rows scored with it or on the call, and score
        # differences between rows carry no sampling noise of their own. Drawn under the fit's seed.
        self.score_noise_ = torch.randn(int(self.n_samples), int(self.latent_dim))
        return net

    def kl_weight(self, epoch: int) -> float:
        """The KL weight this detector trains with in epoch ``epoch`` (0-based)."""
        return kl_weight(str(self.kl_warmup).lower(), float(self.beta), int(self.warmup_epochs), epoch)

    def _on_epoch_start(self, epoch: int) -> None:
        self._kl_weight = self.kl_weight(epoch)
        self.kl_weights_.append(self._kl_weight)

    def _objective(self, batch: torch.Tensor, weight: float) -> dict[str, torch.Tensor]:
        x_hat, mu, logvar = self.module_(batch)
        reconstruction = self.module_.nll(batch, x_hat).mean()
        kl = gaussian_kl(mu, logvar).mean()
        return {"loss": reconstruction + weight * kl, "reconstruction": reconstruction, "kl": kl}

    def _loss(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        return self._objective(batch, self._kl_weight)

    def _val_loss(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        return self._objective(batch, float(self.beta))

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_.encode(xb)[0]  # the posterior mean

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        net: VAENet = self.module_
        mu, logvar = net.encode(xb)
        kind = str(self.score).lower()
        if kind == "reconstruction":
            return (net.decoder(mu) - xb).square().mean(dim=1)
        std = torch.exp(0.5 * logvar)
        noise = self.score_noise_.to(xb.device)
        nll = torch.zeros(len(xb), device=xb.device)
        for eps in noise:
            nll += net.nll(xb, net.decoder(mu + eps * std))
        nll /= len(noise)
        if kind == "reconstruction_probability":
            return nll
        return nll + gaussian_kl(mu, logvar)


class BetaVAE(VAE):
    """beta-VAE: a VAE whose KL term weighs ``beta`` (default 4) with a linear KL warm-up on by default.

    A larger ``beta`` squeezes the latent code towards the prior (tighter, smoother normal region); the
    warm-up lets the decoder learn to reconstruct before the KL pressure starts, which avoids the posterior
    collapse seen with a large ``beta`` from epoch 0. Parameters as in :class:`VAE`.
    """

    parameter_defaults = {"beta": 4.0, "kl_warmup": "linear"}
