"""Learnable feature-space transformations (NeuTraL AD, Qiu et al. 2021): K small MLPs evaluated in one pass.

Each transformation ``T_k`` is an MLP ``n_features -> hidden... -> n_features`` (its own weights); its output is
used as in the paper's tabular experiments:

- ``residual``: ``x + M_k(x)`` (the default of DeepOD and of the NeuTraL AD code for tables);
- ``multiplicative``: ``sigmoid(M_k(x)) * x`` (a learned soft feature mask);
- ``feedforward``: ``M_k(x)``.

The K MLPs are stored as stacked weight tensors (``K x fan_in x fan_out``) and applied with one batched
matrix product per layer instead of a Python loop over K modules: the same functions, a fraction of the
per-step overhead on CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from netad.errors import NetadInputError
from netad.nn.blocks import activation, check_sizes

TRANSFORM_TYPES = ("residual", "multiplicative", "feedforward")
_ALIASES = {"mul": "multiplicative", "mask": "multiplicative", "forward": "feedforward"}


def transform_type(name: str) -> str:
    """The canonical transformation type for ``name`` (DeepOD's ``mul``/``forward`` are accepted too)."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in TRANSFORM_TYPES:
        raise NetadInputError(
            f"unknown transform_type {name!r}; use one of {', '.join(TRANSFORM_TYPES)} (or mul, forward)"
        )
    return key


class LearnableTransforms(nn.Module):
    """``K`` learnable transformations of the rows of a feature table: ``(n, d) -> (n, K, d)``.

    Parameters
    ----------
    n_features
        Width ``d`` of the rows (and of each transformation's output).
    n_transforms
        Number of transformations ``K``.
    hidden
        Hidden widths of each transformation's MLP.
    kind
        ``residual``, ``multiplicative`` or ``feedforward`` (see the module docstring).
    activation_name
        Hidden activation (names of :func:`netad.nn.activation`).
    bias
        Whether the linear layers have a bias (off in NeuTraL AD's tabular networks).
    negative_slope
        Slope of ``leaky_relu`` (None = netad's 0.1; torch's default is 0.01).
    """

    def __init__(
        self,
        n_features: int,
        n_transforms: int,
        hidden: Sequence[int] = (50,),
        kind: str = "residual",
        activation_name: str = "leaky_relu",
        bias: bool = False,
        negative_slope: float | None = None,
    ) -> None:
        super().__init__()
        if int(n_transforms) < 1:
            raise NetadInputError(f"n_transforms must be >= 1, got {n_transforms!r}")
        widths = [int(n_features), *check_sizes(hidden, "transform_hidden"), int(n_features)]
        self.n_transforms = int(n_transforms)
        self.kind = transform_type(kind)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList() if bias else None
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            # the initialisation of nn.Linear (kaiming-uniform with a = sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            bound = 1.0 / math.sqrt(fan_in)
            self.weights.append(nn.Parameter(torch.empty(self.n_transforms, fan_in, fan_out).uniform_(-bound, bound)))
            if self.biases is not None:
                self.biases.append(nn.Parameter(torch.empty(self.n_transforms, 1, fan_out).uniform_(-bound, bound)))
        self.activations = nn.ModuleList(activation(activation_name, negative_slope) for _ in widths[1:-1])

    def masks(self, x: torch.Tensor) -> torch.Tensor:
        """The raw MLP outputs ``M_k(x)``, shape ``(K, n, d)``."""
        h = x.unsqueeze(0)  # (1, n, d): broadcast against the (K, fan_in, fan_out) weights
        last = len(self.weights) - 1
        for i, weight in enumerate(self.weights):
            h = torch.matmul(h, weight)
            if self.biases is not None:
                h = h + self.biases[i]
            if i < last:
                h = self.activations[i](h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.masks(x)
        if self.kind == "residual":
            out = m + x
        elif self.kind == "multiplicative":
            out = torch.sigmoid(m) * x
        else:
            out = m
        return out.transpose(0, 1)  # (n, K, d)
