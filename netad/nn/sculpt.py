"""Latent sculpting (Chhetri et al. 2025): a 1D-CNN + Transformer encoder and the dual-centroid compactness loss.

The encoder reads a flow's feature vector as a 1-channel sequence: five ``Conv1d`` layers (kernel 2, ReLU) pick up
local patterns between neighbouring features, a max-pool halves the length, a linear map lifts the channels to
``d_model``, a learned positional embedding is added, Transformer encoder layers mix the whole sequence, and the
mean over positions goes through ``LayerNorm -> ReLU -> Linear`` to the latent code.

The dual-centroid compactness loss (DCCL) "sculpts" that space with the known labels of a mini-batch:

    alpha * mean ||z_b - c_b||^2 + beta * mean ||z_a - c_a||^2 + gamma * relu(margin - ||c_b - c_a||^2)

with ``c_b``/``c_a`` the batch means of the benign and anomalous latents. Benign traffic contracts to a tight
cluster (so a density model on it is sharp), known attacks gather around their own centroid, and the two
centroids are pushed at least ``margin`` (squared distance) apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from netad.errors import NetadInputError
from netad.nn.blocks import check_sizes

CONV_KERNEL = 2
SEPARATIONS = ("distance", "squared")


class HybridEncoder(nn.Module):
    """``(n, D) -> (n, latent_dim)``: Conv1d stack + max-pool, projection, positional embedding, Transformer."""

    def __init__(
        self,
        n_features: int,
        conv_channels: Sequence[int] = (32, 16, 16, 16, 16),
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 3,
        dim_feedforward: int = 256,
        dropout: float = 0.1,
        latent_dim: int = 32,
    ) -> None:
        super().__init__()
        channels = check_sizes(conv_channels, "conv_channels")
        seq_len = (n_features - len(channels) * (CONV_KERNEL - 1)) // 2
        if seq_len < 1:
            raise NetadInputError(
                f"the encoder needs at least {len(channels) * (CONV_KERNEL - 1) + 2} features for "
                f"{len(channels)} Conv1d layers of kernel {CONV_KERNEL} and a max-pool of 2; got {n_features}"
            )
        if int(d_model) % int(n_heads):
            raise NetadInputError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        layers: list[nn.Module] = []
        for c_in, c_out in zip((1, *channels[:-1]), channels, strict=True):
            layers += [nn.Conv1d(c_in, c_out, kernel_size=CONV_KERNEL), nn.ReLU()]
        layers += [nn.Dropout(dropout), nn.MaxPool1d(kernel_size=2, stride=2)]
        self.conv = nn.Sequential(*layers)
        self.seq_len = seq_len
        self.projection = nn.Linear(channels[-1], int(d_model))
        # std 0.02 (the BERT/ViT convention), not the seed's randn: a unit-scale constant would swamp the row signal
        self.position = nn.Parameter(0.02 * torch.randn(1, seq_len, int(d_model)))
        layer = nn.TransformerEncoderLayer(
            d_model=int(d_model),
            nhead=int(n_heads),
            dim_feedforward=int(dim_feedforward),
            dropout=float(dropout),
            batch_first=True,
        )
        # batch_first + no padding mask: in eval mode under inference_mode, PyTorch runs its fused encoder-layer
        # kernel (~90% of a row's scoring cost); nested tensors only help with padding masks, which rows never have
        self.transformer = nn.TransformerEncoder(layer, num_layers=int(n_layers), enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(int(d_model)), nn.ReLU(), nn.Linear(int(d_model), int(latent_dim)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x.unsqueeze(1))  # (n, channels, seq_len)
        h = self.projection(h.transpose(1, 2)) + self.position  # (n, seq_len, d_model)
        return self.head(self.transformer(h).mean(dim=1))


def dual_centroid_loss(
    z: torch.Tensor,
    labels: torch.Tensor,
    alpha: float = 1.0,
    beta: float = 1.0,
    gamma: float = 1.0,
    margin: float = 5.0,
    separation: str = "distance",
) -> dict[str, torch.Tensor]:
    """DCCL of a batch of latents ``z`` with 0/1 ``labels`` (1 = known attack); see the module docstring.

    ``separation``: ``distance`` (hinge on ``||c_b - c_a||`` at ``sqrt(margin)``) or ``squared`` (the seed's).

    Returns ``loss`` and its parts ``benign_compactness``, ``attack_compactness``, ``centroid_distance`` (squared
    centroid distance). A batch without one of the classes contributes only the compactness of the other.
    """
    benign, attack = labels == 0, labels == 1
    zero = z.new_zeros(())
    if separation not in SEPARATIONS:
        raise NetadInputError(f"unknown separation {separation!r}; use one of {', '.join(SEPARATIONS)}")
    compact_b, compact_a, hinge, distance = zero, zero, zero, zero
    if bool(benign.any()):
        z_b = z[benign]
        c_b = z_b.mean(dim=0)
        compact_b = (z_b - c_b).square().sum(dim=1).mean()
    if bool(attack.any()):
        z_a = z[attack]
        c_a = z_a.mean(dim=0)
        compact_a = (z_a - c_a).square().sum(dim=1).mean()
    if bool(benign.any()) and bool(attack.any()):
        distance = (c_b - c_a).square().sum()
        if separation == "squared":
            hinge = torch.relu(float(margin) - distance)
        else:  # the tiny epsilon keeps the square root's gradient finite when the centroids coincide
            hinge = torch.relu(math.sqrt(float(margin)) - (distance + 1e-12).sqrt())
    loss = float(alpha) * compact_b + float(beta) * compact_a + float(gamma) * hinge
    return {
        "loss": loss,
        "benign_compactness": compact_b.detach(),
        "attack_compactness": compact_a.detach(),
        "centroid_distance": distance.detach(),
    }
