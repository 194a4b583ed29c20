"""Progress on stderr for long commands: :mod:`netad.progress` events and finished benchmark jobs."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape

from netad.cli.common import (
    clock,
    count,
    say,
    stderr,
)

# -- progress on stderr -------------------------------------------------------------------------------------
PROGRESS_SECONDS = float(os.environ.get("NETAD_PROGRESS_SECONDS", "5"))
"""Without a terminal, a progress line at most this often (plus every phase, first/last epoch and job)."""


class StderrProgress(logging.Handler):
    """Renders :mod:`netad.progress` events and finished benchmark jobs on stderr.

    On a terminal: one Rich progress display (a bar per training run and one for the jobs), phases printed above
    it. Otherwise plain lines prefixed with the time since the command started: every phase, training start and
    end, every finished job, and epoch / in-epoch lines at most every ``interval`` seconds (the first and last
    epoch always), so a log file shows a sign of life at least every few seconds of training.
    """

    def __init__(self, console: Console, live: bool | None = None, interval: float = PROGRESS_SECONDS):
        super().__init__(logging.INFO)
        self.console, self.interval = console, interval
        self.live = console.is_terminal if live is None else live
        self.started = time.monotonic()
        self.last_line = -math.inf
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._jobs: dict[str, Any] = {}
        self.n_jobs = self.n_done = 0

    # rendering helpers
    def _display(self) -> Any:
        if self._bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(), console=self.console, transient=False,
            )  # fmt: skip
            self._bar.start()
        return self._bar

    def line(self, text: str) -> None:
        """A plain progress line (above the bar on a terminal)."""
        self.last_line = time.monotonic()
        if self.live:
            self._display().console.print(escape(text), highlight=False)
        else:
            elapsed = clock(time.monotonic() - self.started)
            self.console.print(f"[{elapsed}] {text}", highlight=False, markup=False, soft_wrap=True)

    def _due(self) -> bool:
        return time.monotonic() - self.last_line >= self.interval

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = getattr(record, "netad_progress", None)
            if event is None:
                self.line(record.getMessage())
            elif self.live:
                self._live_event(event)
            else:
                self._plain_event(event)
        except Exception:  # noqa: BLE001 - progress must never break the work it reports on
            self.handleError(record)

    def _plain_event(self, event: Any) -> None:
        if event.kind in ("phase", "start", "end"):
            self.line(event.message)
        elif event.kind == "epoch" and (event.step in (1, event.total) or self._due()):
            self.line(event.message)
        elif event.kind == "batch" and self._due():
            self.line(event.message)

    def _live_event(self, event: Any) -> None:
        if event.kind == "phase":
            self.line(event.message)
            return
        bar = self._display()
        key = event.task or "training"
        if event.kind == "start":
            self._tasks[key] = bar.add_task(f"training {key}", total=event.total, status="")
            self.line(event.message)
        elif key not in self._tasks:
            return
        elif event.kind == "epoch":
            losses = "  ".join(f"{k} {v:.4g}" for k, v in event.metrics.items())
            status = f"epoch {event.step}/{event.total}  {losses}  ETA {clock(event.eta)}"
            bar.update(self._tasks[key], completed=event.step, status=status)
        elif event.kind == "batch" and event.total:
            bar.update(self._tasks[key], completed=event.epoch + event.step / event.total)
        elif event.kind == "end":
            bar.remove_task(self._tasks.pop(key))
            self.line(event.message)

    # benchmark jobs
    def jobs_planned(self, n_jobs: int, what: str) -> None:
        """``running 15 jobs (nsl-kdd / novelty) ...`` and, on a terminal, a bar over them."""
        self.n_jobs, self.n_done = n_jobs, 0
        self.line(f"running {count(n_jobs, 'job')} ({what}) ...")
        if self.live:
            self._jobs["task"] = self._display().add_task("jobs", total=n_jobs, status="")

    def job_done(self, job: Any, result: Any) -> None:
        """One line per finished job, as it finishes (its F1 and AUROC at the first threshold strategy)."""
        self.n_done += 1
        if "task" in self._jobs:
            self._bar.advance(self._jobs["task"])
        width = len(str(self.n_jobs))
        where = f"[{self.n_done:>{width}}/{self.n_jobs}] {job.detector}" + (f"[{job.variant}]" if job.variant else "")
        where += f" · {job.dataset} · seed {job.seed}"
        if result.error:
            self.line(f"{where}: FAILED {result.error}")
            return
        first = result.rows[0] if result.rows else {}
        numbers = ", ".join(
            f"{label} {first[key]:.3f}" for key, label in (("f1", "F1"), ("auroc", "AUROC"))
            if isinstance(first.get(key), float) and first[key] == first[key]
        )  # fmt: skip
        if numbers and first.get("threshold_strategy"):
            numbers += f" ({first['threshold_strategy']})"
        fit = f"fit {first['fit_seconds']:.1f} s" if "fit_seconds" in first else ""
        self.line(f"{where}: {', '.join(p for p in (numbers, fit) if p)}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        super().close()


@contextlib.contextmanager
def progress_on_stderr(quiet: bool) -> Iterator[StderrProgress | None]:
    """Show :mod:`netad.progress` events on stderr for the duration of a command (nothing with ``quiet``)."""
    from netad.progress import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    saved = logger.level, logger.propagate
    if quiet:
        logger.setLevel(logging.WARNING)  # silent even under --verbose
        try:
            yield None
        finally:
            logger.setLevel(saved[0])
        return
    handler = StderrProgress(stderr)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # shown once, here, not again by --verbose's root handler
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        handler.close()


def job_callbacks(shown: StderrProgress | None, what: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """``on_plan`` / ``on_done`` for netad.bench: progress per finished job; failures are reported even when quiet."""

    def on_plan(jobs: list[Any]) -> None:
        if shown is not None:
            shown.jobs_planned(len(jobs), what)

    def on_done(job: Any, result: Any) -> None:
        if shown is not None:
            shown.job_done(job, result)
        elif result.error:
            say(f"job {job.key} failed: {result.error}", "yellow")

    return on_plan, on_done
