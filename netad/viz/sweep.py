"""Sweep curves: each metric's mean over seeds against a swept parameter, std as error bars (``netad sweep``'s
``plots/<parameter>.png``). Drawn with matplotlib (the ``netad[plot]`` extra), saved as PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from netad.viz.style import mpl_figure, save_figure

THRESHOLD_FREE = {"auroc", "auprc", "fit_seconds", "score_seconds"}


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "plot"


def plot_sweep(
    table: pd.DataFrame,
    parameters: Sequence[str],
    folder: str | Path,
    metrics: Sequence[str] = ("f1", "auroc", "auprc"),
    title: str = "",
) -> list[Path]:
    """One PNG per swept parameter: each metric's mean over seeds against the parameter, std as error bars.

    ``table`` is a sweep table (:func:`netad.bench.sweep.sweep_table`). Each line is one (dataset, detector,
    threshold strategy, other swept values) combination. With nothing swept, F1, precision and recall are drawn
    against the threshold strategy. Returns the files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    metrics = [m for m in metrics if f"{m}_mean" in table.columns]
    if table.empty or not metrics:
        return []
    parameters = list(parameters) or ["threshold_strategy"]
    written = []
    for parameter in parameters:
        path = folder / f"{_safe_name(parameter)}.png"
        drawn = metrics
        if parameter == "threshold_strategy":  # AUROC/AUPRC do not depend on it: show what does
            drawn = [m for m in ("f1", "precision", "recall") if f"{m}_mean" in table.columns]
        _plot_one_parameter(table, parameter, [p for p in parameters if p != parameter], drawn, title, path)
        written.append(path)
    return written


def _plot_one_parameter(
    table: pd.DataFrame, parameter: str, others: list[str], metrics: list[str], title: str, path: Path
) -> None:
    x_values = list(dict.fromkeys(table[parameter].astype(str)))
    position = {value: i for i, value in enumerate(x_values)}
    series_keys = [c for c in ("dataset", "detector") if table[c].nunique() > 1]
    if parameter != "threshold_strategy":
        series_keys.append("threshold_strategy")
    series_keys += [o for o in others if table[o].nunique() > 1]

    fig = mpl_figure((4.2 * len(metrics) + 1.5, 4.0))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    groups = table.groupby(series_keys, sort=False) if series_keys else [((), table)]
    n_series = table.groupby(series_keys, sort=False).ngroups if series_keys else 1
    shift = 0.25 / max(n_series, 1)
    first_strategy = str(table["threshold_strategy"].iloc[0])
    for k, (key, rows) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c}={v}" if c in others else str(v) for c, v in zip(series_keys, key, strict=True))
        xs = np.array([position[str(v)] for v in rows[parameter]], dtype=float) + (k - (n_series - 1) / 2) * shift
        for ax, metric in zip(axes, metrics, strict=True):
            if (
                metric in THRESHOLD_FREE
                and dict(zip(series_keys, key, strict=True)).get("threshold_strategy", first_strategy) != first_strategy
            ):
                continue  # the same curve for every threshold strategy: draw it once
            std_column = f"{metric}_std"
            yerr = rows[std_column].to_numpy(dtype=float) if std_column in rows else None
            ax.errorbar(xs, rows[f"{metric}_mean"].to_numpy(dtype=float), yerr=yerr, marker="o", capsize=4,
                        label=label or None)  # fmt: skip
    for ax, metric in zip(axes, metrics, strict=True):
        ax.set_xticks(range(len(x_values)))
        ax.set_xticklabels(x_values, rotation=30 if max(len(v) for v in x_values) > 6 else 0, ha="right")
        ax.set_xlabel(parameter)
        ax.set_ylabel(f"{metric} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
    if series_keys:
        handles, labels = axes[0].get_legend_handles_labels()
        axes[-1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
                        frameon=False)  # fmt: skip
    fig.suptitle(f"{title}: metrics vs {parameter}" if title else f"metrics vs {parameter}")
    fig.tight_layout()
    save_figure(fig, path, dpi=110, bbox_inches="tight")
