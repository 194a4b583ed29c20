"""One PNG per job of a benchmark run directory (``netad bench --plots``): the score histograms, ROC and
precision-recall curves.

``write_figures(run_dir)`` reads every ``scores/<job>.parquet`` (test score, label, attack_category per row)
and the matching ``results.csv`` rows, and writes ``figures/<job>.png`` with three panels:

1. histograms of the anomaly score, normal vs attack rows (log-x when the positive scores span two or more
   decades), with the job's thresholds drawn: one line per threshold strategy in ``results.csv``;
2. the ROC curve with its AUROC;
3. the precision-recall curve with its AUPRC (average precision, as in ``netad.metrics``).

matplotlib is an extra (``pip install "netad[plot]"``); figures are drawn on ``matplotlib.figure.Figure`` with
the Agg canvas (no pyplot state, no display needed).

>>> from netad.viz.job_figures import write_figures                      # doctest: +SKIP
>>> for figure in write_figures("runs/20250101-120000-nsl-kdd-novelty"):  # doctest: +SKIP
...     print(figure.path, figure.threshold_strategy, figure.threshold)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.runs import job_key
from netad.viz.scores import both_classes, pr_points, roc_points, uses_log_x
from netad.viz.style import mpl_figure, require_matplotlib, save_figure

log = logging.getLogger(__name__)


@dataclass
class JobFigure:
    """What was drawn for one job (returned so callers and tests can check it against results.csv)."""

    job: str
    path: Path
    threshold: float | None
    threshold_strategy: str | None
    log_x: bool
    auroc: float
    auprc: float
    n_normal: int
    n_attack: int
    thresholds: list[tuple[str, float]] = field(default_factory=list)
    """Every (strategy, threshold) line drawn, in results.csv order (``threshold`` is the first one)."""


def job_threshold_lines(results: pd.DataFrame) -> dict[str, list[tuple[str, float]]]:
    """Job key -> every (threshold strategy, threshold) of the job in ``results.csv``, in file order."""
    out: dict[str, list[tuple[str, float]]] = {}
    if results.empty:
        return out
    for row in results.itertuples(index=False):
        out.setdefault(job_key(row), []).append((str(row.threshold_strategy), float(row.threshold)))
    return out


def write_figures(run_dir: str | Path, out_dir: str | Path | None = None, dpi: int = 110) -> list[JobFigure]:
    """One PNG per ``scores/*.parquet`` of ``run_dir`` (into ``out_dir``, default ``run_dir/figures``).

    Returns what was drawn per job, in file-name order. Raises :class:`netad.errors.NetadInputError` when
    ``run_dir`` holds no score files (runs made with ``save_scores=False``).
    """
    run_dir = Path(run_dir)
    files = sorted((run_dir / "scores").glob("*.parquet"))
    if not files:
        raise NetadInputError(
            f"{run_dir}: no scores/*.parquet files; run the benchmark with scores saved (the default) first"
        )
    require_matplotlib("run-directory figures")
    results_path = run_dir / "results.csv"
    try:
        results = pd.read_csv(results_path) if results_path.is_file() else pd.DataFrame()
    except pd.errors.EmptyDataError:
        results = pd.DataFrame()
    if results.empty:
        log.warning("%s: no results.csv rows; figures are drawn without a threshold line", run_dir)
    thresholds_by_job = job_threshold_lines(results)
    out = Path(out_dir) if out_dir is not None else run_dir / "figures"
    out.mkdir(parents=True, exist_ok=True)

    drawn = []
    for file in files:
        job = file.stem
        table = pd.read_parquet(file, columns=["score", "label"])
        scores = table["score"].to_numpy(dtype=np.float64)
        labels = table["label"].to_numpy().astype(np.int8)
        lines = thresholds_by_job.get(job, [])
        strategy, threshold = lines[0] if lines else (None, None)
        if strategy is None:
            log.warning("%s: no results.csv row for job %s; no threshold line", run_dir, job)
        figure = mpl_figure((15, 4.2))
        axes = figure.subplots(1, 3)
        log_x = _histogram(axes[0], scores, labels, lines)
        auroc, auprc = _curves(axes[1], axes[2], scores, labels)
        figure.suptitle(job, fontsize=10)
        figure.tight_layout()
        path = out / f"{job}.png"
        save_figure(figure, path, dpi=dpi)
        drawn.append(
            JobFigure(
                job=job,
                path=path,
                threshold=threshold,
                threshold_strategy=strategy,
                log_x=log_x,
                auroc=auroc,
                auprc=auprc,
                n_normal=int((labels == 0).sum()),
                n_attack=int((labels == 1).sum()),
                thresholds=list(lines),
            )
        )
    log.info("wrote %d figures to %s", len(drawn), out)
    return drawn


_LINE_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1)))
_LINE_COLOURS = ("black", "tab:purple", "tab:green", "tab:brown", "tab:olive")


def _histogram(ax: Any, scores: np.ndarray, labels: np.ndarray, lines: list[tuple[str, float]]) -> bool:
    finite = np.isfinite(scores)
    values = scores[finite]
    log_x = uses_log_x(values)
    if values.size == 0:
        bins: Any = 10
    elif log_x:
        bins = np.logspace(np.log10(values.min()), np.log10(values.max()), 60)
    else:
        low, high = float(values.min()), float(values.max())
        bins = np.linspace(low, high if high > low else low + 1.0, 60)
    for value, name, colour in ((0, "normal", "tab:blue"), (1, "attack", "tab:red")):
        part = scores[finite & (labels == value)]
        if part.size:
            ax.hist(part, bins=bins, alpha=0.55, color=colour, label=f"{name} ({part.size:,})")
    from netad.thresholds import test_data_tag

    for i, (strategy, threshold) in enumerate(lines):
        if not np.isfinite(threshold) or (log_x and threshold <= 0):
            continue
        tag = test_data_tag(strategy)
        ax.axvline(
            threshold, color=_LINE_COLOURS[i % len(_LINE_COLOURS)], linestyle=_LINE_STYLES[i % len(_LINE_STYLES)],
            linewidth=1.2, label=f"{strategy} = {threshold:.4g}" + (f" ({tag})" if tag else ""),
        )  # fmt: skip
    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("anomaly score" + (" (log scale)" if log_x else ""))
    ax.set_ylabel("rows (log scale)")
    ax.set_title("score distribution")
    ax.legend(fontsize=8)
    return log_x


def _curves(roc_ax: Any, pr_ax: Any, scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    if not both_classes(labels):
        for ax in (roc_ax, pr_ax):
            ax.text(0.5, 0.5, "one class only in the test set", ha="center", va="center", transform=ax.transAxes)
        return float("nan"), float("nan")
    fpr, tpr, auroc = roc_points(scores, labels)
    roc_ax.plot(fpr, tpr, color="tab:purple", label=f"AUROC {auroc:.4f}")
    roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    roc_ax.set_xlabel("false-positive rate")
    roc_ax.set_ylabel("true-positive rate")
    roc_ax.set_title("ROC")
    roc_ax.legend(loc="lower right", fontsize=8)

    recall, precision, auprc = pr_points(scores, labels)
    pr_ax.plot(recall, precision, color="tab:green", label=f"AUPRC {auprc:.4f}")
    pr_ax.axhline(labels.mean(), color="grey", linestyle=":", linewidth=1, label=f"attack share {labels.mean():.3f}")
    pr_ax.set_xlabel("recall")
    pr_ax.set_ylabel("precision")
    pr_ax.set_ylim(0.0, 1.02)
    pr_ax.set_title("precision-recall")
    pr_ax.legend(loc="lower left", fontsize=8)
    return auroc, auprc
