"""Progress of long steps (phases, training epochs), reported through ``logging`` so library code never prints.

Library code calls :func:`phase` ("fitting autoencoder on 50,000 rows x 122 features") and the shared trainer
calls :func:`emit` with :class:`ProgressEvent` records (start, epoch, in-epoch batches, end). Each becomes an
INFO record of the ``netad.progress`` logger carrying the event as ``record.netad_progress``; its message is a
complete sentence, so plain ``logging.basicConfig(level=logging.INFO)`` shows readable lines too. Nothing is shown
unless someone listens: the CLI attaches a handler (``netad.cli``) that draws a Rich bar on a terminal and writes
plain lines otherwise.

>>> import logging
>>> logging.basicConfig(level=logging.INFO)   # doctest: +SKIP
>>> phase("scoring 22,544 test rows")         # doctest: +SKIP
INFO:netad.progress:scoring 22,544 test rows
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

LOGGER_NAME = "netad.progress"
logger = logging.getLogger(LOGGER_NAME)

KINDS = ("phase", "start", "epoch", "batch", "end")


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report.

    ``kind``: ``phase`` (a step begins), ``start`` / ``epoch`` / ``batch`` / ``end`` of a training run.
    ``step`` / ``total``: epochs done and planned (``batch``: batches done in the current epoch and per epoch).
    ``metrics``: e.g. ``train_loss``, ``val_loss``. ``eta``: seconds left if every planned epoch runs (an upper
    bound under early stopping).
    """

    kind: str
    message: str
    task: str = ""
    step: int | None = None
    total: int | None = None
    epoch: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    elapsed: float | None = None
    eta: float | None = None


def listening() -> bool:
    """Whether progress records reach anyone (cheap: callers skip building events otherwise)."""
    return logger.isEnabledFor(logging.INFO)


def emit(event: ProgressEvent) -> None:
    """Log ``event`` at INFO on the ``netad.progress`` logger."""
    if listening():
        logger.info("%s", event.message, extra={"netad_progress": event})


def phase(message: str, task: str = "") -> None:
    """Report that a step begins (one line: "loading unsw-nb15", "fitting ocsvm on 37,000 rows")."""
    emit(ProgressEvent("phase", message, task=task))


def format_seconds(seconds: float | None) -> str:
    """``75.4`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"`` (``"?"`` when unknown)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


__all__ = ["KINDS", "LOGGER_NAME", "ProgressEvent", "emit", "format_seconds", "listening", "phase"]
