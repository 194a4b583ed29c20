"""MLP blocks: layer layout, every activation by name, regularisation layers, errors that name the option."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from netad.errors import NetadInputError
from netad.nn import ACTIVATIONS, activation, check_sizes, mlp

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")


@pytest.fixture(scope="module")
def kdd_batch(shared_data) -> torch.Tensor:
    """256 real KDDCup99 rows (118 preprocessed features) as float32."""
    table = np.load(shared_data / "kddcup99" / "kdd_cup.npz")["kdd"]
    rows = np.random.default_rng(0).choice(len(table), 256, replace=False)
    return torch.from_numpy(table[rows, :-1].astype(np.float32))


def test_mlp_maps_input_width_to_output_width_with_a_linear_last_layer(kdd_batch):
    net = mlp([118, 64, 32, 8], "relu")
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(118, 64), (64, 32), (32, 8)]
    assert isinstance(net[-1], nn.Linear)
    out = net(kdd_batch)
    assert out.shape == (256, 8)
    assert (out < 0).any(), "a linear output layer must be able to go negative"


def test_last_activation_bounds_the_code_layer(kdd_batch):
    net = mlp([118, 16], "tanh", last_activation=True, dropout=0.3, batchnorm=True)
    assert isinstance(net[-1], nn.Tanh)
    assert not any(isinstance(m, (nn.Dropout, nn.BatchNorm1d)) for m in net), "no norm/dropout on the last layer"
    assert net(kdd_batch).abs().max() <= 1.0


@pytest.mark.parametrize("name", ["relu", "tanh", "elu", "selu", "leaky_relu"])
def test_every_seed_activation_builds_and_gives_finite_outputs(name, kdd_batch):
    net = mlp([118, 32, 118], name, dropout=0.2, batchnorm=True)
    hidden = [m for m in net if not isinstance(m, (nn.Linear, nn.BatchNorm1d, nn.Dropout, nn.AlphaDropout))]
    assert len(hidden) == 1 and isinstance(hidden[0], ACTIVATIONS[name])
    net.train()
    assert torch.isfinite(net(kdd_batch)).all()
    net.eval()
    assert torch.isfinite(net(kdd_batch)).all()


def test_leaky_relu_uses_the_seed_slope():
    assert activation("leaky_relu").negative_slope == pytest.approx(0.1)
    assert isinstance(activation("Leaky-ReLU"), nn.LeakyReLU)


def test_selu_uses_alpha_dropout_and_others_plain_dropout():
    assert any(isinstance(m, nn.AlphaDropout) for m in mlp([4, 8, 4], "selu", dropout=0.1))
    assert any(type(m) is nn.Dropout for m in mlp([4, 8, 4], "elu", dropout=0.1))
    assert not any(isinstance(m, nn.Dropout) for m in mlp([4, 8, 4], "elu", dropout=0.0))


def test_batchnorm_follows_each_hidden_linear():
    net = mlp([118, 64, 32, 8], "relu", batchnorm=True)
    norms = [m.num_features for m in net if isinstance(m, nn.BatchNorm1d)]
    assert norms == [64, 32]


def test_single_width_gives_an_identity_stack(kdd_batch):
    net = mlp([118], "relu")
    assert torch.equal(net(kdd_batch), kdd_batch)


def test_bad_options_raise_errors_that_name_them():
    with pytest.raises(NetadInputError, match="unknown activation 'swishy'"):
        activation("swishy")
    with pytest.raises(NetadInputError, match="dropout"):
        mlp([4, 4], "relu", dropout=1.0)
    with pytest.raises(NetadInputError, match="hidden"):
        check_sizes((64, 0), "hidden")
    assert check_sizes(32) == (32,)
