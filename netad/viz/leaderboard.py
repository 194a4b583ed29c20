"""The leaderboard figure: mean ± std over seeds per detector, one bar group per (dataset, threshold, run)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from netad.viz.style import METRIC_LABELS, layout, metric_axis, plotly

LEADERBOARD_METRICS = ("f1", "precision", "recall", "auroc", "auprc")


def _label(row: pd.Series, several_runs: bool) -> str:
    name = f"{row['dataset']} · {row['threshold_strategy']}"
    if "protocol" in row and row["protocol"] not in ("novelty", None):
        name += f" · {row['protocol']}"
    return name + (f" · {row['run_name']}" if several_runs else "")


def leaderboard_figure(board: pd.DataFrame) -> Any:
    """Mean ± std over seeds per detector, one bar group per (dataset, threshold, run); buttons switch metric."""
    go = plotly()
    fig = go.Figure()
    metrics = [m for m in LEADERBOARD_METRICS if f"{m}_mean" in board.columns]
    if board.empty or not metrics:
        fig.update_layout(**layout("leaderboard (no results)"))
        return fig
    several_runs = "run" in board.columns and board["run"].nunique() > 1
    board = board.assign(_label=[_label(r, several_runs) for _, r in board.iterrows()])
    board = board.assign(
        _x=[d + (f"[{v}]" if v else "") for d, v in zip(board["detector"], board["variant"], strict=True)]
    )
    groups = list(board.groupby("_label", sort=False))
    for name, part in groups:
        fig.add_trace(go.Bar(
            x=part["_x"], y=part[f"{metrics[0]}_mean"], name=name,
            error_y={"type": "data", "array": part[f"{metrics[0]}_std"].fillna(0.0), "visible": True},
            hovertemplate="%{x}: %{y:.4f}<extra>" + name + "</extra>",
        ))  # fmt: skip
    buttons = [
        {
            "label": METRIC_LABELS.get(metric, metric),
            "method": "update",
            "args": [
                {
                    "y": [part[f"{metric}_mean"].tolist() for _, part in groups],
                    "error_y": [
                        {"type": "data", "array": part[f"{metric}_std"].fillna(0.0).tolist(), "visible": True}
                        for _, part in groups
                    ],
                },
                {"yaxis.title.text": metric_axis(metric)},
            ],
        }  # fmt: skip
        for metric in metrics
    ]
    fig.update_layout(**layout(
        "leaderboard — mean ± std over seeds", top=80, barmode="group",
        yaxis={"title": {"text": metric_axis(metrics[0])}, "range": [0, 1.05]},
        updatemenus=[{"type": "buttons", "direction": "right", "buttons": buttons, "x": 1.0, "xanchor": "right",
                      "y": 1.02, "yanchor": "bottom", "showactive": True, "font": {"size": 11},
                      "pad": {"t": 0, "b": 0, "l": 0, "r": 0}}],
        legend={"orientation": "h", "y": -0.2},
    ))  # fmt: skip
    return fig
