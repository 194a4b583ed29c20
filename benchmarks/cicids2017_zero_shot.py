"""CIC-IDS-2017 zero-shot: latent sculpting against the baselines of its seed, on one split and preprocessing.

    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 0   # one process per seed
    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 0 \
        --latent-params '{"alpha": 0.1, "beta": 0.1}' --tag "(a=b=0.1)"              # the notebook's DCCL weights
    python benchmarks/cicids2017_zero_shot.py run --detectors mlp,ocsvm-sgd,iforest,autoencoder,maf
    python benchmarks/cicids2017_zero_shot.py plot      # UMAP of the sculpted latent space (seed 0)
    python benchmarks/cicids2017_zero_shot.py report    # -> benchmarks/results/cicids2017_zero_shot.md

Each baseline (detector, seed) is one ``netad.bench.run`` of the ``zero-shot`` protocol (the same code path as
``netad bench --dataset cicids2017 --protocol zero-shot``); latent sculpting is fitted once per seed through the
bench's own ``fit_job`` and each of its four ``score`` variants is evaluated as ``run_job`` would. Thresholds
p99/p97/p95 = percentiles of the *validation normals'* scores; run directories under
benchmarks/work/cicids2017_zero_shot/ (git-ignored). About 15-25 min per latent-sculpting seed on 2 busy cores.
``report`` merges them: mean +- std over seeds 0, 1, 2 of known-attack F1, zero-shot F1 (natural test
prevalence and the seed's 1:1 balanced sets), AUROC/AUPRC, and detection rate per attack family.

Data: the four CIC-IDS-2017 subsets in /work/shared/data (Tuesday, Thursday morning/afternoon, Friday morning;
no Monday/Wednesday/Friday-afternoon), so the zero-shot default is unseen = Bot + Infiltration, seen =
FTP-Patator, SSH-Patator and the three web attacks (the seed held out DoS slowloris/Slowhttptest too).
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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "cicids2017_zero_shot"
RESULTS = HERE / "results"
SEEDS = [0, 1, 2]
THRESHOLDS = "p99,p97,p95"

# CPU budget (2 shared cores): the seed's encoder unchanged; stage 1 for 4 epochs at batch 256 (the seed: 10 at
# 512 on ~0.5 M rows on a GPU); the flow 5 MADE blocks x 128 units on <= 30,000 benign latents (the seed: 16 x 512
# on ~1.45 M).
PARAMS: dict[str, dict[str, Any]] = {
    "latent-sculpting": {
        "epochs": 4,
        "batch_size": 256,
        "flow_blocks": 5,
        "flow_hidden": [128],
        "flow_epochs": 10,
        "max_flow_rows": 30000,
        "n_threads": 1,
    },
    "autoencoder": {"epochs": 30, "n_threads": 1},
    "maf": {"hidden": [128], "epochs": 10, "n_threads": 1},
}
ORDER = [
    "latent-sculpting:two-stage", "latent-sculpting:density", "latent-sculpting:distance",
    "latent-sculpting:margin", "mlp", "ocsvm-sgd", "iforest", "autoencoder", "maf",
]  # fmt: skip

# The seed's README (complete CIC-IDS-2017, 1:1 balanced evaluation sets, thresholds from training benign rows).
SEED = {
    ("latent-sculpting:two-stage", "p99"): {"known_f1": 0.96, "zero_shot_f1": 0.67, "Infiltration": 0.6944},
    ("latent-sculpting:two-stage", "p97"): {"known_f1": 0.95, "zero_shot_f1": 0.74, "Infiltration": 0.8611},
    ("latent-sculpting:two-stage", "p95"): {"known_f1": 0.94, "zero_shot_f1": 0.87, "Infiltration": 0.8889},
    ("mlp", ""): {"known_f1": 0.98, "zero_shot_f1": 0.30, "Infiltration": 0.0},
    ("ocsvm-sgd", ""): {"known_f1": 0.76, "zero_shot_f1": 0.76, "Infiltration": 0.8571},
}


FINDINGS: list[str] = [  # written from the tables above (3 seeds, 2026-11-23); re-check after a re-run
    "",
    "## Findings",
    "",
    "**The seed's goal is not met.** netad's default (`latent-sculpting`, two-stage score, alpha = beta = gamma = 1) "
    "at P95: zero-shot F1 on 1:1 sets 0.34 (goal 0.87, -0.53), known-attack F1 on 1:1 sets 0.60 (goal 0.94, "
    "-0.34), Infiltration recall 32% (goal 88.9%, -57 points). The score variant best on validation (`margin`, "
    "stage 1's centroid evidence alone) reaches known F1 0.85 (1:1) but zero-shot F1 0.14 and Infiltration 1%.",
    "",
    "Where netad's latent sculpting is ahead: **ranking unseen attacks**. Zero-shot AUROC 0.84-0.88 (margin 0.88, "
    "density 0.84, two-stage 0.84) against 0.79 for the supervised MLP and 0.58-0.71 for every unsupervised "
    "baseline; at P95 it flags 23-31% of the unseen Bot flows (two-stage, density) where every baseline flags "
    "<= 5%. The UMAP shows why: most Bot flows land next to the seen brute-force clusters, away from benign traffic.",
    "",
    "Where it trails: known attacks (the supervised MLP: 0.97 F1 on 1:1 sets, the seed's MLP 0.98) and "
    "Infiltration, which the plain unsupervised baselines catch as well as the seed did (OCSVM-SGD, autoencoder, "
    "MAF on raw features: 88.9% at P95; the seed's latent sculpting 88.9%, its OCSVM 85.7%). The seed's other "
    "two baselines reproduce: the supervised MLP collapses on unseen families (zero-shot F1 <= 0.07, Infiltration "
    "5-7%; seed 0.30 and 0%); a one-class model misses brute-force attacks that look benign (OCSVM-SGD known F1 "
    "0.01 here; seed 0.76 with DoS/DDoS/PortScan among the known families).",
    "",
    "Why the gap, in order of weight:",
    "",
    "1. Data. Only four CIC-IDS-2017 subsets are available: the seen families are FTP/SSH brute force and web "
    "attacks (no DoS, DDoS, PortScan), whose flows resemble benign sessions, and the unseen set is 98% Bot "
    "(1,966 rows) + 36 Infiltration rows. The seed's unseen set is dominated by DoS slowloris/Slowhttptest "
    "(~11k of 13.3k rows), which it could not be compared on here.",
    "2. Compute. Stage 1 ran 4 epochs over 18k rows on a shared CPU (the seed: 10 epochs over ~0.5 M rows on a "
    "GPU); the encoder is still improving (per-family detection varies widely between seeds, e.g. SSH-Patator "
    "34% +- 29% under two-stage at P95). The flow is 5 x 128 on <= 30k latents, not 16 x 512 on 1.45 M.",
    "3. The flow's density is not a reliable novelty score on sculpted latents: attack latents gathered in a "
    "tight cluster can receive *higher* density than spread-out benign latents (a known failure of flows for "
    "out-of-distribution detection). With the notebook's alpha = beta = 0.1 the density ranked attacks below "
    "benign on validation (AUROC 0.63); with alpha = beta = 1 it is 0.88, still below the centroid scores.",
    "4. Protocol. netad sets every threshold on validation normals (a fixed 5% false-positive rate at P95) and "
    "calibrates stage 1 to flag 1% of benign training rows. The seed took the flow's percentile on training "
    "benign rows and let the uncalibrated stage 1 flag freely: on this data that rule flagged 24% of test "
    "normals (measured on seed 0 before the calibration was added).",
    "",
    "Changes from the seed's recipe, each measured or forced: the centroid-separation hinge on the distance, "
    "not its square (the squared hinge left the encoder collapsed at loss = margin on CPU-length runs); "
    "positional embedding initialised at std 0.02; calibrated stage-1 flag; benign:attack 1:1 in stage 1 (the "
    "detector sees binary labels, not the size of the largest family); the seed's engineered bytes_per_packet "
    "and packets_per_second are not added because they equal existing columns (correlation 1.0 with `Fwd "
    "Packet Length Mean`; median relative difference 2e-5 to `Fwd Packets/s`).",
]


def _env() -> None:
    os.environ.setdefault("NETAD_DATA", str(REPO.parent / "shared" / "data"))
    os.environ.setdefault("NETAD_CACHE", str(HERE / "work" / "cache"))


def run(detectors: list[str], seeds: list[int]) -> None:
    """One bench run per (detector, seed), so that finished seeds are on disk while later ones run."""
    import netad.bench

    _env()
    for detector in detectors:
        for seed in seeds:
            out = WORK / f"{detector}-seed{seed}"
            if (out / "results.csv").is_file():
                logging.info("%s exists; skipped", out)
                continue
            started = time.perf_counter()
            result = netad.bench.run(
                "cicids2017",
                detector,
                seeds=[seed],
                protocol="zero-shot",
                threshold=THRESHOLDS,
                out=out,
                detector_params={detector: PARAMS[detector]} if detector in PARAMS else None,
                n_jobs=1,
                overwrite=True,
            )
            if result.errors:
                raise RuntimeError(f"{detector} seed {seed}: {result.errors}")
            logging.info("%s seed %d done in %.0f s", detector, seed, time.perf_counter() - started)


LATENT_SCORES = ("two-stage", "density", "distance", "margin")


def run_latent(seeds: list[int], extra: dict[str, Any] | None = None, tag: str = "") -> None:
    """Latent sculpting: one fit per seed (``netad.bench.job.fit_job``, the bench's own fit path), then every
    ``score`` variant evaluated exactly as ``run_job`` does (validation-normal percentiles, same metrics)."""
    from sklearn.metrics import roc_auc_score

    from netad.bench.job import evaluate, fit_job
    from netad.bench.runner import _versions
    from netad.bench.spec import Job

    _env()
    for seed in seeds:
        job = Job(
            "cicids2017", "zero-shot", "latent-sculpting", seed, thresholds=tuple(THRESHOLDS.split(",")),
            params={**PARAMS["latent-sculpting"], **(extra or {})},
        )  # fmt: skip
        started = time.perf_counter()
        fitted = fit_job(job)
        split, detector = fitted.split, fitted.detector
        X_val = fitted.preprocessor.transform(split.validation.features)
        X_test = fitted.preprocessor.transform(split.test.features)
        for variant in LATENT_SCORES:
            detector.set_params(score=variant)
            val_scores = detector.decision_function(X_val)
            start = time.perf_counter()
            test_scores = detector.decision_function(X_test)
            score_seconds = time.perf_counter() - start
            base = {
                "dataset": job.dataset, "protocol": job.protocol, "detector": f"latent-sculpting{tag}:{variant}",
                "variant": variant, "seed": seed, "n_train": fitted.n_fit, "n_validation": len(split.validation),
                "n_test": len(split.test), "n_features": int(X_test.shape[1]), "fit_seconds": fitted.fit_seconds,
                "score_seconds": score_seconds, "params": json.dumps({**job.params, "score": variant}),
                # validation holds normals and seen attacks only: a legitimate basis to choose a variant
                "validation_auroc": roc_auc_score(split.validation.label, val_scores),
                "stage1_benign_flag_rate": detector.stage1_benign_flag_rate_,
            }  # fmt: skip
            rows, per_category = evaluate(job.thresholds, split, base, val_scores, test_scores, seed=seed)
            out = WORK / f"latent-sculpting{tag}[{variant}]-seed{seed}"
            out.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(out / "results.csv", index=False)
            pd.DataFrame(per_category).to_csv(out / "per_category.csv", index=False)
            config = {"jobs": [job.to_dict()], "splits": {f"seed{seed}": split.info}, "versions": _versions()}
            (out / "config.json").write_text(json.dumps(config, indent=1, default=str))
        logging.info("latent-sculpting seed %d done in %.0f s", seed, time.perf_counter() - started)
        if seed == 0 and not tag and not (RESULTS / "cicids2017_zero_shot_latent.png").is_file():
            _draw(detector, X_test, split.test.attack_category)


def _draw(detector: Any, X_test: np.ndarray, categories: np.ndarray) -> Path:
    from netad.plots import latent_plot

    path = RESULTS / "cicids2017_zero_shot_latent.png"
    latent_plot(
        detector, X_test, categories, path, method="umap", n_samples=4000,
        title="UMAP of the sculpted 32-d latent space, CIC-IDS-2017 test rows (seed 0; Bot, Infiltration unseen)",
    )  # fmt: skip
    return path


def plot() -> Path:
    """UMAP of the latent-sculpting code of test rows (seed 0), coloured by attack family."""
    from netad.bench.job import fit_job
    from netad.bench.spec import Job
    from netad.plots import latent_plot

    _env()
    job = Job("cicids2017", "zero-shot", "latent-sculpting", 0, params=PARAMS["latent-sculpting"])
    fitted = fit_job(job)
    X_test = fitted.preprocessor.transform(fitted.split.test.features)
    path = RESULTS / "cicids2017_zero_shot_latent.png"
    latent_plot(
        fitted.detector,
        X_test,
        fitted.split.test.attack_category,
        path,
        method="umap",
        n_samples=4000,
        title="UMAP of the sculpted 32-d latent space, CIC-IDS-2017 test rows (seed 0; Bot, Infiltration unseen)",
    )
    return path


def _fmt(mean: float, std: float) -> str:
    return "–" if not np.isfinite(mean) else f"{mean:.3f} ± {std:.3f}"


def report() -> Path:
    results, per_category, configs = [], [], {}
    for run_dir in sorted(WORK.glob("*-seed*")):
        if not (run_dir / "results.csv").is_file():
            continue
        results.append(pd.read_csv(run_dir / "results.csv"))
        per_category.append(pd.read_csv(run_dir / "per_category.csv"))
        configs[run_dir.name] = json.loads((run_dir / "config.json").read_text())
    if not results:
        raise SystemExit(f"no finished runs under {WORK}")
    res = pd.concat(results, ignore_index=True)
    cat = pd.concat(per_category, ignore_index=True)
    present = set(res["detector"])
    detectors = sorted(d for d in present if d.startswith("latent-sculpting")) + [d for d in ORDER if d in present]
    detectors = list(dict.fromkeys(detectors))
    columns = [
        "known_f1", "known_balanced_f1", "zero_shot_f1", "zero_shot_balanced_f1", "zero_shot_recall",
        "zero_shot_auroc", "zero_shot_auprc", "known_auroc", "fit_seconds",
    ]  # fmt: skip
    grouped = res.groupby(["detector", "threshold_strategy"])
    mean, std, n = grouped[columns].mean(), grouped[columns].std(ddof=1).fillna(0.0), grouped.size()
    rates = cat.groupby(["detector", "threshold_strategy", "attack_category"])["detection_rate"]
    rate_mean, rate_std = rates.mean(), rates.std(ddof=1).fillna(0.0)
    families = [c for c in sorted(set(cat["attack_category"])) if c != "normal"] + ["normal"]
    split = next(iter(configs.values()))["splits"]
    split_info = next(iter(split.values()))
    sizes = split_info["class_balance"]

    lines = [
        "# CIC-IDS-2017 zero-shot: latent sculpting vs baselines",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: 2 shared CPU cores (other jobs running), "
        f"Python {platform.python_version()}, "
        + ", ".join(
            f"{k} {v}"
            for k, v in next(iter(configs.values()))["versions"].items()
            if k in ("torch", "scikit-learn", "numpy")
        )
        + ".",
        "",
        "Command: `python benchmarks/cicids2017_zero_shot.py run --detectors ...` (each job is "
        "`netad.bench.run('cicids2017', det, protocol='zero-shot', threshold='p99,p97,p95')`, the same path as "
        "`netad bench --dataset cicids2017 --protocol zero-shot -m DET -t p99,p97,p95`), then `... plot` and "
        "`... report`. Seeds " + ", ".join(str(s) for s in sorted(set(res["seed"]))) + "; mean ± std over seeds.",
        "",
        "## Split (seed 0) and how it differs from the seed's",
        "",
        f"- unseen (test only): {', '.join(split_info['unseen_categories'])}; seen: "
        f"{', '.join(split_info['seen_categories'])}.",
        f"- train {split_info['sizes']['train']:,} rows, validation {split_info['sizes']['validation']:,}, test "
        f"{split_info['sizes']['test']:,} (test: {sizes['test']['label_0']:,} normal, "
        f"{split_info['test_unseen_rows']:,} unseen-family attacks, {split_info['test_seen_attack_rows']:,} "
        "seen-family attacks).",
        "- Data: only four CIC-IDS-2017 subsets are available (all attacks of Tuesday, Thursday and Friday morning "
        "plus a sample of each day's benign rows; no Monday/Wednesday/Friday-afternoon). So DoS slowloris and "
        "Slowhttptest cannot be held out, the seen families are brute force and web attacks (not DoS/DDoS/"
        "PortScan), and benign traffic is ~70% of rows (the seed: ~80%). Infiltration has 36 rows in total.",
        "- Thresholds: percentiles of the **validation normals'** scores (the seed took them on its training "
        "benign rows). Test normals are 20% of benign rows, as in the seed.",
        "- Metrics: `known_f1` = test normals + seen-family test attacks; `zero_shot_f1` = test normals + "
        "unseen-family attacks, at the test set's natural prevalence (~19% attacks); `*_balanced_f1` = the same "
        "on a seeded 1:1 sample (every attack, as many normals), which is how the seed reports both F1s. AUROC/"
        "AUPRC are on the natural zero-shot view. Preprocessing: the same `FlowPreprocessor` recipe (standard "
        "scaling; constant and duplicate columns dropped, fitted on each detector's fit rows: all training rows "
        "for the label-using `latent-sculpting`/`mlp`, the training normals for the others). The seed's two "
        "engineered ratios (bytes/packet, packets/s) are not added.",
        "",
        "## Known-attack and zero-shot F1",
        "",
        "| detector | threshold | known F1 | known F1 (1:1) | zero-shot F1 | zero-shot F1 (1:1) | zero-shot "
        "recall | zero-shot AUROC | zero-shot AUPRC | fit s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for det in detectors:
        for thr in ("p99", "p97", "p95"):
            if (det, thr) not in mean.index:
                continue
            m, s = mean.loc[(det, thr)], std.loc[(det, thr)]
            lines.append(
                f"| {det} | {thr} | "
                + " | ".join(_fmt(m[c], s[c]) for c in columns[:7])
                + f" | {m['fit_seconds']:.0f} |"
            )
    lines += [
        "",
        "## Detection rate per attack family (mean ± std over seeds; `normal` = false-positive rate)",
        "",
        "| detector | threshold | " + " | ".join(families) + " |",
        "|---|---|" + "---|" * len(families),
    ]
    for det in detectors:
        for thr in ("p99", "p97", "p95"):
            if (det, thr) not in mean.index:
                continue
            cells = []
            for family in families:
                key = (det, thr, family)
                cells.append(
                    _fmt(rate_mean.get(key, np.nan), rate_std.get(key, 0.0)) if key in rate_mean.index else "–"
                )
            lines.append(f"| {det} | {thr} | " + " | ".join(cells) + " |")
    # per unseen family: the F1 a 1:1 set of that family and test normals has in expectation,
    # 2r / (1 + r + f) with r its detection rate and f the false-positive rate on all test normals
    unseen = list(split_info["unseen_categories"])
    wide = cat.pivot_table(
        index=["detector", "threshold_strategy", "seed"], columns="attack_category", values="detection_rate"
    )
    lines += [
        "",
        "## Zero-shot F1 per unseen family on a 1:1 set (expected value: 2r / (1 + r + f), r = the family's "
        "detection rate, f = false-positive rate on all test normals)",
        "",
        "| detector | threshold | " + " | ".join(unseen) + " |",
        "|---|---|" + "---|" * len(unseen),
    ]
    for det in detectors:
        for thr in ("p99", "p97", "p95"):
            if (det, thr) not in mean.index:
                continue
            block = wide.loc[(det, thr)]
            cells = []
            for family in unseen:
                f1 = 2 * block[family] / (1 + block[family] + block["normal"])
                cells.append(_fmt(f1.mean(), f1.std(ddof=1) if len(f1) > 1 else 0.0))
            lines.append(f"| {det} | {thr} | " + " | ".join(cells) + " |")
    lines += ["", "## Against the seed's published figures", ""]
    lines.append(
        "| model | threshold | seed known F1 | netad known F1 (1:1) | seed zero-shot F1 | netad zero-shot F1 (1:1) "
        "| seed Infiltration recall | netad Infiltration recall |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for (det, thr), seed_row in SEED.items():
        for t in [thr] if thr else ["p99", "p95"]:
            if (det, t) not in mean.index:
                continue
            m, s = mean.loc[(det, t)], std.loc[(det, t)]
            infil = (det, t, "Infiltration")
            lines.append(
                f"| {det} | {t} | {seed_row['known_f1']:.2f} | {_fmt(m['known_balanced_f1'], s['known_balanced_f1'])} "
                f"| {seed_row['zero_shot_f1']:.2f} | {_fmt(m['zero_shot_balanced_f1'], s['zero_shot_balanced_f1'])} "
                f"| {seed_row['Infiltration']:.2%} | "
                + (f"{rate_mean[infil]:.2%} ± {rate_std[infil]:.2%}" if infil in rate_mean.index else "–")
                + " |"
            )
    if "validation_auroc" in res.columns:
        val = res.dropna(subset=["validation_auroc"]).groupby("detector")["validation_auroc"]
        lines += [
            "",
            "## Latent-sculpting score variants: choosing on validation (normals + seen attacks only)",
            "",
            "One fit per seed; the variants differ only in how the fitted model scores a row (see "
            "`netad.detectors.latent_sculpting`). Validation holds no unseen family, so choosing the variant with "
            "the best validation AUROC uses no zero-shot information. `latent-sculpting(a=b=0.1)`: the DCCL "
            "weights of the notebook's executed cell (alpha = beta = 0.1); `latent-sculpting`: netad's defaults "
            "(alpha = beta = gamma = 1). Same seeds, same splits, otherwise the same settings.",
            "",
            "| variant | validation AUROC | stage-1 flag rate on benign training rows |",
            "|---|---|---|",
        ]
        for det, values in val:
            flag = res.loc[res["detector"] == det, "stage1_benign_flag_rate"].mean()
            lines.append(
                f"| {det} | {_fmt(values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0)} | {flag:.3f} |"
            )
        chosen = val.mean().idxmax()
        lines += ["", f"Best on validation: **{chosen}**."]
        goal = []
        for det in dict.fromkeys(["latent-sculpting:two-stage", chosen]):
            if (det, "p95") not in mean.index:
                continue
            m = mean.loc[(det, "p95")]
            infil = rate_mean.get((det, "p95", "Infiltration"), np.nan)
            goal.append(
                f"- {det} at P95: zero-shot F1 (1:1) {m['zero_shot_balanced_f1']:.3f} (goal 0.87: "
                f"{m['zero_shot_balanced_f1'] - 0.87:+.3f}), known F1 (1:1) {m['known_balanced_f1']:.3f} (goal 0.94: "
                f"{m['known_balanced_f1'] - 0.94:+.3f}), Infiltration recall {infil:.1%} (goal 88.9%: "
                f"{(infil - 0.8889) * 100:+.1f} points)."
            )
        lines += ["", "Goal check (mean over seeds):", "", *goal]
    lines += FINDINGS
    plot_path = RESULTS / "cicids2017_zero_shot_latent.png"
    if plot_path.is_file():
        lines += [
            "",
            "## Sculpted latent space",
            "",
            "UMAP of the encoder's 32-d code of 4,000 test rows (stratified by family), seed 0, netad's defaults "
            "(alpha = beta = 1) with the settings below; `python benchmarks/cicids2017_zero_shot.py plot`.",
            "",
            f"![UMAP of the latent code]({plot_path.name})",
        ]
    lines += ["", "## Settings", "", "```json", json.dumps(PARAMS, indent=1), "```", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "cicids2017_zero_shot.md"
    out.write_text("\n".join(lines))
    pd.concat([mean.add_suffix("_mean"), std.add_suffix("_std"), n.rename("n_seeds")], axis=1).to_csv(
        RESULTS / "cicids2017_zero_shot.csv"
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "plot", "report"])
    parser.add_argument("--detectors", default="latent-sculpting,mlp,ocsvm-sgd,iforest,autoencoder,maf")
    parser.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    parser.add_argument("--latent-params", default="{}", help="JSON overrides of the latent-sculpting PARAMS")
    parser.add_argument("--tag", default="", help="suffix of the latent-sculpting result names, e.g. -a1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    if args.mode == "run":
        seeds = [int(s) for s in args.seeds.split(",")]
        names = [d.strip() for d in args.detectors.split(",") if d.strip()]
        if "latent-sculpting" in names:
            run_latent(seeds, json.loads(args.latent_params), args.tag)
        run([d for d in names if d != "latent-sculpting"], seeds)
    elif args.mode == "plot":
        print(plot())
    else:
        print(report())


if __name__ == "__main__":
    main()
