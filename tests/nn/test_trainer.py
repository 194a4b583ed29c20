"""The shared training loop, on real KDDCup99 rows: loss falls, seeding is local and exact, early stopping
restores the best weights, clipping/threads/schedules are honoured, batches stay row-aligned."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from netad.errors import NetadInputError
from netad.nn import (
    TrainConfig,
    TrainingDivergedError,
    make_optimizer,
    mlp,
    predict_batches,
    resolve_device,
    seeded,
    train,
)

pytestmark = pytest.mark.needs_data("kddcup99-dagmm")


@pytest.fixture(scope="module")
def kdd(shared_data) -> np.ndarray:
    """3,000 real KDDCup99 'normal' rows (118 preprocessed features), float32."""
    table = np.load(shared_data / "kddcup99" / "kdd_cup.npz")["kdd"]
    normal = np.flatnonzero(table[:, -1] == 1)
    rows = np.random.default_rng(0).choice(normal, 3000, replace=False)
    return np.ascontiguousarray(table[rows, :-1], dtype=np.float32)


def autoencoder(n_features: int = 118, seed: int = 0) -> nn.Module:
    with seeded(seed, torch.device("cpu")):
        return nn.Sequential(mlp([n_features, 32, 8], "tanh", last_activation=True), mlp([8, 32, n_features], "tanh"))


def config(**settings) -> TrainConfig:
    """Small runs on one thread: a tiny MLP gains nothing from more, and the CPU is shared."""
    return TrainConfig(**{"epochs": 4, "batch_size": 128, "patience": None, "n_threads": 1, **settings})


def fit(X: np.ndarray, seed: int | None = 0, **settings) -> tuple[nn.Module, object]:
    """A small autoencoder trained by the shared loop (weights initialised under the same seed)."""
    net = autoencoder(X.shape[1], seed=seed or 0)
    return net, train(net, X, lambda b: F.mse_loss(net(b), b), config(random_state=seed, **settings))


def test_training_loss_falls_and_history_has_one_entry_per_epoch(kdd):
    _, result = fit(kdd, epochs=5)
    history = result.history
    assert result.n_epochs == 5
    assert {len(v) for v in history.values()} == {5}
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert all(s > 0 for s in history["seconds"])


def test_same_random_state_gives_identical_weights_and_history(kdd):
    net_a, result_a = fit(kdd, seed=3, epochs=2, validation_fraction=0.2)
    net_b, result_b = fit(kdd, seed=3, epochs=2, validation_fraction=0.2)
    assert result_a.history["train_loss"] == result_b.history["train_loss"]
    assert result_a.history["val_loss"] == result_b.history["val_loss"]
    for p, q in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert torch.equal(p, q)
    net_c, result_c = fit(kdd, seed=4, epochs=2, validation_fraction=0.2)
    assert result_c.history["train_loss"] != result_a.history["train_loss"]


def test_seeding_is_local_and_leaves_the_global_rng_alone(kdd):
    torch.manual_seed(1234)
    expected_next = torch.rand(3)
    torch.manual_seed(1234)
    fit(kdd, seed=7, epochs=1)  # seeded run: must not consume or reset the global stream
    assert torch.equal(torch.rand(3), expected_next)
    assert not torch.are_deterministic_algorithms_enabled()


def test_shuffled_batches_keep_rows_of_several_arrays_aligned(kdd):
    row_ids = np.arange(len(kdd), dtype=np.int64)
    seen: list[np.ndarray] = []
    net = autoencoder()

    def loss(batch):
        x, ids = batch
        assert torch.equal(x, torch.from_numpy(kdd)[ids]), "features and row ids came from different rows"
        seen.append(ids.numpy().copy())
        return F.mse_loss(net(x), x)

    settings = config(epochs=2, batch_size=500, validation_fraction=0.1, random_state=0)
    train(net, (kdd, row_ids), loss, settings, val_loss=lambda b: F.mse_loss(net(b[0]), b[0]))
    first_epoch = np.concatenate(seen[:6])
    assert len(first_epoch) == len(np.unique(first_epoch)) == 2700, "each training row once per epoch"
    assert not np.array_equal(first_epoch, np.sort(first_epoch)), "batches are shuffled"
    assert not np.array_equal(seen[0], seen[6]), "a new order every epoch"


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(kdd):
    scripted_val = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9]  # best at epoch 2
    epoch_now = {"e": 0}
    snapshots: list[dict[str, torch.Tensor]] = []
    torch.manual_seed(0)
    net = autoencoder()

    def on_epoch_end(epoch, logs):
        snapshots.append({k: v.clone() for k, v in net.state_dict().items()})

    result = train(
        net,
        kdd,
        lambda b: F.mse_loss(net(b), b),
        config(epochs=8, batch_size=256, patience=2, random_state=0),
        val_loss=lambda b: torch.tensor(scripted_val[epoch_now["e"]]),
        on_epoch_start=lambda e: epoch_now.update(e=e),
        on_epoch_end=on_epoch_end,
    )
    assert result.stopped_early and result.n_epochs == 5 and result.best_epoch == 2
    assert result.history["val_loss"] == pytest.approx(scripted_val[:5])
    for name, value in net.state_dict().items():
        assert torch.equal(value, snapshots[2][name]), f"{name} is not the epoch-2 weight"
    assert not torch.equal(snapshots[2]["0.0.weight"], snapshots[4]["0.0.weight"]), "weights moved after best"


def test_without_patience_all_epochs_run_and_final_weights_stay(kdd):
    net, result = fit(kdd, epochs=3, patience=None)
    assert result.n_epochs == 3 and not result.stopped_early and result.best_epoch is None


def test_on_epoch_end_returning_true_stops_training(kdd):
    net = autoencoder()
    result = train(
        net,
        kdd,
        lambda b: F.mse_loss(net(b), b),
        config(epochs=10, patience=None, random_state=0),
        on_epoch_end=lambda epoch, logs: epoch == 1,
    )
    assert result.n_epochs == 2


def test_gradient_clipping_bounds_every_step_norm(kdd, monkeypatch):
    original = torch.nn.utils.clip_grad_norm_
    norms: list[tuple[float, float]] = []

    def recording_clip(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        before = original(parameters, max_norm, *args, **kwargs)
        after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in parameters]))
        norms.append((float(before), float(after)))
        return before

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording_clip)
    _, result = fit(kdd, epochs=1, grad_clip=0.01, batch_size=256)
    assert len(norms) == int(np.ceil(2700 / 256)), "clipped on every optimisation step"
    assert max(before for before, _ in norms) > 0.01, "the test must actually need clipping"
    assert all(after <= 0.01 * 1.001 for _, after in norms)
    assert result.history["grad_norm"][0] > 0.01


def test_n_threads_applies_inside_training_and_is_restored(kdd):
    before = torch.get_num_threads()
    seen: set[int] = set()
    net = autoencoder()

    def loss(batch):
        seen.add(torch.get_num_threads())
        return F.mse_loss(net(batch), batch)

    train(net, kdd, loss, TrainConfig(epochs=1, n_threads=1, patience=None, random_state=0))
    assert seen == {1}
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_each_optimizer_reduces_the_loss(kdd, optimizer):
    lr = 0.05 if optimizer == "sgd" else 1e-3
    _, result = fit(kdd, epochs=3, optimizer=optimizer, lr=lr, weight_decay=1e-5)
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]
    assert isinstance(
        make_optimizer(TrainConfig(optimizer=optimizer), autoencoder().parameters()), torch.optim.Optimizer
    )


def test_cosine_schedule_anneals_the_learning_rate(kdd):
    _, result = fit(kdd, epochs=4, lr=1e-2, lr_schedule="cosine")
    lrs = result.history["lr"]
    assert lrs[0] == pytest.approx(1e-2)
    assert all(a > b for a, b in zip(lrs[:-1], lrs[1:], strict=True))


def test_plateau_schedule_halves_the_rate_when_validation_stalls(kdd):
    net = autoencoder()
    result = train(
        net,
        kdd,
        lambda b: F.mse_loss(net(b), b),
        config(epochs=6, lr=1e-2, patience=None, lr_schedule="plateau", random_state=0),
        val_loss=lambda b: torch.tensor(1.0),  # never improves
    )
    lrs = result.history["lr"]
    assert lrs[0] == pytest.approx(1e-2) and lrs[-1] < lrs[0]


def test_validation_fraction_zero_monitors_the_training_loss(kdd):
    _, result = fit(kdd, epochs=2, validation_fraction=0.0, patience=5)
    assert "val_loss" not in result.history
    assert result.best_epoch is not None


def test_loss_mappings_log_their_extra_terms(kdd):
    net = autoencoder()

    def loss(batch):
        err = F.mse_loss(net(batch), batch)
        return {"loss": err + 0.0, "mse": err, "constant": torch.tensor(2.0)}

    result = train(net, kdd, loss, config(epochs=2, patience=None, random_state=0))
    assert result.history["train_constant"] == pytest.approx([2.0, 2.0])
    assert result.history["val_constant"] == pytest.approx([2.0, 2.0])
    assert result.history["train_mse"] == pytest.approx(result.history["train_loss"])


def test_custom_step_replaces_the_optimisation_step(kdd):
    net = autoencoder()
    calls = {"n": 0}

    def step(batch):
        calls["n"] += 1
        loss = F.mse_loss(net(batch), batch)
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= 0.05 * p.grad
        return loss

    result = train(net, kdd, None, config(epochs=3, batch_size=300, patience=None, random_state=0), step=step)
    assert calls["n"] == 3 * 9
    assert "lr" not in result.history and "val_loss" not in result.history
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]


def test_nan_loss_raises_a_diverged_error(kdd):
    net = autoencoder()
    with pytest.raises(TrainingDivergedError, match="lower lr"):
        train(net, kdd, lambda b: net(b).sum() * float("nan"), config(epochs=2, random_state=0))


def test_predict_batches_matches_one_big_forward_pass(kdd):
    net = autoencoder().eval()
    with torch.no_grad():
        expected = F.mse_loss(net(torch.from_numpy(kdd)), torch.from_numpy(kdd), reduction="none").mean(1)
    got = predict_batches(lambda xb: F.mse_loss(net(xb), xb, reduction="none").mean(1), kdd, module=net, batch_size=701)
    assert got.dtype == np.float32 and got.shape == (len(kdd),)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-5, atol=1e-7)
    codes = predict_batches(net[0], kdd, batch_size=1000)
    assert codes.shape == (len(kdd), 8)


def test_bad_settings_raise_errors_that_name_them():
    with pytest.raises(NetadInputError, match="optimizer 'adagrad'"):
        TrainConfig(optimizer="adagrad").check()
    with pytest.raises(NetadInputError, match="validation_fraction"):
        TrainConfig(validation_fraction=1.0).check()
    with pytest.raises(NetadInputError, match="lr_schedule"):
        TrainConfig(lr_schedule="step").check()
    with pytest.raises(NetadInputError, match="n_threads"):
        TrainConfig(n_threads=0).check()


def test_auto_device_is_cuda_only_when_available():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(NetadInputError, match="CUDA is not available"):
            resolve_device("cuda")


def test_verbose_draws_a_progress_bar_on_stderr_only(kdd, capfd):
    fit(kdd, epochs=2, verbose=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "training" in err and "2/2" in err


def test_explicit_validation_rows_are_used_instead_of_a_split(kdd):
    net = autoencoder()
    sizes: list[int] = []

    def val_loss(batch):
        sizes.append(len(batch))
        return F.mse_loss(net(batch), batch)

    train(net, kdd[:2000], lambda b: F.mse_loss(net(b), b), config(epochs=1), val_data=kdd[2000:], val_loss=val_loss)
    assert sizes == [1000]
