"""The run directory of ``netad bench`` / ``netad sweep``: one writer and one reader.

``results.csv`` (one row per dataset, protocol, detector, seed and threshold strategy), ``summary.csv`` (mean and
std over seeds), ``per_category.csv``, ``config.json`` (options, jobs, dataset checksums, splits, versions,
errors, warnings) and ``scores/<job>.parquet`` (test score, label, attack_category per row). The benchmark runner
writes it through this module; the dashboard and the report read it through :func:`load_run`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.files import atomic_path, write_bytes, write_text
from netad.pipeline import Job

log = logging.getLogger(__name__)

METRICS = (
    "precision", "recall", "f1", "f2", "accuracy", "auroc", "auprc", "fit_seconds", "score_seconds",
    # zero-shot splits only (netad.bench.job.ZERO_SHOT_METRICS): known-attack and unseen-family views of test
    "known_precision", "known_recall", "known_f1", "known_auroc", "known_balanced_f1",
    "zero_shot_precision", "zero_shot_recall", "zero_shot_f1", "zero_shot_auroc", "zero_shot_auprc",
    "zero_shot_balanced_precision", "zero_shot_balanced_recall", "zero_shot_balanced_f1",
)  # fmt: skip
GROUP = ["dataset", "protocol", "detector", "variant", "threshold_strategy"]


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per (dataset, protocol, detector, threshold_strategy)."""
    if results.empty:
        return pd.DataFrame(columns=GROUP + ["n_seeds"])
    present = [m for m in METRICS if m in results.columns]
    grouped = results.groupby(GROUP, sort=False)
    mean = grouped[present].mean().add_suffix("_mean")
    std = grouped[present].std(ddof=1).add_suffix("_std")  # NaN for one seed: no spread was measured
    summary = pd.concat([mean, std], axis=1)
    summary.insert(0, "n_seeds", grouped.size())
    columns = ["n_seeds"] + [f"{m}_{s}" for m in present for s in ("mean", "std")]
    return summary[columns].reset_index()


def prepare_run_dir(out: str | Path | None, overwrite: bool, name_hint: str) -> Path:
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{stamp}-{name_hint}"
    run_dir = Path(out)
    if run_dir.exists() and any(run_dir.iterdir()) and not overwrite:
        raise NetadInputError(
            f"output directory {run_dir} exists and is not empty; choose another --out or pass --overwrite"
        )
    if overwrite and run_dir.is_dir():
        clear_previous_run(run_dir)
    (run_dir / "scores").mkdir(parents=True, exist_ok=True)
    return run_dir


RUN_FILES = ("results.csv", "summary.csv", "per_category.csv", "config.json")
RUN_DIRS = ("scores", "figures")


def clear_previous_run(run_dir: Path) -> None:
    """Remove what an earlier run wrote here (and only that), so no stale score file outlives an overwrite."""
    import shutil

    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for name in RUN_DIRS:
        if (run_dir / name).is_dir():
            shutil.rmtree(run_dir / name)


def write_tables(
    run_dir: Path, results: pd.DataFrame, summary: pd.DataFrame, per_category: pd.DataFrame, config: dict[str, Any]
) -> None:
    """The run's tables and ``config.json``, each written atomically (never through a link; the run directory was
    emptied of an earlier run's files by :func:`prepare_run_dir`, so nothing of someone else's is replaced)."""
    for name, table in (("results.csv", results), ("summary.csv", summary), ("per_category.csv", per_category)):
        with atomic_path(run_dir / name, what="run table") as temporary:
            table.to_csv(temporary, index=False)
    write_text(run_dir / "config.json", json.dumps(config, indent=2, default=str), what="run config")


def write_scores(scores_dir: str | Path, key: str, table: pd.DataFrame) -> None:
    """``scores/<key>.parquet``: one job's test scores with label and attack category."""
    with atomic_path(Path(scores_dir) / f"{key}.parquet", what="score file") as temporary:
        table.to_parquet(temporary, index=False)


def write_score_bytes(scores_dir: str | Path, key: str, data: bytes) -> None:
    """``scores/<key>.parquet`` from parquet bytes a remote worker produced (the ray backend)."""
    write_bytes(Path(scores_dir) / f"{key}.parquet", data, what="score file")


def read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def job_key(row: Any) -> str:
    """The ``scores/<key>.parquet`` name of a results/per_category/summary row (seed required)."""
    variant = row.get("variant", "") if isinstance(row, dict) else getattr(row, "variant", "")
    variant = "" if variant is None or (isinstance(variant, float) and math.isnan(variant)) else str(variant)
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return Job(str(get("dataset")), str(get("protocol")), str(get("detector")), int(get("seed")), variant=variant).key


def variant_label(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


@dataclass
class ExplainOutput:
    """A ``netad explain`` output folder found inside a run directory."""

    path: Path
    context: dict[str, Any]
    mean_abs_shap: pd.DataFrame

    def matches(self, dataset: str, protocol: str, detector: str) -> bool:
        c = self.context
        return (c.get("dataset"), c.get("protocol"), c.get("detector")) == (dataset, protocol, detector)


@dataclass
class RunDir:
    """A benchmark run directory, read once: tables, config, score files and any ``netad explain`` output."""

    path: Path
    config: dict[str, Any]
    results: pd.DataFrame
    summary: pd.DataFrame
    per_category: pd.DataFrame
    score_files: dict[str, Path]
    explanations: list[ExplainOutput] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @cached_property
    def jobs(self) -> list[dict[str, Any]]:
        """One entry per job with a results.csv row or a score file: key, dataset, protocol, detector, variant,
        seed and whether scores were saved (needed for the per-job views)."""
        entries: dict[str, dict[str, Any]] = {}
        if not self.results.empty:
            for row in self.results.to_dict("records"):
                key = job_key(row)
                entries.setdefault(key, {
                    "key": key, "dataset": str(row["dataset"]), "protocol": str(row["protocol"]),
                    "detector": str(row["detector"]), "variant": variant_label(row.get("variant")),
                    "seed": int(row["seed"]),
                })  # fmt: skip
        for key in self.score_files:
            if key not in entries:
                parts = key.split("__")
                seed = parts[-1].removeprefix("seed")
                entries[key] = {
                    "key": key, "dataset": parts[0], "protocol": parts[1] if len(parts) > 3 else "",
                    "detector": parts[-2] if len(parts) > 2 else key, "variant": "",
                    "seed": int(seed) if seed.isdigit() else 0,
                }  # fmt: skip
        for key, entry in entries.items():
            entry["has_scores"] = key in self.score_files
        return sorted(entries.values(), key=lambda e: (e["dataset"], e["protocol"], e["detector"], e["variant"],
                                                         e["seed"]))  # fmt: skip

    def job(self, key: str) -> dict[str, Any]:
        for entry in self.jobs:
            if entry["key"] == key:
                return entry
        raise NetadInputError(f"{self.path}: no job {key!r}; jobs: {', '.join(e['key'] for e in self.jobs)}")


def load_run(path: str | Path) -> RunDir:
    """Read a run directory; raises :class:`NetadInputError` naming the directory when it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise NetadInputError(f"{path}: not a directory (give a run directory written by `netad bench`)")
    if not (path / "results.csv").is_file() and not (path / "summary.csv").is_file():
        raise NetadInputError(
            f"{path}: not a benchmark run directory (no results.csv or summary.csv); run `netad bench --out {path}`"
        )
    config: dict[str, Any] = {}
    if (path / "config.json").is_file():
        try:
            config = json.loads((path / "config.json").read_text())
        except json.JSONDecodeError as exc:
            raise NetadInputError(f"{path / 'config.json'}: not valid JSON ({exc})") from None
    results = read_csv(path / "results.csv")
    summary = read_csv(path / "summary.csv")
    if summary.empty and not results.empty:
        summary = summarise(results)
    score_files = {p.stem: p for p in sorted((path / "scores").glob("*.parquet"))}
    return RunDir(
        path=path,
        config=config,
        results=results,
        summary=summary,
        per_category=read_csv(path / "per_category.csv"),
        score_files=score_files,
        explanations=find_explanations(path),
    )


def find_explanations(run_dir: Path) -> list[ExplainOutput]:
    """``netad explain`` output folders (``alerts.json`` + ``mean_abs_shap.csv``) anywhere under ``run_dir``."""
    found = []
    for alerts in sorted(run_dir.rglob("alerts.json")):
        table_path = alerts.parent / "mean_abs_shap.csv"
        if not table_path.is_file():
            continue
        try:
            document = json.loads(alerts.read_text())
            table = pd.read_csv(table_path)
        except (json.JSONDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            log.warning("%s: unreadable SHAP output skipped (%s)", alerts.parent, exc)
            continue
        if not {"feature", "mean_abs_shap"} <= set(table.columns):
            log.warning("%s: mean_abs_shap.csv lacks feature/mean_abs_shap columns; skipped", alerts.parent)
            continue
        context = {k: v for k, v in document.items() if k != "alerts"}
        found.append(ExplainOutput(alerts.parent, context, table))
    return found


def read_scores(path: Path) -> pd.DataFrame:
    """A ``scores/<job>.parquet`` table with checked columns: score (float64), label (int8), attack_category."""
    table = pd.read_parquet(path)
    missing = [c for c in ("score", "label") if c not in table.columns]
    if missing:
        raise NetadInputError(f"{path}: missing column(s) {missing}; expected score, label, attack_category")
    out = pd.DataFrame({
        "score": table["score"].to_numpy(dtype=np.float64),
        "label": table["label"].to_numpy().astype(np.int8),
        "attack_category": (table["attack_category"].fillna("(missing)").astype("category") if "attack_category"
                            in table.columns else np.where(table["label"].to_numpy() == 1, "attack", "normal")),
    })  # fmt: skip
    return out
