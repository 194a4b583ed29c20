"""Plotly figures of one job's test scores: the score histogram, ROC and precision-recall curves.

The dashboard sends them as JSON and moves them live with its threshold slider; the offline report embeds them.
Histograms and curves are computed from every test row (binned / decimated here, so pages stay small). Figures
the dashboard updates keep a fixed layout the page relies on: in the histogram ``shapes[0]`` is the slider's
threshold line (when ``slider=True``), and in the ROC / PR figures ``data[-1]`` is the marker the slider moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from netad.viz.scores import both_classes, decimate, pr_points, roc_points, uses_log_x
from netad.viz.style import ATTACK, CURVE, NORMAL, SLIDER, layout, plotly

HIST_BINS = 60


def score_histogram(
    scores: np.ndarray,
    labels: np.ndarray,
    thresholds: Sequence[tuple[str, float]] = (),
    slider: bool = False,
    bins: int = HIST_BINS,
) -> Any:
    """Overlaid histograms of the score, normal vs attack, on a log count axis; log10 score axis when the
    positive scores span two decades (:func:`netad.viz.scores.uses_log_x`). ``thresholds``: (strategy,
    value) lines; ``slider``: add ``shapes[0]``, the line the dashboard's slider moves."""
    go = plotly()
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    finite = np.isfinite(scores)
    log_x = uses_log_x(scores[finite])
    values = np.log10(scores[finite]) if log_x else scores[finite]
    kept_labels = labels[finite]

    def position(t: float) -> float | None:
        if not np.isfinite(t) or (log_x and t <= 0):
            return None
        return float(np.log10(t)) if log_x else float(t)

    edges = np.histogram_bin_edges(values, bins=bins) if values.size else np.linspace(0.0, 1.0, bins + 1)
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    raw_edges = 10**edges if log_x else edges
    fig = go.Figure()
    for value, name, colour in ((0, "normal", NORMAL), (1, "attack", ATTACK)):
        counts, _ = np.histogram(values[kept_labels == value], bins=edges)
        fig.add_trace(go.Bar(
            x=centres, y=np.where(counts > 0, counts, np.nan), width=widths, name=f"{name} ({counts.sum():,})",
            marker={"color": colour}, opacity=0.55, customdata=np.column_stack([raw_edges[:-1], raw_edges[1:]]),
            hovertemplate="score %{customdata[0]:.4g} – %{customdata[1]:.4g}<br>%{y:,} rows<extra>" + name + "</extra>",
        ))  # fmt: skip
    shapes, annotations = [], []
    if slider:
        start = position(thresholds[0][1]) if thresholds else None
        start = start if start is not None else float(centres[len(centres) // 2])
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1,
                       "line": {"color": SLIDER, "width": 2}})  # fmt: skip
    for strategy, threshold in thresholds:
        x = position(threshold)
        if x is None:
            continue
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": "black", "width": 1.2, "dash": "dash"}})  # fmt: skip
        annotations.append({"x": x, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
                            "text": f"{strategy} = {threshold:.4g}", "font": {"size": 10}})  # fmt: skip
    fig.update_layout(**layout(
        "score distribution", barmode="overlay", bargap=0, shapes=shapes, annotations=annotations,
        xaxis={"title": {"text": "log10(anomaly score)" if log_x else "anomaly score"}},
        yaxis={"title": {"text": "rows (log scale)"}, "type": "log", "dtick": 1},
        legend={"orientation": "h", "x": 0, "y": -0.22, "font": {"size": 10}},
        meta={"log_x": log_x},
    ))  # fmt: skip
    return fig


def _marker() -> Any:
    """The point the dashboard's slider moves along a curve (starts empty)."""
    return plotly().Scatter(x=[None], y=[None], mode="markers", name="slider threshold",
                            marker={"color": SLIDER, "size": 11, "line": {"color": "black", "width": 1}})  # fmt: skip


def _dotted(x: list[float], y: list[float], name: str) -> Any:
    """A thin grey reference line (chance, attack share)."""
    return plotly().Scatter(x=x, y=y, mode="lines", name=name, hoverinfo="skip",
                            line={"color": "grey", "dash": "dot", "width": 1})  # fmt: skip


def _curve_figure(title: str, traces: list[Any], marker: bool, legend: dict[str, Any], **axes: Any) -> Any:
    """A curve figure: ``traces``, then the slider's marker when asked (always ``data[-1]``)."""
    fig = plotly().Figure()
    for trace in traces:
        fig.add_trace(trace)
    if marker:
        fig.add_trace(_marker())
    fig.update_layout(**layout(title, legend={**legend, "bgcolor": "rgba(255,255,255,0.8)"}, **axes))
    return fig


def _area_curve(
    title: str, area: str, points: tuple[np.ndarray, np.ndarray, float], colour: str, hover: str
) -> tuple[str, list[Any]]:
    """``(figure title, [curve trace])`` of a curve with its area under it, decimated for the page."""
    x, y, value = points
    x, y = decimate(x, y)
    trace = plotly().Scatter(x=x, y=y, mode="lines", name=f"{area} {value:.4f}", line={"color": colour},
                             hovertemplate=hover)  # fmt: skip
    return f"{title} — {area} {value:.4f}", [trace]


def roc_figure(scores: np.ndarray, labels: np.ndarray, marker: bool = False) -> Any:
    """ROC curve with its AUROC (every test row); ``marker``: a last trace the dashboard moves to the slider's
    (false-positive rate, recall)."""
    labels = np.asarray(labels).astype(np.int8)
    title, traces = "ROC", []
    if both_classes(labels):
        hover = "FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>"
        title, traces = _area_curve("ROC", "AUROC", roc_points(scores, labels), CURVE, hover)
    traces.append(_dotted([0, 1], [0, 1], "chance"))
    return _curve_figure(
        title, traces, marker, {"x": 0.98, "xanchor": "right", "y": 0.02, "yanchor": "bottom"},
        xaxis={"title": {"text": "false-positive rate"}, "range": [-0.01, 1.01]},
        yaxis={"title": {"text": "true-positive rate (recall)"}, "range": [-0.01, 1.02]},
    )  # fmt: skip


def pr_figure(scores: np.ndarray, labels: np.ndarray, marker: bool = False) -> Any:
    """Precision-recall curve with its AUPRC (average precision, as in :mod:`netad.metrics`)."""
    labels = np.asarray(labels).astype(np.int8)
    title, traces = "precision-recall", []
    if both_classes(labels):
        hover = "recall %{x:.4f}<br>precision %{y:.4f}<extra></extra>"
        title, traces = _area_curve("precision-recall", "AUPRC", pr_points(scores, labels), "#2ca02c", hover)
        share = float(labels.mean())
        traces.append(_dotted([0, 1], [share, share], f"attack share {share:.3f}"))
    return _curve_figure(
        title, traces, marker, {"x": 0.02, "xanchor": "left", "y": 0.02, "yanchor": "bottom"},
        xaxis={"title": {"text": "recall"}, "range": [-0.01, 1.01]},
        yaxis={"title": {"text": "precision"}, "range": [0.0, 1.02]},
    )  # fmt: skip
