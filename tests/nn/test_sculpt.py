"""Latent sculpting parts: the hybrid encoder's shapes and the dual-centroid loss actually sculpting real flows.

Data: the CIC-IDS-2017 Friday-morning subset in ../shared/data (benign rows and Bot).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from netad.datasets import load
from netad.errors import NetadInputError
from netad.nn import TrainConfig, predict_batches, seeded, train
from netad.nn.sculpt import HybridEncoder, dual_centroid_loss
from netad.preprocess import FlowPreprocessor

pytestmark = pytest.mark.needs_data("cicids2017")

SMALL = {"conv_channels": (8, 8, 8), "d_model": 16, "n_heads": 2, "n_layers": 1, "dim_feedforward": 32}


@pytest.fixture(scope="module")
def bot_rows(shared_data) -> tuple[np.ndarray, np.ndarray]:
    ds = load("cicids2017", files="web_attacks_Bot*")
    rng = np.random.default_rng(0)
    rows = np.sort(
        np.r_[
            rng.choice(np.flatnonzero(ds.label == 0), 900, replace=False),
            rng.choice(np.flatnonzero(ds.label == 1), 900, replace=False),
        ]
    )
    frame = ds.features.iloc[rows].reset_index(drop=True)
    X = FlowPreprocessor.for_dataset(ds).fit_transform(frame)
    return X, ds.label[rows].astype(np.int8)


def _spread_and_distance(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    c_b, c_a = z[y == 0].mean(axis=0), z[y == 1].mean(axis=0)
    spread = float(((z[y == 0] - c_b) ** 2).sum(axis=1).mean())
    return spread, float(((c_b - c_a) ** 2).sum())


def test_encoder_maps_rows_to_the_latent_size_and_refuses_too_few_features() -> None:
    encoder = HybridEncoder(20, latent_dim=7)
    assert encoder(torch.randn(4, 20)).shape == (4, 7)
    assert encoder.seq_len == (20 - 5) // 2
    with pytest.raises(NetadInputError, match="at least 7 features"):
        HybridEncoder(6)


def test_squared_separation_is_the_seed_formula() -> None:
    z = torch.tensor([[0.0, 0.0], [0.0, 2.0], [1.0, 0.0], [1.0, 2.0]])
    labels = torch.tensor([0, 0, 1, 1])
    out = dual_centroid_loss(z, labels, alpha=0.5, beta=2.0, gamma=3.0, margin=5.0, separation="squared")
    # centroids (0, 1) and (1, 1): compactness 1 each, squared distance 1
    assert float(out["loss"]) == pytest.approx(0.5 * 1 + 2.0 * 1 + 3.0 * (5.0 - 1.0))
    distance = dual_centroid_loss(z, labels, alpha=0.5, beta=2.0, gamma=3.0, margin=5.0)
    assert float(distance["loss"]) == pytest.approx(0.5 + 2.0 + 3.0 * (math.sqrt(5.0) - 1.0))
    with pytest.raises(NetadInputError, match="separation"):
        dual_centroid_loss(z, labels, separation="cosine")


def test_dccl_contracts_benign_latents_and_separates_the_centroids_on_real_flows(bot_rows) -> None:
    X, y = bot_rows
    with seeded(0, torch.device("cpu")):
        encoder = HybridEncoder(X.shape[1], latent_dim=8, **SMALL)
    before = _spread_and_distance(predict_batches(encoder, X, module=encoder), y)

    def loss(batch):
        x, labels = batch
        return dual_centroid_loss(encoder(x), labels, alpha=1.0, beta=1.0, gamma=1.0, margin=5.0)

    result = train(
        encoder,
        (X, y),
        loss,
        TrainConfig(epochs=6, batch_size=128, lr=1e-3, patience=None, n_threads=1, random_state=0),
    )
    spread, distance = _spread_and_distance(predict_batches(encoder, X, module=encoder), y)
    assert distance > 10 * before[1], "the centroids must move apart"
    assert spread / distance < 0.5 * before[0] / before[1], "benign latents must contract relative to the gap"
    assert result.history["train_centroid_distance"][-1] > result.history["train_centroid_distance"][0]
