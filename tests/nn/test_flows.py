"""MADE/MAF: autoregressive masks, the exact log-determinant, and a log-likelihood that rises when trained.

Data: real NSL-KDD rows (the sample bundled with netad) through a fitted FlowPreprocessor.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

from netad.datasets import load
from netad.nn import TrainConfig, train
from netad.nn.flows import MADE, MAF
from netad.preprocess import FlowPreprocessor


def _randomised(flow: MAF, seed: int = 0) -> MAF:
    """The flow with random output layers (they start at zero, i.e. the identity): a non-trivial transform."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for block in flow.blocks:
            block.output.weight.copy_(torch.randn(block.output.weight.shape, generator=gen) * 0.5)
            block.output.bias.copy_(torch.randn(block.output.bias.shape, generator=gen) * 0.5)
    return flow


@pytest.fixture(scope="module")
def nsl_rows() -> np.ndarray:
    ds = load("nsl-kdd-sample")
    normal = np.flatnonzero(ds.label == 0)[:3000]
    frame = ds.features.iloc[normal].reset_index(drop=True)
    X = FlowPreprocessor.for_dataset(ds).fit_transform(frame)
    # a handful of the numeric columns keeps the flow small and the test fast
    return np.ascontiguousarray(X[:, :8], dtype=np.float32)


def test_made_output_depends_only_on_earlier_inputs() -> None:
    torch.manual_seed(0)
    made = MADE(5, hidden=(16, 16))
    with torch.no_grad():
        made.output.weight.normal_()
    x = torch.randn(1, 5, dtype=torch.float64)
    made = made.double()
    for output in (0, 1):  # mu, then the raw log-scale
        J = jacobian(lambda v, o=output: made(v)[o], x).reshape(5, 5)
        assert torch.all(torch.triu(J) == 0), "output d must not see inputs d, d+1, ..."
        assert torch.tril(J, diagonal=-1).abs().sum() > 0


@pytest.mark.parametrize("n_blocks", [1, 3])
def test_maf_log_det_equals_log_abs_det_of_the_numerical_jacobian(n_blocks: int) -> None:
    torch.manual_seed(0)
    flow = _randomised(MAF(4, n_blocks=n_blocks, hidden=(12,), max_log_scale=1.5)).double()
    x = torch.randn(3, 4, dtype=torch.float64)
    _, log_det = flow(x)
    for i in range(len(x)):
        J = jacobian(lambda v: flow(v.unsqueeze(0))[0].squeeze(0), x[i])
        sign, logabs = torch.linalg.slogdet(J)
        assert float(sign) != 0
        assert float(log_det[i].detach()) == pytest.approx(float(logabs), abs=1e-9)


def test_maf_log_prob_is_a_normalised_density_in_one_dimension() -> None:
    torch.manual_seed(0)
    flow = _randomised(MAF(1, n_blocks=2, hidden=(8,))).double()
    grid = torch.linspace(-30, 30, 200_001, dtype=torch.float64).unsqueeze(1)
    with torch.no_grad():
        density = flow.log_prob(grid).exp()
    assert float(torch.trapezoid(density, grid.squeeze(1))) == pytest.approx(1.0, abs=1e-4)


def test_untrained_maf_is_the_standard_normal() -> None:
    flow = MAF(3, n_blocks=2, hidden=(8,))
    x = torch.randn(5, 3)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(x).sum(dim=1)
    torch.testing.assert_close(flow.log_prob(x), expected)


def test_maf_log_likelihood_rises_during_training_on_real_flows(nsl_rows: np.ndarray) -> None:
    train_rows, held_out = nsl_rows[:2500], torch.from_numpy(nsl_rows[2500:])
    flow = MAF(nsl_rows.shape[1], n_blocks=3, hidden=(32,), max_log_scale=2.0)
    with torch.no_grad():
        before = float(flow.log_prob(held_out).median())  # median: a few held-out outliers must not decide
    result = train(
        flow,
        train_rows,
        lambda batch: flow.nll(batch).mean(),
        TrainConfig(epochs=4, batch_size=256, lr=2e-3, patience=None, n_threads=1, random_state=0),
    )
    losses = result.history["train_loss"]
    assert losses[-1] < losses[0]
    with torch.no_grad():
        after = float(flow.log_prob(held_out).median())
    assert np.isfinite(after) and after > before + 1.0
