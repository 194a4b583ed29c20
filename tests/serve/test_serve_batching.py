"""Micro-batching: concurrent small requests are scored together, within the batch limit, with their own results."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from netad.serve.batching import MicroBatcher
from netad.serve.scoring import ScoreJob


def job(n_rows: int, tag: int) -> ScoreJob:
    return ScoreJob(SimpleNamespace(n_rows=n_rows, tag=tag), 0, 0.0)


class SlowScorer:
    """Records the batches it is given; takes a few ms per batch, like a model."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.running = 0
        self.overlapped = False
        self.lock = threading.Lock()

    def __call__(self, jobs: list[ScoreJob]) -> list[dict]:
        with self.lock:
            self.running += 1
            self.overlapped |= self.running > 1
        self.batches.append([j.rows.n_rows for j in jobs])
        time.sleep(0.005)
        with self.lock:
            self.running -= 1
        return [{"tag": j.rows.tag} for j in jobs]


async def submit_all(batcher: MicroBatcher, jobs: list[ScoreJob]) -> list[dict]:
    async def one(j: ScoreJob) -> dict:
        with batcher.arrival() as arrival:
            await asyncio.sleep(0)  # the request's body arrives
            return await batcher.submit(j, arrival)

    return await asyncio.gather(*(one(j) for j in jobs))


def test_concurrent_small_requests_share_batches_within_the_limit_and_get_their_own_results():
    scorer = SlowScorer()
    batcher = MicroBatcher(scorer, window_ms=50, max_batch=8)
    jobs = [job(1 + i % 2, i) for i in range(30)]
    results = asyncio.run(submit_all(batcher, jobs))
    assert [r["tag"] for r in results] == list(range(30))
    assert sum(map(sum, scorer.batches)) == sum(j.rows.n_rows for j in jobs)  # every row scored once
    assert all(sum(b) <= 8 for b in scorer.batches)
    assert len(scorer.batches) < 30 / 2  # gathered, not one call per request
    assert not scorer.overlapped  # the model is never called concurrently
    batcher.shutdown()


def test_large_requests_sequence_models_and_a_zero_window_are_scored_alone():
    for options, jobs in [
        ({"window_ms": 50, "max_batch": 4}, [job(5, i) for i in range(6)]),  # each larger than max_batch
        ({"window_ms": 50, "max_batch": 64, "sequence_model": True}, [job(1, i) for i in range(6)]),
        ({"window_ms": 0, "max_batch": 64}, [job(1, i) for i in range(6)]),
    ]:
        scorer = SlowScorer()
        batcher = MicroBatcher(scorer, **options)
        results = asyncio.run(submit_all(batcher, jobs))
        assert [r["tag"] for r in results] == list(range(6))
        assert all(len(b) == 1 for b in scorer.batches), options
        assert not scorer.overlapped
        batcher.shutdown()


def test_a_lone_request_does_not_wait_for_the_window():
    scorer = SlowScorer()
    batcher = MicroBatcher(scorer, window_ms=1000, max_batch=64)
    asyncio.run(submit_all(batcher, [job(1, 0)]))
    # nothing else is on its way and the scorer is idle: the batch closes at once, not when the window ends
    assert scorer.batches == [[1]] and batcher.windows_expired == 0
    batcher.shutdown()


def test_concurrent_http_requests_are_batched_and_scored_as_alone(pca_dir, rows, to_records, expected_scores):
    httpx = pytest.importorskip("httpx")
    from netad.serve import create_app

    app = create_app(pca_dir, batch_window_ms=20, max_batch=16)
    records = to_records(rows.iloc[:40])

    async def run() -> list[dict]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            responses = await asyncio.gather(
                *(client.post("/score", content=json.dumps([r]), headers={"content-type": "application/json"})
                  for r in records)
            )  # fmt: skip
        return [r.json() for r in responses]

    bodies = asyncio.run(run())
    np.testing.assert_allclose([b["scores"][0] for b in bodies], expected_scores(pca_dir, rows.iloc[:40]), rtol=1e-6)
    metrics = app.state.metrics
    assert metrics.batched_requests == 40 and metrics.rows_scored == 40
    assert metrics.batches < 40  # some requests shared a scoring call
