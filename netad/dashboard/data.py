"""What the dashboard and the report show, read from benchmark run directories (``netad bench`` / ``netad sweep``).

A run directory (written and read by :mod:`netad.runs`) holds ``results.csv``, ``summary.csv``, ``per_category.csv``,
``config.json`` and ``scores/<job>.parquet`` (test score, label, attack_category per row). This module turns it
into JSON-ready payloads:

- :func:`index_payload`: every run, its jobs, and the leaderboard (``summary.csv`` rows of all runs);
- :func:`job_payload`: one (dataset, protocol, detector, seed) job: its ``results.csv`` rows (one per threshold
  strategy), its ``per_category.csv`` rows, SHAP top features if ``netad explain`` output lies in the run
  directory, the score sample the browser computes live metrics from, and the Plotly figures.

The score sample. A test set can hold millions of rows, so the browser gets at most ``max_points`` of them
(default 5,000), drawn without replacement, stratified by attack category with proportional allocation
(largest-remainder rounding, seeded): the sample keeps the test set's class balance and category mix to
within one row per category, so precision, recall and F1 at a threshold are unbiased, unweighted estimates
of the full-test values. A category too rare to get a row is absent from the sample (its full-test
detection rate at the run's thresholds is still shown, from ``per_category.csv``). When the test set has at
most ``max_points`` rows the sample is the whole test set. The live threshold-slider numbers are exactly
:func:`netad.metrics.binary_metrics` on this sample (:func:`sample_metrics`); the histogram, ROC and PR curves
are drawn from every test row.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.runs import (  # noqa: F401 (re-exported: the dashboard's view of a run directory)
    ExplainOutput,
    RunDir,
    find_explanations,
    job_key,
    load_run,
    read_csv,
    read_scores,
    variant_label,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_POINTS = 5000
"""Score-sample size per job sent to the browser (see the module docstring)."""

SAMPLE_SEED = 0
_FLOAT_MAX = float(np.finfo(np.float64).max)
_TOP_SHAP = 15


def _clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN/inf -> None, numpy scalars -> Python, pandas NA -> None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-safe dicts."""
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def stratified_sample(
    categories: np.ndarray | pd.Series, max_points: int, random_state: int = SAMPLE_SEED
) -> np.ndarray:
    """Sorted row indices of a proportional stratified sample of at most ``max_points`` rows.

    Each category gets ``max_points * n_category / n`` rows, rounded by largest remainder so the total is
    exactly ``max_points``; all rows when there are at most ``max_points``.
    """
    n = len(categories)
    if max_points < 1:
        raise NetadInputError(f"max_points must be >= 1, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    series = pd.Series(categories)
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(str)
    inverse, _ = pd.factorize(series, sort=True)  # hashing, not sorting strings: fast on millions of rows
    counts = np.bincount(inverse)
    quota = counts * (max_points / n)
    take = np.floor(quota).astype(np.int64)
    short = max_points - int(take.sum())
    take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    rng = np.random.default_rng(random_state)
    chosen = [rng.choice(np.flatnonzero(inverse == i), size=int(k), replace=False) for i, k in enumerate(take) if k > 0]
    return np.sort(np.concatenate(chosen))


def _finite_scores(scores: np.ndarray, where: str) -> np.ndarray:
    """Scores as JSON-representable floats: +-inf -> +-float max, NaN -> -float max (never above a threshold,
    as in :func:`netad.metrics.binary_metrics`, where ``NaN > t`` is False)."""
    bad = ~np.isfinite(scores)
    if bad.any():
        log.warning("%s: %d non-finite scores shown as +-%.3g (NaN as never flagged)", where, bad.sum(), _FLOAT_MAX)
        scores = np.where(np.isnan(scores), -_FLOAT_MAX, np.clip(scores, -_FLOAT_MAX, _FLOAT_MAX))
    return scores


def score_sample(table: pd.DataFrame, max_points: int, where: str = "scores") -> dict[str, Any]:
    """The browser's score sample of one job, sorted by score (see the module docstring)."""
    index = stratified_sample(table["attack_category"], max_points)
    part = table.iloc[index]
    scores = _finite_scores(part["score"].to_numpy(dtype=np.float64), where)
    order = np.argsort(scores, kind="stable")
    categories = part["attack_category"].to_numpy().astype(str)[order]
    names, codes = np.unique(categories, return_inverse=True)
    return {
        "n": int(len(index)),
        "n_test": int(len(table)),
        "method": (
            "all test rows"
            if len(index) == len(table)
            else f"{len(index):,} of {len(table):,} test rows, stratified by attack category (proportional, seed "
            f"{SAMPLE_SEED})"
        ),  # fmt: skip
        "scores": scores[order].tolist(),
        "labels": part["label"].to_numpy().astype(int)[order].tolist(),
        "category_codes": codes.astype(int).tolist(),
        "categories": names.tolist(),
    }


def sample_metrics(sample: dict[str, Any], threshold: float) -> dict[str, float]:
    """:func:`netad.metrics.binary_metrics` on a job's score sample: what the dashboard's slider shows."""
    from netad.metrics import binary_metrics

    return binary_metrics(np.asarray(sample["labels"]), np.asarray(sample["scores"]), threshold)


def _rows_of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    if frame.empty or "seed" not in frame.columns:
        return frame.iloc[0:0]
    keys = [job_key(row) for row in frame.to_dict("records")]
    return frame[np.asarray(keys) == key]


def shap_for(run: RunDir, job: dict[str, Any], top: int = _TOP_SHAP) -> dict[str, Any] | None:
    """Top mean-|SHAP| features of the job's (dataset, protocol, detector), preferring the same seed."""
    matching = [e for e in run.explanations if e.matches(job["dataset"], job["protocol"], job["detector"])]
    if not matching:
        return None
    best = next((e for e in matching if e.context.get("seed") == job["seed"]), matching[0])
    table = best.mean_abs_shap.sort_values("mean_abs_shap", ascending=False, kind="stable").head(top)
    return {
        "path": str(best.path.relative_to(run.path)) if best.path.is_relative_to(run.path) else str(best.path),
        "seed": _clean(best.context.get("seed")),
        "same_seed": best.context.get("seed") == job["seed"],
        "method": best.context.get("method"),
        "n_alerts": _clean(best.context.get("n_alerts")),
        "threshold_strategy": best.context.get("threshold_strategy"),
        "features": records(table[[c for c in ("feature", "mean_abs_shap", "mean_shap") if c in table.columns]]),
    }


def job_payload(run: RunDir, key: str, max_points: int = DEFAULT_MAX_POINTS, run_id: int = 0) -> dict[str, Any]:
    """Everything the dashboard shows for one job (JSON-ready; see the module docstring)."""
    from netad.viz.categories import category_figure
    from netad.viz.curves import pr_figure, roc_figure, score_histogram
    from netad.viz.scores import uses_log_x
    from netad.viz.shap import shap_figure

    job = run.job(key)
    if key not in run.score_files:
        raise NetadInputError(f"{run.path}: job {key} has no scores/{key}.parquet (run made with --no-scores)")
    table = read_scores(run.score_files[key])
    results = _rows_of(run.results, key)
    thresholds = [
        {k: _clean(row.get(k)) for k in ("threshold_strategy", "threshold_source", "threshold", "precision", "recall",
                                         "f1", "f2", "accuracy", "auroc", "auprc", "tp", "fp", "tn", "fn")}
        for row in results.to_dict("records")
    ]  # fmt: skip
    per_category = _rows_of(run.per_category, key)
    sample = score_sample(table, max_points, where=str(run.score_files[key]))
    scores = table["score"].to_numpy()
    labels = table["label"].to_numpy()
    run_thresholds = [(t["threshold_strategy"], t["threshold"]) for t in thresholds if t["threshold"] is not None]
    shap = shap_for(run, job)
    return {
        "run": run_id,
        "run_name": run.name,
        **job,
        "n_test": int(len(table)),
        "n_attack": int((labels == 1).sum()),
        "n_normal": int((labels == 0).sum()),
        "log_x": bool(uses_log_x(scores)),
        "thresholds": thresholds,
        "per_category": records(per_category[["threshold_strategy", "attack_category", "rows", "detection_rate"]])
        if not per_category.empty
        else [],
        "shap": shap,
        "sample": sample,
        "figures": {
            "histogram": score_histogram(scores, labels, run_thresholds, slider=True).to_plotly_json(),
            "roc": roc_figure(scores, labels, marker=True).to_plotly_json(),
            "pr": pr_figure(scores, labels, marker=True).to_plotly_json(),
            "categories": category_figure(
                sample, per_category, run_thresholds[0][1] if run_thresholds else None
            ).to_plotly_json(),
            **({"shap": shap_figure(shap["features"]).to_plotly_json()} if shap else {}),
        },
    }


def leaderboard(runs: list[RunDir]) -> pd.DataFrame:
    """``summary.csv`` rows of every run, with the run's index and name, best F1 first per dataset."""
    frames = []
    for i, run in enumerate(runs):
        if run.summary.empty:
            continue
        frame = run.summary.copy()
        frame.insert(0, "run", i)
        frame.insert(1, "run_name", run.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run", "run_name", "dataset", "protocol", "detector", "variant"])
    board = pd.concat(frames, ignore_index=True)
    if "variant" not in board.columns:
        board["variant"] = ""
    board["variant"] = board["variant"].map(variant_label)
    sort = [c for c in ("dataset", "protocol", "threshold_strategy") if c in board.columns]
    if "f1_mean" in board.columns:
        return board.sort_values(sort + ["f1_mean"], ascending=[True] * len(sort) + [False]).reset_index(drop=True)
    return board.sort_values(sort).reset_index(drop=True)


def index_payload(runs: list[RunDir]) -> dict[str, Any]:
    """The dashboard's first request: runs, their jobs, the leaderboard rows and figure."""
    from netad import __version__
    from netad.viz.leaderboard import leaderboard_figure

    board = leaderboard(runs)
    return {
        "netad_version": __version__,
        "runs": [
            {
                "id": i,
                "name": run.name,
                "path": str(run.path),
                "protocol": (run.config.get("options") or {}).get("protocol"),
                "started_utc": run.config.get("started_utc"),
                "oracle_thresholds_used": bool(run.config.get("oracle_thresholds_used")),
                "errors": run.config.get("errors") or [],
                "jobs": run.jobs,
                "n_explanations": len(run.explanations),
            }
            for i, run in enumerate(runs)
        ],
        "leaderboard": records(board),
        "figures": {"leaderboard": leaderboard_figure(board).to_plotly_json()},
    }


def to_json(payload: Any) -> str:
    """Strict JSON (no NaN/Infinity, which browsers reject) via Plotly's encoder (numpy arrays, typed arrays)."""
    import plotly.io

    return plotly.io.json.to_json_plotly(payload)
