"""Layer-wise denoising pre-training: the stack has the requested widths and reconstructs real flows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from netad.datasets import load
from netad.errors import NetadInputError
from netad.nn import TrainConfig
from netad.nn.pretrain import StackedAutoEncoder, pretrain_layerwise
from netad.preprocess import FlowPreprocessor

pytestmark = pytest.mark.needs_data("iot23")


@pytest.fixture(scope="module")
def flows(shared_data):
    """800 real flows (IoT-23 benign + C&C), one-hot encoded and standardised."""
    dataset = load("iot23-candc")
    rows = np.sort(np.random.default_rng(0).choice(dataset.n_rows, 800, replace=False))
    frame = dataset.features.iloc[rows].reset_index(drop=True)
    return FlowPreprocessor.for_dataset(dataset).fit_transform(frame).astype(np.float32)


def _error(net: torch.nn.Module, X: np.ndarray) -> float:
    with torch.no_grad():
        x = torch.from_numpy(X)
        return float(F.mse_loss(net(x), x))


def test_pretrained_stack_reconstructs_better_than_its_random_init(flows):
    config = TrainConfig(epochs=6, batch_size=128, lr=5e-3, n_threads=1, random_state=0)
    torch.manual_seed(0)
    untrained = StackedAutoEncoder((flows.shape[1], 40, 8))
    net, history = pretrain_layerwise(flows, (flows.shape[1], 40, 8), config)
    assert [m.out_features for m in net.encoder if isinstance(m, torch.nn.Linear)] == [40, 8]
    assert [m.out_features for m in net.decoder if isinstance(m, torch.nn.Linear)] == [40, flows.shape[1]]
    assert {"layer0_train_loss", "layer1_train_loss", "fine_tune_train_loss"} <= set(history)
    assert history["layer0_train_loss"][-1] < history["layer0_train_loss"][0]
    assert _error(net, flows) < 0.5 * _error(untrained, flows)


def test_pretraining_is_seeded(flows):
    config = TrainConfig(epochs=2, batch_size=256, n_threads=1, random_state=3)
    a, _ = pretrain_layerwise(flows[:400], (flows.shape[1], 16, 4), config)
    b, _ = pretrain_layerwise(flows[:400], (flows.shape[1], 16, 4), config)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_widths_must_match_the_features(flows):
    with pytest.raises(NetadInputError, match="widths"):
        pretrain_layerwise(flows, (5, 3), TrainConfig(epochs=1))
