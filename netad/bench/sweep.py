"""Running a parameter sweep: one benchmark job per (dataset, detector, variant, seed) of a validated sweep file
(:mod:`netad.bench.sweep_config`), then ``sweep.csv`` (mean and std over seeds per variant) and the
metric-vs-parameter plots in the run directory.

The run directory is the one ``netad bench`` writes (results.csv, summary.csv, config.json, scores/) plus
``sweep.csv``, ``sweep.toml`` (the file as given) and ``plots/<parameter>.png``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netad.bench.job import JobResult
from netad.bench.runner import BenchResult, run_jobs
from netad.bench.spec import Job
from netad.bench.sweep_config import SweepConfig, Variant, describe_jobs, format_value, load_config
from netad.errors import NetadInputError
from netad.files import write_bytes, write_text

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What a sweep produced: the benchmark result, the per-variant table and the plots written."""

    config: SweepConfig
    bench: BenchResult
    table: pd.DataFrame
    plots: list[Path]

    @property
    def run_dir(self) -> Path | None:
        return self.bench.run_dir

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.bench.errors


# -- the sweep table ---------------------------------------------------------------------------------------
def sweep_table(summary: pd.DataFrame, config: SweepConfig) -> pd.DataFrame:
    """``summary.csv`` with one column per swept parameter, in the order of the sweep file."""
    if summary.empty:
        return summary.copy()
    by_label = {v.label: v.swept for v in config.variants}
    table = summary.copy()
    position = list(table.columns).index("variant") + 1
    for offset, name in enumerate(config.swept):
        values = [by_label.get(label, {}).get(name) for label in table["variant"]]
        table.insert(position + offset, name, [None if v is None else format_value(v) for v in values])
    order = {v.label: i for i, v in enumerate(config.variants)}
    strategies = {s: i for i, s in enumerate(config.thresholds)}
    table["_v"] = table["variant"].map(order)
    table["_t"] = table["threshold_strategy"].map(strategies)
    table = table.sort_values(["dataset", "detector", "_t", "_v"], kind="stable").drop(columns=["_v", "_t"])
    return table.reset_index(drop=True)


# -- running -------------------------------------------------------------------------------------------------
def run_sweep(
    config: str | Path | Mapping[str, Any] | SweepConfig,
    out: str | Path | None = None,
    n_jobs: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    write: bool = True,
    plots: bool = True,
    on_done: Callable[[Job, JobResult], None] | None = None,
    on_plan: Callable[[list[Job]], None] | None = None,
    backend: str = "joblib",
    address: str | None = None,
) -> SweepResult:
    """Run a parameter sweep (the Python twin of ``netad sweep``); ``backend="ray"`` + ``address`` as in ``run``.

    >>> result = run_sweep("examples/sweeps/ae_bottleneck.toml", out="runs/bottleneck")  # doctest: +SKIP
    >>> result.table[["variant", "threshold_strategy", "f1_mean", "f1_std"]]  # doctest: +SKIP
    """
    if not isinstance(config, SweepConfig):
        config = load_config(config, overrides)
    elif overrides:
        raise NetadInputError("overrides apply to a sweep file or mapping, not to a loaded SweepConfig")
    jobs = config.jobs()
    if out is None and write:
        import datetime as dt

        out = Path("runs") / f"{dt.datetime.now():%Y%m%d-%H%M%S}-sweep-{config.name}"
    workers = config.n_jobs if n_jobs is None else n_jobs
    options = {
        "sweep": {
            "name": config.name,
            "description": config.description,
            "source": config.source,
            "swept": config.swept,
            "variants": [{"label": v.label, "params": v.params} for v in config.variants],
            "file": config.raw,
        },
        "datasets": config.datasets,
        "detectors": config.detectors,
        "seeds": config.seeds,
        "protocol": config.protocol,
        "thresholds": config.thresholds,
        "detector_params": config.params,
        "dataset_path": config.dataset_path,
        "dataset_options": config.dataset_options,
        "protocol_options": config.protocol_options,
        "max_train": config.max_train,
        "preprocess": config.preprocess,
        "n_jobs": workers,
        "backend": backend,
        "address": address,
    }
    log.info("sweep %s: %d variants x %d seeds = %d jobs", config.name, len(config.variants), len(config.seeds),
             len(jobs))  # fmt: skip
    bench = run_jobs(jobs, out, options, workers, backend, write, overwrite, on_done, on_plan, address)
    table = sweep_table(bench.summary, config)
    written: list[Path] = []
    if bench.run_dir is not None:
        write_text(bench.run_dir / "sweep.csv", table.to_csv(index=False), overwrite=True)
        if config.source != "sweep config" and Path(config.source).is_file():
            copy = bench.run_dir / f"sweep{Path(config.source).suffix or '.toml'}"
            write_bytes(copy, Path(config.source).read_bytes(), overwrite=True)
        if plots and not table.empty:
            written = _write_plots(table, config, bench.run_dir / "plots")
    return SweepResult(config, bench, table, written)


def _write_plots(table: pd.DataFrame, config: SweepConfig, folder: Path) -> list[Path]:
    try:
        from netad.viz.sweep import plot_sweep
    except ImportError as exc:  # matplotlib is an extra: a sweep without it still writes its tables
        log.warning("no sweep plots: %s", exc)
        return []
    try:
        return plot_sweep(table, config.swept, folder, metrics=config.plot_metrics, title=config.name)
    except ImportError as exc:
        log.warning("no sweep plots: %s", exc)
        return []


__all__ = ["SweepConfig", "SweepResult", "Variant", "describe_jobs", "load_config", "run_sweep", "sweep_table"]
