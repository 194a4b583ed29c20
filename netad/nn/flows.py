"""Masked autoregressive flows: MADE blocks stacked into a MAF with an exact log-likelihood.

MADE (Germain et al., ICML 2015) is an MLP whose weight masks make output ``d`` depend only on inputs that come
before ``d`` in the block's order. MAF (Papamakarios et al., NeurIPS 2017) uses each MADE as an affine
autoregressive transform ``u_d = (x_d - mu_d(x_<d)) * exp(-alpha_d(x_<d))``; its Jacobian is triangular, so

    log p(x) = log N(u; 0, I) - sum over blocks and dimensions of alpha

exactly (paper, eq. 4-5). Blocks alternate between the natural and the reversed order, as in the latent-sculpting
seed. The log-scale ``alpha`` is bounded (``max_log_scale * tanh(raw / max_log_scale)``; the seed uses ``tanh``,
i.e. a bound of 1) so that a near-constant feature cannot drive the density to infinity. The last layer of each
MADE starts at zero, so an untrained flow is the identity and its density the standard normal.

Masks use deterministic degrees (hidden unit ``k`` has degree ``1 + k mod (D - 1)``), so rebuilding a flow with
the same sizes gives the same connectivity: saved weights load into a freshly built flow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from netad.errors import NetadInputError
from netad.nn.blocks import check_sizes

_LOG_2PI = math.log(2.0 * math.pi)


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (a persistent buffer)."""

    def __init__(self, in_features: int, out_features: int, mask: torch.Tensor) -> None:
        super().__init__(in_features, out_features)
        if mask.shape != (out_features, in_features):
            raise NetadInputError(f"mask shape {tuple(mask.shape)} != ({out_features}, {in_features})")
        self.register_buffer("mask", mask.to(torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def made_degrees(n_features: int, hidden: Sequence[int]) -> list[torch.Tensor]:
    """Degrees of the input (1..D) and of each hidden layer (cycling over 1..D-1), deterministically."""
    degrees = [torch.arange(1, n_features + 1)]
    top = max(n_features - 1, 1)
    for width in hidden:
        degrees.append(torch.arange(width) % top + 1)
    return degrees


class MADE(nn.Module):
    """Masked autoencoder for distribution estimation: ``x (n, D) -> (mu, raw_log_scale)``, each ``(n, D)``.

    Output ``d`` (1-based) sees inputs ``1..d-1`` only; output 1 is a learned constant.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = (512,)) -> None:
        super().__init__()
        hidden = check_sizes(hidden, "hidden")
        if n_features < 1:
            raise NetadInputError(f"MADE needs at least one feature, got {n_features}")
        self.n_features = n_features
        degrees = made_degrees(n_features, hidden)
        layers: list[nn.Module] = []
        for d_in, d_out in zip(degrees[:-1], degrees[1:], strict=True):
            mask = (d_out[:, None] >= d_in[None, :]).float()  # hidden: see inputs of degree <= own
            layers += [MaskedLinear(len(d_in), len(d_out), mask), nn.ReLU()]
        self.hidden = nn.Sequential(*layers)
        d_last = degrees[-1]
        out_degrees = degrees[0].repeat(2)  # (mu, alpha) for every dimension
        out_mask = (out_degrees[:, None] > d_last[None, :]).float()  # output d: hidden degrees < d
        self.output = MaskedLinear(len(d_last), 2 * n_features, out_mask)
        nn.init.zeros_(self.output.weight)  # the flow starts as the identity
        nn.init.zeros_(self.output.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.output(self.hidden(x))
        return out[:, : self.n_features], out[:, self.n_features :]


class MAF(nn.Module):
    """Masked autoregressive flow: ``n_blocks`` MADE affine transforms, order reversed between blocks.

    ``forward(x)`` returns ``(u, log_det)`` with ``log_det = log |det du/dx|`` per row; :meth:`log_prob` is the
    exact log-density of ``x`` under a standard-normal base distribution.
    """

    def __init__(
        self, n_features: int, n_blocks: int = 16, hidden: Sequence[int] = (512,), max_log_scale: float = 1.0
    ) -> None:
        super().__init__()
        if int(n_blocks) < 1:
            raise NetadInputError(f"n_blocks must be >= 1, got {n_blocks!r}")
        if not float(max_log_scale) > 0:
            raise NetadInputError(f"max_log_scale must be > 0, got {max_log_scale!r}")
        self.n_features = int(n_features)
        self.max_log_scale = float(max_log_scale)
        self.blocks = nn.ModuleList(MADE(self.n_features, hidden) for _ in range(int(n_blocks)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        bound = self.max_log_scale
        for i, block in enumerate(self.blocks):
            mu, raw = block(x)
            alpha = bound * torch.tanh(raw / bound)
            x = (x - mu) * torch.exp(-alpha)
            log_det = log_det - alpha.sum(dim=1)
            if i < len(self.blocks) - 1:
                x = x.flip(dims=(1,))  # the next block conditions on the reversed order
        return x, log_det

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ``log p(x)`` per row (nats)."""
        u, log_det = self(x)
        return -0.5 * (u.square().sum(dim=1) + self.n_features * _LOG_2PI) + log_det

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """``-log p(x)`` per row: the anomaly score of a density detector."""
        return -self.log_prob(x)
