"""The shared look of netad's figures and the lazy imports of the plotting libraries (both are extras)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NORMAL, ATTACK, SLIDER, CURVE = "#1f77b4", "#d62728", "#ff7f0e", "#6a3d9a"
METRIC_LABELS = {"f1": "F1", "precision": "precision", "recall": "recall", "auroc": "AUROC", "auprc": "AUPRC"}
TITLE_TOP = 30
"""Pixels above the title: Plotly's mode bar (shown on hover, top right) sits there and never covers a title."""
MODEBAR_REMOVE = ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
                  "hoverCompareCartesian"]  # fmt: skip
"""Mode-bar buttons that do nothing useful on these figures (a shorter bar; plotly.js config
``modeBarButtonsToRemove``, used by the dashboard and the report)."""


def require_matplotlib(needs: str = "plots") -> None:
    """Raise an ImportError naming the extra when matplotlib is missing (``needs``: what asked for it)."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise ImportError(f'{needs} need matplotlib: pip install "netad[plot]"') from None


def mpl_figure(figsize: tuple[float, float], needs: str = "plots") -> Any:
    """A ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot state, no display, no backend switch)."""
    require_matplotlib(needs)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure


def plotly() -> Any:
    """``plotly.graph_objects``, or an ImportError naming the extra."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise ImportError('the dashboard and the report need plotly: pip install "netad[dashboard]"') from None
    return go


def layout(title: str, top: int = 72, **extra: Any) -> dict[str, Any]:
    """The shared Plotly layout: the title left-aligned, ``TITLE_TOP`` px below the figure's top edge (under the
    mode bar), then room down to the plot area (``top`` px) for threshold labels, buttons or a legend."""
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


def metric_axis(metric: str) -> str:
    """A y-axis title for a metric averaged over seeds."""
    return f"{METRIC_LABELS.get(metric, metric)} (mean ± std)"


def save_figure(figure: Any, path: str | Path, *, overwrite: bool = True, **savefig: Any) -> Path:
    """Save a matplotlib figure atomically, never through a link (netad.files); the format comes from the suffix."""
    from netad.files import atomic_path

    target = Path(path)
    image_format = target.suffix.lstrip(".").lower() or "png"
    with atomic_path(target, overwrite=overwrite, what="figure") as temporary:
        figure.savefig(temporary, format=image_format, **savefig)
    return target
