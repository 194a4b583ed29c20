"""The trainer's progress: start, epoch, heartbeat and end events on the ``netad.progress`` logger (the CLI renders
them on stderr), and a Rich bar for ``TrainConfig.verbose`` when nobody listens to them."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import torch

from netad import progress as progress_events

HEARTBEAT_SECONDS = 2.0
"""Inside an epoch, a ``batch`` progress event at most this often (so a long epoch still shows signs of life)."""


class Reporter:
    """The trainer's progress events (see :mod:`netad.progress`); does nothing when nobody listens."""

    def __init__(self, task: str, epochs: int, n_rows: int, n_batches: int, device: torch.device, monitor: str):
        self.task, self.epochs, self.n_batches, self.monitor = task, epochs, n_batches, monitor
        self.on = progress_events.listening()
        self.started = self.last_beat = time.perf_counter()
        if self.on:
            message = f"training {task}: up to {epochs} epochs on {n_rows:,} rows ({n_batches} batches/epoch, {device})"
            progress_events.emit(progress_events.ProgressEvent("start", message, task=task, step=0, total=epochs))

    def batch(self, epoch: int, done: int) -> None:
        if not self.on:
            return
        now = time.perf_counter()
        if now - self.last_beat < HEARTBEAT_SECONDS:
            return
        self.last_beat = now
        message = f"{self.task} epoch {epoch + 1}/{self.epochs}: batch {done}/{self.n_batches}"
        event = progress_events.ProgressEvent(
            "batch", message, task=self.task, step=done, total=self.n_batches, epoch=epoch,
            elapsed=now - self.started,
        )  # fmt: skip
        progress_events.emit(event)

    def epoch(self, epoch: int, logs: Mapping[str, float]) -> None:
        if not self.on:
            return
        now = time.perf_counter()
        self.last_beat = now
        elapsed = now - self.started
        eta = elapsed / (epoch + 1) * (self.epochs - epoch - 1)
        losses = {k: float(logs[k]) for k in ("train_loss", "val_loss") if k in logs}
        shown = ", ".join(f"{k} {v:.5g}" for k, v in losses.items())
        message = (
            f"{self.task} epoch {epoch + 1}/{self.epochs}: {shown}, {logs.get('seconds', 0.0):.2f} s/epoch, "
            f"elapsed {progress_events.format_seconds(elapsed)}, ETA {progress_events.format_seconds(eta)}"
        )
        event = progress_events.ProgressEvent(
            "epoch", message, task=self.task, step=epoch + 1, total=self.epochs, epoch=epoch, metrics=losses,
            elapsed=elapsed, eta=eta,
        )  # fmt: skip
        progress_events.emit(event)

    def end(self, result: Any, best_value: float) -> None:
        if not self.on:
            return
        elapsed = time.perf_counter() - self.started
        best = f", best {self.monitor} {best_value:.5g}" if math.isfinite(best_value) else ""
        if result.best_epoch is not None:
            best += f" (epoch {result.best_epoch + 1})"
        message = (
            f"trained {self.task}: {result.n_epochs} epoch(s){' (stopped early)' if result.stopped_early else ''}"
            f"{best} in {progress_events.format_seconds(elapsed)}"
        )
        event = progress_events.ProgressEvent(
            "end", message, task=self.task, step=result.n_epochs, total=self.epochs, elapsed=elapsed, eta=0.0
        )
        progress_events.emit(event)


def rich_bar(verbose: bool, epochs: int) -> Any:
    """A Rich bar on stderr for ``TrainConfig.verbose`` when nobody listens to the progress events, else None."""
    if not verbose or progress_events.listening():
        return None  # a listener (the CLI) renders the progress events instead of a second bar
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=False,
    )
    progress.start()
    progress.add_task("train", total=epochs, status="")
    return progress
