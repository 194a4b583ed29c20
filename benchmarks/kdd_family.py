"""The KDD family: DAGMM on its own protocol, and the Cloudera seed's model zoo on KDDCup99 and NSL-KDD.

    python benchmarks/kdd_family.py [--parts table,other,kdd,nsl] [--quick]
    python benchmarks/kdd_family.py --parts ""            # re-render the report from kdd_family.json
    python benchmarks/dagmm_mixtures.py                    # validation-only choice of DAGMM's mixture and epochs

Each part is one or more ``netad.bench.run`` (n_jobs=2, one torch thread per job) writing a run directory under
benchmarks/work/kdd_family/ (git-ignored; with ``figures/`` from ``netad.viz.job_figures.write_figures``):

1. ``table``: DAGMM (netad defaults) with baselines (an untrained DAGMM, pca, iforest, ocsvm) on
   ``kddcup99-dagmm`` (the reference 118-feature npz, no rescaling), protocol ``dagmm`` (50/50 split, train on the
   training half's KDD-attack rows, KDD 'normal' = the anomaly; validation also holds 10% of the training half's
   anomalies), 10 seeds; thresholds p99 and best-f1 from validation, oracle and ``seed:p80`` (use test data,
   labelled). The report adds the reference implementation's runs (benchmarks/results/
   kdd_family_dagmm_reference.json, measured outside the project) and the mixture study
   (kdd_family_dagmm_mixtures.json from ``benchmarks/dagmm_mixtures.py``). ``other``: DAGMM and the baselines on
   ``kdd-8000-2000`` and NSL-KDD ``novelty``, 3 seeds. (``dagmm``, ``restarts``: the earlier 5-seed study of the
   previous DAGMM defaults, kept runnable.)
2. ``kdd``: protocol ``kdd-8000-2000`` on ``kddcup99`` (raw 10% file, 41 features one-hot encoded and scaled on
   training normals): autoencoder, vae, bigan, seq2seq, pca, ocsvm; 3 seeds.
3. ``nsl``: the same detectors on ``nsl-kdd`` and ``nsl-kdd-21`` (official KDDTest+ / KDDTest-21), protocol
   ``novelty``; 3 seeds.

Parts 2 and 3 report the threshold chosen as best F1 on the labelled validation split (``best-f1``), plus p99 of
validation normals and the oracle (best F1 on the test set itself: optimistic, labelled as such). Training time
is the detector's ``fit`` wall time (seconds) with 2 jobs sharing 2 CPU cores. Writes
benchmarks/results/kdd_family.md and kdd_family.json.
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
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from tables import markdown_table  # benchmarks/tables.py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "kdd_family"
RESULTS = HERE / "results"

ZOO = ["autoencoder", "vae", "bigan", "seq2seq", "pca", "ocsvm"]
SEEDS_DAGMM = [0, 1, 2, 3, 4]
SEEDS_ZOO = [0, 1, 2]
ONE_THREAD = {"n_threads": 1}

# Settings chosen to fit the whole benchmark in ~45 min on 2 shared cores (see the md for measured times).
SETTINGS: dict[str, Any] = {
    "dagmm": {
        # the seed's defaults (k=4, lr 1e-4, batch 1024, ...) except epochs: 15 instead of 200, chosen on validation
        # data only (`--tune-dagmm`: validation AUROC peaks at 15 epochs and falls to ~0.96 by 45-60 epochs)
        "params": {"dagmm": {"epochs": 15, **ONE_THREAD}},
        # the npz is already scaled as in the reference code (one-hot 0/1, numerics min-max): no second scaling.
        # Standard-scaling it again (this benchmark's first version) blew rare one-hot columns up to ~200 and cost
        # AUROC (seed 0, 30 epochs: 0.972 -> 0.982 without it).
        "preprocess": {"scaler": None},
        "thresholds": "p80,p95,p97,p99,best-f1,oracle,seed:p80",
        "protocol_options": {"val_attacks": True},
        "max_train": None,
    },
    "zoo": {
        "params": {
            "autoencoder": {**ONE_THREAD},
            "vae": {**ONE_THREAD},
            "bigan": {"epochs": 20, **ONE_THREAD},
            "seq2seq": {"epochs": 5, "batch_size": 512, **ONE_THREAD},
        },
        "thresholds": "best-f1,p99,oracle",
        "max_train": 40_000,
    },
}
QUICK = {"dagmm_epochs": 2, "zoo_epochs": 1, "max_train": 3000, "seeds": [0]}

ZOO_NOTES = {
    "kdd": [
        "- Every model ranks almost perfectly (AUROC >= 0.99): the 8,000 + 2,000 test sample is easy, as in the "
        "Cloudera seed, whose report also found BiGAN and the autoencoder strong and seq2seq weaker. The "
        "seed picked its thresholds on the test set (our oracle column).",
        "- 'p99 of val normals' needs no attack labels; the autoencoder's large std there is one seed (2) whose "
        "p99 cut sits above most test attacks (recall 0.28; run's results.csv).",
    ],
    "nsl": [
        "- KDDTest+ and KDDTest-21 hold attack families never seen in KDDTrain+ and normal traffic that differs "
        "from it; the p99-of-validation-normals threshold (from KDDTrain+ normals) is conservative on the test "
        "files (precision >= 0.97, recall 0.22-0.58 in results.csv), hence its low F1 next to a high AUROC.",
        "- KDDTest-21 is 81.8% attacks: flagging every row gives F1 0.900, so its oracle column is that trivial "
        "rule for every detector; compare AUROC and the best-F1 columns there (on KDDTest+, 56.9% attacks, "
        "flag-all gives F1 0.726).",
        "- seq2seq reads each preprocessed row (63-74 columns after one-hot encoding and dropping constant "
        "columns) as a sequence of scalars; it is the slowest model and, as in the seed, weaker than the plain "
        "autoencoder on these non-temporal features.",
    ],
}

PAPER = {"precision": 0.9297, "recall": 0.9442, "f1": 0.9369}
SEED_NOTEBOOK = {"precision": 0.9687, "recall": 0.9537, "f1": 0.9611}


def leaky_dagmm_rows(run_dir: Path) -> pd.DataFrame:
    """Metrics of the paper's leaky rule (top 20% of test energies) per seed, from the saved test scores."""
    from netad import metrics

    rows = []
    for path in sorted((run_dir / "scores").glob("*__dagmm__seed*.parquet")):
        table = pd.read_parquet(path, columns=["score", "label"])
        scores, labels = table["score"].to_numpy(np.float64), table["label"].to_numpy(np.int8)
        seed = int(path.stem.rsplit("seed", 1)[1])
        name, threshold = "paper rule: top 20% of test energies (uses test data)", float(np.percentile(scores, 80))
        rows.append({"seed": seed, "threshold_strategy": name, **metrics.binary_metrics(labels, scores, threshold)})
    return pd.DataFrame(rows)


def mean_std(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=False)[columns]
    mean, std = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    out = pd.DataFrame(index=mean.index)
    for column in columns:
        out[column] = [f"{m:.4f} ± {s:.4f}" for m, s in zip(mean[column], std[column], strict=True)]
    out["seeds"] = grouped.size()
    return out.reset_index()


def bench(name: str, **kwargs: Any) -> tuple[Any, float]:
    from netad.bench import run
    from netad.viz.job_figures import write_figures

    started = time.perf_counter()
    result = run(out=WORK / name, overwrite=True, n_jobs=2, **kwargs)
    seconds = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"{name}: {len(result.errors)} job(s) failed: {result.errors}")
    try:
        write_figures(result.run_dir)
    except ImportError as exc:  # figures are optional
        logging.warning("no figures: %s", exc)
    logging.info("%s done in %.0f s", name, seconds)
    return result, seconds


def part_dagmm(quick: bool) -> dict[str, Any]:
    settings = SETTINGS["dagmm"]
    params = {"dagmm": {**settings["params"]["dagmm"]}}
    seeds = SEEDS_DAGMM
    if quick:
        params["dagmm"]["epochs"], seeds = QUICK["dagmm_epochs"], QUICK["seeds"]
    result, seconds = bench(
        "dagmm",
        datasets="kddcup99-dagmm",
        detectors="dagmm",
        seeds=seeds,
        protocol="dagmm",
        threshold=settings["thresholds"],
        detector_params=params,
        protocol_options=settings["protocol_options"],
        preprocess=settings["preprocess"],
        max_train=QUICK["max_train"] if quick else settings["max_train"],
    )
    results = result.results
    leaky = leaky_dagmm_rows(result.run_dir)
    labelled = results.assign(
        threshold_strategy=results.threshold_strategy.map(
            lambda s: {
                "best-f1": "best-f1 on validation (train-side, 10% labelled anomalies)",
                "oracle": "oracle: best F1 on test (uses test labels)",
                "seed:p80": "seed protocol: p80 of train+test energies (uses test data)",
            }.get(s, f"{s} of validation energies (train-side)")
        )
    )
    table = pd.concat([labelled, leaky], ignore_index=True)
    metric_columns = ["f1", "precision", "recall", "accuracy", "auroc", "auprc"]
    summary = mean_std(table, ["threshold_strategy"], metric_columns)
    fit = results.groupby("seed").fit_seconds.first()
    return {
        "run_dir": str(result.run_dir.relative_to(REPO)),
        "seconds": seconds,
        "epochs": params["dagmm"].get("epochs", 200),
        "seeds": seeds,
        "n_train": int(results.n_train.iloc[0]),
        "n_test": int(results.n_test.iloc[0]),
        "fit_seconds": f"{fit.mean():.0f} ± {fit.std(ddof=1) if len(fit) > 1 else 0.0:.0f}",
        "summary": summary,
    }


def zoo_params(quick: bool) -> dict[str, dict[str, Any]]:
    params = {k: dict(v) for k, v in SETTINGS["zoo"]["params"].items()}
    if quick:
        for name in ("autoencoder", "vae", "bigan", "seq2seq"):
            params.setdefault(name, {})["epochs"] = QUICK["zoo_epochs"]
    return params


def zoo_summary(results: pd.DataFrame) -> pd.DataFrame:
    metric_columns = ["f1", "f2", "precision", "recall", "accuracy", "auroc"]
    main = mean_std(results[results.threshold_strategy == "best-f1"], ["dataset", "detector"], metric_columns)
    oracle = mean_std(results[results.threshold_strategy == "oracle"], ["dataset", "detector"], ["f1"])
    p99 = mean_std(results[results.threshold_strategy == "p99"], ["dataset", "detector"], ["f1"])
    fit = results[results.threshold_strategy == "best-f1"].groupby(["dataset", "detector"], sort=False)
    seconds = fit.fit_seconds.agg(["mean", "std"]).fillna(0.0)
    main = main.merge(p99.rename(columns={"f1": "F1 (p99 of val normals)"}).drop(columns="seeds"))
    main = main.merge(oracle.rename(columns={"f1": "F1 oracle (uses test labels)"}).drop(columns="seeds"))
    keys = list(zip(main.dataset, main.detector, strict=True))
    main["fit s"] = [f"{m:.1f} ± {s:.1f}" for m, s in seconds.loc[keys].to_numpy()]
    n_train = fit.n_train.mean().astype(int)
    main["train rows"] = [int(n_train.loc[(d, m)]) for d, m in zip(main.dataset, main.detector, strict=True)]
    return main


def part_zoo(name: str, datasets: str, protocol: str, quick: bool) -> dict[str, Any]:
    settings = SETTINGS["zoo"]
    result, seconds = bench(
        name,
        datasets=datasets,
        detectors=ZOO,
        seeds=QUICK["seeds"] if quick else SEEDS_ZOO,
        protocol=protocol,
        threshold=settings["thresholds"],
        detector_params=zoo_params(quick),
        max_train=QUICK["max_train"] if quick else settings["max_train"],
    )
    return {
        "run_dir": str(result.run_dir.relative_to(REPO)),
        "seconds": seconds,
        "summary": zoo_summary(result.results),
        "n_test": result.results.groupby("dataset").n_test.first().to_dict(),
    }


def dagmm_notes(summary: pd.DataFrame) -> list[str]:
    """What the DAGMM table says about the F1 >= 0.94 goal (train-side thresholds only) and the p80 default."""
    f1 = {row.threshold_strategy: float(str(row.f1).split(" ")[0]) for row in summary.itertuples(index=False)}
    train_side = {name: value for name, value in f1.items() if "train-side" in name}
    best_name = max(train_side, key=train_side.get)
    goal = "met" if train_side[best_name] >= 0.94 else "missed"
    p80 = next((value for name, value in f1.items() if name.startswith("p80")), float("nan"))
    return [
        f"- Goal F1 >= 0.94 with a threshold from training-side data: **{goal}**; best train-side rule is "
        f"'{best_name}' with mean F1 {train_side[best_name]:.4f}.",
        f"- The detector's default threshold `p80` of training energies gives F1 {p80:.4f}: the training rows are "
        "all of the normal class, so p80 flags ~20% of normal test traffic by construction and precision stays "
        "near 0.55 on a test set with ~20% anomalies. The paper's 20% rule is a statement about the *test* set "
        "(last rows of the table). For novelty use `p97`-`p99` or a labelled validation split (`best-f1`).",
        "- Seed-to-seed spread is large (std columns; per-seed rows in the run's results.csv): the threshold "
        "rule matters less than whether a seed's energy ranks well (AUROC).",
    ]


def dagmm_tuning_section() -> list[str]:
    """The validation-only epoch choice (``--tune-dagmm``), if it was run."""
    path = WORK / "dagmm_epochs_tuning.csv"
    if not path.is_file():
        return ["(no epoch tuning table: run `python benchmarks/kdd_family.py --tune-dagmm`)", ""]
    table = pd.read_csv(path)
    summary = mean_std(table, ["epochs"], ["val_auroc", "val_auprc"])
    return [
        "### Choosing DAGMM's training length on validation data",
        "",
        f"`python benchmarks/kdd_family.py --tune-dagmm`: DAGMM trained for {TUNE_EPOCHS} epochs on the seed-0 "
        f"split, model seeds {sorted(table.model_seed.unique().tolist())}; every {TUNE_EVERY} epochs the mixture "
        f"is re-estimated on {TUNE_MIXTURE_ROWS:,} training rows and the *validation* rows are scored (training "
        "half's KDD attacks + 10% of its anomalies). No test row is scored. Rule, fixed before looking: the "
        "epoch count with the highest mean validation AUROC. Training is unstable: ranking quality peaks early "
        "and decays with longer training (energy collapse of some mixture components), which is why the seed's "
        "200 epochs rank worse here (seed 0 at 200 epochs: test AUROC 0.962, seed 1: 0.901; run stopped).",
        "",
        markdown_table(summary),
        "",
    ]


def restarts_section(part: dict[str, Any] | None) -> list[str]:
    """DAGMM with RESTARTS fits per seed, the best on validation AUROC evaluated on test."""
    if part is None:
        return ["(no restart table: run `python benchmarks/kdd_family.py --parts restarts`)", ""]
    summary, per_seed = part["summary"], part["per_seed"]
    best_f1 = per_seed[per_seed.threshold_strategy == "best-f1"]
    mean_f1 = float(best_f1.f1.mean())
    goal = "met" if mean_f1 >= 0.94 else "missed"
    chosen = ", ".join(
        f"seed {r.seed}: restart {r.chosen_restart} of val AUROCs {r.restart_val_aurocs}" for r in best_f1.itertuples()
    )
    return [
        f"### DAGMM, best of {RESTARTS} restarts chosen on validation data",
        "",
        f"`python benchmarks/kdd_family.py --parts restarts` ({part['seconds'] / 60:.1f} min): the table above "
        "shows that DAGMM either ranks well (AUROC ~0.99) or lands in a poor solution (~0.95) depending on its "
        f"initialisation. Per split seed, {RESTARTS} DAGMMs (same settings, random_state 1000·seed + restart) "
        "are fitted and the one with the highest AUROC on the *validation* rows (training half: 10% of its KDD "
        "attacks + 10% of its anomalies) is kept; its thresholds come from validation too. The test rows are "
        f"only scored. Chosen: {chosen}.",
        "",
        markdown_table(summary.rename(columns={"threshold_strategy": "threshold"})),
        "",
        f"- Goal F1 >= 0.94 with a threshold from training-side data, with validation-selected restarts: "
        f"**{goal}** (best-f1 on validation: mean F1 {mean_f1:.4f}).",
        "",
    ]


def merge_previous(parts: dict[str, dict[str, Any]], path: Path) -> dict[str, dict[str, Any]]:
    """Parts not re-run now (``--parts``) are taken from the previous JSON, so the report stays complete."""
    if not path.is_file():
        return parts
    previous = json.loads(path.read_text())
    merged = {}
    for key in ("table", "other", "dagmm", "restarts", "kdd", "nsl"):
        if key in parts:
            merged[key] = parts[key]
        elif key in previous:
            frames = {k: pd.DataFrame(previous[key][k]) for k in ("summary", "per_seed", "leaky") if k in previous[key]}
            merged[key] = {**previous[key], **frames}
    return merged


REFERENCE_JSON = RESULTS / "kdd_family_dagmm_reference.json"
MIXTURE_JSON = RESULTS / "kdd_family_dagmm_mixtures.json"
GOALS = {"f1_mean": 0.94, "f1_worst": 0.92, "auroc_mean": 0.985}


def table_section(p: dict[str, Any]) -> list[str]:
    """The 10-seed DAGMM table with the untrained DAGMM and the classical baselines on the same splits."""
    per_seed = p["per_seed"]
    dagmm = per_seed[(per_seed.detector == "dagmm") & (per_seed.threshold_strategy == "best-f1")]
    f1_mean, f1_worst, auroc = float(dagmm.f1.mean()), float(dagmm.f1.min()), float(dagmm.auroc.mean())
    first5 = dagmm[dagmm.seed.isin(range(5))]
    verdict = (
        f"F1 mean {f1_mean:.4f} (goal >= {GOALS['f1_mean']}), worst seed {f1_worst:.4f} (goal >= "
        f"{GOALS['f1_worst']}), AUROC mean {auroc:.4f} (goal >= {GOALS['auroc_mean']}); seeds 0-4 (the issue's "
        f"command): F1 mean {first5.f1.mean():.4f}, worst {first5.f1.min():.4f}"
    )
    fit = ", ".join(f"{d} {v} s" for d, v in p["fit_seconds"].items())
    return [
        "## 1. DAGMM on KDDCup99 (`dagmm` protocol, `kddcup99-dagmm`), 10 seeds, with baselines",
        "",
        f"Seeds {p['seeds']}; {p['n_train']:,} training rows (the training half's KDD attacks minus 10% for "
        f"validation), {p['n_test']:,} test rows (the other half; KDD 'normal' = the anomaly, ~20%). Validation = 10% "
        "of the training half's KDD attacks + 10% of its KDD-normal rows (labelled anomalies; never test rows). "
        "`dagmm` = netad's defaults (paper networks and loss, 3 epochs, scoring mixture fitted by EM with 2 "
        "components; section 1c). `dagmm-untrained` = the same network with random weights and the same EM "
        "mixture, never trained. pca / iforest / ocsvm = netad defaults (ocsvm fits a 20,000-row subsample). "
        "Features: the npz as the reference code feeds it (the dataset's registered preprocessing: no scaler). "
        "Thresholds: `p99` of validation normals, `best-f1` on the labelled validation split; `oracle` (best F1 on "
        "test) and `seed:p80` (p80 of train + test energies) use test data and are labelled so. Fit seconds "
        f"(mean ± std, 2 jobs on 2 shared cores): {fit}. Part wall time {p['seconds'] / 60:.1f} min. Per-seed rows: "
        "benchmarks/work/kdd_family/dagmm_table.csv and the run directory's results.csv.",
        "",
        markdown_table(p["summary"].rename(columns={"threshold_strategy": "threshold"})),
        "",
        f"- Goals (issue 19, DAGMM with `best-f1`): {verdict}.",
        "- The untrained DAGMM row is the context the issue asked for: on this protocol most of the ranking comes "
        "from the architecture (a Gaussian mixture over [code, relative distance, cosine] of a random autoencoder) "
        "and PCA reconstruction is a strong baseline; compare AUROC/AUPRC, not F1 alone.",
        "",
    ]


def reference_section() -> list[str]:
    """The reference implementation measured here, next to netad's DAGMM before this change."""
    if not REFERENCE_JSON.is_file():
        return ["(no reference runs: see the docstring for the command)", ""]
    data = json.loads(REFERENCE_JSON.read_text())
    ref = pd.DataFrame(data["reference"]["runs"])
    ref_cols = [
        "seed",
        "epoch",
        "auroc",
        "auprc",
        "f1_seed_rule",
        "f1_top_anomaly_share",
        "auroc_ref",
        "f1_seed_rule_ref",
    ]
    before = pd.DataFrame(data["netad_before"]["runs"])
    before_cols = ["seed", "epoch", "val_auroc", "test_auroc", "test_auprc", "val_normal_mean_energy", "train_recon"]
    return [
        "### 1b. The reference implementation, run here, and netad's DAGMM before this change",
        "",
        f"Reference: {data['reference']['repo']} @ {data['reference']['commit']}, run outside the project "
        f"(`/tmp/dagmm-ref/run_ref.py`, not in the repository). {data['reference']['how']} Its split puts all "
        "KDD-normal rows in test (33% anomalies), so its F1 is not comparable with section 1's; AUROC is.",
        "",
        markdown_table(ref[ref_cols].round(4)),
        "",
        f"netad before this change: {data['netad_before']['how']}.",
        "",
        markdown_table(before[before_cols].round(4)),
        "",
    ]


DIFFERENCES = [
    ("initialisation", "PyTorch defaults (Linear: Kaiming-uniform)", "same (netad.nn.mlp)", "no"),
    (
        "energy normaliser",
        "divides by sqrt(prod diag chol(2 pi Sigma)) = det(2 pi Sigma)^(1/4): half the paper's log-det weight",
        "det(2 pi Sigma)^(1/2) (paper eq. 6)",
        "slows the mixture's concentration (phi of one component 0.54 vs 0.81 after 10 epochs) but does not stop it",
    ),
    (
        "energy numerics",
        "no max shift (clamp(min=0) of a non-positive term), +1e-12 inside the log: energies capped at ~27.6, "
        "zero gradient from far rows; float32",
        "exact log-sum-exp in float64",
        "no: both oscillate",
    ),
    ("lambda_2 covariance penalty", "sum 1/diag(Sigma_k), 0.005", "same", "no"),
    (
        "GMM update",
        "per batch (eq. 5); scoring: test() uses the *last training batch's* mixture",
        "per batch; scoring mixture over all training rows",
        "no (the 'ref' columns above show the last-batch mixture changes F1 by up to 0.05)",
    ),
    ("reconstruction features", "relative Euclidean, cosine (no zero-norm guard)", "same, guarded, float64", "no"),
    ("Cholesky jitter", "1e-12 on the diagonal", "1e-6, grows tenfold on failure", "no (never needed here)"),
    ("lr, batch, clipping", "1e-4, 1024, grad norm 5", "same", "no"),
    ("epochs", "200", "200 (before) -> 3", "yes: ranking oscillates with training length in both"),
    ("estimation dropout", "0.5", "same", "no"),
]


def mixture_section() -> list[str]:
    """What explains the instability, and the validation-only choice of the scoring mixture and epochs."""
    lines = [
        "### 1c. What differs, what explains the instability, and how the defaults were chosen",
        "",
        "| aspect | reference code | netad | explains the gap? |",
        "|---|---|---|---|",
        *[f"| {a} | {r} | {n} | {e} |" for a, r, n, e in DIFFERENCES],
        "",
        "- The reference code is unstable too: test AUROC per checkpoint swings between 0.85 and 0.99 on the same "
        "seed (table 1b, seeds 1 and 2), as netad's did (0.95-0.99). Its one published run (F1 0.9611) is one "
        "draw of this oscillation on a test set with 33% anomalies scored with a rule that pools test energies.",
        "- What moves is how well the scoring mixture fits the latents: in netad (seeds 0-1, up to 3 epochs) the "
        "estimation network's mixture ranked exactly like a single Gaussian fitted to z (identical per-seed AUROC "
        "of `network` and `em-k1` in kdd_family_dagmm_mixtures.json), "
        "while training reshapes z into clusters; one Gaussian then ranks the KDD-normal rows worse and worse "
        "(seed 0: validation AUROC 0.992 untrained, 0.962 after 5 epochs), whereas a 2-component EM mixture on "
        "the same latents stays near 0.99. The reference code's swings (table 1b) are the same phenomenon.",
        "- Early stopping on held-out training energy cannot fix this: the held-out energy falls monotonically "
        "while the ranking goes up and down (netad_before table, `val_normal_mean_energy`).",
        "- Fix: keep the paper's networks and loss, but score with a Gaussian mixture fitted by EM on the training "
        "latents (k-means initialisation, 5 restarts, best training likelihood kept: an unsupervised choice). The "
        "components were chosen on *validation* AUROC only (table below; test columns are shown for the record "
        "and were not used): 2 components rank best after every training length. The training length barely "
        "matters once the mixture is fitted by EM (validation AUROC 0.989-0.992 from 0 to 5 epochs; 3 epochs was "
        "fixed after the first two seeds, where it led); the untrained row of section 1 says the same on test.",
        "",
    ]
    if not MIXTURE_JSON.is_file():
        return [*lines, "(no mixture study file)", ""]
    study = pd.DataFrame(json.loads(MIXTURE_JSON.read_text()))
    summary = mean_std(
        study,
        ["training", "epochs", "mixture"],
        ["val_auroc", "val_auprc", "test_auroc", "test_f1_bestf1_val"],
    )
    return [
        *lines,
        "Checkpoint study (splits 0-2, model seed = split seed; mixtures fitted on 50,000 training rows). The "
        "numbers come from scratch scripts with the logic of `benchmarks/dagmm_mixtures.py` (run before it was "
        "written up); runs started after the EM default landed (paper loss seed 2, k=1 network seeds 1-2, "
        "reconstruction-only seed 2) scored their checkpoints with EM, so their `network` rows are left out:",
        "",
        markdown_table(summary),
        "",
    ]


def write_report(parts: dict[str, dict[str, Any]], quick: bool) -> None:
    import torch

    from netad.bench.runner import _versions

    suffix = "_quick" if quick else ""
    parts = merge_previous(parts, RESULTS / f"kdd_family{suffix}.json")
    total_seconds = sum(part["seconds"] for part in parts.values())
    lines = [
        "# KDD family: DAGMM, BiGAN, LSTM seq2seq and the Cloudera seed's model zoo",
        "",
        f"Produced by `python benchmarks/kdd_family.py{' --quick' if quick else ''}` on "
        f"{dt.date.today().isoformat()}; {os.cpu_count()} CPU cores shared with other work, 2 jobs in parallel, "
        f"1 torch thread per job (torch {torch.__version__}, {platform.python_version()}); whole run "
        f"{total_seconds / 60:.1f} min (sum of the parts). Mean ± std over seeds. Run directories (results.csv, "
        "summary.csv, scores, figures) under benchmarks/work/kdd_family/.",
        "",
    ]
    if quick:
        lines += ["**QUICK SMOKE RUN: tiny epochs and training sets; the numbers mean nothing.**", ""]
    if "table" in parts:
        lines += table_section(parts["table"])
        lines += reference_section()
        lines += mixture_section()
    if "other" in parts:
        lines += other_splits_section(parts["other"])
    if "dagmm" in parts and "table" not in parts:
        p = parts["dagmm"]
        lines += [
            "## 1. DAGMM on KDDCup99 (`dagmm` protocol, `kddcup99-dagmm`)",
            "",
            f"Seeds {p['seeds']}; {p['n_train']:,} training rows (KDD attacks of the training half, minus 10% "
            f"validation), {p['n_test']:,} test rows (the other half; KDD 'normal' = anomaly, ~20%). DAGMM as in "
            f"the reference code (compression 118-60-30-10-1 tanh, estimation 3-10-4 with dropout 0.5, k=4, "
            "lambda_energy 0.1, lambda_cov 0.005, Adam lr 1e-4, batch 1024, gradient norm clipped at 5), "
            f"**{p['epochs']} epochs instead of the seed's 200**, chosen on validation data (table below); fit time "
            f"{p['fit_seconds']} s per seed. "
            "Features: the npz's 118 columns as the reference code feeds them (already one-hot / min-max scaled; "
            "`preprocess={'scaler': None}`, constant columns dropped). A first version of this benchmark "
            "standard-scaled them again, which blew rare one-hot columns up to ~200 and lowered AUROC (0.972 "
            f"over 5 seeds at 50 epochs). Part wall time {p['seconds'] / 60:.1f} min.",
            "",
            markdown_table(p["summary"].rename(columns={"threshold_strategy": "threshold"})),
            "",
            f"References: paper (Zong et al. 2018) precision {PAPER['precision']}, recall {PAPER['recall']}, "
            f"F1 {PAPER['f1']} with the top-20% rule; seed notebook F1 {SEED_NOTEBOOK['f1']} with its "
            "train+test p80 rule on a different test set (the reference loader puts *all* KDD-normal rows in "
            "test, ~33% anomalies, so its p80 over train+test flags about the true anomaly share).",
            "",
            *dagmm_notes(p["summary"]),
            "",
            *dagmm_tuning_section(),
            *restarts_section(parts.get("restarts")),
        ]
    for key, title in (("kdd", "2. `kdd-8000-2000` on KDDCup99 10%"), ("nsl", "3. NSL-KDD, `novelty` protocol")):
        if key not in parts:
            continue
        p = parts[key]
        lines += [
            f"## {title}",
            "",
            f"Detectors {', '.join(ZOO)}; seeds {SEEDS_ZOO if not quick else QUICK['seeds']}; max_train "
            f"{SETTINGS['zoo']['max_train'] if not quick else QUICK['max_train']:,} training-partition rows "
            "(seeded, stratified; unsupervised detectors fit on its normal rows = 'train rows'); test rows "
            f"{p['n_test']}. Main columns use the **best-F1 threshold on the labelled validation split**; "
            "'F1 (p99 of val normals)' uses no validation labels; the oracle column picks the threshold on the "
            f"test labels (optimistic). Part wall time {p['seconds'] / 60:.1f} min.",
            "",
            markdown_table(p["summary"]),
            "",
            *ZOO_NOTES[key],
            "",
        ]
    lines += [
        "## Settings",
        "",
        "```json",
        json.dumps({"settings": SETTINGS, "quick": QUICK if quick else None}, indent=2, default=str),
        "```",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items() if k != "platform"),
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"kdd_family{suffix}.md").write_text("\n".join(lines))
    payload = {
        key: {k: (v.to_dict(orient="records") if isinstance(v, pd.DataFrame) else v) for k, v in part.items()}
        for key, part in parts.items()
    }
    (RESULTS / f"kdd_family{suffix}.json").write_text(json.dumps(payload, indent=2, default=str))


# -- DAGMM, 10 seeds, with baselines on the same split -------------------------------------------------------
SEEDS_TABLE = list(range(10))
BASELINES = ["pca", "iforest", "ocsvm"]
TABLE_THRESHOLDS = "p99,best-f1,oracle,seed:p80"
UNTRAINED = "dagmm-untrained"


def _untrained_dagmm_one(seed: int) -> list[dict[str, Any]]:
    """DAGMM with random weights (built under the job's seed, never trained), scoring mixture fitted as in
    ``fit``: what the architecture gives before any training, on the split of ``seed``."""
    from netad import metrics
    from netad.bench.job import choose_threshold
    from netad.datasets import load
    from netad.detectors.dagmm import DAGMM
    from netad.nn import resolve_device, seeded, thread_limit
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    class UntrainedDAGMM(DAGMM):
        def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
            self._check_params()
            device = resolve_device(self.device)
            self.device_ = str(device)
            with thread_limit(self.n_threads), seeded(self.random_state, device, salt=0):
                self.module_ = self._build(X.shape[1]).to(device)
            self._estimate_mixture(X)

    settings = SETTINGS["dagmm"]
    dataset = load("kddcup99-dagmm")
    split = make_split(dataset, "dagmm", seed=seed, **settings["protocol_options"])
    frame, _ = split.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset, **settings["preprocess"]).fit(frame)
    X = pre.transform(frame)
    started = time.perf_counter()
    detector = UntrainedDAGMM(n_threads=1, random_state=seed).fit(X)
    fit_seconds = time.perf_counter() - started
    validation = detector.decision_function(pre.transform(split.validation.features))
    test = detector.decision_function(pre.transform(split.test.features))
    train = detector.decision_function(X)
    rows = []
    for spec in TABLE_THRESHOLDS.split(","):
        strategy, threshold, _ = choose_threshold(spec, split, validation, test, train)
        rows.append(
            {
                "seed": seed,
                "detector": UNTRAINED,
                "threshold_strategy": strategy.name,
                "fit_seconds": fit_seconds,
                **metrics.binary_metrics(split.test.label, test, threshold),
            }
        )
    return rows


def part_table(quick: bool) -> dict[str, Any]:
    """DAGMM (netad defaults) and the baselines on the dagmm split, SEEDS_TABLE seeds, same thresholds."""
    from joblib import Parallel, delayed

    settings = SETTINGS["dagmm"]
    seeds = QUICK["seeds"] if quick else SEEDS_TABLE
    params: dict[str, dict[str, Any]] = {"dagmm": {**ONE_THREAD}}
    if quick:
        params["dagmm"]["epochs"] = 1
    result, seconds = bench(
        "dagmm_table",
        datasets="kddcup99-dagmm",
        detectors=["dagmm", *BASELINES],
        seeds=seeds,
        protocol="dagmm",
        threshold=TABLE_THRESHOLDS,
        detector_params=params,
        protocol_options=settings["protocol_options"],
        preprocess=settings["preprocess"],
        max_train=QUICK["max_train"] if quick else None,
    )
    started = time.perf_counter()
    untrained = Parallel(n_jobs=2)(delayed(_untrained_dagmm_one)(s) for s in seeds)
    seconds += time.perf_counter() - started
    keep = ["seed", "detector", "threshold_strategy", "fit_seconds", "f1", "precision", "recall", "auroc", "auprc"]
    table = pd.concat(
        [result.results[keep], pd.DataFrame([r for rows in untrained for r in rows])[keep]], ignore_index=True
    )
    leaky = leaky_dagmm_rows(result.run_dir)
    leaky = leaky[leaky.seed.isin(seeds)]
    WORK.mkdir(parents=True, exist_ok=True)
    table.to_csv(WORK / "dagmm_table.csv", index=False)
    metric_columns = ["f1", "precision", "recall", "auroc", "auprc"]
    summary = mean_std(table, ["detector", "threshold_strategy"], metric_columns)
    worst = table.groupby(["detector", "threshold_strategy"], sort=False).f1.min().round(4).rename("worst-seed f1")
    summary = summary.merge(worst.reset_index())
    fit = table.groupby("detector", sort=False).fit_seconds.agg(["mean", "std"]).fillna(0.0)
    return {
        "run_dir": str(result.run_dir.relative_to(REPO)),
        "seconds": seconds,
        "seeds": seeds,
        "n_train": int(result.results.n_train.iloc[0]),
        "n_test": int(result.results.n_test.iloc[0]),
        "summary": summary,
        "per_seed": table,
        "leaky": mean_std(
            leaky[leaky.detector == "dagmm"] if "detector" in leaky else leaky,
            ["threshold_strategy"],
            ["f1", "precision", "recall"],
        ),
        "fit_seconds": {d: f"{m:.0f} ± {s:.0f}" for d, (m, s) in fit.iterrows()},
    }


OTHER_SPLITS = {
    "kdd-8000-2000": ("kddcup99", "kdd-8000-2000"),
    "nsl-kdd-novelty": ("nsl-kdd", "novelty"),
}
SEEDS_OTHER = [0, 1, 2]


def part_other_splits(quick: bool) -> dict[str, Any]:
    """DAGMM (netad defaults) and the baselines on kdd-8000-2000 and NSL-KDD (KDDTest+), 3 seeds each."""
    frames, seconds = [], 0.0
    for name, (dataset, protocol) in OTHER_SPLITS.items():
        result, took = bench(
            f"dagmm_{name}",
            datasets=dataset,
            detectors=["dagmm", *BASELINES],
            seeds=QUICK["seeds"] if quick else SEEDS_OTHER,
            protocol=protocol,
            threshold="best-f1,p99,oracle",
            detector_params={"dagmm": {**ONE_THREAD, **({"epochs": 1} if quick else {})}},
            max_train=QUICK["max_train"] if quick else SETTINGS["zoo"]["max_train"],
        )
        frames.append(result.results.assign(split=name))
        seconds += took
    table = pd.concat(frames, ignore_index=True)
    metric_columns = ["f1", "precision", "recall", "auroc", "auprc"]
    summary = mean_std(table, ["split", "detector", "threshold_strategy"], metric_columns)
    return {"seconds": seconds, "summary": summary}


def other_splits_section(p: dict[str, Any]) -> list[str]:
    return [
        "### 1d. DAGMM and the baselines on `kdd-8000-2000` and NSL-KDD",
        "",
        f"Seeds {SEEDS_OTHER}; at most {SETTINGS['zoo']['max_train']:,} training-partition rows (seeded, "
        "stratified; the detectors fit its normal rows); netad defaults (DAGMM: 3 epochs, EM mixture; the raw "
        "KDD / NSL-KDD files one-hot encoded and standard-scaled as every netad dataset). `nsl-kdd` tests on "
        f"KDDTest+. Part wall time {p['seconds'] / 60:.1f} min.",
        "",
        markdown_table(p["summary"].rename(columns={"threshold_strategy": "threshold"})),
        "",
        "- **DAGMM's defaults do not carry over to these splits**: they were chosen on the `dagmm` protocol's "
        "178,470 training rows, where 3 epochs are ~525 optimizer steps; the 7,378 (kdd-8000-2000) or ~21,000 "
        "(NSL-KDD) training normals here give ~25-65 steps, and DAGMM ranks below PCA and OCSVM. Not fixed in "
        "this change. More steps alone are not the answer: a one-off check with ~500 steps (`--param "
        "dagmm.epochs=60` on kdd-8000-2000, `=24` on NSL-KDD; 3 seeds, not used to set anything) gave AUROC "
        "0.917 ± 0.053 and 0.876 ± 0.025. Here the training class is KDD's diverse normal traffic, the opposite "
        "of the `dagmm` protocol, and the features are standard-scaled raw columns; a DAGMM setting for these "
        "splits would have to be chosen on their validation rows.",
        "",
    ]


# -- DAGMM restarts selected on validation data ---------------------------------------------------------------
RESTARTS = 3


def _restart_one(split_seed: int, restart: int) -> dict[str, Any]:
    """Fit one DAGMM restart on the split of ``split_seed``; keep its validation and test scores."""
    from netad import metrics
    from netad.datasets import load
    from netad.detectors.dagmm import DAGMM
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    settings = SETTINGS["dagmm"]
    dataset = load("kddcup99-dagmm")
    split = make_split(dataset, "dagmm", seed=split_seed, **settings["protocol_options"])
    frame, _ = split.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset, **settings["preprocess"]).fit(frame)
    started = time.perf_counter()
    detector = DAGMM(**settings["params"]["dagmm"], random_state=1000 * split_seed + restart).fit(pre.transform(frame))
    validation = detector.decision_function(pre.transform(split.validation.features))
    return {
        "split_seed": split_seed,
        "restart": restart,
        "fit_seconds": time.perf_counter() - started,
        "val_auroc": metrics.binary_metrics(split.validation.label, validation, float(np.median(validation)))["auroc"],
        "validation": (validation, split.validation.label),
        "test": (detector.decision_function(pre.transform(split.test.features)), split.test.label),
    }


def part_dagmm_restarts(seeds: list[int]) -> dict[str, Any]:
    """Per split seed, RESTARTS DAGMM fits; the one with the best *validation* AUROC is evaluated on test."""
    from joblib import Parallel, delayed

    from netad import metrics
    from netad.bench.job import choose_threshold

    started = time.perf_counter()
    fits = Parallel(n_jobs=2)(delayed(_restart_one)(s, r) for s in seeds for r in range(RESTARTS))
    rows = []
    for seed in seeds:
        candidates = [f for f in fits if f["split_seed"] == seed]
        best = max(candidates, key=lambda f: f["val_auroc"])
        (val_scores, val_label), (test_scores, test_label) = best["validation"], best["test"]
        labels = {"validation": SimpleNamespace(label=val_label), "test": SimpleNamespace(label=test_label)}
        split_view = SimpleNamespace(**labels)
        for spec in ("p97", "best-f1", "oracle"):
            strategy, threshold, _ = choose_threshold(spec, split_view, val_scores, test_scores)
            rows.append(
                {
                    "seed": seed,
                    "threshold_strategy": strategy.name,
                    "chosen_restart": best["restart"],
                    "val_auroc": best["val_auroc"],
                    "restart_val_aurocs": [round(f["val_auroc"], 4) for f in candidates],
                    **metrics.binary_metrics(test_label, test_scores, threshold),
                }
            )
    table = pd.DataFrame(rows)
    WORK.mkdir(parents=True, exist_ok=True)
    table.to_csv(WORK / "dagmm_restarts.csv", index=False)
    summary = mean_std(table, ["threshold_strategy"], ["f1", "precision", "recall", "auroc", "auprc"])
    return {"seconds": time.perf_counter() - started, "summary": summary, "per_seed": table}


# -- DAGMM epochs, chosen on validation data only -----------------------------------------------------------
TUNE_EPOCHS = 60
TUNE_EVERY = 5
TUNE_MIXTURE_ROWS = 40_000  # training rows the mixture is re-estimated on at each checkpoint (seeded)


def _tune_dagmm_one(model_seed: int, split_seed: int = 0) -> list[dict[str, Any]]:
    """Train DAGMM once for TUNE_EPOCHS; every TUNE_EVERY epochs, re-estimate the mixture on training rows and
    score the *validation* rows (training-half KDD attacks + 10% of the training half's anomalies)."""
    import torch

    from netad import metrics
    from netad.datasets import load
    from netad.detectors.dagmm import DAGMM
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load("kddcup99-dagmm")
    split = make_split(dataset, "dagmm", seed=split_seed, **SETTINGS["dagmm"]["protocol_options"])
    frame, _ = split.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset, **SETTINGS["dagmm"]["preprocess"]).fit(frame)
    X = pre.transform(frame)
    X_val, y_val = pre.transform(split.validation.features), split.validation.label
    rows = np.random.default_rng(model_seed).choice(len(X), min(TUNE_MIXTURE_ROWS, len(X)), replace=False)
    found: list[dict[str, Any]] = []

    class Checkpointed(DAGMM):
        def _on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
            if (epoch + 1) % TUNE_EVERY == 0:
                self._estimate_mixture(X[rows])
                scores = self._score(X_val)
                found.append(
                    {
                        "model_seed": model_seed,
                        "epochs": epoch + 1,
                        "val_auroc": metrics.binary_metrics(y_val, scores, float(np.median(scores)))["auroc"],
                        "val_auprc": metrics.binary_metrics(y_val, scores, float(np.median(scores)))["auprc"],
                        "train_loss": logs.get("loss", float("nan")),
                    }
                )
            return None

    torch.manual_seed(model_seed)
    Checkpointed(epochs=TUNE_EPOCHS, n_threads=1, random_state=model_seed).fit(X)
    return found


def tune_dagmm(model_seeds: list[int]) -> pd.DataFrame:
    """Validation AUROC/AUPRC of DAGMM per training length (split seed 0), mean over model seeds."""
    from joblib import Parallel, delayed

    per_seed = Parallel(n_jobs=2)(delayed(_tune_dagmm_one)(s) for s in model_seeds)
    table = pd.DataFrame([row for rows in per_seed for row in rows])
    WORK.mkdir(parents=True, exist_ok=True)
    table.to_csv(WORK / "dagmm_epochs_tuning.csv", index=False)
    return table.groupby("epochs")[["val_auroc", "val_auprc"]].agg(["mean", "std"]).reset_index()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        default="table,other,kdd,nsl",
        help="comma-separated: table, other, dagmm, restarts, kdd, nsl (see the docstring)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 1-2 epochs, 3,000 rows")
    parser.add_argument(
        "--tune-dagmm", action="store_true", help="validation-only choice of DAGMM's epochs (seed-0 split)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    os.environ.setdefault("NETAD_DATA", str(REPO.parent / "shared" / "data"))
    if args.tune_dagmm:
        print(tune_dagmm([0, 1]).to_string(index=False))
        return
    parts: dict[str, dict[str, Any]] = {}
    wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
    if "table" in wanted:
        parts["table"] = part_table(args.quick)
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "table_part.json").write_text(
            json.dumps({k: (v.to_dict(orient="records") if isinstance(v, pd.DataFrame) else v)
                        for k, v in parts["table"].items()}, indent=2, default=str)
        )  # fmt: skip
    if "other" in wanted:
        parts["other"] = part_other_splits(args.quick)
    if "dagmm" in wanted:
        parts["dagmm"] = part_dagmm(args.quick)
    if "restarts" in wanted:
        parts["restarts"] = part_dagmm_restarts(QUICK["seeds"] if args.quick else SEEDS_DAGMM)
    if "kdd" in wanted:
        parts["kdd"] = part_zoo("kdd-8000-2000", "kddcup99", "kdd-8000-2000", args.quick)
    if "nsl" in wanted:
        parts["nsl"] = part_zoo("nsl-kdd-novelty", "nsl-kdd,nsl-kdd-21", "novelty", args.quick)
    write_report(parts, args.quick)


if __name__ == "__main__":
    main()
