"""UNSW-NB15: the deep reconstruction family (AE, VAE, beta-VAE) against the classical detectors.

    python benchmarks/unsw_nb15.py            # the benchmark -> benchmarks/results/unsw_nb15.md and .csv
    python benchmarks/unsw_nb15.py --tune     # validation-only AE sweep on seed 0 (run before the benchmark)
    python benchmarks/unsw_nb15.py --quick    # smoke test: 1 seed, 2 epochs, 3,000 training rows
    python benchmarks/unsw_nb15.py --report-only   # re-write the report from the last run's directories

Only the 82,332-row partition of UNSW-NB15 is in /work/shared/data (the official *testing* set, distributed
under the name ``training-set``; see its MANIFEST), so the ``novelty`` protocol cuts it into a seeded stratified
60/20/20 train/validation/test split by attack category; detectors fit on the training normals only.

Two protocols, seeds 0, 1, 2; per protocol two ``netad.bench.run`` calls (every detector on the chosen
preprocessing, then the classical detectors again on standard scaling), n_jobs=2, one torch thread per job, run
directories under benchmarks/work/unsw_nb15/ (git-ignored). About 8-9 min on 2 busy cores:

(a) ``novelty`` as is: test = 7,400 normals + 9,066 attacks (55% attacks);
(b) seed-like: ``novelty`` with ``test_attack_fraction=0.0223``, the seed's test composition (2,856 attacks in
    128,158 rows = 2.23%): every test normal is kept and attacks are subsampled, stratified by attack category,
    to 2.23% of the rows (169 attacks + 7,400 normals); the validation split is thinned the same way, so a
    best-F1 threshold tuned there meets the same prevalence in test. Training rows are identical in (a) and (b).

Thresholds p99 and p95 (percentiles of the validation normals' scores) and best-f1 (F1-optimal on the labelled
validation split): never chosen on the test set.

``--tune`` fits AutoEncoder variants on the seed-0 split and scores its *validation* rows only (full validation
and the thinned one of protocol (b)); the test rows of seed 0 are never scored. The chosen settings are
``AE_PARAMS``/``PREPROCESS`` below. Its table goes to benchmarks/work/unsw_nb15/tuning.csv and into the report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "unsw_nb15"
RESULTS = HERE / "results"
DATASET = "unsw-nb15"
SEEDS = [0, 1, 2]
SEED_LIKE_FRACTION = 0.0223  # the seed's test set: 2,856 attacks / 128,158 rows
THRESHOLDS = "p99,p95,best-f1"
DEEP = ["autoencoder", "vae", "beta-vae"]
CLASSICAL = ["iforest", "ocsvm", "lof", "elliptic", "pca"]

# The seed's published test figures (its README; test = 128,158 rows, 2.23% attacks, from the full dataset).
SEED_RESULTS = {
    "autoencoder": {"precision": 0.60896, "recall": 0.98529, "f1": 0.7527, "auroc": 0.9908},
    "ocsvm": {"precision": 0.55390, "recall": 0.54517, "f1": 0.5495, "auroc": 0.7676},
    "iforest": {"precision": 0.32598, "recall": 0.21218, "f1": 0.2571, "auroc": 0.6011},
    "elliptic": {"precision": 0.43888, "recall": 0.34069, "f1": 0.3836, "auroc": 0.6654},
    "lof": {"precision": 0.55393, "recall": 0.54307, "f1": 0.5484, "auroc": 0.7666},
}
GOAL_F1, GOAL_AUROC = 0.75, 0.99
FAIR_NOTE = (
    "Goal 1 compares the AE, tuned on validation rows, with classical detectors that were not tuned. "
    "`benchmarks/results/unsw_nb15_fair.md` (`benchmarks/unsw_nb15_fair.py`) gives every classical detector "
    "the AE's tuning budget on the same validation rows, and compares untuned with untuned (issue #14)."
)

ONE_THREAD = {"n_threads": 1}
# Chosen by the validation-only sweep (--tune 1..3; see the report): robust scaling after log1p, a wider encoder
# and a higher learning rate. The unknown-category indicator is FlowPreprocessor's default (on).
PREPROCESS: dict[str, Any] = {"log1p": True, "scaler": "robust"}
AE_PARAMS: dict[str, Any] = {"hidden": (256, 128), "lr": 3e-3}
# The classical detectors are also run on log1p + *standard* scaling (FlowPreprocessor's default scaler): the
# robust scaler was chosen for the AE, and OCSVM in particular suffers from it. Goal 1 compares the AE with the
# better of the two for every classical detector.
STANDARD_PREPROCESS: dict[str, Any] = {"log1p": True}
STANDARD_SUFFIX = " (standard)"
STANDARD_TAG = "_classical_standard"  # run-directory suffix of those runs
CLASSICAL_ALL = CLASSICAL + [c + STANDARD_SUFFIX for c in CLASSICAL]


# -- tuning: validation rows of the seed-0 split only ----------------------------------------------------
def tuning_variants(round_: int) -> list[dict[str, Any]]:
    """Round 1: one factor at a time around the AutoEncoder defaults + log1p. Round 2: the best of round 1
    (by validation AUROC: robust scaling, lr 3e-3; longer training and a wider net close behind) combined.
    Round 3: around the best of round 2 (robust scaling, hidden 128-64, lr 3e-3)."""

    def variant(name: str, params: dict[str, Any] | None = None, **preprocess: Any) -> dict[str, Any]:
        return {"name": name, "params": dict(params or {}), "preprocess": {"log1p": True, **preprocess}}

    if round_ == 1:
        return [
            variant("defaults + log1p (base)"),
            variant("no log1p", log1p=False),
            variant("no unknown indicator", unknown_indicator=False),
            variant("minmax scaler", scaler="minmax"),
            variant("robust scaler", scaler="robust"),
            variant("bottleneck 4", {"bottleneck": 4}),
            variant("bottleneck 8", {"bottleneck": 8}),
            variant("bottleneck 32", {"bottleneck": 32}),
            variant("hidden 32 (shallow)", {"hidden": (32,)}),
            variant("hidden 128-64", {"hidden": (128, 64)}),
            variant("tanh", {"activation": "tanh"}),
            variant("elu", {"activation": "elu"}),
            variant("dropout 0.1", {"dropout": 0.1}),
            variant("loss mae", {"loss": "mae"}),
            variant("loss mixed", {"loss": "mixed"}),
            variant("epochs 150, patience 20", {"epochs": 150, "patience": 20}),
            variant("lr 3e-3", {"lr": 3e-3}),
            variant("batch 64", {"batch_size": 64}),
            variant("adamw wd 1e-4", {"optimizer": "adamw", "weight_decay": 1e-4}),
        ]
    fast = {"lr": 3e-3}
    long = {"epochs": 150, "patience": 20}
    if round_ == 3:
        wide = {"hidden": (128, 64), **fast}
        return [
            variant("robust + 128-64 + lr 3e-3", wide, scaler="robust"),
            variant("robust + 256-128 + lr 3e-3", {**wide, "hidden": (256, 128)}, scaler="robust"),
            variant("robust + 128-64 + lr 3e-3, bottleneck 8", {**wide, "bottleneck": 8}, scaler="robust"),
            variant("robust + 128-64 + lr 3e-3, bottleneck 32", {**wide, "bottleneck": 32}, scaler="robust"),
            variant("robust + 128-64 + lr 1e-2", {**wide, "lr": 1e-2}, scaler="robust"),
            variant("robust + 128-64 + lr 3e-3, 25 epochs", {**wide, "epochs": 25}, scaler="robust"),
            variant("robust + 128-64 + lr 3e-3, 100 epochs", {**wide, "epochs": 100}, scaler="robust"),
        ]
    return [
        variant("defaults + log1p (base)"),
        variant("robust", scaler="robust"),
        variant("robust, no log1p", scaler="robust", log1p=False),
        variant("robust + lr 3e-3", fast, scaler="robust"),
        variant("robust + lr 3e-3 + 150 ep/pat 20", {**fast, **long}, scaler="robust"),
        variant("robust + 128-64", {"hidden": (128, 64)}, scaler="robust"),
        variant("robust + 128-64 + lr 3e-3", {"hidden": (128, 64), **fast}, scaler="robust"),
        variant("robust + tanh", {"activation": "tanh"}, scaler="robust"),
        variant("robust + batch 64", {"batch_size": 64}, scaler="robust"),
        variant("lr 3e-3 + 150 ep/pat 20", {**fast, **long}),
        variant("minmax + lr 3e-3", fast, scaler="minmax"),
    ]


def _tune_one(variant: dict[str, Any], model_seed: int, split_seed: int, max_train: int | None) -> dict[str, Any]:
    from netad import metrics
    from netad.datasets import load
    from netad.detectors import make
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split
    from netad.thresholds import best_f1_threshold

    dataset = load(DATASET)
    full = make_split(dataset, "novelty", seed=split_seed, max_train=max_train)
    thin = make_split(dataset, "novelty", seed=split_seed, max_train=max_train, test_attack_fraction=SEED_LIKE_FRACTION)
    if not np.array_equal(full.train.rows, thin.train.rows):
        raise RuntimeError("protocols (a) and (b) must share their training rows")
    frame, _ = full.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset, **variant["preprocess"]).fit(frame)
    X = pre.transform(frame)
    params = {**ONE_THREAD, **variant["params"], "random_state": model_seed}
    started = time.perf_counter()
    detector = make("autoencoder", **params).fit(X)
    fit_seconds = time.perf_counter() - started
    row: dict[str, Any] = {
        "variant": variant["name"],
        "model_seed": model_seed,
        "n_features": X.shape[1],
        "epochs_run": detector.n_epochs_,
        "best_epoch": detector.best_epoch_,
        "fit_seconds": round(fit_seconds, 1),
    }
    for tag, part in (("val", full.validation), ("val_thin", thin.validation)):
        scores = detector.decision_function(pre.transform(part.features))
        normal = scores[part.label == 0]
        m = metrics.binary_metrics(part.label, scores, float(np.percentile(normal, 99)))
        best = metrics.binary_metrics(part.label, scores, best_f1_threshold(scores, part.label))
        row.update(
            {
                f"{tag}_auroc": m["auroc"],
                f"{tag}_auprc": m["auprc"],
                f"{tag}_f1_p99": m["f1"],
                f"{tag}_f1_best": best["f1"],
            }
        )
    return row


def tune(
    round_: int, model_seeds: list[int], split_seed: int = 0, max_train: int | None = None, n_jobs: int = 2
) -> pd.DataFrame:
    """Fit every variant per model seed on the split of ``split_seed``; metrics on its validation rows only."""
    from joblib import Parallel, delayed

    variants = tuning_variants(round_)
    rows = Parallel(n_jobs=n_jobs, verbose=5)(
        delayed(_tune_one)(v, s, split_seed, max_train) for v in variants for s in model_seeds
    )
    table = pd.DataFrame(rows)
    metric_columns = [c for c in table.columns if c.startswith("val")] + ["epochs_run", "fit_seconds"]
    summary = table.groupby("variant", sort=False)[metric_columns].mean()
    summary.insert(0, "n_model_seeds", table.groupby("variant", sort=False).size())
    return summary.reset_index()


# -- the benchmark ----------------------------------------------------------------------------------------
PROTOCOLS: dict[str, dict[str, Any]] = {
    "a": {"title": "(a) novelty", "dir": "a_novelty", "options": {}},
    "b": {
        "title": f"(b) seed-like: novelty, test_attack_fraction={SEED_LIKE_FRACTION}",
        "dir": "b_seed_like",
        "options": {"test_attack_fraction": SEED_LIKE_FRACTION},
    },
}


def detector_params(quick: bool) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {
        "autoencoder": {**AE_PARAMS, **ONE_THREAD},
        "vae": {**ONE_THREAD},
        "beta-vae": {**ONE_THREAD},
    }
    if quick:
        for name in DEEP:
            params[name]["epochs"] = 2
    return params


def run_protocol(
    key: str, quick: bool, n_jobs: int, detectors: list[str], preprocess: dict[str, Any], tag: str = ""
) -> dict[str, Any]:
    """One ``netad.bench.run`` of ``detectors`` under protocol ``key``; returns its frames and wall time."""
    from netad.bench import run

    spec = PROTOCOLS[key]
    started = time.perf_counter()
    folder = ("quick_" if quick else "") + spec["dir"] + tag

    def on_done(job: Any, result: Any) -> None:
        state = "FAILED " + str(result.error) if result.error else "done"
        print(f"  [{folder}] {job.detector} seed {job.seed}: {state}", file=sys.stderr, flush=True)

    result = run(
        DATASET,
        detectors,
        seeds=[0] if quick else SEEDS,
        protocol="novelty",
        threshold=THRESHOLDS,
        out=WORK / folder,
        detector_params={k: v for k, v in detector_params(quick).items() if k in detectors},
        protocol_options=spec["options"],
        preprocess=preprocess,
        max_train=3000 if quick else None,
        n_jobs=n_jobs,
        overwrite=True,
        on_done=on_done,
    )
    if result.errors:
        raise RuntimeError(f"{len(result.errors)} jobs failed: {result.errors}")
    config = json.loads((result.run_dir / "config.json").read_text())
    return {
        "results": result.results,
        "summary": result.summary,
        "per_category": result.per_category,
        "splits": config["splits"],
        "run_dir": result.run_dir,
        "seconds": time.perf_counter() - started,
        "versions": config["versions"],
    }


def load_protocol(key: str, quick: bool, tag: str = "") -> dict[str, Any]:
    """A finished run directory read back (for ``--report-only``), in the shape ``run_protocol`` returns."""
    folder = WORK / (("quick_" if quick else "") + PROTOCOLS[key]["dir"] + tag)
    config = json.loads((folder / "config.json").read_text())
    started = dt.datetime.fromisoformat(config["started_utc"])
    finished = dt.datetime.fromisoformat(config["finished_utc"])
    return {
        "results": pd.read_csv(folder / "results.csv"),
        "summary": pd.read_csv(folder / "summary.csv"),
        "per_category": pd.read_csv(folder / "per_category.csv"),
        "splits": config["splits"],
        "run_dir": folder,
        "seconds": (finished - started).total_seconds(),
        "versions": config["versions"],
    }


def with_standard_baselines(main: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The main run's frames plus the classical detectors refitted on standard-scaled input, renamed."""
    merged = dict(main)
    for frame in ("results", "summary", "per_category"):
        renamed = extra[frame].assign(detector=extra[frame].detector + STANDARD_SUFFIX)
        merged[frame] = pd.concat([main[frame], renamed], ignore_index=True)
    merged["seconds"] = main["seconds"] + extra["seconds"]
    return merged


# -- the report -------------------------------------------------------------------------------------------
def _kwargs(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())


def _pm(mean: float, std: float, digits: int = 3) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _row(summary: pd.DataFrame, detector: str, strategy: str) -> pd.Series:
    hit = summary[(summary.detector == detector) & (summary.threshold_strategy == strategy)]
    return hit.iloc[0]


def metrics_table(summary: pd.DataFrame) -> list[str]:
    """Threshold-free metrics, then F1 (precision / recall) per threshold strategy; mean ± std over seeds."""
    strategies = [s for s in THRESHOLDS.split(",")]
    head = "| detector | AUROC | AUPRC | " + " | ".join(f"F1 {s}" for s in strategies) + " | "
    head += " | ".join(f"P / R {s}" for s in strategies) + " | fit s |"
    lines = [head, "|---" * (4 + 2 * len(strategies)) + "|"]
    for detector in DEEP + CLASSICAL_ALL:
        first = _row(summary, detector, strategies[0])
        cells = [
            f"**{detector}**" if detector in DEEP else detector,
            _pm(first.auroc_mean, first.auroc_std),
            _pm(first.auprc_mean, first.auprc_std),
        ]
        for s in strategies:
            r = _row(summary, detector, s)
            cells.append(_pm(r.f1_mean, r.f1_std))
        for s in strategies:
            r = _row(summary, detector, s)
            cells.append(f"{r.precision_mean:.3f} / {r.recall_mean:.3f}")
        cells.append(f"{first.fit_seconds_mean:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def beats_classical(summary: pd.DataFrame, detector: str = "autoencoder") -> dict[str, Any]:
    """Per metric: the AE's mean minus the best classical detector's mean (positive = AE ahead)."""
    out: dict[str, Any] = {}
    checks = [("auroc", "p99"), ("auprc", "p99")] + [("f1", s) for s in THRESHOLDS.split(",")]
    for metric, strategy in checks:
        label = metric if metric != "f1" else f"f1 {strategy}"
        ae = _row(summary, detector, strategy)[f"{metric}_mean"]
        rivals = {c: _row(summary, c, strategy)[f"{metric}_mean"] for c in CLASSICAL_ALL}
        best = max(rivals, key=rivals.get)
        out[label] = {"ae": ae, "best_classical": best, "best_value": rivals[best], "margin": ae - rivals[best]}
    return out


def split_sizes(splits: dict[str, Any]) -> str:
    info = next(iter(splits.values()))
    balance = info["class_balance"]
    train, validation, test = balance["train"], balance["validation"], balance["test"]
    return (
        f"training partition {train['label_0']:,} normal (what the detectors fit on) + {train['label_1']:,} attack "
        f"(unused); validation {validation['label_0']:,} normal + {validation['label_1']:,} attack; test "
        f"{test['label_0']:,} normal + {test['label_1']:,} attack"
    )


def test_categories(splits: dict[str, Any]) -> str:
    info = next(iter(splits.values()))
    cats = info["class_balance"]["test"]["categories"]
    return ", ".join(f"{k} {v:,}" for k, v in cats.items())


def per_category_table(per_category: pd.DataFrame, strategy: str = "p99") -> list[str]:
    shown = per_category.detector.isin(["autoencoder", *CLASSICAL_ALL])
    frame = per_category[(per_category.threshold_strategy == strategy) & shown]
    table = frame.groupby(["attack_category", "detector"]).detection_rate.mean().unstack("detector")
    rows = frame.groupby("attack_category").rows.mean()
    order = ["autoencoder", *CLASSICAL_ALL]
    table = table[[d for d in order if d in table.columns]]
    lines = ["| category | rows (mean) | " + " | ".join(table.columns) + " |", "|---" * (2 + len(table.columns)) + "|"]
    for category in rows.sort_values(ascending=False).index:
        cells = [f"{table.loc[category, d]:.3f}" for d in table.columns]
        lines.append(f"| {category} | {rows[category]:,.0f} | " + " | ".join(cells) + " |")
    return lines


def tuning_section() -> list[str]:
    files = sorted(WORK.glob("tuning_round*.csv"))
    if not files:
        return ["(no tuning table: run `python benchmarks/unsw_nb15.py --tune 1` and `--tune 2` first)"]
    table = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    lines = [
        "| round | variant | model seeds | val AUROC | val AUPRC | val F1 best | thin-val AUROC | thin-val AUPRC | "
        "thin-val F1 p99 | thin-val F1 best | epochs run |",
        "|---" * 11 + "|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.round} | {r.variant} | {r.n_model_seeds} | {r.val_auroc:.4f} | {r.val_auprc:.4f} | "
            f"{r.val_f1_best:.3f} | {r.val_thin_auroc:.4f} | {r.val_thin_auprc:.3f} | {r.val_thin_f1_p99:.3f} | "
            f"{r.val_thin_f1_best:.3f} | {r.epochs_run:.0f} |"
        )
    return lines


def write_report(parts: dict[str, dict[str, Any]], quick: bool, total_seconds: float) -> None:
    a, b = parts["a"], parts["b"]
    versions = a["versions"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    csv = pd.concat(
        [parts[k]["summary"].assign(protocol_variant=PROTOCOLS[k]["dir"]) for k in parts], ignore_index=True
    )
    suffix = "_quick" if quick else ""
    csv.to_csv(RESULTS / f"unsw_nb15{suffix}.csv", index=False)

    ae_b_best = _row(b["summary"], "autoencoder", "best-f1")
    goal_lines = []
    for k in ("a", "b"):
        verdicts = beats_classical(parts[k]["summary"])
        wins = [m for m, v in verdicts.items() if v["margin"] > 0]
        losses = [m for m, v in verdicts.items() if v["margin"] <= 0]
        detail = "; ".join(
            f"{m}: AE {v['ae']:.3f} vs best classical {v['best_classical']} {v['best_value']:.3f} ({v['margin']:+.3f})"
            for m, v in verdicts.items()
        )
        verdict = "met" if not losses else "not met"
        behind = f"; behind on {', '.join(losses)}" if losses else ""
        goal_lines.append(
            f"- Protocol {PROTOCOLS[k]['title']}: **{verdict}**: the AE is ahead of every classical detector on "
            f"{len(wins)} of {len(verdicts)} metrics{behind}. {detail}."
        )
    seed_like_rows = []
    for s in THRESHOLDS.split(","):
        r = _row(b["summary"], "autoencoder", s)
        seed_like_rows.append(
            f"| {s} | {_pm(r.f1_mean, r.f1_std)} | {r.f1_mean - GOAL_F1:+.3f} | {_pm(r.auroc_mean, r.auroc_std, 4)} | "
            f"{r.auroc_mean - GOAL_AUROC:+.4f} | {r.precision_mean:.3f} / {r.recall_mean:.3f} |"
        )
    f1_met = ae_b_best.f1_mean >= GOAL_F1
    auroc_met = ae_b_best.auroc_mean >= GOAL_AUROC

    comparison = [
        "| detector | seed F1 | seed AUROC | ours (b) F1 best-f1 | ours (b) F1 p99 | ours (b) AUROC | ours (a) F1 "
        "best-f1 | ours (a) AUROC |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for detector in ["autoencoder", "vae", "beta-vae", *CLASSICAL_ALL]:
        seed = SEED_RESULTS.get(detector.replace(STANDARD_SUFFIX, ""))
        rb, rb99, ra = (
            _row(b["summary"], detector, "best-f1"),
            _row(b["summary"], detector, "p99"),
            _row(a["summary"], detector, "best-f1"),
        )
        comparison.append(
            f"| {detector} | {seed['f1']:.4f} | {seed['auroc']:.4f} | " if seed else f"| {detector} | – | – | "
        )
        comparison[-1] += (
            f"{_pm(rb.f1_mean, rb.f1_std)} | {_pm(rb99.f1_mean, rb99.f1_std)} | {_pm(rb.auroc_mean, rb.auroc_std)} | "
            f"{_pm(ra.f1_mean, ra.f1_std)} | {_pm(ra.auroc_mean, ra.auroc_std)} |"
        )

    ae_params = {**AE_PARAMS}
    lines = [
        "# UNSW-NB15: AE / VAE / beta-VAE against classical detectors" + (" (QUICK SMOKE RUN)" if quick else ""),
        "",
        f"Written by `python benchmarks/unsw_nb15.py{' --quick' if quick else ''}` on {dt.date.today().isoformat()} "
        f"in {total_seconds / 60:.1f} min on {os.cpu_count()} CPU cores shared with other processes "
        "(`netad.bench.run`, n_jobs=2, one torch thread per job). Run directories (results.csv, per-row test "
        f"scores, config.json with every split): `benchmarks/work/unsw_nb15/`. Summary of both protocols: "
        f"`benchmarks/results/unsw_nb15{suffix}.csv`.",
        "",
        "## Data and protocols",
        "",
        "- Only the **82,332-row partition** of UNSW-NB15 is here (the official *testing* set, 37,000 normal + "
        "45,332 attack rows, distributed as `UNSW_NB15_training-set.csv`; see /work/shared/data/MANIFEST.md). "
        "With no second file, `novelty` cuts it into a **seeded stratified 60/20/20 train/validation/test split** "
        "by attack category (a new cut per seed). Detectors fit on the training normals only.",
        f"- **(a) novelty**: {split_sizes(a['splits'])} (seed 0).",
        f"- **(b) seed-like**: `novelty` with `test_attack_fraction={SEED_LIKE_FRACTION}`, the seed's test "
        "composition (2,856 attacks in 128,158 rows = 2.23%). Built from the same cut as (a): every test normal "
        "is kept and the test attacks are subsampled, stratified by attack category, down to 2.23% of the rows; "
        "the validation split is thinned the same way (so best-F1 is tuned at the prevalence it meets in test). "
        f"Training rows are identical to (a). Sizes: {split_sizes(b['splits'])} (seed 0); test categories: "
        f"{test_categories(b['splits'])}. This test set is **about 17x smaller** than the seed's (7,569 vs "
        "128,158 rows, 169 vs 2,856 attacks) because only this partition is here, so its F1 moves by several "
        "points between seeds (one attack is 0.6% of recall).",
        "- Thresholds, all chosen on validation data: `p99` / `p95` = 99th / 95th percentile of the validation "
        "normals' scores; `best-f1` = the F1-optimal cut on the labelled validation split. The test set is "
        "used for the metrics only.",
        "- Preprocessing (fitted on the training normals): "
        f"`FlowPreprocessor({_kwargs(PREPROCESS)})` for every detector"
        " (with its default `<column>_<unknown>` indicators for categories never seen at fit; "
        f"{int(a['results'].n_features.iloc[0])} features). The robust scaler was chosen for the AE on validation "
        "data; since it is not every detector's best input (OCSVM's `gamma='scale'` suffers most), the classical "
        f"detectors run a second time on `FlowPreprocessor({_kwargs(STANDARD_PREPROCESS)})` (standard scaling), "
        f"shown as `<detector>{STANDARD_SUFFIX}`; goal 1 compares the AE with the better of the two.",
        f"- AutoEncoder: `AutoEncoder(**{ae_params!r})`, i.e. hidden 256-128, bottleneck 16, ReLU, MSE, Adam "
        "lr 3e-3, batch 256, 50 epochs with early stopping (patience 10) on 10% of the training normals; hidden and "
        "lr (and the robust scaler) chosen by the validation-only tuning below, everything else the library "
        "defaults. VAE and beta-VAE: their library defaults, not tuned (hidden 64-32, latent 16, learned decoder "
        "variance, reconstruction-probability score; beta-VAE beta 4 with linear KL warm-up). Classical "
        "detectors: netad defaults (OCSVM, LOF and Elliptic Envelope "
        "fit on a seeded 20,000-row subsample of the 22,200 training normals, their `max_samples` default). "
        "No `max_train` cap: every training normal is used.",
        "",
        "## Results (mean ± std over seeds " + ", ".join(map(str, sorted(a["results"].seed.unique()))) + ")",
        "",
        f"### {PROTOCOLS['a']['title']}",
        "",
        *metrics_table(a["summary"]),
        "",
        f"### {PROTOCOLS['b']['title']}",
        "",
        *metrics_table(b["summary"]),
        "",
        "P / R = precision / recall at that threshold. fit s = wall seconds of `fit` with 2 jobs sharing 2 busy cores.",
        "",
        "## Beside the seed's published numbers",
        "",
        "The seed (Keras, README of the AE-VAE project) evaluates on 128,158 test rows with 2.23% attacks drawn from "
        "the *full* UNSW-NB15 (~2.5 M records, cleaned to ~640,000 rows), with thresholds of its own choosing. "
        "Ours are on the 82,332-row partition only.",
        "",
        *comparison,
        "",
        "## Goals",
        "",
        '**1. "AE beats every classical detector on both protocols"** (mean over seeds; margins vs the best '
        "classical detector on each metric):",
        "",
        *goal_lines,
        "",
        FAIR_NOTE,
        "",
        f'**2. "On the seed-like protocol F1 >= {GOAL_F1} and AUROC >= {GOAL_AUROC} with a threshold chosen '
        f'without test labels"**: **{"met" if f1_met and auroc_met else "not met"}** with the pre-declared '
        f"`best-f1` threshold (F1 {'met' if f1_met else 'missed'} by {ae_b_best.f1_mean - GOAL_F1:+.3f}, AUROC "
        f"{'met' if auroc_met else 'missed'} by {ae_b_best.auroc_mean - GOAL_AUROC:+.4f}). All three validation "
        "thresholds:",
        "",
        "| threshold | AE F1 | vs 0.75 | AE AUROC | vs 0.99 | P / R |",
        "|---|---:|---:|---:|---:|---:|",
        *seed_like_rows,
        "",
        "WHY_PLACEHOLDER",
        "",
        "## Detection rate per attack category, threshold p99, protocol (a)",
        "",
        "Share of each category's test rows flagged (for `normal`: the false-positive rate), mean over seeds.",
        "",
        *per_category_table(a["per_category"]),
        "",
        "## Tuning the AutoEncoder (validation data only)",
        "",
        "`python benchmarks/unsw_nb15.py --tune 1`, then `--tune 2` and `--tune 3`: AutoEncoder variants fitted "
        "on the seed-0 split's training normals (2 model seeds in round 1, 3 in rounds 2 and 3; `random_state` = "
        "model seed) and scored "
        "on that split's **validation** rows only: the full validation split of (a) (7,400 normal + 9,066 attack) "
        "and the thinned one of (b) (7,400 + 169). The seed-0 test rows were never scored. Caveat: the other "
        "seeds' cuts reuse the same 82,332 rows, so rows of the seed-0 validation split sit in the test sets of "
        "seeds 1 and 2; the choices are a handful of discrete settings, so the optimism this adds is small.",
        "Selection rule (fixed before round 2): the highest validation AUROC of (a) (16,466 rows, stable), with the "
        "thinned-validation AUPRC / best-F1 as a tie-break (169 attacks: noisy).",
        "",
        *tuning_section(),
        "",
        "TUNING_CONCLUSION_PLACEHOLDER",
        "",
        "## Environment",
        "",
        ", ".join(f"{k} {v}" for k, v in versions.items() if k != "platform") + f"; {versions.get('platform', '')}.",
        "",
    ]
    text = "\n".join(lines)
    text = text.replace("WHY_PLACEHOLDER", why_section(parts)).replace(
        "TUNING_CONCLUSION_PLACEHOLDER", TUNING_CONCLUSION
    )
    (RESULTS / f"unsw_nb15{suffix}.md").write_text(text)
    print(text)


def why_section(parts: dict[str, dict[str, Any]]) -> str:
    """The reasons behind the verdicts, with this run's numbers."""
    a, b = parts["a"], parts["b"]
    rate = a["per_category"][(a["per_category"].threshold_strategy == "p99")]
    rate = rate.groupby(["detector", "attack_category"]).detection_rate.mean()
    ae = rate["autoencoder"]
    hard = ["Fuzzers", "Reconnaissance", "Shellcode"]
    easy = ["Generic", "DoS", "Exploits", "Analysis", "Backdoor"]
    best_hard = {
        c: max(((d, rate[d][c]) for d in CLASSICAL_ALL if c in rate[d]), key=lambda x: x[1]) for c in hard if c in ae
    }
    ae_a, ae_b = _row(a["summary"], "autoencoder", "best-f1"), _row(b["summary"], "autoencoder", "best-f1")
    lof_std = _row(a["summary"], "lof" + STANDARD_SUFFIX, "p99").auroc_mean
    lof = _row(a["summary"], "lof", "p99").auroc_mean
    n_normal = b["results"].n_test.iloc[0]
    return "\n".join(
        [
            "**Why.**",
            "",
            f"- *The ranking ceiling.* AUROC does not depend on the attack share, and the AE ranks alike in (a) and "
            f"(b) ({ae_a.auroc_mean:.3f} vs {ae_b.auroc_mean:.3f}). What holds it below 0.99 is a few categories that "
            "look like normal flows in these 42 features: at p99 the AE flags "
            + ", ".join(f"{c} {ae[c]:.0%}" for c in easy if c in ae)
            + ", but only "
            + ", ".join(f"{c} {ae[c]:.0%}" for c in hard if c in ae)
            + " (per-category table below); no classical detector does better on those ("
            + ", ".join(f"{c}: {d} {v:.0%}" for c, (d, v) in best_hard.items())
            + ").",
            f"- *F1 at 2.23% attacks is a precision problem.* Test (b) holds about {n_normal:,} rows of which 169 "
            "attacks: every 1% of false-positive rate on the normals is 74 false alarms, 44% of the attack count. "
            f"best-f1 reaches precision {ae_b.precision_mean:.3f} / recall {ae_b.recall_mean:.3f}; its threshold is "
            "tuned on a validation split that also has only 169 attacks, so it is noisy too. The F1 shortfall "
            f"({ae_b.f1_mean - GOAL_F1:+.3f}) is well inside one seed-to-seed standard deviation ({ae_b.f1_std:.3f}): "
            "not met on the mean, not distinguishable from 0.75.",
            "- *Different data.* The seed describes 47 features + attack_cat + label: the layout of the four full "
            "UNSW-NB15 CSVs (2.54 M records), which also carry srcip, sport, dstip, dsport, stime and ltime. The "
            "partition here is the official testing set (82,332 rows) with 42 flow features and none of those "
            "columns. Attack traffic in UNSW-NB15 comes from a small set of hosts, so if the seed kept addresses or "
            "ports (its README does not say) attacks are much easier to separate. Its test set is cut from a "
            "~640,000-row cleaned version with its own category mix (not published), 17x larger than ours. The "
            "detectors also rank differently there: the seed's classical detectors are far weaker than ours "
            f"(its LOF AUROC 0.767 vs {lof:.3f} here) while its AE is stronger (0.991 vs {ae_b.auroc_mean:.3f}), "
            "which is what a different feature set would do, not what a better AE would do.",
            f"- *Goal 1 is a tie with LOF on ranking.* LOF profits from the robust scaling tuned for the AE (AUROC "
            f"{lof:.3f}; {lof_std:.3f} on standard scaling); the AE is level with it on AUROC and best-F1 in (a) "
            "(differences below one standard deviation), ahead on AUPRC in both protocols, and far ahead wherever "
            "the threshold is a fixed percentile or attacks are rare (p99 in (a); best-f1, p99 and AUPRC in (b)), "
            "i.e. its top-ranked rows are purer. The VAE and beta-VAE were not tuned (library defaults).",
            "- *Thresholds.* Ours are chosen on validation data only; the seed's README does not say on which data its "
            "percentile / F1-maximising thresholds were chosen.",
        ]
    )


TUNING_CONCLUSION = """\
**Chosen** (by validation AUROC of (a), round by round): robust scaling after log1p (AE defaults: 0.912 ->
0.919), learning rate 3e-3 (-> 0.929), encoder 256-128 (-> 0.942; 128-64: 0.938). On the thinned validation split
the same choice also has the best AUPRC (0.683) and best-F1 (0.741) of all variants. **Not helpful on validation:**
no log1p (0.878; with the robust scaler 0.637), min-max scaling, bottleneck 4 / 8 / 32, a shallow 32-unit encoder,
dropout 0.1 (0.866), MAE or mixed loss (0.867 / 0.889), tanh or ELU, AdamW with weight decay, batch 64, and longer
training (150 epochs, patience 20: 0.921 vs 0.929 at 50 epochs; 100 epochs: 0.933 vs 0.938 — the AE also learns to
reconstruct attacks). The unknown-category indicator made no difference here (0.9150 off vs 0.9152 on): train,
validation and test come from one partition, so few categories are unseen at fit; it stays on (the default).
Tuning stopped before the benchmark ran; nothing was changed after its test results were seen.

**AutoEncoder defaults left unchanged** in netad/detectors/autoencoder.py: the gains are measured on one dataset,
the largest single one is a preprocessing choice (the scaler) rather than a model parameter, and other benchmarks
(benchmarks/kdd_family.py) run on those defaults right now. For UNSW-like flow tables use
`FlowPreprocessor(log1p=True, scaler="robust")` and `AutoEncoder(hidden=(256, 128), lr=3e-3)`."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", type=int, choices=(1, 2, 3), help="validation-only AutoEncoder sweep round on seed 0")
    parser.add_argument("--quick", action="store_true", help="smoke test (1 seed, 2 epochs, 3,000 rows)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true", help="re-write the report from the last run's files")
    args = parser.parse_args(argv)
    os.environ.setdefault("NETAD_DATA", "/work/shared/data")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    WORK.mkdir(parents=True, exist_ok=True)
    if args.tune:
        started = time.perf_counter()
        seeds = [0, 1] if args.tune == 1 else [0, 1, 2]
        table = tune(args.tune, seeds, max_train=3000 if args.quick else None, n_jobs=args.n_jobs)
        table.insert(0, "round", args.tune)
        table.to_csv(WORK / f"tuning_round{args.tune}.csv", index=False)
        pd.set_option("display.width", 250)
        print(table.round(4).to_string(index=False))
        print(f"tuning took {time.perf_counter() - started:.0f} s")
        return 0
    started = time.perf_counter()
    parts = {}
    for key in PROTOCOLS:
        if args.report_only:
            main_run, extra = load_protocol(key, args.quick), load_protocol(key, args.quick, STANDARD_TAG)
        else:
            print(f"protocol {PROTOCOLS[key]['title']}", file=sys.stderr, flush=True)
            main_run = run_protocol(key, args.quick, args.n_jobs, DEEP + CLASSICAL, PREPROCESS)
            extra = run_protocol(key, args.quick, args.n_jobs, CLASSICAL, STANDARD_PREPROCESS, STANDARD_TAG)
        parts[key] = with_standard_baselines(main_run, extra)
        print(f"  took {parts[key]['seconds'] / 60:.1f} min", file=sys.stderr, flush=True)
    elapsed = sum(p["seconds"] for p in parts.values()) if args.report_only else time.perf_counter() - started
    write_report(parts, args.quick, elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
