"""Progress of long steps: the trainer's events (netad.progress) and how the CLI shows them on stderr without a
terminal (a line per phase, training start/end and first/last epoch, epochs in between at most every N s)."""

from __future__ import annotations

import io
import logging
import math

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from netad import progress
from netad.cli import StderrProgress, app


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.events: list[progress.ProgressEvent] = []

    def emit(self, record):
        self.events.append(record.netad_progress)


@pytest.fixture
def collected():
    handler = Collect()
    logger = logging.getLogger(progress.LOGGER_NAME)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.events
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_trainer_reports_start_every_epoch_with_losses_and_eta_and_end(collected):
    from netad.detectors import make

    X = np.random.default_rng(0).normal(size=(600, 8)).astype(np.float32)
    make("autoencoder", epochs=4, patience=None, random_state=0, n_threads=1).fit(X)
    kinds = [e.kind for e in collected if e.kind != "batch"]
    assert kinds == ["start", "epoch", "epoch", "epoch", "epoch", "end"]
    epochs = [e for e in collected if e.kind == "epoch"]
    assert [e.step for e in epochs] == [1, 2, 3, 4] and {e.total for e in epochs} == {4}
    for event in epochs:
        assert set(event.metrics) == {"train_loss", "val_loss"} and all(map(math.isfinite, event.metrics.values()))
        assert event.eta is not None and event.eta >= 0 and "ETA" in event.message
    assert epochs[-1].eta == 0 and "AutoEncoderNet" in collected[0].message


def _render(events, interval: float) -> list[str]:
    buffer = io.StringIO()
    shown = StderrProgress(Console(file=buffer, width=200), live=False, interval=interval)
    logger = logging.getLogger("test-progress-render")
    for event in events:
        shown.emit(logger.makeRecord(logger.name, logging.INFO, __file__, 0, event.message, (), None,
                                     extra={"netad_progress": event}))  # fmt: skip
    return buffer.getvalue().splitlines()


def _training(n_epochs: int) -> list[progress.ProgressEvent]:
    Event = progress.ProgressEvent
    events = [Event("phase", "fitting x"), Event("start", "training Net", task="Net", total=n_epochs)]
    for epoch in range(n_epochs):
        events.append(Event("batch", f"Net epoch {epoch + 1}: batch 1/2", task="Net", step=1, total=2, epoch=epoch))
        events.append(Event("epoch", f"Net epoch {epoch + 1}/{n_epochs}", task="Net", step=epoch + 1,
                            total=n_epochs, epoch=epoch))  # fmt: skip
    return events + [Event("end", "trained Net", task="Net")]


def test_plain_lines_every_epoch_when_due_and_first_last_only_when_not():
    every = _render(_training(5), interval=0.0)
    assert sum("/5" in line for line in every) == 5 and sum("batch" in line for line in every) == 5
    sparse = _render(_training(5), interval=math.inf)
    assert [line.split("] ", 1)[1] for line in sparse] == [
        "fitting x", "training Net", "Net epoch 1/5", "Net epoch 5/5", "trained Net"]  # fmt: skip
    assert all(line.startswith("[0:") for line in sparse)  # time since the command started


def test_cli_train_writes_a_line_per_epoch_phase_to_stderr_and_quiet_silences_them(tmp_path, shared_data):
    args = ["train", "-d", "nsl-kdd-sample", "-m", "autoencoder", "--param", "epochs=3", "--param", "n_threads=1",
            "--max-train", "2000"]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    err = result.stderr
    for text in (
        "loading nsl-kdd-sample",
        "fitting autoencoder on",
        "AutoEncoderNet epoch 1/3: train_loss",
        "AutoEncoderNet epoch 3/3",
        "trained AutoEncoderNet: 3 epoch(s)",
        "scoring the validation",
    ):
        assert text in err, text  # fmt: skip
    assert "Rich" not in err and "\x1b[" not in err  # plain lines without a terminal
    quiet = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "quiet"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "epoch" not in quiet.stderr and "loading" not in quiet.stderr
    assert "model saved to" in quiet.stderr
