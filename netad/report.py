"""One self-contained HTML report of a benchmark run directory: readable offline, makes no network request.

``write_report(run_dir, "report.html")`` (``netad report RUN_DIR -o report.html``) writes the run's leaderboard
(``summary.csv``, mean ± std over seeds) and per-seed results, per-attack-category detection rates, per model
the score histogram, ROC and precision-recall curves (of its first seed with saved scores, from every test
row), SHAP summaries of any ``netad explain`` output inside the run directory, and the configuration
(options, datasets and checksums, split sizes, library versions, failed jobs).

Figures are Plotly, with plotly.js (shipped inside the ``plotly`` package) inlined once; SHAP PNGs are embedded
as base64. Needs the extra: ``pip install "netad[dashboard]"``.

>>> from netad.report import write_report                              # doctest: +SKIP
>>> write_report("runs/demo", "runs/demo/report.html")                   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad.dashboard.data import leaderboard
from netad.errors import NetadInputError
from netad.files import check_output, write_text
from netad.runs import RunDir, load_run, read_scores
from netad.viz.categories import category_heatmap, category_order
from netad.viz.curves import pr_figure, roc_figure, score_histogram
from netad.viz.job_figures import job_threshold_lines
from netad.viz.leaderboard import leaderboard_figure
from netad.viz.shap import shap_figure
from netad.viz.style import MODEBAR_REMOVE

log = logging.getLogger(__name__)

_PLOT_CONFIG = {
    "displaylogo": False, "responsive": True, "displayModeBar": "hover",
    "modeBarButtonsToRemove": MODEBAR_REMOVE,
}  # fmt: skip
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px;
       padding: 0 1.5rem 3rem; color: #1d2127; }
h1 { font-size: 1.5rem; margin: 1.2rem 0 0.3rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #d0d4da; padding-bottom: 0.2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
.meta, .note { color: #5f6670; font-size: 0.85rem; } .warn { color: #a4161a; font-weight: 600; }
table { border-collapse: collapse; font-size: 0.82rem; margin: 0.4rem 0 1rem; width: 100%; }
th, td { border-bottom: 1px solid #e3e6ea; padding: 0.2rem 0.6rem; text-align: right; white-space: nowrap; }
th { background: #f0f2f5; } td:first-child, th:first-child { text-align: left; }
td.text, th.text { text-align: left; }
.wrap { overflow-x: auto; } .grid3 { display: grid; grid-template-columns: repeat(3, 1fr); gap: 0.6rem; }
pre { background: #f6f7f9; padding: 0.6rem; font-size: 0.78rem; overflow-x: auto; }
img { max-width: 100%; }
details { margin: 0.2rem 0 1rem; } summary { cursor: pointer; color: #5f6670; font-size: 0.85rem; }
.shap { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; align-items: start; }
"""


def _figure_html(fig: Any, height: int | None = None) -> str:
    import plotly.io

    height = height or int(fig.layout.height or 360)
    return plotly.io.to_html(
        fig, full_html=False, include_plotlyjs=False, config=_PLOT_CONFIG, default_width="100%",
        default_height=f"{height}px",
    )  # fmt: skip


def _table(frame: pd.DataFrame, text_columns: tuple[str, ...] = ()) -> str:
    if frame.empty:
        return '<p class="note">(no rows)</p>'
    head = "".join(f'<th class="{"text" if c in text_columns else ""}">{html.escape(str(c))}</th>' for c in frame)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            cells.append(f'<td class="{"text" if column in text_columns else ""}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _mean_std(mean: Any, std: Any, digits: int = 3) -> str:
    if mean is None or pd.isna(mean):
        return "n/a"
    if std is None or pd.isna(std):  # one seed: no spread measured
        return f"{mean:.{digits}f} (n=1)"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _model(detector: Any, variant: Any) -> str:
    variant = "" if variant is None or pd.isna(variant) else str(variant)
    return str(detector) + (f"[{variant}]" if variant else "")


def _summary_table(board: pd.DataFrame) -> str:
    if board.empty:
        return '<p class="note">(no results)</p>'
    rows = pd.DataFrame({
        "dataset": board["dataset"], "protocol": board["protocol"],
        "detector": [_model(d, v) for d, v in zip(board["detector"], board["variant"], strict=True)],
        "threshold": board["threshold_strategy"].map(lambda s: f"{s} [oracle: test labels]" if s == "oracle" else s),
        "seeds": board["n_seeds"],
    })  # fmt: skip
    for metric, label in (("f1", "F1"), ("precision", "precision"), ("recall", "recall"), ("auroc", "AUROC"),
                          ("auprc", "AUPRC")):  # fmt: skip
        if f"{metric}_mean" in board.columns:
            rows[label] = [
                _mean_std(m, s) for m, s in zip(board[f"{metric}_mean"], board[f"{metric}_std"], strict=True)
            ]
    if "fit_seconds_mean" in board.columns:
        rows["fit s"] = board["fit_seconds_mean"].map(lambda v: f"{v:.2f}")
    return _table(rows, ("dataset", "protocol", "detector", "threshold"))


def _results_table(results: pd.DataFrame) -> str:
    if results.empty:
        return '<p class="note">(no results)</p>'
    rows = pd.DataFrame({
        "dataset": results["dataset"], "detector": [_model(d, v) for d, v in zip(
            results["detector"], results.get("variant", pd.Series([""] * len(results))), strict=True)],
        "seed": results["seed"], "threshold": results["threshold_strategy"],
        "value": results["threshold"].map(lambda v: f"{v:.6g}"),
    })  # fmt: skip
    for column in ("precision", "recall", "f1", "auroc", "auprc"):
        rows[column] = results[column].map(lambda v: "n/a" if pd.isna(v) else f"{v:.4f}")
    for column in ("tp", "fp", "tn", "fn"):
        if column in results.columns:
            rows[column] = results[column].map(lambda v: f"{int(v):,}")
    if "fit_seconds" in results.columns:
        rows["fit s"] = results["fit_seconds"].map(lambda v: f"{v:.2f}")
    return _table(rows, ("dataset", "detector", "threshold"))


def _category_sections(per_category: pd.DataFrame) -> str:
    """One heatmap per (dataset, protocol): categories x (model, threshold strategy); the numbers as a table
    folded under it (open on demand, so the page is not twice as long)."""
    if per_category.empty:
        return '<p class="note">(no per-category rows)</p>'
    parts = []
    for (dataset, protocol), part in per_category.groupby(["dataset", "protocol"], sort=False):
        title = f"{dataset} · {protocol}: detection rate per category (mean over seeds; test rows in brackets)"
        parts.append(f"<h3>{html.escape(title)}</h3>")
        parts.append(_figure_html(category_heatmap(part, "")))
        frame = part.assign(model=[_model(d, v) + f" · {t}" for d, v, t in zip(
            part["detector"], part.get("variant", pd.Series([""] * len(part))), part["threshold_strategy"],
            strict=True)])  # fmt: skip
        table = frame.pivot_table(index="attack_category", columns="model", values="detection_rate", aggfunc="mean")
        rows = frame.groupby("attack_category")["rows"].max()
        order = category_order([], frame)
        table = table.reindex(order)
        shown = pd.DataFrame({"attack category": [("normal (false-positive rate)" if c == "normal" else c)
                                                  for c in table.index],
                              "test rows": [f"{int(rows[c]):,}" for c in table.index]})  # fmt: skip
        for model in table.columns:
            shown[model] = [("" if pd.isna(v) else f"{v:.1%}") for v in table[model]]
        parts.append(f"<details><summary>the same as a table ({len(shown)} categories)</summary>"
                     f"{_table(shown, ('attack category',))}</details>")  # fmt: skip
    return "\n".join(parts)


def _model_figures(run: RunDir) -> str:
    """Histogram, ROC and PR of each model's first seed with saved scores."""
    shown: set[tuple[str, str, str, str]] = set()
    parts = []
    lines = job_threshold_lines(run.results)
    for job in run.jobs:
        model = (job["dataset"], job["protocol"], job["detector"], job["variant"])
        if not job["has_scores"] or model in shown:
            continue
        shown.add(model)
        table = read_scores(run.score_files[job["key"]])
        scores, labels = table["score"].to_numpy(), table["label"].to_numpy()
        thresholds = lines.get(job["key"], [])  # non-finite ones (a failed strategy) are not drawn
        name = f"{job['dataset']} · {job['protocol']} · {_model(job['detector'], job['variant'])} · seed {job['seed']}"
        parts.append(f"<h3>{html.escape(name)}</h3>")
        parts.append(
            f'<p class="note">{len(table):,} test rows ({int((labels == 1).sum()):,} attack); dashed lines: the '
            f"run's thresholds (chosen on validation unless marked oracle).</p>"
        )
        parts.append('<div class="grid3">')
        for fig in (score_histogram(scores, labels, thresholds), roc_figure(scores, labels),
                    pr_figure(scores, labels)):  # fmt: skip
            parts.append(f"<div>{_figure_html(fig, 340)}</div>")
        parts.append("</div>")
    if not parts:
        return '<p class="note">No job saved its scores (run made with --no-scores): no distributions or curves.</p>'
    seeds = sorted({j["seed"] for j in run.jobs})
    note = (f'<p class="note">One seed per model (the first with saved scores; the run has seeds '
            f"{', '.join(map(str, seeds))}); the tables above cover every seed.</p>")  # fmt: skip
    return note + "\n".join(parts)


def _shap_sections(run: RunDir) -> str:
    if not run.explanations:
        return (
            '<p class="note">No <code>netad explain</code> output in this run directory (write one with '
            "<code>netad explain ... --out RUN_DIR/explain-DETECTOR</code>).</p>"
        )
    parts = []
    for explanation in run.explanations:
        c = explanation.context
        where = (
            explanation.path.relative_to(run.path) if explanation.path.is_relative_to(run.path) else explanation.path
        )
        title = f"{c.get('detector')} on {c.get('dataset')} ({c.get('protocol')}, seed {c.get('seed')}) — {where}"
        parts.append(f"<h3>{html.escape(title)}</h3>")
        parts.append(
            f'<p class="note">{html.escape(str(c.get("method")))} SHAP over {c.get("n_alerts")} top test alerts '
            f"({html.escape(str(c.get('threshold_strategy')))} threshold {c.get('threshold')}).</p>"
        )
        top = explanation.mean_abs_shap.sort_values("mean_abs_shap", ascending=False).head(15)
        features = [{"feature": str(r.feature), "mean_abs_shap": float(r.mean_abs_shap)} for r in top.itertuples()]
        parts.append(f'<div class="shap"><div>{_figure_html(shap_figure(features))}</div>')
        png = explanation.path / "shap_summary.png"
        if png.is_file():  # netad explain's own summary plot, beside the interactive one
            encoded = base64.b64encode(png.read_bytes()).decode("ascii")
            parts.append(f'<img alt="SHAP summary plot" src="data:image/png;base64,{encoded}">')
        parts.append("</div>")
    return "\n".join(parts)


def _png_sections(run: RunDir) -> str:
    """The sweep's metric-vs-parameter PNGs (``plots/*.png`` of ``netad sweep``), base64-embedded."""
    parts = []
    for png in sorted((run.path / "plots").glob("*.png")):
        encoded = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<h3>{html.escape(png.name)}</h3>")
        parts.append(f'<img alt="{html.escape(png.stem)}" src="data:image/png;base64,{encoded}">')
    return "\n".join(parts)


def _config_section(run: RunDir) -> str:
    config = run.config
    if not config:
        return '<p class="note">(no config.json)</p>'
    parts = []
    if config.get("command"):
        parts.append(f"<p>command: <code>{html.escape(' '.join(map(str, config['command'])))}</code></p>")
    options = config.get("options", {})
    rows = [{"option": key, "value": json.dumps(value, default=str)} for key, value in options.items()]
    parts.append("<h3>options</h3>" + (_table(pd.DataFrame(rows), ("option", "value")) if rows else "<p>(none)</p>"))
    datasets = config.get("datasets") or {}
    if datasets:
        rows = []
        for name, info in datasets.items():
            sources = "; ".join(f"{Path(str(s.get('path'))).name} sha256 {str(s.get('sha256'))[:16]}…"
                                for s in info.get("sources", []))  # fmt: skip
            rows.append({"dataset": name, "version": info.get("version"), "rows": f"{info.get('rows', 0):,}",
                         "features": info.get("features"), "attacks": f"{info.get('attacks', 0):,}",
                         "sources": sources})  # fmt: skip
        parts.append("<h3>datasets</h3>" + _table(pd.DataFrame(rows), ("dataset", "version", "sources")))
    splits = config.get("splits") or {}
    if splits:
        rows = [{"split": name, **{k: f"{v:,}" for k, v in (info.get("sizes") or {}).items()}}
                for name, info in splits.items()]  # fmt: skip
        parts.append("<h3>splits (rows)</h3>" + _table(pd.DataFrame(rows), ("split",)))
    versions = config.get("versions") or {}
    if versions:
        parts.append("<h3>versions</h3>" + _table(pd.DataFrame([versions]), tuple(versions)))
    return "\n".join(parts)


def build_report(run_dir: str | Path) -> str:
    """The report's HTML text (see the module docstring)."""
    import plotly.offline

    run = load_run(run_dir)
    board = leaderboard([run])
    config = run.config
    from netad import __version__

    title = f"netad run report — {run.name}"
    meta = [f"run directory {run.path.resolve()}", f"report written {dt.datetime.now().isoformat(timespec='seconds')}"
            f" by netad {__version__}"]  # fmt: skip
    if config.get("started_utc"):
        meta.append(
            f"run started {config['started_utc'][:19]} UTC, finished {str(config.get('finished_utc'))[:19]} UTC"
        )
    warnings = []
    if config.get("oracle_thresholds_used"):
        warnings.append("Some thresholds are 'oracle': chosen on the test labels; they are upper bounds, not results.")
    for error in config.get("errors") or []:
        warnings.append(f"job {error.get('job')} failed: {error.get('error')}")
    sections = [
        ("Leaderboard", _figure_html(leaderboard_figure(board), 420) + _summary_table(board)),
        ("Results per seed", _results_table(run.results)),
        ("Detection rate per attack category", _category_sections(run.per_category)),
        ("Score distributions and curves", _model_figures(run)),
        *([("Sweep plots", sweep_plots)] if (sweep_plots := _png_sections(run)) else []),
        ("SHAP explanations", _shap_sections(run)),
        ("Configuration", _config_section(run)),
    ]
    body = "\n".join(f"<section><h2>{html.escape(name)}</h2>\n{content}</section>" for name, content in sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
{"".join(f'<p class="meta">{html.escape(m)}</p>' for m in meta)}
{"".join(f'<p class="warn">{html.escape(w)}</p>' for w in warnings)}
{body}
</body>
</html>
"""


def write_report(run_dir: str | Path, out: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write the report of ``run_dir`` to ``out`` (default ``run_dir/report.html``); refuses to replace an
    existing file unless ``overwrite``."""
    out = Path(out) if out is not None else Path(run_dir) / "report.html"
    if out.is_dir() and not out.is_symlink():
        raise NetadInputError(f"{out} is a directory; give a file name such as {out / 'report.html'}")
    if out.parent.is_dir():  # refuse a link or an existing file before the (slow) build
        check_output(out, overwrite=overwrite, what="report")
    text = build_report(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, text, overwrite=overwrite, what="report")
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out


__all__ = ["build_report", "write_report"]
