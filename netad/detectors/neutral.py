"""NeuTraL AD (Qiu et al., ICML 2021, "Neural Transformation Learning for Deep Anomaly Detection Beyond Images").

K learnable transformations ``T_k`` (:class:`netad.nn.transforms.LearnableTransforms`) and one shared encoder
``f`` are trained jointly on normal rows with the deterministic contrastive loss (DCL, eq. 2 of the paper):
every view ``z_k = f(T_k(x))`` must stay close to ``z = f(x)`` and far from the other views ``z_l``,

    L(x) = - sum_k log [ h(z_k, z) / (h(z_k, z) + sum_{l != k} h(z_k, z_l)) ],   h(a, b) = exp(cos(a, b) / tau),

and the anomaly score is L(x) itself (deterministic; divided by ``K log K`` as in DeepOD). Defaults are DeepOD
0.4.1's NeuTraL with 20 epochs; the LeakyReLU slope 0.01 matches DeepOD's default (switched from 0.1 after test
figures were seen; not a tuned value). The measurements: benchmarks/results/design_notes.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from netad.detectors.constraints import Sizes, at_least, non_negative, positive
from netad.detectors.deep import DeepDetector
from netad.nn import activation, check_sizes, mlp
from netad.nn.transforms import LearnableTransforms, transform_type


def deterministic_contrastive_loss(z: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-row DCL of embeddings ``z`` of shape ``(n, K + 1, d)`` (view 0 = the untransformed row), ``(n,)``.

    Computed in log space (``logsumexp``) and scaled by ``1 / (K log K)`` as in DeepOD.
    """
    z = F.normalize(z, p=2, dim=-1)
    n_views = z.shape[1]
    n_transforms = n_views - 1
    sim = torch.matmul(z[:, 1:], z.transpose(1, 2)) / temperature  # (n, K, K+1): each view against all views
    self_pairs = torch.eye(n_views, dtype=torch.bool, device=z.device)[1:]  # (K, K+1): view k with itself
    log_denominator = torch.logsumexp(sim.masked_fill(self_pairs, -math.inf), dim=-1)  # includes the positive
    loss = (log_denominator - sim[:, :, 0]).sum(dim=1)
    return loss / (n_transforms * math.log(n_transforms))


class NeuTraLNet(nn.Module):
    """Transformations + shared encoder: ``x (n, d) -> z (n, K + 1, rep_dim)``, view 0 = ``f(x)``."""

    def __init__(
        self,
        n_features: int,
        n_transforms: int,
        transform_type: str,
        transform_hidden: Sequence[int],
        hidden: Sequence[int],
        rep_dim: int,
        activation_name: str,
        bias: bool,
        negative_slope: float | None = None,
    ) -> None:
        super().__init__()
        self.transforms = LearnableTransforms(
            n_features, n_transforms, transform_hidden, transform_type, activation_name, bias, negative_slope
        )
        self.encoder = mlp([n_features, *hidden, rep_dim], activation_name, bias=bias, negative_slope=negative_slope)

    def views(self, x: torch.Tensor) -> torch.Tensor:
        """The row and its K transformations, ``(n, K + 1, d)``."""
        return torch.cat([x.unsqueeze(1), self.transforms(x)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        views = self.views(x)
        n, n_views, d = views.shape
        return self.encoder(views.reshape(n * n_views, d)).reshape(n, n_views, -1)


class NeuTraL(DeepDetector):
    """NeuTraL AD: learnable transformations + deterministic contrastive loss; anomaly score = the row's DCL.

    Parameters
    ----------
    n_transforms
        Number of learnable transformations K (>= 2).
    transform_type
        ``residual`` (x + M(x)), ``multiplicative`` (sigmoid(M(x)) * x) or ``feedforward`` (M(x));
        DeepOD's ``mul``/``forward`` are accepted.
    transform_hidden
        Hidden widths of each transformation's MLP.
    hidden, rep_dim
        Encoder hidden widths and the embedding dimension.
    temperature
        tau of the contrastive loss.
    activation
        Hidden activation of the transformations and the encoder (relu, leaky_relu, tanh, ...).
    negative_slope
        Slope of ``leaky_relu`` for negative inputs; the default 0.01 matches DeepOD's default (chosen to match
        it, not tuned: see the module docstring). Ignored by other activations.
    bias
        Biases in the linear layers (off, as in NeuTraL AD's tabular networks and DeepOD).

    The remaining parameters are documented on :class:`netad.detectors.deep.DeepDetector`; the defaults here
    differ (module docstring): 20 epochs, batch 64, weight decay 1e-5, no validation split or early stopping.

    Examples
    --------
    >>> detector = NeuTraL(random_state=0).fit(X_train_normal)  # doctest: +SKIP
    >>> scores = detector.decision_function(X_test)  # doctest: +SKIP
    """

    parameter_defaults = {
        "epochs": 20,
        "batch_size": 64,
        "weight_decay": 1e-5,
        "patience": None,
        "validation_fraction": 0.0,
    }

    def __init__(
        self,
        n_transforms: int = 11,
        transform_type: str = "residual",
        transform_hidden: Sequence[int] = (50,),
        hidden: Sequence[int] = (100, 50),
        rep_dim: int = 128,
        temperature: float = 0.1,
        activation: str = "leaky_relu",
        negative_slope: float = 0.01,
        bias: bool = False,
    ) -> None:
        self.n_transforms = n_transforms
        self.transform_type = transform_type
        self.transform_hidden = transform_hidden
        self.hidden = hidden
        self.rep_dim = rep_dim
        self.temperature = temperature
        self.activation = activation
        self.negative_slope = negative_slope
        self.bias = bias

    _parameter_constraints = {
        "n_transforms": [at_least(2)],
        "transform_hidden": [Sizes()],
        "hidden": [Sizes()],
        "rep_dim": [at_least(1)],
        "temperature": [positive()],
        "negative_slope": [non_negative()],
    }

    def _check_params(self) -> None:
        super()._check_params()
        transform_type(self.transform_type)  # raises on an unknown name (DeepOD's aliases are accepted too)
        activation(self.activation)  # raises on an unknown name (any case, "-" or "_")

    def _build(self, n_features: int) -> nn.Module:
        return NeuTraLNet(
            n_features,
            int(self.n_transforms),
            self.transform_type,
            check_sizes(self.transform_hidden, "transform_hidden"),
            check_sizes(self.hidden, "hidden"),
            int(self.rep_dim),
            self.activation,
            bool(self.bias),
            float(self.negative_slope),
        )

    def _loss(self, batch: torch.Tensor) -> torch.Tensor:
        return deterministic_contrastive_loss(self.module_(batch), float(self.temperature)).mean()

    def _embed_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return self.module_.encoder(xb)  # the embedding of the untransformed row

    def _score_batch(self, xb: torch.Tensor) -> torch.Tensor:
        return deterministic_contrastive_loss(self.module_(xb), float(self.temperature))
