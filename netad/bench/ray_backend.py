"""Run benchmark jobs on a Ray cluster: one Ray task per (dataset x detector x seed x params) job.

Each task runs exactly the code the joblib backend runs (:func:`netad.bench.job.run_job`), so results are the same.
What differs is where things live:

- data: every worker loads the dataset itself, from ``job.dataset_path`` or ``$NETAD_DATA`` (the driver's value
  is passed to the workers), so the data must be readable at that same path on every node (a shared filesystem,
  or the same copy on each node). Each node keeps its own parse cache next to the data or in its cache folder;
- code: netad (with the extras the jobs use, e.g. ``netad[peers]``) must be installed on every node, in the same
  version as on the driver;
- output: workers write nothing to the run directory. A task returns its metrics and its test scores (as parquet
  bytes) and the driver writes ``results.csv``, ``scores/`` and the rest, so the run directory only needs to
  exist on the machine that runs ``netad bench``.

``address=None`` starts a private local Ray instance (``num_cpus = n_jobs``) and stops it afterwards; an address
(``auto``, ``HOST:6379`` or ``ray://HOST:10001``) connects to a running cluster and leaves it running.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netad.bench.job import JobResult
from netad.bench.spec import Job
from netad.errors import NetadInputError
from netad.runs import write_score_bytes

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "netad[ray]"'
FORWARDED_ENV = ("NETAD_DATA", "NETAD_CACHE")
"""Environment variables of the driver that workers get too (where the data and its cache are)."""


def _require_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise NetadInputError(
            f"--backend ray needs Ray, which is not installed ({exc}); install it with: {INSTALL_HINT}"
        ) from None
    return ray


def _ray_task(job: Job, save_scores: bool) -> tuple[Job, JobResult, bytes | None]:
    """Body of one Ray task: run the job, return its result and (optionally) its score table as parquet bytes."""
    from netad.bench.job import safe_run_job

    if not save_scores:
        job, result = safe_run_job(job, None)
        return job, result, None
    with tempfile.TemporaryDirectory(prefix="netad-ray-") as folder:
        job, result = safe_run_job(job, folder)
        path = Path(folder) / f"{job.key}.parquet"
        return job, result, path.read_bytes() if path.is_file() else None


def execute_ray(
    jobs: list[Job],
    scores_dir: str | None,
    address: str | None = None,
    n_jobs: int = -1,
    on_done: Callable[[Job, JobResult], None] | None = None,
) -> list[tuple[Job, JobResult]]:
    """Run ``jobs`` as Ray tasks (1 CPU each) and return (job, result) pairs as they finish."""
    ray = _require_ray()
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    started_here = not ray.is_initialized()
    if started_here:
        options: dict[str, Any] = {"runtime_env": {"env_vars": env}} if env else {}
        if address is None:
            options |= {"num_cpus": None if n_jobs is None or n_jobs < 1 else int(n_jobs), "include_dashboard": False}
        try:
            ray.init(address=address, logging_level=logging.WARNING, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise NetadInputError(f"--backend ray: cannot connect to the Ray cluster at {address!r}: {exc}") from None
    log.info("ray: %d jobs on %s", len(jobs), ray.cluster_resources())
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
        pending = {task.remote(job, scores_dir is not None): job for job in jobs}
        done: list[tuple[Job, JobResult]] = []
        waiting = list(pending)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            for ref in ready:
                try:
                    job, result, scores = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a lost worker is a failed job, not a lost run
                    job = pending[ref]
                    log.exception("ray task for job %s failed", job.key)
                    result, scores = JobResult([], [], {}, {}, error=f"{type(exc).__name__}: {exc}"), None
                if scores is not None and scores_dir is not None:
                    write_score_bytes(scores_dir, job.key, scores)
                done.append((job, result))
                if on_done is not None:
                    on_done(job, result)
        return done
    finally:
        if started_here:
            ray.shutdown()
