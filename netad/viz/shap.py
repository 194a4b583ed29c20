"""SHAP summaries of the anomaly score: Plotly bars of the top features (dashboard, report) and shap's own
matplotlib bar / beeswarm plots saved as PNG (``netad explain``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netad.errors import NetadInputError
from netad.viz.style import CURVE, layout, plotly, save_figure

PLOT_KINDS = ("bar", "beeswarm")


def shap_figure(features: list[dict[str, Any]], title: str = "mean |SHAP| of the anomaly score") -> Any:
    """Horizontal bars of the top features by mean |SHAP| (``netad explain`` output)."""
    go = plotly()
    fig = go.Figure(go.Bar(
        y=[f["feature"] for f in features], x=[f["mean_abs_shap"] for f in features], orientation="h",
        marker={"color": CURVE}, hovertemplate="%{y}: %{x:.4g}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(**layout(
        title, height=max(300, 120 + 24 * len(features)), xaxis={"title": {"text": "mean |SHAP|"}},
        yaxis={"autorange": "reversed", "automargin": True},
    ))  # fmt: skip
    return fig


def summary_plot(
    explanation: Any, path: str | Path, kind: str = "bar", max_display: int = 20, *, overwrite: bool = True
) -> Path:
    """shap's bar (mean |SHAP|) or beeswarm summary plot of a :class:`netad.explain.Explanation`, saved as PNG.

    shap draws through pyplot on the current figure, so this is the one place netad uses pyplot; both figures
    are closed afterwards."""
    if kind not in PLOT_KINDS:
        raise NetadInputError(f"unknown plot kind {kind!r}; use one of {', '.join(PLOT_KINDS)}")
    try:
        import shap
    except ImportError:
        raise ImportError('SHAP explanations need the explain extra: pip install "netad[explain]"') from None
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('SHAP plots need matplotlib: pip install "netad[explain]"') from None
    fig = plt.figure()
    figure = fig
    try:
        if kind == "bar":
            shap.plots.bar(explanation.to_shap(), max_display=max_display, show=False)
        else:
            shap.plots.beeswarm(explanation.to_shap(), max_display=max_display, show=False)
        figure = plt.gcf()  # shap draws on the current figure
        ax = figure.axes[0]
        if kind == "bar":  # shap writes each bar's value after its end: widen the axis so the largest one fits
            low, high = ax.get_xlim()
            ax.set_xlim(low, high + 0.14 * (high - low))
        # a title on the axes, not a figure suptitle, which shap's tall figure leaves far above the bars
        ax.set_title(f"SHAP ({explanation.method}) of the anomaly score, {len(explanation.values)} rows", fontsize=12)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        save_figure(figure, path, overwrite=overwrite, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
        if figure is not fig:
            plt.close(figure)
    return Path(path)
