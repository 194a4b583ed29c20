"""Benchmark runs: expand (dataset x detector x seed) into jobs, run them in parallel, write the run directory.

The run directory is a stable contract that scripts rely on:

- ``results.csv``: one row per (dataset, protocol, detector, seed, threshold_strategy), with at least
  dataset, protocol, detector, seed, threshold_strategy, threshold, precision, recall, f1, auroc, auprc,
  fit_seconds, score_seconds;
- ``summary.csv``: mean and std of every metric per (dataset, protocol, detector, threshold_strategy);
- ``per_category.csv``: detection rate per attack category (false-positive rate on ``normal``);
- ``config.json``: everything needed to re-run it (jobs, options, versions, dataset checksums, splits);
- ``scores/<job>.parquet``: test scores, labels and categories of each job (for plots and dashboards).
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import platform
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from netad import thresholds
from netad.bench.job import JobResult, build_detector, safe_run_job
from netad.bench.spec import Job
from netad.errors import NetadInputError
from netad.runs import (  # noqa: F401 (GROUP, METRICS, summarise: part of netad.bench's API)
    GROUP,
    METRICS,
    prepare_run_dir,
    summarise,
    write_tables,
)

log = logging.getLogger(__name__)


@dataclass
class BenchResult:
    """What a run produced; ``run_dir`` is None when nothing was written."""

    results: pd.DataFrame
    summary: pd.DataFrame
    per_category: pd.DataFrame
    errors: list[dict[str, str]]
    run_dir: Path | None
    warnings: list[str] = field(default_factory=list)  # near-useless models, data without attacks


def _as_list(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def plan(
    datasets: str | Sequence[str],
    detectors: str | Sequence[str],
    seeds: Iterable[int] = (0, 1, 2),
    protocol: str = "novelty",
    threshold: str | Sequence[str] = "p99",
    detector_params: dict[str, dict[str, Any]] | None = None,
    dataset_path: str | None = None,
    dataset_options: dict[str, Any] | None = None,
    protocol_options: dict[str, Any] | None = None,
    max_train: int | None = None,
    save_scores: bool = True,
    preprocess: dict[str, Any] | None = None,
) -> list[Job]:
    """Validate the options (before any heavy work) and expand them into jobs."""
    from netad.detectors import available as available_detectors
    from netad.detectors.registry import is_known
    from netad.protocols import available as available_protocols

    dataset_names, detector_names = _as_list(datasets), _as_list(detectors)
    if not dataset_names:
        raise NetadInputError("no dataset given")
    if not detector_names:
        raise NetadInputError("no detector given")
    unknown = [d for d in detector_names if not is_known(d)]
    if unknown:
        names = list(available_detectors())
        hints = [f"{d!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(d, names, n=1)) else
                 repr(d) for d in unknown]  # fmt: skip
        raise NetadInputError(f"unknown detector {', '.join(hints)}; available: {', '.join(names)}")
    if protocol not in available_protocols():
        raise NetadInputError(f"unknown protocol {protocol!r}; available: {', '.join(available_protocols())}")
    threshold_specs = tuple(thresholds.resolve(t).name for t in _as_list(threshold))
    if not threshold_specs:
        raise NetadInputError("no threshold strategy given")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise NetadInputError("no seed given")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise NetadInputError(f"seeds {repeated} given more than once; each seed is one run of mean ± std")
    negative = [s for s in seeds if not 0 <= s < 2**32]
    if negative:
        raise NetadInputError(f"seeds {negative}: a seed must be an integer from 0 to 2**32 - 1")
    if max_train is not None and max_train < 10:
        raise NetadInputError(f"--max-train {max_train}: need at least 10 training rows")
    params = detector_params or {}
    stray = [name for name in params if name not in detector_names]
    if stray:
        raise NetadInputError(f"parameters given for detector(s) {stray} that are not in this run")
    for name in detector_names:  # constructors do no work: this checks parameter names cheaply
        build_detector(name, params.get(name, {}), seed=0)
    return [
        Job(
            dataset=dataset,
            protocol=protocol,
            detector=detector,
            seed=seed,
            thresholds=threshold_specs,
            params=dict(params.get(detector, {})),
            dataset_path=dataset_path,
            dataset_options=dict(dataset_options or {}),
            protocol_options=dict(protocol_options or {}),
            max_train=max_train,
            save_scores=save_scores,
            preprocess=dict(preprocess or {}),
        )
        for dataset in dataset_names
        for seed in seeds
        for detector in detector_names
    ]


def execute(
    jobs: list[Job],
    scores_dir: str | None = None,
    n_jobs: int = -1,
    backend: str = "joblib",
    on_done: Callable[[Job, JobResult], None] | None = None,
    address: str | None = None,
) -> list[tuple[Job, JobResult]]:
    """Run jobs with the chosen backend; ``on_done`` is called as each finishes (progress bars).

    ``joblib`` (default) runs them on this machine; ``ray`` runs each job as a Ray task, on the cluster at
    ``address`` or on a private local Ray instance when ``address`` is None (see :mod:`netad.bench.ray_backend`).
    Both run the same job code and return the results in job order.
    """
    check_backend(backend, address)
    order = {job.key: i for i, job in enumerate(jobs)}
    if backend == "ray":
        from netad.bench.ray_backend import execute_ray

        finished = execute_ray(jobs, scores_dir, address, n_jobs, on_done)
        return sorted(finished, key=lambda pair: order[pair[0].key])
    done: list[tuple[Job, JobResult]] = []
    if n_jobs == 1 or len(jobs) == 1:
        iterator: Iterable[tuple[Job, JobResult]] = (safe_run_job(job, scores_dir) for job in jobs)
    else:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        iterator = parallel(delayed(safe_run_job)(job, scores_dir) for job in jobs)
    for job, result in iterator:
        done.append((job, result))
        if on_done is not None:
            on_done(job, result)
    return sorted(done, key=lambda pair: order[pair[0].key])


BACKENDS = ("joblib", "ray")


def check_backend(backend: str, address: str | None = None) -> None:
    """Fail early on an unknown backend, or an ``address`` given to a backend that does not use one."""
    if backend not in BACKENDS:
        raise NetadInputError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise NetadInputError(f"--address {address!r} is for --backend ray (the {backend} backend runs locally)")


def package_versions(packages: Sequence[str]) -> dict[str, str]:
    """The installed version of each distribution in ``packages`` ("not installed" when absent), in order.

    Read from the installed metadata, not ``module.__version__`` (deepod 0.4.1's still says 0.4.0)."""
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        **package_versions(("netad", "numpy", "pandas", "pyarrow", "scikit-learn", "torch", "joblib")),
    }


def run(
    datasets: str | Sequence[str],
    detectors: str | Sequence[str],
    seeds: Iterable[int] = (0, 1, 2),
    protocol: str = "novelty",
    threshold: str | Sequence[str] = "p99",
    out: str | Path | None = None,
    detector_params: dict[str, dict[str, Any]] | None = None,
    dataset_path: str | None = None,
    dataset_options: dict[str, Any] | None = None,
    protocol_options: dict[str, Any] | None = None,
    max_train: int | None = None,
    n_jobs: int = -1,
    backend: str = "joblib",
    save_scores: bool = True,
    preprocess: dict[str, Any] | None = None,
    write: bool = True,
    overwrite: bool = False,
    on_done: Callable[[Job, JobResult], None] | None = None,
    on_plan: Callable[[list[Job]], None] | None = None,
    address: str | None = None,
) -> BenchResult:
    """Benchmark detectors on datasets under one protocol over several seeds (the Python twin of ``netad bench``).

    >>> result = run("nsl-kdd-sample", "iforest,pca", seeds=[0], write=False)  # doctest: +SKIP
    >>> result.summary[["detector", "f1_mean", "auroc_mean"]]  # doctest: +SKIP

    ``backend="ray"`` with ``address="HOST:6379"`` spreads the jobs over a Ray cluster (same results).
    """
    check_backend(backend, address)
    jobs = plan(
        datasets, detectors, seeds, protocol, threshold, detector_params, dataset_path,
        dataset_options, protocol_options, max_train, save_scores and write, preprocess,
    )  # fmt: skip
    options = {
        "datasets": _as_list(datasets),
        "detectors": _as_list(detectors),
        "seeds": sorted({job.seed for job in jobs}),
        "protocol": protocol,
        "thresholds": list(jobs[0].thresholds),
        "detector_params": detector_params or {},
        "dataset_path": dataset_path,
        "dataset_options": dataset_options or {},
        "protocol_options": protocol_options or {},
        "max_train": max_train,
        "preprocess": preprocess or {},
        "n_jobs": n_jobs,
        "backend": backend,
        "address": address,
    }
    return run_jobs(jobs, out, options, n_jobs, backend, write, overwrite, on_done, on_plan, address)


def run_jobs(
    jobs: list[Job],
    out: str | Path | None = None,
    options: dict[str, Any] | None = None,
    n_jobs: int = -1,
    backend: str = "joblib",
    write: bool = True,
    overwrite: bool = False,
    on_done: Callable[[Job, JobResult], None] | None = None,
    on_plan: Callable[[list[Job]], None] | None = None,
    address: str | None = None,
) -> BenchResult:
    """Run any list of jobs (a bench, a sweep) and write the run directory; ``options`` go to config.json."""
    if not jobs:
        raise NetadInputError("nothing to run: the job list is empty")
    check_backend(backend, address)
    # Load (and cache) each dataset once up front: user errors surface before any work is spread out,
    # and workers then read the parsed cache.
    from netad.datasets import load

    dataset_info = {}
    for job in jobs:
        if job.dataset not in dataset_info:
            dataset_info[job.dataset] = load(job.dataset, job.dataset_path, **job.dataset_options).describe()

    hint = f"{jobs[0].dataset}-{jobs[0].protocol}".replace(":", "_").replace("/", "_")
    run_dir = prepare_run_dir(out, overwrite, hint) if write else None
    if on_plan is not None:
        on_plan(jobs)
    started = dt.datetime.now(dt.timezone.utc)
    finished = execute(jobs, str(run_dir / "scores") if run_dir else None, n_jobs, backend, on_done, address)

    rows, per_category, errors, splits, warnings = [], [], [], {}, []
    for job, result in finished:
        if result.error:
            errors.append({"job": job.key, "error": result.error})
            continue
        for warning in dict.fromkeys(result.warnings):
            log.info("warning: %s", warning)  # the CLI shows result.warnings; INFO keeps it from printing twice
            warnings.append(warning)
        rows.extend(result.rows)
        per_category.extend(result.per_category)
        splits[f"{job.dataset}__{job.protocol}__seed{job.seed}"] = result.split_info
    results = pd.DataFrame(rows)
    summary = summarise(results)
    per_category_frame = pd.DataFrame(per_category)

    if run_dir is not None:
        config = {
            "netad_run_format": 1,
            "command": sys.argv if Path(sys.argv[0]).name == "netad" else None,
            "started_utc": started.isoformat(),
            "finished_utc": dt.datetime.now(dt.timezone.utc).isoformat(),
            "options": options or {},
            "oracle_thresholds_used": any(thresholds.uses_test_data(t) for job in jobs for t in job.thresholds),
            "jobs": [job.to_dict() for job in jobs],
            "datasets": dataset_info,
            "splits": splits,
            "versions": _versions(),
            "errors": errors,
            "warnings": warnings,
        }
        write_tables(run_dir, results, summary, per_category_frame, config)
    return BenchResult(results, summary, per_category_frame, errors, run_dir, warnings)
