"""A local web dashboard over benchmark run directories: leaderboard, score histograms, ROC/PR curves, a
threshold slider with live precision/recall/F1 and confusion matrix, per-category detection rates, SHAP.

``netad dashboard RUN_DIR ...`` serves it (stdlib ``http.server``, plotly.js from the ``plotly`` package: no
CDN, works offline). Needs the extra: ``pip install "netad[dashboard]"``.

>>> from netad.dashboard import load_run, job_payload                         # doctest: +SKIP
>>> run = load_run("runs/demo")                                                # doctest: +SKIP
>>> payload = job_payload(run, run.jobs[0]["key"])                             # doctest: +SKIP
"""

from __future__ import annotations

from netad.dashboard.data import (
    DEFAULT_MAX_POINTS,
    RunDir,
    index_payload,
    job_payload,
    leaderboard,
    load_run,
    sample_metrics,
    stratified_sample,
)

__all__ = [
    "DEFAULT_MAX_POINTS",
    "RunDir",
    "index_payload",
    "job_payload",
    "leaderboard",
    "load_run",
    "sample_metrics",
    "stratified_sample",
]
