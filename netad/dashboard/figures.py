"""Plotly figures of a run directory, shared by the dashboard (sent as JSON, moved live by the threshold slider)
and the offline report (embedded inline).

Histograms and curves are computed from every test row (binned / decimated here, so pages stay small); the
per-category chart's live trace comes from the score sample (see :mod:`netad.dashboard.data`). Figures that
the dashboard updates keep a fixed layout the page relies on: in the histogram ``shapes[0]`` is the slider's
threshold line (when ``slider=True``), and in the ROC / PR figures and the category chart ``data[-1]`` resp.
``data[0]`` is the trace the slider moves.

Needs the extra: ``pip install "netad[dashboard]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from netad.bench.figures import uses_log_x

NORMAL, ATTACK, SLIDER, CURVE = "#1f77b4", "#d62728", "#ff7f0e", "#6a3d9a"
MAX_CURVE_POINTS = 1500
HIST_BINS = 60
LEADERBOARD_METRICS = ("f1", "precision", "recall", "auroc", "auprc")
METRIC_LABELS = {"f1": "F1", "precision": "precision", "recall": "recall", "auroc": "AUROC", "auprc": "AUPRC"}
MAX_CATEGORY_BARS = 15
"""The per-category chart shows the largest attack categories; the others share one bar (full list: the report)."""
TITLE_TOP = 30
"""Pixels above the title: Plotly's mode bar (shown on hover, top right) sits there and never covers a title."""
MODEBAR_REMOVE = ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
                  "hoverCompareCartesian"]  # fmt: skip
"""Mode-bar buttons that do nothing useful on these figures (a shorter bar; plotly.js config
``modeBarButtonsToRemove``, used by the dashboard and the report)."""


def _go() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise ImportError('the dashboard and the report need plotly: pip install "netad[dashboard]"') from None
    return go


def _layout(title: str, top: int = 72, **extra: Any) -> dict[str, Any]:
    """The shared layout: the title left-aligned, ``TITLE_TOP`` px below the figure's top edge (under the mode
    bar), then room down to the plot area (``top`` px) for threshold labels, buttons or a legend."""
    return {
        "title": {
            "text": title,
            "font": {"size": 14},
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TITLE_TOP},
        },  # fmt: skip
        "margin": {"l": 55, "r": 15, "t": top, "b": 45},
        "template": "plotly_white",
        "legend": {"font": {"size": 10}},
        **extra,
    }


def _decimate(*arrays: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[np.ndarray]:
    """At most ``limit`` evenly spaced points of each array, first and last kept."""
    n = len(arrays[0])
    if n <= limit:
        return list(arrays)
    keep = np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
    return [a[keep] for a in arrays]


def _finite(scores: np.ndarray) -> np.ndarray:
    big = np.finfo(np.float64).max
    return np.where(np.isnan(scores), -big, np.clip(scores, -big, big))


def score_histogram(
    scores: np.ndarray,
    labels: np.ndarray,
    thresholds: Sequence[tuple[str, float]] = (),
    slider: bool = False,
    bins: int = HIST_BINS,
) -> Any:
    """Overlaid histograms of the score, normal vs attack, on a log count axis; log10 score axis when the
    positive scores span two decades (:func:`netad.bench.figures.uses_log_x`). ``thresholds``: (strategy,
    value) lines; ``slider``: add ``shapes[0]``, the line the dashboard's slider moves."""
    go = _go()
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
    fig.update_layout(**_layout(
        "score distribution", barmode="overlay", bargap=0, shapes=shapes, annotations=annotations,
        xaxis={"title": {"text": "log10(anomaly score)" if log_x else "anomaly score"}},
        yaxis={"title": {"text": "rows (log scale)"}, "type": "log", "dtick": 1},
        legend={"orientation": "h", "x": 0, "y": -0.22, "font": {"size": 10}},
        meta={"log_x": log_x},
    ))  # fmt: skip
    return fig


def _marker() -> Any:
    """The point the dashboard's slider moves along a curve (starts empty)."""
    return _go().Scatter(x=[None], y=[None], mode="markers", name="slider threshold",
                         marker={"color": SLIDER, "size": 11, "line": {"color": "black", "width": 1}})  # fmt: skip


def _both_classes(labels: np.ndarray) -> bool:
    return bool(0 < labels.sum() < len(labels))


def roc_figure(scores: np.ndarray, labels: np.ndarray, marker: bool = False) -> Any:
    """ROC curve with its AUROC (every test row); ``marker``: a last trace the dashboard moves to the slider's
    (false-positive rate, recall)."""
    from sklearn.metrics import auc, roc_curve

    go = _go()
    labels = np.asarray(labels).astype(np.int8)
    scores = _finite(np.asarray(scores, dtype=np.float64))
    fig = go.Figure()
    title = "ROC"
    if _both_classes(labels):
        fpr, tpr, _ = roc_curve(labels, scores)
        auroc = float(auc(fpr, tpr))  # what roc_auc_score computes, without sorting the scores again
        fpr, tpr = _decimate(fpr, tpr)
        title = f"ROC — AUROC {auroc:.4f}"
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"AUROC {auroc:.4f}", line={"color": CURVE},
                                 hovertemplate="FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>"))  # fmt: skip
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", hoverinfo="skip",
                             line={"color": "grey", "dash": "dot", "width": 1}))  # fmt: skip
    if marker:
        fig.add_trace(_marker())
    fig.update_layout(**_layout(
        title, xaxis={"title": {"text": "false-positive rate"}, "range": [-0.01, 1.01]},
        legend={"x": 0.98, "xanchor": "right", "y": 0.02, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)"},
        yaxis={"title": {"text": "true-positive rate (recall)"}, "range": [-0.01, 1.02]},
    ))  # fmt: skip
    return fig


def pr_figure(scores: np.ndarray, labels: np.ndarray, marker: bool = False) -> Any:
    """Precision-recall curve with its AUPRC (average precision, as in :mod:`netad.metrics`)."""
    from sklearn.metrics import precision_recall_curve

    go = _go()
    labels = np.asarray(labels).astype(np.int8)
    scores = _finite(np.asarray(scores, dtype=np.float64))
    fig = go.Figure()
    title = "precision-recall"
    if _both_classes(labels):
        precision, recall, _ = precision_recall_curve(labels, scores)
        # average precision as scikit-learn's average_precision_score computes it from this same curve
        auprc = float(-np.sum(np.diff(recall) * precision[:-1]))
        recall, precision = _decimate(recall, precision)
        title = f"precision-recall — AUPRC {auprc:.4f}"
        fig.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name=f"AUPRC {auprc:.4f}",
                                 line={"color": "#2ca02c"},
                                 hovertemplate="recall %{x:.4f}<br>precision %{y:.4f}<extra></extra>"))  # fmt: skip
        share = float(labels.mean())
        fig.add_trace(go.Scatter(x=[0, 1], y=[share, share], mode="lines", name=f"attack share {share:.3f}",
                                 hoverinfo="skip", line={"color": "grey", "dash": "dot", "width": 1}))  # fmt: skip
    if marker:
        fig.add_trace(_marker())
    fig.update_layout(**_layout(
        title, xaxis={"title": {"text": "recall"}, "range": [-0.01, 1.01]},
        legend={"x": 0.02, "xanchor": "left", "y": 0.02, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)"},
        yaxis={"title": {"text": "precision"}, "range": [0.0, 1.02]},
    ))  # fmt: skip
    return fig


def category_order(sample_categories: Sequence[str], per_category: pd.DataFrame) -> list[str]:
    """``normal`` first, then attack categories by test rows (full test set when known), largest first."""
    rows: dict[str, float] = {}
    if not per_category.empty:
        for category, count in per_category.groupby("attack_category")["rows"].max().items():
            rows[str(category)] = float(count)
    for category in sample_categories:
        rows.setdefault(str(category), 0.0)
    attacks = sorted((c for c in rows if c != "normal"), key=lambda c: (-rows[c], c))
    return (["normal"] if "normal" in rows else []) + attacks


def category_groups(order: Sequence[str], max_bars: int = MAX_CATEGORY_BARS) -> list[list[str]]:
    """The chart's bars: ``normal`` and the ``max_bars`` first attack categories of ``order`` alone, the rest
    together in one last bar."""
    attacks = [c for c in order if c != "normal"]
    groups = [["normal"]] if "normal" in order else []
    groups += [[c] for c in attacks[:max_bars]]
    if len(attacks) > max_bars + 1:
        groups.append(attacks[max_bars:])
    elif len(attacks) == max_bars + 1:
        groups.append([attacks[-1]])
    return groups


def category_figure(sample: dict[str, Any], per_category: pd.DataFrame, threshold: float | None = None) -> Any:
    """Detection rate per attack category (false-positive rate for ``normal``), largest categories first and
    the smallest ones in one bar (:func:`category_groups`): ``data[0]`` (bars) is the score sample at the
    slider's threshold (moved live; drawn here at ``threshold``, default the job's first run threshold),
    ``data[1]`` (diamonds) the full test set at the run's first threshold strategy (``per_category.csv``).
    ``layout.meta.groups`` lists each bar's categories, ``layout.meta.categories`` every category in order."""
    go = _go()
    order = category_order(sample["categories"], per_category)
    groups = category_groups(order)
    strategy = None
    full: dict[str, tuple[float, int]] = {}
    if not per_category.empty:
        strategy = str(per_category["threshold_strategy"].iloc[0])
        part = per_category[per_category["threshold_strategy"] == strategy]
        full = {str(r.attack_category): (float(r.detection_rate), int(r.rows)) for r in part.itertuples()}

    def label(group: list[str]) -> str:
        rows = sum(full.get(c, (0.0, 0))[1] for c in group)
        shown = f" ({rows:,})" if full else ""
        if len(group) > 1:
            return f"{len(group)} smaller categories{shown}"
        return ("normal: false-positive rate" if group[0] == "normal" else group[0]) + shown

    def full_rate(group: list[str]) -> float | None:
        known = [full[c] for c in group if c in full and full[c][1] > 0]
        rows = sum(n for _, n in known)
        return sum(rate * n for rate, n in known) / rows if rows else None

    labels = [label(g) for g in groups]
    live: list[float | None] = [None] * len(groups)
    counts = [0] * len(groups)
    if threshold is not None:
        scores = np.asarray(sample["scores"])
        codes = np.asarray(sample["category_codes"])
        code_of = {name: code for code, name in enumerate(sample["categories"])}
        for i, group in enumerate(groups):
            mask = np.isin(codes, [code_of[c] for c in group if c in code_of])
            counts[i] = int(mask.sum())
            live[i] = float((scores[mask] > threshold).mean()) if counts[i] else None
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=live, orientation="h", name="slider threshold (score sample)", marker={"color": SLIDER},
        customdata=counts, hovertemplate="%{y}: %{x:.1%} of %{customdata:,} sampled rows<extra></extra>",
    ))  # fmt: skip
    if full:
        fig.add_trace(go.Scatter(
            y=labels, x=[full_rate(g) for g in groups], mode="markers",
            name=f"run threshold {strategy} (all test rows)",
            marker={"color": "#2b2b2b", "symbol": "diamond", "size": 8},
            hovertemplate="%{y}: %{x:.1%} of the test rows<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(**_layout(
        "detection rate per attack category (test rows)", top=92, height=150 + 22 * len(groups),
        xaxis={"title": {"text": "share flagged"}, "range": [0, 1.02], "tickformat": ".0%"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "font": {"size": 10}},
        meta={"categories": order, "groups": groups},
    ))  # fmt: skip
    return fig


def shap_figure(features: list[dict[str, Any]], title: str = "mean |SHAP| of the anomaly score") -> Any:
    """Horizontal bars of the top features by mean |SHAP| (``netad explain`` output)."""
    go = _go()
    fig = go.Figure(go.Bar(
        y=[f["feature"] for f in features], x=[f["mean_abs_shap"] for f in features], orientation="h",
        marker={"color": CURVE}, hovertemplate="%{y}: %{x:.4g}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(**_layout(
        title, height=max(300, 120 + 24 * len(features)), xaxis={"title": {"text": "mean |SHAP|"}},
        yaxis={"autorange": "reversed", "automargin": True},
    ))  # fmt: skip
    return fig


def _label(row: pd.Series, several_runs: bool) -> str:
    name = f"{row['dataset']} · {row['threshold_strategy']}"
    if "protocol" in row and row["protocol"] not in ("novelty", None):
        name += f" · {row['protocol']}"
    return name + (f" · {row['run_name']}" if several_runs else "")


def leaderboard_figure(board: pd.DataFrame) -> Any:
    """Mean ± std over seeds per detector, one bar group per (dataset, threshold, run); buttons switch metric."""
    go = _go()
    fig = go.Figure()
    metrics = [m for m in LEADERBOARD_METRICS if f"{m}_mean" in board.columns]
    if board.empty or not metrics:
        fig.update_layout(**_layout("leaderboard (no results)"))
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
                {"yaxis.title.text": _metric_axis(metric)},
            ],
        }  # fmt: skip
        for metric in metrics
    ]
    fig.update_layout(**_layout(
        "leaderboard — mean ± std over seeds", top=80, barmode="group",
        yaxis={"title": {"text": _metric_axis(metrics[0])}, "range": [0, 1.05]},
        updatemenus=[{"type": "buttons", "direction": "right", "buttons": buttons, "x": 1.0, "xanchor": "right",
                      "y": 1.02, "yanchor": "bottom", "showactive": True, "font": {"size": 11},
                      "pad": {"t": 0, "b": 0, "l": 0, "r": 0}}],
        legend={"orientation": "h", "y": -0.2},
    ))  # fmt: skip
    return fig


def _metric_axis(metric: str) -> str:
    return f"{METRIC_LABELS.get(metric, metric)} (mean ± std)"


def category_heatmap(per_category: pd.DataFrame, title: str) -> Any:
    """Mean detection rate over seeds, attack category (with its test rows) x model; one column per (model,
    threshold strategy) when ``per_category`` holds several strategies."""
    go = _go()
    frame = per_category.copy()
    variants = frame["variant"] if "variant" in frame.columns else pd.Series("", index=frame.index)
    several = frame["threshold_strategy"].nunique() > 1
    frame["model"] = [
        (f"{d}[{v}]" if isinstance(v, str) and v else str(d)) + (f" · {t}" if several else "")
        for d, v, t in zip(frame["detector"], variants, frame["threshold_strategy"], strict=True)
    ]
    columns = list(dict.fromkeys(frame.sort_values(["detector", "threshold_strategy"], kind="stable")["model"]))
    table = frame.pivot_table(index="attack_category", columns="model", values="detection_rate", aggfunc="mean")
    table = table.reindex(columns=columns)
    rows = frame.groupby("attack_category")["rows"].max()
    order = category_order([], frame)
    table = table.reindex([c for c in order if c in table.index])
    ylabels = [f"{'normal (FPR)' if c == 'normal' else c} ({int(rows[c]):,})" for c in table.index]
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(), x=list(table.columns), y=ylabels, zmin=0, zmax=1, colorscale="Viridis",
        colorbar={"title": {"text": "flagged"}, "tickformat": ".0%", "len": min(1.0, 300 / (20 * len(table) + 1))},
        texttemplate="%{z:.0%}", textfont={"size": 10}, hovertemplate="%{y} / %{x}: %{z:.1%}<extra></extra>",
        xgap=1, ygap=1,
    ))  # fmt: skip
    fig.update_layout(**_layout(title, top=40 if not title else 72, height=max(260, 110 + 19 * len(table)),
                                xaxis={"side": "top", "automargin": True},
                                yaxis={"autorange": "reversed", "automargin": True}))  # fmt: skip
    return fig


__all__ = [
    "category_figure",
    "category_heatmap",
    "leaderboard_figure",
    "pr_figure",
    "roc_figure",
    "score_histogram",
    "shap_figure",
    "uses_log_x",
]
