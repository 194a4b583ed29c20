"""Per-attack-category detection rates: the dashboard's bar chart (moved live by the threshold slider) and the
report's heatmap (attack category x model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from netad.viz.style import SLIDER, layout, plotly

MAX_CATEGORY_BARS = 15
"""The per-category chart shows the largest attack categories; the others share one bar (full list: the report)."""


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
    go = plotly()
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
    fig.update_layout(**layout(
        "detection rate per attack category (test rows)", top=92, height=150 + 22 * len(groups),
        xaxis={"title": {"text": "share flagged"}, "range": [0, 1.02], "tickformat": ".0%"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "font": {"size": 10}},
        meta={"categories": order, "groups": groups},
    ))  # fmt: skip
    return fig


def category_heatmap(per_category: pd.DataFrame, title: str) -> Any:
    """Mean detection rate over seeds, attack category (with its test rows) x model; one column per (model,
    threshold strategy) when ``per_category`` holds several strategies."""
    go = plotly()
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
    fig.update_layout(**layout(title, top=40 if not title else 72, height=max(260, 110 + 19 * len(table)),
                                xaxis={"side": "top", "automargin": True},
                                yaxis={"autorange": "reversed", "automargin": True}))  # fmt: skip
    return fig
