"""Weakly supervised detection (the MNPWAD seed): a few labelled anomalies + contaminated unlabelled training rows.

    nice -n 10 python benchmarks/weak.py [--quick] [--no-peers] [--seeds 0,1,2,3,4] [--ratios 0.01,0.05,0.005]
    nice -n 10 python benchmarks/weak.py --rerun mnpwad      # re-run one detector, keep the other rows
    nice -n 10 python benchmarks/weak.py --log1p --datasets iot23-portscan,iot23-candc,iot23-ddos --ratios 0.01
    python benchmarks/weak.py --rerun mnpwad --report-only   # rebuild weak.md/json (with the log1p section)

Protocol ``weak`` (netad.protocols): the training partition keeps its attacks (contaminated), and only
``labelled_ratio`` of them are labelled (0.5%, 1%, 5%); validation and test as in ``novelty`` (seeded stratified
60/20/20 split, or the official test file where there is one). Training rows are capped at ``MAX_TRAIN`` (a seeded
subsample stratified by attack category, taken before the labelled anomalies are drawn), so the whole grid runs in
about an hour on 2 shared CPU cores. Every detector of a (dataset, seed) sees the same split and preprocessing
(netad.bench.job.fit_job: FlowPreprocessor fitted on the fit rows, standard scaling, one-hot categories).

Detectors: ``mnpwad`` (netad.detectors.mnpwad, defaults = the official train.sh: batch 128, lr 0.005, embedding 8,
m1 0.02, lambda_kl 1; prototypes chosen by silhouette among clusterings whose clusters all hold >= 2% of the rows);
DeepOD's weakly supervised DevNet, DeepSAD, PReNet, RoSAS, FeaWAD through netad's peer adapter
(netad.detectors.peers: 20 epochs, one thread); the supervised baseline ``gbm`` trained on the same few labels
(labelled anomalies = 1, every unlabelled row = 0); and the unsupervised ``autoencoder`` and ``iforest``, which
ignore labels and fit on all (contaminated) training rows. Their split and fit data do not depend on the labelled
ratio, so they are run once per (dataset, seed) and repeated in each ratio's table.

Datasets: the IoT-23 capture 34-1 cut into seed-style family subsets (benign + one malicious family, the family
thinned to 20% of the rows with a fixed seed; PortScan has only 122 rows, all kept: 6%), UNSW-NB15 (the shared
training-set sample), NSL-KDD (KDDTrain+ / KDDTest+), CIC-IDS-2017 (the shared balanced files) and KDDCup99 (10%
file). Metrics: AUC-ROC and AUC-PR (average precision) on the test split, mean ± std over seeds; the number of
prototypes MNPWAD chose per run. Results: benchmarks/results/weak.md and weak.json; raw per-job rows in
benchmarks/work/weak/jobs.jsonl (resumable: finished jobs are skipped on a re-run unless --fresh; ``--rerun
DETECTORS`` runs those detectors' jobs again and appends them: the newest row of a job wins). The split and the
preprocessing of a job depend only on (dataset, seed, labelled ratio, MAX_TRAIN), so re-run rows are comparable
with the others; the md lists when each detector's rows finished.

``--log1p``: the same jobs with signed log1p on every numeric column whose training minimum is >= 0, before the
standard scaler (``FlowPreprocessor(log1p=True)``), for every detector alike and fitted on the training rows only.
Its rows go to benchmarks/work/weak-log1p/ (jobs.jsonl + settings.json), never into the main log; the main report
(built by any non-log1p run or ``--report-only``) adds them as a separate section and a ``log1p`` key of weak.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "weak"
LOG1P_WORK = HERE / "work" / "weak-log1p"
RESULTS = HERE / "results"

MAX_TRAIN = 2000
SEEDS = [0, 1, 2, 3, 4]
RATIOS = [0.01, 0.05, 0.005]  # run in this order: 1% first
IOT_OPTIONS = {"attack_fraction": 0.2}
DATASETS: dict[str, dict[str, Any]] = {
    "iot23-candc": IOT_OPTIONS,
    "iot23-ddos": IOT_OPTIONS,
    "iot23-portscan": IOT_OPTIONS,
    "unsw-nb15": {},
    "nsl-kdd": {},
    "cicids2017": {},
    "kddcup99": {},
}
# The IoT-23 sets are cut from capture 34-1, named here: the loader reads every capture of a folder, and the shared
# folder now holds three (the earlier rows of weak.md were measured on 34-1 alone)
IOT23_CAPTURE = "iot23/CTU-IoT-Malware-Capture-34-1.conn.log.labeled.xz"


def dataset_path(dataset: str) -> str | None:
    """The file a benchmark dataset is read from (None: the loader's default search)."""
    if not dataset.startswith("iot23"):
        return None
    return str(Path(os.environ.get("NETAD_DATA", REPO.parent / "shared" / "data")) / IOT23_CAPTURE)


OURS = "mnpwad"
PEERS = ["deepod:DevNet", "deepod:DeepSAD", "deepod:PReNet", "deepod:RoSAS", "deepod:FeaWAD"]
SUPERVISED = ["gbm"]
UNSUPERVISED = ["autoencoder", "iforest"]
PARAMS: dict[str, dict[str, Any]] = {
    "mnpwad": {"n_threads": 1},
    "autoencoder": {"n_threads": 1},
    **{name: {"n_threads": 1} for name in PEERS},
}
BUDGET = {"seeds": [0, 1, 2], "other_ratio_detectors": [OURS, "gbm", "deepod:DevNet"]}
"""--budget: what fitted the time left on a CPU shared with four other jobs (load ~15 on 2 cores)."""
QUICK = {"max_train": 1500, "seeds": [0, 1], "ratios": [0.01], "datasets": ["iot23-candc", "unsw-nb15"]}


def run_one(job_dict: dict[str, Any]) -> dict[str, Any]:
    """Fit one detector on one weak split and score the test split (runs in a worker process)."""
    import torch

    torch.set_num_threads(1)
    from netad import metrics
    from netad.bench.job import fit_job
    from netad.bench.spec import Job

    job = Job(**job_dict)
    row: dict[str, Any] = {
        "dataset": job.dataset,
        "detector": job.detector,
        "seed": job.seed,
        "labelled_ratio": job.protocol_options["labelled_ratio"],
        "key": _key(job_dict),
    }
    try:
        fitted = fit_job(job)
        split, detector = fitted.split, fitted.detector
        scores = detector.decision_function(fitted.preprocessor.transform(split.test.features))
        measured = metrics.binary_metrics(split.test.label, scores, float(np.inf))
        row.update(
            auroc=measured["auroc"],
            auprc=measured["auprc"],
            fit_seconds=round(fitted.fit_seconds, 2),
            n_fit=fitted.n_fit,
            n_labelled=int(split.known_label.sum()),
            train_attack_share=float(split.train.label.mean()),
            n_test=len(split.test.label),
            test_attack_share=float(split.test.label.mean()),
            n_prototypes=getattr(detector, "n_prototypes_", None),
            min_cluster_share=getattr(detector, "min_cluster_share", None),
        )
    except Exception as exc:  # one failed job must not sink the grid: recorded, reported in the md
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=5)
    return row


def plan(
    seeds: list[int],
    ratios: list[float],
    datasets: list[str],
    detectors: list[str],
    max_train: int,
    preprocess: dict[str, Any] | None = None,
) -> list:
    """Job descriptions; unsupervised detectors only at the first ratio (their fit does not see labels).

    ``preprocess``: FlowPreprocessor options shared by every job (e.g. ``{"log1p": True}``), fitted on each job's
    training rows only."""
    from netad.bench.spec import Job

    jobs = []
    for ratio in ratios:  # the main ratio (first) completes first
        for dataset in datasets:
            for detector in detectors:
                if detector in UNSUPERVISED and ratio != ratios[0]:
                    continue
                for seed in seeds:
                    jobs.append(
                        Job(
                            dataset=dataset,
                            protocol="weak",
                            detector=detector,
                            seed=seed,
                            params=PARAMS.get(detector, {}),
                            dataset_options=DATASETS[dataset],
                            dataset_path=dataset_path(dataset),
                            protocol_options={"labelled_ratio": ratio},
                            max_train=max_train,
                            save_scores=False,
                            preprocess=dict(preprocess or {}),
                        ).to_dict()
                    )
    return jobs


def mean_std(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    return f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}"


def ratio_table(frame: pd.DataFrame, ratio: float, detectors: list[str], datasets: list[str], n_seeds: int) -> str:
    """One markdown table: datasets x detectors, 'AUC-PR / AUC-ROC' mean ± std; best AUC-PR mean in bold."""
    rows = frame[(frame.labelled_ratio == ratio) | frame.detector.isin(UNSUPERVISED)]
    header = "| dataset | " + " | ".join(detectors) + " |"
    lines = [header, "|" + "---|" * (len(detectors) + 1)]
    for dataset in datasets:
        cells, means = [], {}
        for detector in detectors:
            sub = rows[(rows.dataset == dataset) & (rows.detector == detector)]
            means[detector] = sub.auprc.mean() if len(sub) else np.nan
            runs = "" if len(sub) >= n_seeds else f" ({len(sub)} runs)"
            cells.append(f"{mean_std(sub.auprc)}{runs}<br>{mean_std(sub.auroc)}" if len(sub) else "–")
        finite = {d: m for d, m in means.items() if np.isfinite(m)}
        best = max(finite, key=finite.get) if finite else None
        cells = [f"**{c}**" if d == best else c for d, c in zip(detectors, cells, strict=True)]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def goal_check(frame: pd.DataFrame, ratio: float, datasets: list[str]) -> list[str]:
    """Per dataset: MNPWAD's AUC-PR rank, and whether it is first or within one std of the best peer."""
    rows = frame[(frame.labelled_ratio == ratio) | frame.detector.isin(UNSUPERVISED)]
    out = []
    for dataset in datasets:
        sub = rows[rows.dataset == dataset].groupby("detector").auprc.agg(["mean", "std"])
        if OURS not in sub.index or sub.loc[OURS, "mean"] != sub.loc[OURS, "mean"]:
            out.append(f"| {dataset} | – | – | – | – |")
            continue
        peers = sub.drop(index=OURS)
        best = peers["mean"].idxmax()
        ours = sub.loc[OURS]
        rank = int((sub["mean"] > ours["mean"]).sum()) + 1
        ok = ours["mean"] >= peers.loc[best, "mean"] or ours["mean"] + ours["std"] >= peers.loc[best, "mean"]
        out.append(
            f"| {dataset} | {rank} of {len(sub)} | {best} {peers.loc[best, 'mean']:.3f} "
            f"± {peers.loc[best, 'std']:.3f} | {ours['mean'] - peers.loc[best, 'mean']:+.3f} | "
            f"{'yes' if ok else 'no'} |"
        )
    return out


def run_windows(frame: pd.DataFrame) -> str:
    """'detector HH:MM–HH:MM (date)' per detector, from the rows' finish times (re-runs show up here)."""
    if "finished" not in frame or not len(frame):
        return "–"
    parts = []
    for detector, times in frame.groupby("detector", sort=False).finished:
        start, end = (dt.datetime.fromtimestamp(t, dt.timezone.utc) for t in (times.min(), times.max()))
        parts.append(f"{detector} {start:%Y-%m-%d %H:%M}–{end:%H:%M}")
    return "; ".join(parts)


def prototype_rule(frame: pd.DataFrame) -> str:
    """How MNPWAD's rows chose k: the size floor they ran with (missing in rows from before it existed)."""
    ours = frame[frame.detector == OURS]
    shares = sorted(set(ours.min_cluster_share.dropna())) if "min_cluster_share" in ours else []
    if not shares:
        return "best silhouette over k = 2..10"
    floors = " / ".join(f"{s:.0%}" for s in shares)
    return f"best silhouette over k = 2..10 among the k whose smallest k-means cluster holds >= {floors} of the rows"


def write_results(frame: pd.DataFrame, settings: dict[str, Any]) -> None:
    datasets = [d for d in settings["datasets"] if d in set(frame.dataset)]
    present = set(frame.detector)
    detectors = [d for d in [OURS, *PEERS, *SUPERVISED, *UNSUPERVISED] if d in present]
    ok = frame[frame.error.isna()] if "error" in frame else frame
    failed = frame[frame.error.notna() & ~frame.key.isin(set(ok.key))] if "error" in frame else frame.iloc[:0]
    lines = [
        "# Weakly supervised detection: MNPWAD and peers (protocol `weak`)",
        "",
        f"Date: {settings['date']}. Command: `{settings['command']}` (on 2 CPU cores shared with other work, "
        f"1 torch thread per job). Versions: {settings['versions']}.",
        "",
        "When each detector's rows finished (UTC): " + run_windows(ok) + ".",
        "",
        f"Settings: seeds {settings['seeds']}; training rows capped at {settings['max_train']:,} (seeded, stratified "
        "by attack category); labelled anomalies = labelled_ratio x the attacks left in the capped training rows "
        "(at least one); all other training rows unlabelled, attacks included. Cells: **AUC-PR** (first line) and "
        "AUC-ROC (second line) on the test split, mean ± std over seeds; bold = best AUC-PR mean of the row. "
        "`autoencoder` and `iforest` ignore labels: the same runs appear in every ratio's table.",
        "",
    ]
    if settings.get("peers_note"):
        lines += [settings["peers_note"], ""]
    for ratio in sorted(settings["ratios"]):
        lines += [
            f"## {ratio:.1%} labelled anomalies",
            "",
            ratio_table(ok, ratio, detectors, datasets, len(settings["seeds"])),
            "",
        ]
    main_ratio = 0.01 if 0.01 in settings["ratios"] else settings["ratios"][0]
    lines += [
        f"## Goal check at {main_ratio:.1%} labels (AUC-PR)",
        "",
        "| dataset | MNPWAD rank | best other detector | MNPWAD − best other (AUC-PR) | "
        "MNPWAD first or within one std (MNPWAD's) |",
        "|---|---|---|---|---|",
        *goal_check(ok, main_ratio, datasets),
        "",
        f"## Prototypes chosen by MNPWAD ({prototype_rule(ok)}, per seed)",
        "",
        "| dataset | " + " | ".join(f"{r:.1%}" for r in settings["ratios"]) + " |",
        "|---|" + "---|" * len(settings["ratios"]),
    ]
    ours = ok[ok.detector == OURS]
    for dataset in datasets:
        cells = []
        for ratio in settings["ratios"]:
            ks = ours[(ours.dataset == dataset) & (ours.labelled_ratio == ratio)].sort_values("seed").n_prototypes
            cells.append(", ".join(str(int(k)) for k in ks.dropna()) or "–")
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    sizes = ok.groupby(["dataset", "labelled_ratio"]).agg(
        n_fit=("n_fit", "max"),
        n_labelled=("n_labelled", "median"),
        train_attacks=("train_attack_share", "mean"),
        n_test=("n_test", "max"),
        test_attacks=("test_attack_share", "mean"),
    )
    lines += [
        "",
        "## Split sizes",
        "",
        "| dataset | labelled ratio | training rows | labelled anomalies (median) | attacks in training rows | "
        "test rows | attacks in test |",
        "|---|---|---|---|---|---|---|",
    ]
    for (dataset, ratio), r in sizes.iterrows():
        if dataset not in datasets:
            continue
        lines.append(
            f"| {dataset} | {ratio:.1%} | {int(r.n_fit):,} | {int(r.n_labelled)} | {r.train_attacks:.1%} | "
            f"{int(r.n_test):,} | {r.test_attacks:.1%} |"
        )
    fit = ok.groupby("detector").fit_seconds.agg(["mean", "max"])
    lines += ["", "## Fit time (s, all datasets)", "", "| detector | mean | max |", "|---|---|---|"]
    lines += [f"| {d} | {fit.loc[d, 'mean']:.1f} | {fit.loc[d, 'max']:.1f} |" for d in detectors if d in fit.index]
    if len(failed):
        lines += ["", "## Failed jobs", ""]
        lines += [
            f"- {r.dataset} / {r.detector} / seed {r.seed} / {r.labelled_ratio}: {r.error}" for r in failed.itertuples()
        ]
    log1p = read_log1p(LOG1P_WORK) if settings["name"] == "weak" else None
    if log1p is not None:
        lines += ["", *log1p_section(*log1p, main=ok)]
    lines += ["", "## Notes", "", *settings["notes"], ""]
    RESULTS.mkdir(exist_ok=True)
    name = settings["name"]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    payload: dict[str, Any] = {"settings": settings, "summary": summarize(ok)}
    if log1p is not None:
        log1p_frame, log1p_settings = log1p
        payload["log1p"] = {"settings": log1p_settings, "summary": summarize(log1p_frame[log1p_frame.error.isna()])}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1, default=str))


def summarize(ok: pd.DataFrame) -> list[dict[str, Any]]:
    """Mean/std AUC-PR and AUC-ROC per (ratio, dataset, detector), for the json."""
    summary = (
        ok.groupby(["labelled_ratio", "dataset", "detector"])
        .agg(auprc_mean=("auprc", "mean"), auprc_std=("auprc", "std"), auroc_mean=("auroc", "mean"),
             auroc_std=("auroc", "std"), runs=("seed", "count"))
        .reset_index()
    )  # fmt: skip
    return summary.to_dict(orient="records")


def read_log1p(work: Path) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The --log1p run's rows (newest row of a job wins; failures kept only where no row succeeded) and settings."""
    log_path, settings_path = work / "jobs.jsonl", work / "settings.json"
    if not log_path.exists() or not settings_path.exists():
        return None
    settings = json.loads(settings_path.read_text())
    wanted = {
        _row_key(dataset, detector, seed, ratio)
        for dataset in settings["datasets"]
        for detector in settings["detectors"]
        for seed in settings["seeds"]
        for ratio in settings["ratios"]
    }
    done: dict[str, dict[str, Any]] = {}
    for line in log_path.read_text().splitlines():
        row = json.loads(line)
        row["key"] = _row_key(row["dataset"], row["detector"], row["seed"], row["labelled_ratio"])
        if row["key"] in wanted:
            done[row["key"] + ("#error" if "error" in row else "")] = row
    frame = pd.DataFrame(list(done.values()))
    if not len(frame):
        return None
    if "error" not in frame:
        frame["error"] = None
    return frame, settings


def log1p_section(frame: pd.DataFrame, settings: dict[str, Any], main: pd.DataFrame) -> list[str]:
    """The IoT-23 log1p variant: its own tables and goal line, next to the standard-scaling figures."""
    ok = frame[frame.error.isna()]
    failed = frame[frame.error.notna() & ~frame.key.isin(set(ok.key))]
    present = set(ok.detector)
    detectors = [d for d in [OURS, *PEERS, *SUPERVISED, *UNSUPERVISED] if d in present]
    datasets = [d for d in settings["datasets"] if d in set(ok.dataset)]
    ratio = settings["ratios"][0]
    lines = [
        "## IoT-23 with log1p preprocessing (every detector)",
        "",
        f"Command: `{settings['command']}` ({settings['date']}; job log benchmarks/work/weak-log1p/jobs.jsonl). Rows "
        "finished (UTC): " + run_windows(ok) + ".",
        "",
        "Why: flow byte and packet counts are heavy-tailed, and standard scaling lets a few huge flows set the scale "
        "of a column. On iot23-portscan each run has one labelled anomaly, a 1-packet 40-byte TCP SYN; the ranking "
        "hinges on whether that 40-byte group scores above benign 60-byte SYNs, and under standard scaling the two "
        "differ by 2.3e-4 standard deviations in `orig_ip_bytes` (its spread comes from 160 kB scans; see the "
        "notes). Here every numeric column whose training minimum is >= 0 goes through sign(x)·log1p(|x|) before "
        "the standard scaler (`FlowPreprocessor(log1p=True)`), for EVERY detector alike (MNPWAD, the DeepOD peers, "
        "gbm, autoencoder, iforest), fitted on each job's training rows only; splits, seeds, labelled anomalies, "
        "detector settings and MAX_TRAIN are those of the main run. This is a variant, not the benchmark's "
        "preprocessing: the tables and the goal check above stay the standard-scaling ones.",
        "",
        f"### {ratio:.1%} labelled anomalies, log1p (AUC-PR first line, AUC-ROC second; mean ± std over seeds "
        f"{settings['seeds']})",
        "",
        ratio_table(ok, ratio, detectors, datasets, len(settings["seeds"])),
        "",
        "### MNPWAD against the best other detector, log1p vs standard scaling (AUC-PR)",
        "",
        "| dataset | MNPWAD rank (log1p) | best other (log1p) | MNPWAD (log1p) | MNPWAD − best other (log1p) | "
        "first or within one std, MNPWAD's (log1p) | within the best other's std (log1p) | "
        "MNPWAD − best other (standard scaling, table above) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for dataset in datasets:
        rows = ok[(ok.labelled_ratio == ratio) | ok.detector.isin(UNSUPERVISED)]
        sub = rows[rows.dataset == dataset].groupby("detector").auprc.agg(["mean", "std"])
        std_rows = main[((main.labelled_ratio == ratio) | main.detector.isin(UNSUPERVISED)) & (main.dataset == dataset)]
        std_sub = std_rows.groupby("detector").auprc.mean()
        std_gap = (
            f"{std_sub[OURS] - std_sub.drop(index=OURS).max():+.3f} ({std_sub.drop(index=OURS).idxmax()})"
            if OURS in std_sub.index and len(std_sub) > 1
            else "–"
        )
        if OURS not in sub.index or len(sub) < 2:
            lines.append(f"| {dataset} | – | – | – | – | – | – | {std_gap} |")
            continue
        peers = sub.drop(index=OURS)
        best, ours = peers["mean"].idxmax(), sub.loc[OURS]
        rank = int((sub["mean"] > ours["mean"]).sum()) + 1
        first = ours["mean"] >= peers.loc[best, "mean"]
        within = ours["mean"] + ours["std"] >= peers.loc[best, "mean"]
        verdict = "first" if first else ("within one std (MNPWAD's)" if within else "no")
        verdicts.append(f"{dataset}: {verdict}")
        lines.append(
            f"| {dataset} | {rank} of {len(sub)} | {best} {peers.loc[best, 'mean']:.3f} ± {peers.loc[best, 'std']:.3f}"
            f" | {ours['mean']:.3f} ± {ours['std']:.3f} | {ours['mean'] - peers.loc[best, 'mean']:+.3f} | "
            f"{'yes' if first or within else 'no'} | "
            f"{'yes' if ours['mean'] >= peers.loc[best, 'mean'] - peers.loc[best, 'std'] else 'no'} | {std_gap} |"
        )
    lines += ["", "Goal check under log1p (MNPWAD first, or within one std of the best other): " + "; ".join(verdicts)]
    lines[-1] += ". The goal check of record is the standard-scaling one above."
    lines += ["", *LOG1P_NOTES]
    if len(failed):
        lines += ["", "Failed jobs (log1p run):", ""]
        lines += [
            f"- {r.dataset} / {r.detector} / seed {r.seed} / {r.labelled_ratio}: {r.error}" for r in failed.itertuples()
        ]
    return lines


NOTES = [
    "- Differences from the seed's protocol: the seed splits 60/35/5 (train/test/validation) and early-stops on "
    "validation AUC with validation labels; here train/validation/test is netad's `weak` cut (60/20/20 or the "
    "official test file) and `fit` never sees validation or test labels (MNPWAD early-stops on a held-out 10% of "
    "its own training loss). The seed's IoT23_* sets came from several captures (Okiru is not in capture 34-1); "
    "ours are cut from the one shared capture, with the family thinned to 20% of the rows so that attacks are a "
    "minority, as anomalies should be. Training rows are capped (MAX_TRAIN) to fit the CPU budget.",
    "- UNSW-NB15, NSL-KDD, CIC-IDS-2017 and KDDCup99 keep their natural attack shares, which are high (see split "
    "sizes: 30-80% of the training rows): 'unlabelled = mostly normal' does not hold there. The label-free "
    "baselines suffer most (on KDDCup99, 80% attacks, the autoencoder's and Isolation Forest's AUC-ROC fall far "
    "below 0.5: the attacks are the common traffic); the weakly supervised models recover through the few labels.",
    "- The labelled anomalies are drawn with the split's seed, so where 0.5% and 1% give the same count (one "
    "labelled anomaly on the small IoT-23 sets) the two tables hold the same runs.",
    "- DeepOD's PReNet cannot train with a single labelled anomaly (it samples anomaly pairs without replacement: "
    "'Cannot take a larger sample than population'); those runs are listed under failed jobs.",
    "- Number of prototypes. The official rule (best silhouette over k = 2..10) picked 10, its upper bound, on every "
    "IoT-23 subset. Diagnosis (iot23-portscan, seed 0, pre-trained codes of the 1,225 unlabelled rows): the rows hold "
    "273 distinct feature vectors and 88 distinct codes (the largest groups: 511, 224 and 89 identical codes, from the "
    "one-hot `history`/`conn_state`/`service` columns); from k = 5 on, k-means peels off groups of 10, 5, 3, 2 and 1 "
    "rows, each so tight that the silhouette keeps climbing (0.84 at k = 2, 0.94 at k = 4, 0.97 at k = 6..10). On "
    "de-duplicated codes it climbs as well (0.63 -> 0.86), so duplicates are not the cause: tiny tight groups are. "
    "New rule (netad.nn.prototypes.init_prototypes, training rows only): the best silhouette among the k whose "
    "smallest k-means cluster holds at least `min_cluster_share` of the unlabelled rows, one prototype if no k does. "
    "A normal prototype should stand for a sizeable share of the traffic, and a small tight group of contaminated "
    "training rows can be an attack family (on iot23-portscan the 40-byte SYN group, 7% of the rows, is 75% "
    "PortScan). The floor, 2%, was chosen among {0, 2%, 5%} by the mean *validation* AUC-PR over the seven datasets "
    "at 1% labels, 5 seeds: 0.827 / 0.834 / 0.822 (5% cost UNSW-NB15 0.754 -> 0.678 on validation: there the "
    "silhouette is flat, 0.40-0.53 for every k, and many prototypes do better). The seed's 2/4/2/2 prototypes were "
    "not found by a rule either: its train.sh passes `--dataset2n_prototypes`, a file with those numbers.",
    "- iot23-portscan, why MNPWAD trails DeepSAD. Each run has one labelled anomaly (0.5% and 1%; four at 5%): a "
    "1-packet, 40-byte TCP SYN with no reply (`S0`, history `S`). 65-68 of the 73 training attacks are the same row, "
    "and so are 19-23 benign training rows; the test split has 20-23 such attacks and 5-13 identical benign rows, "
    "plus 3-11 benign 60-byte SYNs and 1-4 attacks that are large SYN scans (thousands of packets, with benign twins "
    "of the same shape). No detector can split identical rows, so AUC-PR is settled by where the 40-byte group lands "
    "against the 60-byte benign SYNs, and those differ by 2.3e-4 standard deviations in one column (orig_ip_bytes: "
    "standard scaling of a column whose spread comes from 160 kB scans). DeepSAD ranks the 40-byte group first in 4 "
    "of 5 seeds: its unbounded 1/distance^2 push on the labelled anomaly amplifies that tiny difference; MNPWAD's "
    "bounded sigmoid score (and weight decay) leaves both groups on one score, ordered by extrapolation, and the "
    "60-byte group lands on top in every seed of the old run (3-12 benign rows above the attacks). With log1p "
    "scaling of the numeric columns (not the benchmark's preprocessing) the two groups lie far apart and the gap "
    "narrows: see the section 'IoT-23 with log1p preprocessing (every detector)' (5 seeds, 1%: MNPWAD 0.663 ± "
    "0.160, DeepSAD 0.719 ± 0.070). "
    "Changes tried and not kept (validation AUC-PR, iot23-portscan): sharper normal likelihood (beta = 5: "
    "0.600 vs 0.592), 100 epochs (early stopping ends earlier: unchanged), weight decay 1e-5 (0.612, and lower on "
    "iot23-candc); the prototype rule is what changed it (0.592 -> 0.629).",
    "- Effect of the prototype rule (MNPWAD rows of this run against the previous run with the official rule, "
    "test AUC-PR, 5 seeds). At 1%: every dataset moves by at most 0.01, except iot23-portscan, 0.583 -> 0.627 (the "
    "40-byte attack group now tops the ranking in seed 0 and partly in seed 4; seeds 1-3 still put the 60-byte "
    "benign SYNs first). That is still 0.077 below DeepSAD, outside DeepSAD's std: the goal check says 'yes' only "
    "through MNPWAD's own spread (0.627 + 0.105 >= 0.704), the gap is not closed. At 0.5%: iot23-candc 0.719 -> "
    "0.766, iot23-portscan +0.044, nsl-kdd 0.854 -> 0.795 (one seed: k 7 -> 6 and 0.897 -> 0.606; on that split "
    "other random states give 0.56-0.78, so NSL-KDD with 5 labelled anomalies is unstable under either rule). At 5%: "
    "iot23-candc 0.900 -> 0.858 (k 10 -> 5-6; seen on validation too, 0.903 -> 0.878), iot23-portscan 0.577 -> "
    "0.637, the rest within 0.002. Mean validation AUC-PR over the seven datasets, official rule -> 2% floor: 0.776 "
    "-> 0.784 (0.5%), 0.827 -> 0.834 (1%), 0.872 -> 0.872 (5%).",
    "- Re-run: after the prototype rule changed, only the MNPWAD rows were re-run (`--rerun mnpwad`: the newest row "
    "of a job wins); every other row comes from the earlier full run of the same day (see when each detector's rows "
    "finished, at the top). A job's split and preprocessing depend only on (dataset, seed, labelled ratio, "
    "MAX_TRAIN); to check that nothing moved, MNPWAD with the old rule (min_cluster_share=0) was re-fitted on the "
    "1% splits: it reproduced its earlier AUC-PR on all seven datasets (e.g. iot23-portscan 0.583 ± 0.092, "
    "unsw-nb15 0.755 ± 0.021). `python benchmarks/weak.py --fresh` rebuilds every row.",
    "- MNPWAD adds one thing to the paper's losses: a hinge that keeps prototypes' cosine <= 0.9 (without it, "
    "prototypes that k-means placed close together merged during training on these data).",
]


LOG1P_NOTES = [
    "Reading (run of 2026-11-23). iot23-portscan: log1p moves MNPWAD from 0.627 ± 0.105 to 0.663 ± 0.160 (per "
    "seed 0.703, 0.716, 0.783, 0.382, 0.732; standard scaling: 0.713, 0.716, 0.557, 0.478, 0.670) and DeepSAD from "
    "0.704 ± 0.061 to 0.719 ± 0.070: the gap narrows from -0.077 to -0.056 and now lies within DeepSAD's std as well "
    "as MNPWAD's, but it is not closed, and one seed (3) is MNPWAD's worst run under either preprocessing. "
    "iot23-candc: MNPWAD 0.860 -> 0.849 while DeepSAD gains 0.830 -> 0.847, so MNPWAD's lead shrinks to +0.001; "
    "iot23-ddos: every weakly supervised detector stays at 0.99-1.00. The previous diagnosis figure (MNPWAD 0.672 ± "
    "0.119, outside the benchmark) is not reproduced by the current code: its script, re-run now, gives the "
    "benchmark's per-seed values (seeds 0 and 3 checked: 0.703, 0.382), so it presumably predates MNPWAD's last "
    "change (not traced further); its DeepSAD figure (0.719 ± 0.070) is reproduced exactly.",
]


def versions() -> str:
    from netad.bench.runner import package_versions

    found = package_versions(("torch", "scikit-learn", "deepod"))
    if found["deepod"] == "not installed":  # listed only when present
        del found["deepod"]
    return ", ".join([f"python {platform.python_version()}", *(f"{k} {v}" for k, v in found.items())])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two datasets, two seeds, 1%% only (a smoke run)")
    parser.add_argument("--no-peers", action="store_true", help="skip the DeepOD peers")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0-4)")
    parser.add_argument("--ratios", default=None, help="comma-separated labelled ratios")
    parser.add_argument("--datasets", default=None, help="comma-separated dataset names")
    parser.add_argument("--detectors", default=None, help="comma-separated detector names (default: all)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="ignore finished jobs in jobs.jsonl")
    parser.add_argument("--budget", action="store_true", help="the reduced grid of BUDGET (see the md)")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the md from jobs.jsonl")
    parser.add_argument("--rerun", default="", help="comma-separated detectors whose finished jobs are run again")
    parser.add_argument(
        "--log1p",
        action="store_true",
        help="signed log1p on the numeric columns before scaling, for every detector (FlowPreprocessor(log1p=True)); "
        "own job log (benchmarks/work/weak-log1p/), reported as a separate section of weak.md",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    os.environ.setdefault("NETAD_DATA", "/work/shared/data")

    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else (QUICK["seeds"] if args.quick else SEEDS)
    ratios = [float(r) for r in args.ratios.split(",")] if args.ratios else (QUICK["ratios"] if args.quick else RATIOS)
    datasets = args.datasets.split(",") if args.datasets else (QUICK["datasets"] if args.quick else list(DATASETS))
    detectors = [OURS, *([] if args.no_peers else PEERS), *SUPERVISED, *UNSUPERVISED]
    if args.detectors:
        detectors = args.detectors.split(",")
    max_train = QUICK["max_train"] if args.quick else MAX_TRAIN
    name = "weak_quick" if args.quick else "weak"
    work = WORK.with_name(name)
    preprocess: dict[str, Any] = {}
    if args.log1p:
        preprocess = {"log1p": True}
        work = LOG1P_WORK.with_name(LOG1P_WORK.name + ("-quick" if args.quick else ""))
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "jobs.jsonl"
    done: dict[str, dict[str, Any]] = {}
    rerun = {d for d in args.rerun.split(",") if d} if not args.report_only else set()
    if log_path.exists() and not args.fresh:
        for line in log_path.read_text().splitlines():
            row = json.loads(line)
            if row["detector"] in rerun:
                continue  # run again; the new row is appended and wins on later reads (the newest row of a key)
            row["key"] = _row_key(row["dataset"], row["detector"], row["seed"], row["labelled_ratio"])
            done[row["key"] + ("#error" if "error" in row else "")] = row
    if args.budget:
        # the CPU-budget grid: every detector at the main ratio, three detectors at the others, 3 seeds
        seeds = BUDGET["seeds"]
        jobs = plan(seeds, ratios[:1], datasets, detectors, max_train, preprocess)
        others = [d for d in detectors if d in BUDGET["other_ratio_detectors"]]
        jobs += plan(seeds, ratios[1:], datasets, others, max_train, preprocess) if len(ratios) > 1 else []
    else:
        jobs = plan(seeds, ratios, datasets, detectors, max_train, preprocess)
    todo = [] if args.report_only else [j for j in jobs if _key(j) not in done]
    logging.info("%d jobs, %d already done", len(jobs), len(jobs) - len(todo))

    from joblib import Parallel, delayed

    with log_path.open("a") as log:
        for row in Parallel(n_jobs=args.n_jobs, return_as="generator_unordered", batch_size=1)(
            delayed(run_one)(j) for j in todo
        ):
            row["finished"] = time.time()
            log.write(json.dumps(row, default=str) + "\n")
            log.flush()
            done_or_failed = "FAILED " + row["error"][:200] if "error" in row else f"auprc {row['auprc']:.3f}"
            logging.info("%s %s seed %s r=%s: %s", row["dataset"], row["detector"], row["seed"],
                         row["labelled_ratio"], done_or_failed)  # fmt: skip
            if "error" not in row:
                done[row["key"]] = row
            else:
                done[row["key"] + "#error"] = row
    wanted = {_key(j) for j in jobs}
    frame = pd.DataFrame([r for k, r in done.items() if k.split("#")[0] in wanted])
    if "error" not in frame:
        frame["error"] = None
    peers_note = ""
    finished = set(frame[frame.error.isna()].key) if len(frame) else set()
    failed_keys = set(frame[frame.error.notna()].key) - finished if len(frame) else set()
    missing = len(wanted - finished - failed_keys)
    if missing and not args.budget:
        peers_note = (
            f"**{len(wanted) - missing} of {len(wanted)} planned jobs finished** (the run was stopped at the time "
            "limit; the CPU was shared with four other helpers' jobs): cells with fewer runs than seeds say "
            "'(n runs)'. Re-running the same command resumes the grid."
        )
    if args.budget:
        peers_note = (
            f"**Reduced grid (--budget)**: seeds {BUDGET['seeds']}; every detector at {ratios[0]:.1%} labels, only "
            f"{', '.join(BUDGET['other_ratio_detectors'])} (and the label-free baselines) at the other ratios. The "
            "full grid (5 seeds, every detector at every ratio: 805 jobs) did not fit the time left on a CPU "
            "shared with four other helpers' jobs (load ~15 on 2 cores, ~20 s per job); `python "
            "benchmarks/weak.py` without --budget runs it."
        )
    if args.no_peers:
        peers_note = "**The DeepOD peers were not run (--no-peers).**"
    settings = {
        "name": name,
        "date": dt.date.today().isoformat(),
        "command": "nice -n 10 python benchmarks/weak.py"
        + (" " + " ".join(a for a in (argv or sys.argv[1:]) if a != "--report-only")).rstrip(),
        "versions": versions(),
        "seeds": seeds,
        "ratios": ratios,
        "datasets": datasets,
        "max_train": max_train,
        "dataset_options": {d: DATASETS[d] for d in datasets},
        "params": PARAMS,
        "peers_note": peers_note,
        "notes": NOTES,
    }
    if args.log1p:  # the main md/json stay the standard-scaling run; the log1p rows are a section of them
        settings.update(preprocess=preprocess, detectors=detectors, n_planned=len(wanted), n_missing=missing)
        (work / "settings.json").write_text(json.dumps(settings, indent=1, default=str))
        logging.info("wrote %s; rebuild the md with `python benchmarks/weak.py --report-only`", work / "jobs.jsonl")
        return
    write_results(frame, settings)
    logging.info("wrote %s", RESULTS / f"{name}.md")


def _key(job: dict[str, Any]) -> str:
    """A job's identity in jobs.jsonl, from its fields (independent of netad's Job.key format)."""
    return _row_key(job["dataset"], job["detector"], job["seed"], job["protocol_options"]["labelled_ratio"])


def _row_key(dataset: str, detector: str, seed: int, ratio: float) -> str:
    return f"{dataset}__{detector}__seed{int(seed)}__r{float(ratio)}"


if __name__ == "__main__":
    main()
