"""Greedy layer-wise pre-training of a stacked denoising autoencoder (Vincent et al. 2010), then end-to-end
fine-tuning; every stage runs through the one training loop, :func:`netad.nn.trainer.train`.

>>> ae, history = pretrain_layerwise(X, (X.shape[1], 24, 8), TrainConfig(epochs=20))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from netad.errors import NetadInputError
from netad.nn.blocks import activation, check_sizes
from netad.nn.device import resolve_device, seeded
from netad.nn.trainer import TrainConfig, predict_batches, train

logger = logging.getLogger(__name__)


class StackedAutoEncoder(nn.Module):
    """Encoder ``widths[0] -> ... -> widths[-1]`` (each layer ``Linear -> activation``) and its mirror decoder,
    whose last layer is linear so it can reproduce standardised (signed) inputs."""

    def __init__(self, widths: Sequence[int], activation_name: str = "leaky_relu") -> None:
        super().__init__()
        widths = check_sizes(widths, "widths")
        if len(widths) < 2:
            raise NetadInputError(f"a stacked autoencoder needs at least two widths, got {widths}")
        encoder: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            encoder += [nn.Linear(n_in, n_out), activation(activation_name)]
        decoder: list[nn.Module] = []
        reversed_widths = widths[::-1]
        for i, (n_in, n_out) in enumerate(zip(reversed_widths[:-1], reversed_widths[1:], strict=True)):
            decoder.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                decoder.append(activation(activation_name))
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)

    @property
    def n_layers(self) -> int:
        return len(self.encoder) // 2

    def encoder_layer(self, i: int) -> nn.Linear:
        return self.encoder[2 * i]

    def decoder_layer(self, i: int) -> nn.Linear:
        """The decoder layer that inverts encoder layer ``i``."""
        return [m for m in self.decoder if isinstance(m, nn.Linear)][self.n_layers - 1 - i]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class _DenoisingLayer(nn.Module):
    """One layer of the stack trained alone: ``Linear -> activation`` and back (activation too, except on the
    input layer, whose targets are the signed features)."""

    def __init__(self, n_in: int, n_out: int, activation_name: str, linear_output: bool) -> None:
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(n_in, n_out), activation(activation_name))
        back: list[nn.Module] = [nn.Linear(n_out, n_in)]
        if not linear_output:
            back.append(activation(activation_name))
        self.decode = nn.Sequential(*back)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def pretrain_layerwise(
    X: np.ndarray,
    widths: Sequence[int],
    config: TrainConfig,
    *,
    noise: float = 0.05,
    activation_name: str = "leaky_relu",
    fine_tune: bool = True,
) -> tuple[StackedAutoEncoder, dict[str, list[float]]]:
    """A :class:`StackedAutoEncoder` whose layers were trained one by one as denoising autoencoders.

    Layer ``i`` learns to reconstruct the (clean) codes of layer ``i - 1`` from copies corrupted with Gaussian
    noise of std ``noise``; the stack is then fine-tuned end to end on clean reconstruction (MSE) when
    ``fine_tune``. Returns the network and the validation/training loss history of every stage (keys
    ``layer<i>_<metric>`` and ``fine_tune_<metric>``).
    """
    widths = check_sizes(widths, "widths")
    if widths[0] != X.shape[1]:
        raise NetadInputError(f"widths[0]={widths[0]} but X has {X.shape[1]} features")
    if noise < 0:
        raise NetadInputError(f"noise must be >= 0, got {noise!r}")
    device = resolve_device(config.device)
    with seeded(config.random_state, device, salt=9):
        net = StackedAutoEncoder(widths, activation_name)
    history: dict[str, list[float]] = {}
    codes = np.ascontiguousarray(X, dtype=np.float32)
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        with seeded(config.random_state, device, salt=10 + i):
            layer = _DenoisingLayer(n_in, n_out, activation_name, linear_output=i == 0)

        def loss(batch: torch.Tensor, layer: nn.Module = layer) -> torch.Tensor:
            corrupted = batch + noise * torch.randn_like(batch) if layer.training and noise > 0 else batch
            return F.mse_loss(layer(corrupted), batch)

        stage = dataclasses.replace(config, random_state=_salted(config.random_state, 10 + i), verbose=False)
        result = train(layer, codes, loss, stage)
        history.update({f"layer{i}_{k}": v for k, v in result.history.items()})
        net.encoder_layer(i).load_state_dict(layer.encode[0].state_dict())
        net.decoder_layer(i).load_state_dict(layer.decode[0].state_dict())
        codes = predict_batches(layer.encode, codes, module=layer, device=device, n_threads=config.n_threads)
        logger.debug("pre-trained layer %d (%d -> %d) in %d epochs", i, n_in, n_out, result.n_epochs)
    if fine_tune:
        stage = dataclasses.replace(config, random_state=_salted(config.random_state, 20), verbose=False)
        result = train(net, X, lambda batch: F.mse_loss(net(batch), batch), stage)
        history.update({f"fine_tune_{k}": v for k, v in result.history.items()})
    net.eval()
    return net, history


def _salted(random_state: int | None, salt: int) -> int | None:
    return None if random_state is None else int(random_state) * 1000 + salt
