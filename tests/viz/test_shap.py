"""SHAP figures: shap's bar plot keeps its labels inside the axes and its title on the bars."""

from __future__ import annotations

import numpy as np
import pytest

from netad.explain import Explanation
from netad.viz.shap import summary_plot

pytest.importorskip("shap")
pytest.importorskip("matplotlib")


def test_shap_bar_plot_keeps_the_largest_value_label_inside_and_the_title_on_the_bars(tmp_path, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (drawn.append(self), save(self, *a, **k))[1])
    values = np.random.default_rng(0).normal(size=(30, 12)) * np.linspace(3.0, 0.1, 12)
    values[:, 0] *= 40  # one feature dominates: its label "+84.x" sits right of the longest bar
    names = [f"dst_host_srv_serror_rate_{j}" for j in range(12)]
    summary_plot(Explanation(values, np.zeros(30), values, names, values.sum(axis=1), "permutation"),
                 tmp_path / "bar.png", "bar")  # fmt: skip
    figure = drawn[0]
    ax = figure.axes[0]
    renderer = FigureCanvasAgg(figure).get_renderer()  # pyplot detached its canvas on close
    right = ax.get_window_extent(renderer).x1
    labels = [t for t in ax.texts if t.get_text().startswith(("+", "-"))]
    assert labels and max(t.get_window_extent(renderer).x1 for t in labels) <= right
    assert ax.get_title().startswith("SHAP (permutation)") and figure._suptitle is None
