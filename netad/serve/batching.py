"""Micro-batching: small concurrent requests are gathered for a few milliseconds and scored as one matrix.

The first request to arrive opens a batch and waits for it; later small requests join it. The batch closes
when it holds ``max_batch`` rows, when ``window`` seconds have passed, or, earlier, when no other request is
on its way in and the scorer is idle (so a lone client does not wait for the window). One
``decision_function`` call per batch instead of per request is the gain (as in Triton's dynamic batcher).
Batches are scored one at a time, never concurrently (the model is not re-entrant): a small batch on the
event loop itself when nothing else is being scored (a hand-off to a thread costs more than the GIL lets it
overlap), otherwise on one worker thread, so the loop keeps reading requests during long scoring calls.
Requests larger than ``max_batch`` rows, and every request of a sequence model (whose scores depend on the
rows before), are scored alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from netad.serve.scoring import ScoreJob

DEFAULT_WINDOW_MS = 2.0
DEFAULT_MAX_BATCH = 64
YIELDS = 3
"""Event-loop turns a new batch's first request waits before it may close the batch as "nobody else coming":
enough for requests whose bytes have already arrived to be parsed and counted as arriving."""


class _Batch:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.jobs: list[ScoreJob] = []
        self.futures: list[asyncio.Future] = []
        self.rows = 0
        self.closing = asyncio.Event()


class Arrival:
    """A request on its way to the batcher (counted so that an open batch knows whether to wait for it)."""

    def __init__(self, batcher: MicroBatcher) -> None:
        self.batcher, self.counted = batcher, False

    def __enter__(self) -> Arrival:
        self.batcher._arriving += 1
        self.counted = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()

    def leave(self) -> None:
        if self.counted:
            self.counted = False
            self.batcher._arriving -= 1
            self.batcher._maybe_close()


class MicroBatcher:
    """Gathers :class:`ScoreJob` s into batches for ``score_batch`` (see the module docstring)."""

    def __init__(
        self,
        score_batch: Callable[[list[ScoreJob]], list[dict[str, Any]]],
        *,
        window_ms: float = DEFAULT_WINDOW_MS,
        max_batch: int = DEFAULT_MAX_BATCH,
        sequence_model: bool = False,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.score_batch = score_batch
        self.window = max(float(window_ms), 0.0) / 1000
        self.max_batch = int(max_batch)
        self.sequence_model = sequence_model
        self.on_batch = on_batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netad-score")
        self._open: _Batch | None = None
        self._arriving = 0
        self._scoring = 0
        self.windows_expired = 0
        """Batches that waited the whole window (the others closed full, or when nobody else was coming)."""

    def arrival(self) -> Arrival:
        """Count a request from the moment it is received (use as ``with batcher.arrival() as a:``)."""
        return Arrival(self)

    async def submit(self, job: ScoreJob, arrival: Arrival | None = None) -> dict[str, Any]:
        """The response body for ``job``, scored alone or with the other requests of its batch."""
        loop = asyncio.get_running_loop()
        n = job.rows.n_rows
        if self.sequence_model or n > self.max_batch or self.window == 0 or self.max_batch <= 1:
            if arrival is not None:
                arrival.leave()
            return (await self._run(loop, [job]))[0]
        batch = self._open
        leader = batch is None or batch.loop is not loop or batch.rows + n > self.max_batch
        if leader:
            batch = self._open = _Batch(loop)
        future = loop.create_future()
        batch.jobs.append(job)
        batch.futures.append(future)
        batch.rows += n
        if arrival is not None:
            arrival.counted = False
            self._arriving -= 1
        if batch.rows >= self.max_batch:
            batch.closing.set()
        if not leader:
            return await future
        for _ in range(YIELDS):  # let requests already received by the server reach the batcher
            await asyncio.sleep(0)
        self._maybe_close()
        try:
            await asyncio.wait_for(batch.closing.wait(), self.window)
        except asyncio.TimeoutError:  # noqa: UP041 - a different class before Python 3.11
            self.windows_expired += 1
        if self._open is batch:
            self._open = None
        try:
            results = await self._run(loop, batch.jobs)
        except BaseException as exc:
            for other in batch.futures[1:]:
                if not other.done():
                    other.set_exception(exc if isinstance(exc, Exception) else RuntimeError("scoring cancelled"))
            raise
        for other, result in zip(batch.futures[1:], results[1:], strict=True):
            if not other.done():
                other.set_result(result)
        return results[0]

    async def _run(self, loop: asyncio.AbstractEventLoop, jobs: list[ScoreJob]) -> list[dict[str, Any]]:
        inline = self._scoring == 0 and sum(job.rows.n_rows for job in jobs) <= self.max_batch
        self._scoring += 1
        try:
            if inline:  # a small batch and an idle scorer: a thread hand-off would cost more than it overlaps
                return self.score_batch(jobs)
            return await loop.run_in_executor(self._executor, self.score_batch, jobs)
        finally:
            self._scoring -= 1
            if self.on_batch is not None:
                self.on_batch(len(jobs), sum(job.rows.n_rows for job in jobs))
            self._maybe_close()

    def _maybe_close(self) -> None:
        """Close the open batch when it is full, or when nobody else is coming and the scorer is free."""
        batch = self._open
        if batch is None or batch.closing.is_set():
            return
        if batch.rows >= self.max_batch or (self._arriving <= 0 and self._scoring == 0):
            try:
                batch.closing.set()
            except RuntimeError:  # the batch belongs to a loop that is gone
                self._open = None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
