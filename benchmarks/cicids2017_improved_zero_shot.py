"""Latent Sculpting on the seed's own split: the improved CIC-IDS-2017 with DoS Slowloris, DoS Slowhttptest,
Botnet and Infiltration unseen, latent sculpting (every score variant) against the seed's baselines and ours.

    python benchmarks/cicids2017_improved_zero_shot.py run --seeds 0,1,2,3,4       # one child process per job
    python benchmarks/cicids2017_improved_zero_shot.py run --detectors mlp,ocsvm-sgd,iforest --seeds 0
    python benchmarks/cicids2017_improved_zero_shot.py select --seeds 0,1,2   # default score, no test rows
    python benchmarks/cicids2017_improved_zero_shot.py report   # -> results/cicids2017_improved_zero_shot.md

The split is ``netad bench -d cicids2017-improved -p zero-shot --protocol-option preset=latent-sculpting``
(netad.protocols): every unseen row in test only; benign and seen attacks 80/20 train+validation/test, validation
20% of the rest, stratified by family; thresholds p99/p97/p95 = percentiles of the validation benign rows'
scores. Baselines are ``netad.bench.run`` jobs (the CLI's path); latent sculpting is fitted once per seed through
the bench's ``fit_job`` and every ``score`` variant is evaluated on that one fit, as ``run_job`` would
(``write_latent_variants`` of benchmarks/cicids2017_zero_shot.py). Each job runs in its own process, which
records its wall time and peak resident memory (``ru_maxrss``). Run directories: benchmarks/work/
cicids2017_improved_zero_shot/ (git-ignored).

``select`` chooses latent sculpting's default ``score`` without any test row: a *pseudo-unseen* seen family is
held out of training, in a nested split cut from the train + validation rows of one seed's preset split (that
seed's test rows are removed first). So no row scored for the choice is a test row of that seed, and no row of
the four unseen families is ever scored for it (they are in every seed's test split only); benign and seen-family
rows of one seed's selection can be test rows of *another* seed's split (the md says so). The rule, fixed before
any result was seen: the variant with the highest mean over fits of the average of the pseudo-zero-shot F1 (1:1)
and the known-attack F1 (1:1), both at P95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cicids2017_zero_shot as zs  # noqa: E402  (the machinery of the first CIC-IDS-2017 zero-shot study)

DATASET = "cicids2017-improved"
PROTOCOL_OPTIONS = {"preset": "latent-sculpting"}
WORK = HERE / "work" / "cicids2017_improved_zero_shot"
SELECT = HERE / "work" / "cicids2017_improved_zero_shot_select"
DEFAULTS = HERE / "work" / "cicids2017_improved_zero_shot_defaults"  # latent sculpting at its own defaults
RESULTS = HERE / "results"
OUT = RESULTS / "cicids2017_improved_zero_shot.md"
SEEDS = [0, 1, 2, 3, 4]
THRESHOLDS = ("p99", "p97", "p95")
DETECTORS = ["latent-sculpting", "mlp", "ocsvm-sgd", "ocsvm", "iforest", "autoencoder", "maf", "neutral"]
# pseudo-unseen families for `select`, one per seed (chosen before any run: a fast DoS family like the unseen slow
# DoS ones, a brute-force family, and the scan that follows an infiltration)
PSEUDO_UNSEEN = {0: "DoS GoldenEye", 1: "SSH-Patator", 2: "Infiltration - Portscan"}
# The detector's defaults are the seed's recipe (10 stage-1 epochs at batch 512 over every stage-1 row, the 16 x
# 512 flow for 10 epochs on every benign training latent). Here stage 1 runs 3 epochs, not 10: one default fit
# costs ~12 CPU-minutes on this split (~21k stage-1 rows), and the 2 cores shared by 6 engineers gave each job
# ~12% of a core, so 10 epochs would have allowed one seed. Everything else is the default; one torch thread.
# Baselines as in the first study.
LATENT_EPOCHS = 3
PARAMS: dict[str, dict[str, Any]] = {
    "latent-sculpting": {"n_threads": 1, "epochs": LATENT_EPOCHS},
    "autoencoder": zs.PARAMS["autoencoder"],
    "maf": zs.PARAMS["maf"],
    "neutral": {"n_threads": 1},
}
UNSEEN = ["DoS Slowloris", "DoS Slowhttptest", "Botnet", "Infiltration"]
GOALS = {"zero_shot_balanced_f1": 0.87, "zero_shot_auroc": 0.92, "known_balanced_f1": 0.95, "Infiltration": 0.889,
         "Botnet": 0.50}  # fmt: skip
SEED_FIGURES = {"zero_shot_balanced_f1": 0.87, "zero_shot_auroc": 0.902, "known_balanced_f1": 0.94,
                "Infiltration": 0.889, "Botnet": 0.041}  # fmt: skip


def _env() -> None:
    os.environ.setdefault("NETAD_DATA", str(HERE.parent.parent / "shared" / "data"))
    os.environ.setdefault("NETAD_CACHE", str(HERE / "work" / "cache"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _record(path: Path, started: float, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    info = {"wall_seconds": time.perf_counter() - started, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": _peak_mb(), **extra}  # fmt: skip
    path.write_text(json.dumps(info, indent=1))


def job(detector: str, seed: int, defaults: bool = False) -> None:
    """One (detector, seed) of the preset split, in this process (``run`` starts one process per job);
    ``defaults``: latent sculpting with the detector's own defaults (10 epochs, torch's thread count)."""
    from netad.bench import run as bench_run
    from netad.bench.job import fit_job
    from netad.bench.spec import Job

    _env()
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    work = DEFAULTS if defaults else WORK
    if detector == "latent-sculpting":
        spec = Job(DATASET, "zero-shot", detector, seed, thresholds=THRESHOLDS,
                   params={} if defaults else PARAMS[detector], protocol_options=PROTOCOL_OPTIONS)  # fmt: skip
        cpu = time.process_time()
        fitted = fit_job(spec)
        extra["fit_cpu_seconds"] = time.process_time() - cpu  # load + split + preprocess + fit, this process's CPU
        extra["stage1_epochs"] = int(fitted.detector.n_epochs_)
        zs.write_latent_variants(spec, fitted, str(work / f"latent-sculpting[{{variant}}]-seed{seed}"))
    else:
        result = bench_run(
            DATASET, detector, seeds=[seed], protocol="zero-shot", threshold=",".join(THRESHOLDS),
            out=WORK / f"{detector}-seed{seed}", detector_params={detector: PARAMS.get(detector, {})},
            protocol_options=PROTOCOL_OPTIONS, n_jobs=1, overwrite=True, save_scores=False,
        )  # fmt: skip
        if result.errors:
            raise RuntimeError(f"{detector} seed {seed}: {result.errors}")
    _record(work / "_resources" / f"{detector}-seed{seed}.json", started, detector=detector, seed=seed, **extra)


def pseudo(family: str, seed: int) -> None:
    """One latent-sculpting fit with ``family`` held out as a pseudo-unseen family, on the preset split's train +
    validation rows only; every variant evaluated on the nested split's held-out part (no outer test row)."""
    from netad.bench.job import FittedJob, build_detector
    from netad.bench.spec import Job
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    _env()
    started = time.perf_counter()
    dataset = load(DATASET)
    outer = make_split(dataset, "zero-shot", seed=seed, **PROTOCOL_OPTIONS)
    pool = np.sort(np.concatenate([outer.train.rows, outer.validation.rows]))  # never an outer test row
    inner_data = dataset.subset(pool)
    options = {"unseen": [family], "benign_test_fraction": 0.2, "seen_test_fraction": 0.2, "val_fraction": 0.2}
    inner = make_split(inner_data, "zero-shot", seed=seed, **options)
    for part in (inner.train, inner.validation, inner.test):
        if np.isin(pool[part.rows], outer.test.rows).any():
            raise AssertionError("a pseudo-unseen split row is an outer test row")
    detector = build_detector("latent-sculpting", PARAMS["latent-sculpting"], seed)
    fit_frame, fit_labels = inner.fit_data(detector.supervision)
    preprocessor = FlowPreprocessor.for_dataset(inner_data).fit(fit_frame)
    X_fit = preprocessor.transform(fit_frame)
    if hasattr(detector, "calibration_share"):  # as fit_job: thresholds come from the (nested) validation split
        detector.calibration_share = 0.0
    start = time.perf_counter()
    detector.fit(X_fit, fit_labels)
    fitted = FittedJob(inner_data, inner, preprocessor, detector, len(X_fit), time.perf_counter() - start)
    spec = Job(DATASET, "zero-shot", "latent-sculpting", seed, thresholds=THRESHOLDS,
               params=PARAMS["latent-sculpting"], protocol_options={**PROTOCOL_OPTIONS, "pseudo_unseen": family,
                                                                    "nested": options})  # fmt: skip
    safe = family.replace(" ", "_")
    zs.write_latent_variants(
        spec, fitted, str(SELECT / f"latent-sculpting[{{variant}}]-{safe}-seed{seed}"), extra_base={"family": family}
    )
    _record(SELECT / "_resources" / f"{safe}-seed{seed}.json", started, family=family, seed=seed)


def _child(args: list[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f:
        cmd = [sys.executable, str(Path(__file__).resolve()), *args]
        logging.info("%s", " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)


def run(detectors: list[str], seeds: list[int], defaults: bool = False) -> None:
    work = DEFAULTS if defaults else WORK
    for detector in detectors:
        for seed in seeds:
            done = work / "_resources" / f"{detector}-seed{seed}.json"
            if done.is_file():
                logging.info("%s seed %d exists; skipped", detector, seed)
                continue
            args = ["_job", detector, str(seed), *(["--defaults"] if defaults else [])]
            _child(args, work / "_logs" / f"{detector}-seed{seed}.log")


def select(seeds: list[int]) -> None:
    for seed in seeds:
        family = PSEUDO_UNSEEN[seed]
        safe = family.replace(" ", "_")
        if (SELECT / "_resources" / f"{safe}-seed{seed}.json").is_file():
            continue
        _child(["_pseudo", family, str(seed)], SELECT / "_logs" / f"{safe}-seed{seed}.log")


# -- report ----------------------------------------------------------------------------------------------------
def _fmt(mean: float, std: float, n: int, pct: bool = False) -> str:
    if not np.isfinite(mean):
        return "–"
    if pct:
        return f"{mean:.1%}" if n < 2 else f"{mean:.1%} ± {std:.1%}"
    return f"{mean:.3f}" if n < 2 else f"{mean:.3f} ± {std:.3f}"


def _resources(work: Path) -> pd.DataFrame:
    rows = [json.loads(p.read_text()) for p in sorted((work / "_resources").glob("*.json"))]
    return pd.DataFrame(rows)


def _selection_lines() -> tuple[list[str], str | None]:
    if not SELECT.is_dir() or not any(SELECT.glob("*-seed*/results.csv")):
        return ["", "## Default score without test rows", "", "`select` has not been run."], None
    res, _, _, _ = zs._load(SELECT)
    p95 = res[res["threshold_strategy"] == "p95"].copy()
    p95["criterion"] = (p95["zero_shot_balanced_f1"] + p95["known_balanced_f1"]) / 2
    table = p95.groupby("variant")[["criterion", "zero_shot_balanced_f1", "known_balanced_f1", "zero_shot_auroc"]]
    mean, std, n = table.mean(), table.std(ddof=1).fillna(0.0), table.size()
    # ties (auto equals the variant it picks) go to the named variant, in the detector's own order
    rank = {v: i for i, v in enumerate((*zs.LATENT_SCORES, "auto"))}
    mean = mean.loc[sorted(mean.index, key=lambda v: (-round(mean.loc[v, "criterion"], 12), rank.get(v, 99)))]
    chosen = str(mean.index[0])
    picks = p95[p95["variant"] == "auto"].set_index("family")["auto_choice"]
    fits = p95.drop_duplicates(["family", "seed"])[["family", "seed"]]
    lines = [
        "",
        "## Latent sculpting's default score, chosen without test rows",
        "",
        "Rule (fixed before any result was seen): hold one seen family out of training as a *pseudo-unseen* "
        "family; cut a nested zero-shot split (benign and the other seen families 80/20, validation 20% of the "
        "rest; the pseudo-unseen family only in the held-out part) from the **train + validation rows of the "
        "preset split of the same seed** -- its test rows are removed first, so no row scored here is a test row "
        "of that seed's split; fit latent sculpting with the benchmark's settings; take P95 of the nested "
        "validation benign rows; score the nested held-out part. The default is the variant with the highest "
        "mean over fits of (pseudo-zero-shot F1 (1:1) + known F1 (1:1)) / 2: the seed reports both F1s, and the "
        "detector exists to do both. Fits: "
        + ", ".join(f"{r.family} (seed {r.seed})" for r in fits.itertuples())
        + " (`python benchmarks/cicids2017_improved_zero_shot.py select --seeds "
        + ",".join(str(s) for s in sorted(set(fits["seed"])))
        + "`).",
        "",
        "| variant | criterion | pseudo-zero-shot F1 (1:1) | known F1 (1:1) | pseudo-zero-shot AUROC | fits |",
        "|---|---|---|---|---|---|",
    ]
    for variant, m in mean.iterrows():
        s, k = std.loc[variant], int(n.loc[variant])
        lines.append(
            f"| {variant} | {m['criterion']:.4f} ± {s['criterion']:.3f} | "
            f"{_fmt(m['zero_shot_balanced_f1'], s['zero_shot_balanced_f1'], k)} | "
            f"{_fmt(m['known_balanced_f1'], s['known_balanced_f1'], k)} | "
            f"{_fmt(m['zero_shot_auroc'], s['zero_shot_auroc'], k)} | {k} |"
        )
    per_fit = p95.pivot_table(index="variant", columns="family", values="criterion")
    lines += ["", "Criterion per fit (P95):", "", "| variant | " + " | ".join(per_fit.columns) + " |",
              "|---|" + "---|" * len(per_fit.columns)]  # fmt: skip
    for variant in mean.index:
        lines.append(f"| {variant} | " + " | ".join(f"{v:.3f}" for v in per_fit.loc[variant]) + " |")
    lines += [
        "",
        "`auto` chose " + ", ".join(f"`{c}` ({f})" for f, c in picks.items()) + ".",
        "",
        f"**Chosen by the rule: `{chosen}`.**",
    ]
    return lines, chosen


def report() -> Path:
    res, cat, configs, finished = zs._load(WORK)
    resources = _resources(WORK)
    present = set(res["detector"])
    latent = [f"latent-sculpting:{v}" for v in ("two-stage-knn", "two-stage", "auto", *zs.LATENT_SCORES)]
    order = list(dict.fromkeys([d for d in latent if d in present] + [d for d in DETECTORS if d in present]))
    order += sorted(d for d in present if d not in order)
    metrics = [
        "known_precision", "known_recall", "known_f1", "known_balanced_f1", "known_auroc",
        "zero_shot_precision", "zero_shot_recall", "zero_shot_f1", "zero_shot_balanced_precision",
        "zero_shot_balanced_recall", "zero_shot_balanced_f1", "zero_shot_auroc", "zero_shot_auprc", "fit_seconds",
        "test_rows_per_second",
    ]  # fmt: skip
    grouped = res.groupby(["detector", "threshold_strategy"])
    mean, std, n = grouped[metrics].mean(), grouped[metrics].std(ddof=1), grouped.size()
    rates = cat.groupby(["detector", "threshold_strategy", "attack_category"])["detection_rate"]
    rate_mean, rate_std = rates.mean(), rates.std(ddof=1)
    split_info = next(iter(next(iter(configs.values()))["splits"].values()))
    seen = list(split_info["seen_categories"])
    unseen = list(split_info["unseen_categories"])
    versions = next(iter(configs.values()))["versions"]
    seeds = sorted(set(res["seed"]))
    selection, chosen = _selection_lines()

    def cell(det: str, thr: str, col: str, pct: bool = False) -> str:
        if (det, thr) not in mean.index:
            return "–"
        k = int(n.loc[(det, thr)])
        return _fmt(mean.loc[(det, thr), col], std.loc[(det, thr), col], k, pct)

    def rate(det: str, thr: str, family: str) -> str:
        key = (det, thr, family)
        if key not in rate_mean.index:
            return "–"
        return _fmt(rate_mean[key], rate_std[key], int(n.loc[(det, thr)]), pct=True)

    sizes = split_info["class_balance"]
    lines = [
        "# Improved CIC-IDS-2017 zero-shot: the Latent Sculpting seed's own split",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: 2 CPU cores shared with 5 other jobs (wall times are "
        f"inflated accordingly), Python {platform.python_version()}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k in ("torch", "scikit-learn", "numpy"))
        + ".",
        "",
        "Commands: `python benchmarks/cicids2017_improved_zero_shot.py run --detectors DETS --seeds SEEDS`, "
        "`... select --seeds 0,1,2`, `... report`. Each baseline job is `netad bench -d cicids2017-improved -p "
        "zero-shot --protocol-option preset=latent-sculpting -m DET --seeds N -t p99,p97,p95`; latent sculpting is "
        "one fit per seed with every `score` variant evaluated on it. Seeds: "
        + ", ".join(str(s) for s in seeds)
        + "; mean ± std over the seeds each row has (n in the last table); a single seed shows no std.",
        "",
        "## Data and split (seed 0)",
        "",
        "- Data: the class-wise sample of the improved CIC-IDS-2017 in `$NETAD_DATA/cicids2017-improved/` (16 "
        "files, 43,419 rows: every Slowloris, Slowhttptest, Botnet, Infiltration, Heartbleed and web-attack flow, "
        "5,000 each of BENIGN, DoS Hulk, GoldenEye, DDoS, Portscan and Infiltration - Portscan). Loader "
        "`cicids2017-improved`: 81 features (91 columns minus 8 identifiers, `Label`, `Attempted Category`; `Dst "
        "Port` and `Protocol` dropped as the `cicids2017` loader drops `Destination Port` and `Protocol`); no "
        "attempted flows in this sample.",
        f"- Unseen (test only): {', '.join(unseen)}. Seen: {', '.join(seen)}.",
        f"- Train {split_info['sizes']['train']:,} rows ({sizes['train']['label_0']:,} benign), validation "
        f"{split_info['sizes']['validation']:,} ({sizes['validation']['label_0']:,} benign), test "
        f"{split_info['sizes']['test']:,} ({sizes['test']['label_0']:,} benign, {split_info['test_unseen_rows']:,} "
        f"unseen-family and {split_info['test_seen_attack_rows']:,} seen-family attacks).",
        "- How it differs from the seed: benign traffic is 5,000 rows (the seed: ~1.5 M benign flows in the "
        "official files), so train has 3,200 benign rows next to ~20k seen attacks, and every rate on test "
        "benign rows rests on 1,000 rows (one false positive = 0.1 point); the improved CIC-IDS-2017 is "
        "relabelled (its `Infiltration` has 36 flows as in the official files, its `Infiltration - Portscan` "
        "-- labelled benign in the official files -- is a seen family here); thresholds are percentiles of the "
        "validation benign rows (the seed took them on training benign rows).",
        "- Views: `known` = test benign + seen-family attacks, `zero-shot` = test benign + unseen-family attacks, "
        "each at the sample's own proportions and on a seeded 1:1 sample (every attack, as many benign rows, "
        "which with 1,000 test benign rows caps the 1:1 sets at 1,000 attacks), as the seed reports.",
        "",
        "## Headline at P95 (the seed's most sensitive threshold)",
        "",
        "| detector | zero-shot F1 (1:1) | zero-shot AUROC | known F1 (1:1) | Infiltration recall | Botnet recall |",
        "|---|---|---|---|---|---|",
        "| goal | ≥ 0.87 | ≥ 0.92 | ≥ 0.95 | ≥ 88.9% | ≥ 50% |",
        "| seed (official CIC-IDS-2017, its README) | 0.87 | 0.902 | 0.94 | 88.9% | 4.1% |",
    ]
    for det in order:
        lines.append(
            f"| {det} | {cell(det, 'p95', 'zero_shot_balanced_f1')} | {cell(det, 'p95', 'zero_shot_auroc')} | "
            f"{cell(det, 'p95', 'known_balanced_f1')} | {rate(det, 'p95', 'Infiltration')} | "
            f"{rate(det, 'p95', 'Botnet')} |"
        )
    lines += [
        "",
        "## Known-attack and zero-shot metrics at P99 / P97 / P95",
        "",
        "| detector | thr | known P | known R | known F1 | known F1 (1:1) | zero-shot P | zero-shot R | zero-shot "
        "F1 | zero-shot P (1:1) | zero-shot R (1:1) | zero-shot F1 (1:1) | zero-shot AUROC | zero-shot AUPRC | "
        "known AUROC |",
        "|---|---|" + "---|" * 13,
    ]
    for det in order:
        for thr in THRESHOLDS:
            if (det, thr) not in mean.index:
                continue
            cols = ["known_precision", "known_recall", "known_f1", "known_balanced_f1", "zero_shot_precision",
                    "zero_shot_recall", "zero_shot_f1", "zero_shot_balanced_precision", "zero_shot_balanced_recall",
                    "zero_shot_balanced_f1", "zero_shot_auroc", "zero_shot_auprc", "known_auroc"]  # fmt: skip
            lines.append(f"| {det} | {thr} | " + " | ".join(cell(det, thr, c) for c in cols) + " |")
    families = unseen + seen + ["normal"]
    lines += [
        "",
        "## Recall per family (unseen first; `normal` = false-positive rate on test benign rows)",
        "",
        "| detector | thr | " + " | ".join(families) + " |",
        "|---|---|" + "---|" * len(families),
    ]
    for det in order:
        for thr in THRESHOLDS:
            if (det, thr) in mean.index:
                lines.append(f"| {det} | {thr} | " + " | ".join(rate(det, thr, f) for f in families) + " |")
    lines += [
        "",
        "## Cost per job (mean over seeds)",
        "",
        "Fit time is the detector's `fit` (for latent sculpting: both stages, one fit shared by every variant); "
        "scoring rate = test rows per second of `decision_function` (latent sculpting: all variants in one pass); "
        "peak memory = the job process's peak resident set (loading, split, fit and scoring).",
        "",
        "| detector | seeds | fit s | scoring rows/s | peak RSS MB | job wall s | job CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for det in dict.fromkeys(d.split(":")[0] for d in order):
        rows = res[res["detector"].str.split(":").str[0] == det]
        if det == "latent-sculpting":
            rows = rows[rows["variant"] == "two-stage"]
        r = resources[resources["detector"] == det] if not resources.empty else resources
        cpu = r["cpu_seconds"].mean() if "cpu_seconds" in r else np.nan
        cpu_text = f"{cpu:.0f}" if np.isfinite(cpu) else "–"  # the first iforest jobs predate the CPU record
        cost = "– | – | –"
        if len(r):
            cost = f"{r['peak_rss_mb'].mean():,.0f} | {r['wall_seconds'].mean():.0f} | {cpu_text}"
        lines.append(
            f"| {det} | {rows['seed'].nunique()} | {rows['fit_seconds'].mean():.1f} | "
            f"{rows['test_rows_per_second'].mean():,.0f} | {cost} |"
        )
    lines += selection
    if chosen is not None:
        det = f"latent-sculpting:{chosen}"
        lines += [
            "",
            f"On the preset split (test rows, looked at only after the choice): `{chosen}` at P95 has zero-shot F1 "
            f"(1:1) {cell(det, 'p95', 'zero_shot_balanced_f1')}, zero-shot AUROC {cell(det, 'p95', 'zero_shot_auroc')}"
            f", known F1 (1:1) {cell(det, 'p95', 'known_balanced_f1')}, Infiltration recall "
            f"{rate(det, 'p95', 'Infiltration')}, Botnet recall {rate(det, 'p95', 'Botnet')}.",
        ]
    default_lines, default_text = _defaults_lines()
    lines += default_lines
    lines += _findings(cell, rate, chosen, default_text)
    lines += ["", "## Settings", "", "```json", json.dumps({"params": PARAMS, "finished": finished}, indent=1), "```"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    summary = pd.concat([mean.add_suffix("_mean"), std.add_suffix("_std"), n.rename("n_seeds")], axis=1)
    summary.to_csv(RESULTS / "cicids2017_improved_zero_shot.csv")
    return OUT


# The "Done when" command of the issue, run as is (the detector's defaults: 10 stage-1 epochs, torch's own thread
# count), measured with /usr/bin/time -v; its results.csv is results/cicids2017_improved_zero_shot_default_seed0.csv
DEFAULT_RUN: list[str] = [
    "",
    "**The detector's defaults (10 stage-1 epochs), seed 0.** `netad bench -d cicids2017-improved -p zero-shot "
    "--protocol-option preset=latent-sculpting -m latent-sculpting --seeds 0 -t p95 -o DIR` (netad's default "
    "score `two-stage-knn`; results.csv kept as `results/cicids2017_improved_zero_shot_default_seed0.csv`): "
    "zero-shot F1 (1:1) 0.889, zero-shot AUROC 0.944, known F1 (1:1) 0.970, Infiltration 63.9%, Botnet 6.0% -- "
    "against 0.855, 0.944, 0.802, 41.7% and 6.7% for the same seed at 3 epochs. So on this split the 7 extra "
    "epochs lift known-attack F1 above the goal (0.95) and zero-shot F1 above 0.87 on this seed, unlike on the "
    "shared subsets of the first study; the section on the defaults has all 5 seeds. Cost of that command on this"
    " machine: 31 min 52 s wall while 5 other engineers' jobs kept the load average at 8-14 on the 2 cores (fit "
    "1,892 s), 1,139 s user + 12 s system CPU (torch's 2 threads), peak RSS 1.44 GB: the 20-minute bound was not "
    "met under that load. Run again once the load average had fallen to ~1-2: 4 min 45 s wall (fit 276 s), 451 s "
    "user + 11 s system CPU, peak RSS 1.43 GB, and the same figures to the last digit (seeded) -- within the "
    "bound.",
]


def _defaults_lines() -> tuple[list[str], str]:
    """Latent sculpting at the detector's own defaults (10 stage-1 epochs), the seeds that were run: the md section
    and one sentence of its P95 figures for the findings."""
    if not DEFAULTS.is_dir() or not any(DEFAULTS.glob("*-seed*/results.csv")):
        return [], ""
    res, cat, _, _ = zs._load(DEFAULTS)
    seeds = sorted(set(res["seed"]))
    rates = cat.pivot_table(index=["detector", "threshold_strategy", "seed"], columns="attack_category",
                            values="detection_rate")  # fmt: skip
    res = res.set_index(["detector", "threshold_strategy", "seed"]).join(rates[UNSEEN + ["normal"]])
    cols = ["zero_shot_balanced_f1", "zero_shot_auroc", "known_balanced_f1", *UNSEEN, "normal"]
    grouped = res.groupby(level=["detector", "threshold_strategy"])[cols]
    mean, std, k = grouped.mean(), grouped.std(ddof=1), len(seeds)
    resources = _resources(DEFAULTS)
    lines = [
        "",
        "## Latent sculpting at the detector's own defaults (10 stage-1 epochs)",
        "",
        "`python benchmarks/cicids2017_improved_zero_shot.py run --detectors latent-sculpting --defaults --seeds "
        "1,2,3,4,0` (run last, once the machine was quiet; torch's own thread count): seeds "
        + ", ".join(str(s) for s in seeds)
        + f" ({k} of 5 finished before the deadline). Mean fit {res['fit_seconds'].mean():.0f} s, job wall "
        f"{resources['wall_seconds'].mean():.0f} s, peak RSS {resources['peak_rss_mb'].mean():,.0f} MB.",
        "",
        "| variant | thr | zero-shot F1 (1:1) | zero-shot AUROC | known F1 (1:1) | "
        + " | ".join(f"{u} recall" for u in UNSEEN)
        + " | FPR |",
        "|---|---|---|---|---|" + "---|" * (len(UNSEEN) + 1),
    ]
    for variant in ("two-stage-knn", "two-stage", "knn", "density", "margin", "auto"):
        for thr in THRESHOLDS:
            key = (f"latent-sculpting:{variant}", thr)
            if key not in mean.index:
                continue
            m, sd = mean.loc[key], std.loc[key]
            cells = [_fmt(m[c], sd[c], k) for c in cols[:3]] + [_fmt(m[c], sd[c], k, pct=True) for c in cols[3:]]
            lines.append(f"| {variant} | {thr} | " + " | ".join(cells) + " |")
    m, sd = mean.loc[("latent-sculpting:two-stage-knn", "p95")], std.loc[("latent-sculpting:two-stage-knn", "p95")]
    goals = {"zero-shot F1": ("zero_shot_balanced_f1", 0.87), "AUROC": ("zero_shot_auroc", 0.92),
             "known F1": ("known_balanced_f1", 0.95), "Infiltration": ("Infiltration", 0.889),
             "Botnet": ("Botnet", 0.50)}  # fmt: skip
    met = [name for name, (col, goal) in goals.items() if m[col] >= goal]
    missed = [name for name in goals if name not in met]
    infil = _fmt(m["Infiltration"], sd["Infiltration"], k, pct=True)
    botnet = _fmt(m["Botnet"], sd["Botnet"], k, pct=True)
    text = (
        f"At the detector's own defaults (10 stage-1 epochs; seeds {', '.join(str(s) for s in seeds)}, section "
        f"above) the default score does much better: zero-shot F1 (1:1) {_fmt(m.iloc[0], sd.iloc[0], k)}, AUROC "
        f"{_fmt(m.iloc[1], sd.iloc[1], k)}, known F1 (1:1) {_fmt(m.iloc[2], sd.iloc[2], k)}, Infiltration "
        f"{infil}, Botnet {botnet}: goals met in the mean ({', '.join(met) or 'none'}), missed "
        f"({', '.join(missed) or 'none'})."
    )
    return lines, text


def _findings(cell: Any, rate: Any, chosen: str | None, default_text: str = "") -> list[str]:
    """The findings, with every figure read from the tables above (the prose was written after the run)."""
    knn, two = "latent-sculpting:two-stage-knn", "latent-sculpting:two-stage"

    def f(det: str, col: str) -> str:
        return cell(det, "p95", col)

    return [
        "",
        "## Findings",
        "",
        "**At its default 10 stage-1 epochs latent sculpting is at the seed's level on zero-shot F1 and above it on "
        "AUROC and known-attack F1, but far below on Infiltration; at the benchmark's 3 epochs it falls short.** "
        + default_text
        + " "
        "At the benchmark's 3 epochs (5 seeds), netad's default (`two-stage-knn`) at P95: zero-shot F1 (1:1) "
        f"{f(knn, 'zero_shot_balanced_f1')}"
        f" (goal 0.87), zero-shot AUROC {f(knn, 'zero_shot_auroc')} (goal 0.92, met), known F1 (1:1) "
        f"{f(knn, 'known_balanced_f1')} (goal 0.95), Infiltration {rate(knn, 'p95', 'Infiltration')} "
        f"(goal 88.9%), Botnet {rate(knn, 'p95', 'Botnet')} (goal 50%). The seed's rule `two-stage`: "
        f"zero-shot F1 {f(two, 'zero_shot_balanced_f1')}, known F1 {f(two, 'known_balanced_f1')}. "
        "NeuTraL AD, with DeepOD's defaults and no tuning, is level with or ahead of the 3-epoch latent sculpting on "
        "every zero-shot figure, and ahead of it at any setting on Infiltration and Botnet: zero-shot F1 "
        f"{f('neutral', 'zero_shot_balanced_f1')}, AUROC {f('neutral', 'zero_shot_auroc')}, Infiltration "
        f"{rate('neutral', 'p95', 'Infiltration')}, Botnet {rate('neutral', 'p95', 'Botnet')}, known F1 "
        f"{f('neutral', 'known_balanced_f1')}. The plain one-class OCSVM reproduces the seed's OCSVM row and more "
        f"(zero-shot F1 {f('ocsvm', 'zero_shot_balanced_f1')} vs the seed's 0.76), and the supervised MLP "
        f"reproduces the seed's generalisation gap (known F1 {f('mlp', 'known_balanced_f1')}, zero-shot F1 "
        f"{f('mlp', 'zero_shot_balanced_f1')}; the seed: 0.98 / 0.30).",
        "",
        "**Botnet is the family nobody but NeuTraL catches.** Its 736 flows (all on Friday 13:xx) are short "
        "exchanges of 5-6 forward and 4-7 backward packets of ~195 / ~128 bytes, squarely inside the bulk of "
        "benign traffic on every volume and timing feature; every density, distance and reconstruction score "
        "(latent sculpting's included) flags ~6% of them, about the false-positive rate, i.e. they are ranked "
        "like benign flows. NeuTraL's learned transformations pick up the combination of features "
        "(e.g. a fixed 8,192-byte forward initial window with a small backward one) and flag ~97%. The seed "
        "reported 4.1% on the official files; netad's latent sculpting is at the same level here, so the "
        "goal of 50% is not met by any stage-1 or stage-2 score of it (no variant exceeds ~7%).",
        "",
        "**Where latent sculpting's figures fall short.** Infiltration (36 flows, all in every test set) is caught "
        "by every one-class baseline at 92-96% but by latent sculpting's kNN/flow stage at ~45-66%: the encoder "
        "is sculpted to separate *known* attacks from benign traffic, and the benign manifold it learns from "
        "3,200 benign rows is tight around what stage 1 saw. Known-attack F1 (1:1) is held back by families "
        "that stage 1 (calibrated to flag 1% of benign training rows) flags on some seeds only -- SSH-Patator, "
        "Portscan, Infiltration - Portscan, the web attacks -- and that look benign to the unsupervised scores "
        "when it does not (per-family table). Caveats: the benign class is 5,000 rows (3,200 "
        "in training), so the test false-positive rate moves in steps of 0.1 point and 1:1 sets hold at most "
        "1,000 attacks; latent sculpting ran 3 stage-1 epochs, not the default 10 (compute; seed 0 at the default "
        "does markedly better, next paragraph); no learning curve over "
        "benign training size was run, so whether more benign rows would close the gaps is not shown.",
        "",
        *DEFAULT_RUN,
        "",
        f"**Default score.** The rule chose `{chosen}`"
        + (
            " by a margin far inside the seed-to-seed spread (see its table), so it does not ask for a change: "
            "netad's default stays `two-stage-knn`. On this split -- unseen families that no earlier choice "
            "looked at -- it beats the seed's `two-stage` on zero-shot F1 and Infiltration at P95 and loses some "
            "known F1; `margin`/`auto`, which a known-family validation set favours (and which tie with it under "
            "the rule), catch almost no unseen flow at 3 epochs. At the default 10 epochs the variants move much "
            "closer together (section above), so the choice matters less than the training length."
            if chosen == "two-stage-knn"
            else "."
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "select", "report", "_job", "_pseudo"])
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--detectors", default=",".join(DETECTORS))
    parser.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    parser.add_argument("--defaults", action="store_true", help="latent sculpting at the detector's own defaults")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.mode == "run":
        run([d.strip() for d in args.detectors.split(",") if d.strip()], seeds, args.defaults)
    elif args.mode == "select":
        select(seeds)
    elif args.mode == "_job":
        job(args.args[0], int(args.args[1]), args.defaults)
    elif args.mode == "_pseudo":
        pseudo(args.args[0], int(args.args[1]))
    else:
        print(report())


if __name__ == "__main__":
    main()
