"""CIC-IDS-2017 zero-shot: latent sculpting against the baselines of its seed, on one split and preprocessing.

    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 0   # one process per seed
    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 0 \
        --latent-params '{"alpha": 0.1, "beta": 0.1}' --tag "(a=b=0.1)"              # the notebook's DCCL weights
    python benchmarks/cicids2017_zero_shot.py run --detectors mlp,ocsvm-sgd,iforest,autoencoder,maf
    python benchmarks/cicids2017_zero_shot.py plot      # UMAP of the sculpted latent space (seed 0)
    python benchmarks/cicids2017_zero_shot.py diagnose --seeds 0   # unseen families in the latent space
    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 3   # fresh seeds 3, 4, 5:
    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 4   # -> own md section
    python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds 5
    python benchmarks/cicids2017_zero_shot.py report    # -> benchmarks/results/cicids2017_zero_shot.md

Each baseline (detector, seed) is one ``netad.bench.run`` of the ``zero-shot`` protocol (the same code path as
``netad bench --dataset cicids2017 --protocol zero-shot``); latent sculpting is fitted once per seed through the
bench's own ``fit_job`` and each of its ``score`` variants (all six, and ``auto``'s choice) is evaluated as
``run_job`` would; the fitted model is saved under benchmarks/work/cicids2017_zero_shot_models/ for cheap
re-scoring. Seeds 0-2 predate the ``knn``/``two-stage-knn`` variants (their runs hold the first four); seeds 3, 4
and 5 (``FRESH_SEEDS``, first run after those variants were added) go to benchmarks/work/cicids2017_zero_shot_fresh/
and their own section of the report, so they confirm or refute the knn finding on rows nobody looked at.
Thresholds p99/p97/p95 = percentiles of the *validation normals'* scores; run directories under
benchmarks/work/cicids2017_zero_shot/ (git-ignored). About 10-16 min per latent-sculpting seed (10 epochs, 1
thread at nice 10 on 2 shared cores).
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
PREVIOUS = HERE / "work" / "cicids2017_zero_shot_4epochs"  # the first, 4-epoch latent-sculpting run (archived)
RESULTS = HERE / "results"
SEEDS = [0, 1, 2]
# seeds first run after the knn scores were added (chosen from a look at test rows of seeds 0-2): kept apart, so
# that the seeds 0-2 tables stay as they were and the fresh seeds confirm (or not) on their own
FRESH_SEEDS = [3, 4, 5]
FRESH = HERE / "work" / "cicids2017_zero_shot_fresh"
MODELS = HERE / "work" / "cicids2017_zero_shot_models"  # fitted latent-sculpting models, to re-score cheaply
THRESHOLDS = "p99,p97,p95"

# The seed's training recipe on 1 CPU thread: its encoder, stage 1 for 10 epochs at batch 512 over the whole
# stage-1 set the detector builds (every seen attack + as many benign rows; no max_stage1_rows cap), and its
# 16 x 512 flow for 10 epochs on every benign training latent (no max_flow_rows cap). Everything else is the
# detector's default; every score variant is evaluated on the one fit (the seed's rule is "two-stage"; netad's
# default is "two-stage-knn", adopted after the fresh seeds 3-5 confirmed it; see the md).
PARAMS: dict[str, dict[str, Any]] = {
    "latent-sculpting": {
        "epochs": 10,
        "batch_size": 512,
        "max_stage1_rows": None,
        "flow_blocks": 16,
        "flow_hidden": [512],
        "flow_epochs": 10,
        "max_flow_rows": None,
        "n_threads": 1,
    },
    "autoencoder": {"epochs": 30, "n_threads": 1},
    "maf": {"hidden": [128], "epochs": 10, "n_threads": 1},
}
ORDER = [
    "latent-sculpting:two-stage", "latent-sculpting:auto", "latent-sculpting:density", "latent-sculpting:distance",
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


FINDINGS: list[str] = [  # written from the tables above (rerun of 2026-11-23, 3 seeds); re-check after a re-run
    "",
    "## Findings",
    "",
    "**The seed's goal is not met, and training the detector properly did not close the zero-shot gap.** "
    'The seed\'s rule (`score="two-stage"`) at P95, mean ± std over seeds 0-2: '
    "known-attack F1 (1:1) 0.78 ± 0.12 (goal 0.94), zero-shot F1 (1:1) 0.31 ± 0.36 (goal 0.87), Infiltration "
    "recall 32% ± 19% (goal 88.9%), zero-shot AUROC 0.78 ± 0.16. netad's default score since this run, "
    "`two-stage-knn` (kNN distance to benign latents in place of the flow's density; section at the end), was "
    "found on seeds 0-2 and confirmed on fresh seeds 3-5: at P95 zero-shot F1 (1:1) 0.58 ± 0.02 vs 0.15 ± 0.08 "
    "for `two-stage` on the same fits, known F1 0.66 for both, Infiltration 57% -- more than three times the "
    "seed's rule, but still short of the goal.",
    "",
    "What the proper training changed (10 stage-1 epochs over the whole 20.5k-row stage-1 set, the seed's 16 x 512 "
    "flow on all 25.9k benign training latents, vs 4 epochs and a 5 x 128 flow before): **known attacks improved**, "
    "two-stage known F1 0.60 -> 0.78 and the centroid scores 0.85 -> 0.90 (seed 2: 0.96, above the seed's 0.94); "
    "**zero-shot did not**: two-stage 0.34 -> 0.31, density 0.42 -> 0.33, margin/distance 0.14 -> 0.00, and the "
    "seed-to-seed spread of the flow-based scores grew (two-stage zero-shot F1 std 0.21 -> 0.36). So compute was "
    "not the main cause of the gap.",
    "",
    "Why, from the per-seed rows (benchmarks/work/cicids2017_zero_shot/*/per_category.csv):",
    "",
    "1. The flow's density decides zero-shot detection and is unstable across seeds. The flow fits benign "
    "latents that DCCL has contracted to a very tight cluster (validation NLL -108 to -114 nats in 32 dimensions), "
    "so its tails -- where unseen *and* known attacks must fall to be flagged -- are set by small differences "
    "in where each family's latents end up. At P95, Bot recall under two-stage is 4%, 60% and 6% on seeds 0, 1, "
    "2; on the seed where the flow catches Bot (seed 1) it loses FTP-Patator (density 1%, two-stage 52%) and "
    "the web attacks. Infiltration (36 rows) goes 17%, 28%, 53%.",
    "2. The centroid scores (`margin`, `distance`) are stable and the best for known families, but by "
    "construction measure likeness to *known* attacks: Bot and Infiltration rank above most benign rows "
    "(zero-shot AUROC 0.86 for `margin`) yet below the top 5% of benign rows, so P95 flags none of them on any "
    "seed. Yet the sculpted space does separate them locally: in the UMAP below Bot forms mostly clusters of its "
    "own, and the diagnosis above shows that the mean distance to the 10 nearest benign training latents flags "
    "38-54% of Bot and 69-89% of Infiltration at the same ~5% false-positive rate on every seed (expected 1:1 "
    "zero-shot F1 ~0.54-0.68), where the centroid distance flags none. It misses most known attacks "
    "(web attacks 0-25%, FTP-Patator ~50%), so it complements stage 1 rather than replacing it.",
    '3. `score="auto"` picks `margin` on every seed (internal validation AUROC 0.981 vs two-stage 0.936). The '
    "internal validation set is a faithful proxy of the protocol's validation split (mean AUROCs within 0.003 "
    "and per seed within 0.007 of it, for every variant), so the rule is sound for what it measures; but a "
    "validation set of known families can "
    "only reward known-family separation, which here costs every unseen detection. That is why `auto` is an "
    "option and not the default.",
    "4. Data and protocol (unchanged from the first run): only four CIC-IDS-2017 subsets exist here, so the seen "
    "families are brute force and web attacks (no DoS/DDoS/PortScan) and the unseen set is 98% Bot (1,966 rows) "
    "+ 36 Infiltration rows, whereas the seed's unseen set is dominated by DoS slowloris/Slowhttptest (~11k of "
    "13.3k rows), which cannot be held out here. Thresholds are percentiles of validation normals (a fixed ~5% "
    "false-positive rate at P95) and stage 1 is calibrated to flag 1% of benign training rows; the seed took "
    "its percentile on training benign rows and let stage 1 flag freely (24% of test normals on this data).",
    "",
    "Next step this suggested (found by looking at test rows of these seeds): a two-stage score whose second "
    "stage is the neighbourhood distance to benign latents instead of the flow's density -- the calibrated "
    "stage-1 flag for known families, the k-NN distance for everything else. It is now the `two-stage-knn` "
    "score, confirmed on fresh seeds 3-5 in the section below (zero-shot F1 0.58 vs 0.15 at P95, same known F1).",
    "",
    "Where netad's latent sculpting is ahead of the baselines: ranking unseen attacks (zero-shot AUROC 0.86 for "
    "`margin`, 0.82 for `distance`, vs 0.79 for the supervised MLP and 0.58-0.71 for the unsupervised baselines; "
    "two-stage and density 0.78-0.79 on average, 0.60-0.90 per seed) and, with the centroid scores, known "
    "attacks among non-MLP models (known F1 0.90 ± 0.06 vs <= 0.02 for every "
    "one-class baseline). Where it trails: Infiltration, which the plain one-class baselines catch as well as "
    "the seed did (OCSVM-SGD, autoencoder, MAF on raw features 88.9% at P95; iforest 81%), but at known F1 "
    "~0.01; and known attacks against the supervised MLP (0.97; the seed's MLP 0.98). The seed's two baselines "
    "reproduce qualitatively: the supervised MLP collapses on unseen families (zero-shot F1 0.07, Infiltration "
    "6.5%; seed 0.30 and 0%), and a one-class model misses brute-force attacks that look benign (OCSVM-SGD known "
    "F1 0.01 here; the seed's 0.76 had DoS/DDoS/PortScan among its known families).",
    "",
    "Changes from the seed's recipe, each measured or forced: the centroid-separation hinge on the distance, not "
    "its square (the squared hinge left the encoder collapsed at loss = margin on CPU-length runs); positional "
    "embedding initialised at std 0.02; calibrated stage-1 flag; benign:attack 1:1 in stage 1 (the detector sees "
    "binary labels, not the size of the largest family); stage-1 weights of the last epoch (the seed kept the "
    "epoch of best nearest-centroid F1); the seed's engineered bytes_per_packet and packets_per_second are not "
    "added because they equal existing columns (correlation 1.0 with `Fwd Packet Length Mean`; median relative "
    "difference 2e-5 to `Fwd Packets/s`).",
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


LATENT_SCORES = ("two-stage", "density", "distance", "margin", "knn", "two-stage-knn")


def run_latent(seeds: list[int], extra: dict[str, Any] | None = None, tag: str = "") -> None:
    """Latent sculpting: one fit per seed (``netad.bench.job.fit_job``, the bench's own fit path), then every
    ``score`` variant evaluated exactly as ``run_job`` does (validation-normal percentiles, same metrics).

    All variants come from one encoder pass (``score_variants``); ``auto`` is the detector's own choice (made
    at fit on its internal validation set), i.e. what ``decision_function`` returns with ``score="auto"``."""
    from netad.bench.job import fit_job
    from netad.bench.spec import Job

    _env()
    for seed in seeds:
        job = Job(
            "cicids2017", "zero-shot", "latent-sculpting", seed, thresholds=tuple(THRESHOLDS.split(",")),
            params={**PARAMS["latent-sculpting"], **(extra or {})},
        )  # fmt: skip
        started = time.perf_counter()
        fitted = fit_job(job)
        where = FRESH if seed in FRESH_SEEDS else WORK
        X_test = write_latent_variants(job, fitted, str(where / f"latent-sculpting{tag}[{{variant}}]-seed{seed}"), tag)
        logging.info("latent-sculpting seed %d done in %.0f s", seed, time.perf_counter() - started)
        from netad.persist import save_model

        save_model(MODELS / f"latent-sculpting{tag}-seed{seed}", fitted.preprocessor, fitted.detector, overwrite=True)
        if seed == 0 and not tag and not (RESULTS / "cicids2017_zero_shot_latent.png").is_file():
            _draw(fitted.detector, X_test, fitted.split.test.attack_category)


def write_latent_variants(
    job: Any, fitted: Any, out_dir: str, tag: str = "", extra_base: dict[str, Any] | None = None
) -> np.ndarray:
    """Evaluate every ``score`` variant (and ``auto``) of one fitted latent-sculpting job as ``run_job`` would,
    writing each as a run directory ``out_dir.format(variant=...)`` (results.csv, per_category.csv, config.json);
    returns the preprocessed test rows. Shared with benchmarks/cicids2017_improved_zero_shot.py."""
    from sklearn.metrics import roc_auc_score

    from netad.bench.job import evaluate
    from netad.bench.runner import _versions

    seed = job.seed
    split, detector = fitted.split, fitted.detector
    X_val = fitted.preprocessor.transform(split.validation.features)
    X_test = fitted.preprocessor.transform(split.test.features)
    val_all = detector.score_variants(X_val)
    start = time.perf_counter()
    test_all = detector.score_variants(X_test)
    all_seconds = time.perf_counter() - start
    detector.set_params(score="auto")
    start = time.perf_counter()
    test_auto = detector.decision_function(X_test)  # score="auto": the variant chosen at fit
    auto_seconds = time.perf_counter() - start
    np.testing.assert_allclose(test_auto, test_all[detector.auto_score_], rtol=1e-6, atol=1e-6)
    val_all["auto"], test_all["auto"] = val_all[detector.auto_score_], test_auto
    for variant in ("auto", *LATENT_SCORES):
        val_scores, test_scores = val_all[variant], test_all[variant]
        score_seconds = auto_seconds if variant == "auto" else all_seconds
        base = {
            "dataset": job.dataset, "protocol": job.protocol, "detector": f"latent-sculpting{tag}:{variant}",
            "variant": variant, "seed": seed, "n_train": fitted.n_fit, "n_validation": len(split.validation),
            "n_test": len(split.test), "n_features": int(X_test.shape[1]), "fit_seconds": fitted.fit_seconds,
            "score_seconds": score_seconds, "test_rows_per_second": len(X_test) / max(score_seconds, 1e-9),
            "params": json.dumps({**job.params, "score": variant}), "auto_choice": detector.auto_score_,
            "internal_validation_auroc": detector.validation_auroc_.get(detector.auto_score_ if variant == "auto"
                                                                        else variant, np.nan),
            "stage1_seconds": float(sum(detector.history_.get("seconds", [np.nan]))),
            "flow_seconds": float(sum(detector.flow_history_.get("seconds", [np.nan]))),
            # validation holds normals and seen attacks only: a legitimate basis to choose a variant
            "validation_auroc": roc_auc_score(split.validation.label, val_scores),
            "stage1_benign_flag_rate": detector.stage1_benign_flag_rate_,
            **(extra_base or {}),
        }  # fmt: skip
        rows, per_category = evaluate(job.thresholds, split, base, val_scores, test_scores, seed=seed)
        out = Path(out_dir.format(variant=variant))
        out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(out / "results.csv", index=False)
        pd.DataFrame(per_category).to_csv(out / "per_category.csv", index=False)
        config = {"jobs": [job.to_dict()], "splits": {f"seed{seed}": split.info}, "versions": _versions()}
        (out / "config.json").write_text(json.dumps(config, indent=1, default=str))
    return X_test


def _draw(detector: Any, X_test: np.ndarray, categories: np.ndarray) -> Path:
    from netad.viz.latent import latent_plot

    path = RESULTS / "cicids2017_zero_shot_latent.png"
    latent_plot(
        detector, X_test, categories, path, method="umap", n_samples=4000,
        title="UMAP of the sculpted 32-d latent space, CIC-IDS-2017 test rows (seed 0; Bot, Infiltration unseen)",
    )  # fmt: skip
    return path


def diagnose(seed: int = 0, k: int = 10) -> Path:
    """Where do unseen families land in the sculpted space? One fit (seed ``seed``, the PARAMS above), then per
    family: the share of rows above the P95 cut (validation normals) of the distance to the benign centroid and
    of the mean distance to the ``k`` nearest benign training latents -- a neighbourhood score netad does not
    offer, measured here to explain the UMAP. Writes benchmarks/results/cicids2017_zero_shot_diagnosis_seed<N>.json
    (the fit is the benchmark's: same job, same seed, same scores)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors

    from netad.bench.job import fit_job
    from netad.bench.spec import Job

    _env()
    job = Job("cicids2017", "zero-shot", "latent-sculpting", seed, params=PARAMS["latent-sculpting"])
    fitted = fit_job(job)
    split, detector, pre = fitted.split, fitted.detector, fitted.preprocessor
    X_train = pre.transform(split.train.features)
    z_benign = detector.embed(X_train[split.train.label == 0])
    z_val = detector.embed(pre.transform(split.validation.features))
    z_test = detector.embed(pre.transform(split.test.features))
    knn = NearestNeighbors(n_neighbors=k).fit(z_benign)

    def neighbourhood(z: np.ndarray) -> np.ndarray:
        return knn.kneighbors(z)[0].mean(axis=1)

    def centroid(z: np.ndarray) -> np.ndarray:
        return np.square(z - detector.benign_centroid_).sum(axis=1)

    normal_val = split.validation.label == 0
    unseen = split.unseen_mask("test")
    zero_shot_view = unseen | (split.test.label == 0)
    out: dict[str, Any] = {"seed": seed, "k": k, "benign_training_latents": len(z_benign), "scores": {}}
    for name, fn in (("centroid distance", centroid), (f"mean distance to {k} nearest benign", neighbourhood)):
        val, test = fn(z_val), fn(z_test)
        cut = float(np.percentile(val[normal_val], 95))
        flagged = test > cut
        out["scores"][name] = {
            "zero_shot_auroc": float(roc_auc_score(unseen[zero_shot_view], test[zero_shot_view])),
            "p95_detection_rate": {
                str(family): float(flagged[split.test.attack_category == family].mean())
                for family in sorted(set(split.test.attack_category))
            },
        }
    path = RESULTS / f"cicids2017_zero_shot_diagnosis_seed{seed}.json"
    path.write_text(json.dumps(out, indent=1))
    return path


def plot() -> Path:
    """UMAP of the latent-sculpting code of test rows (seed 0), coloured by attack family."""
    from netad.bench.job import fit_job
    from netad.bench.spec import Job
    from netad.viz.latent import latent_plot

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


def _load(work: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], dict[str, str]]:
    """results, per-category rows, configs and finishing time (UTC, from results.csv) of every run under ``work``."""
    results, per_category, configs, finished = [], [], {}, {}
    for run_dir in sorted(work.glob("*-seed*")):
        if not (run_dir / "results.csv").is_file():
            continue
        frame = pd.read_csv(run_dir / "results.csv")
        results.append(frame)
        per_category.append(pd.read_csv(run_dir / "per_category.csv"))
        configs[run_dir.name] = json.loads((run_dir / "config.json").read_text())
        stamp = dt.datetime.fromtimestamp((run_dir / "results.csv").stat().st_mtime, dt.timezone.utc)
        name = str(frame["detector"].iloc[0]).split(":")[0]
        finished[name] = max(finished.get(name, ""), stamp.strftime("%Y-%m-%d %H:%M"))
    if not results:
        raise SystemExit(f"no finished runs under {work}")
    return pd.concat(results, ignore_index=True), pd.concat(per_category, ignore_index=True), configs, finished


def _p95_summary(res: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """Per detector at P95, mean and std over seeds: the headline figures the seed reports."""
    p95 = res[res["threshold_strategy"] == "p95"].set_index(["detector", "seed"])
    infil = cat[(cat["threshold_strategy"] == "p95") & (cat["attack_category"] == "Infiltration")]
    p95["infiltration"] = infil.set_index(["detector", "seed"])["detection_rate"]
    cols = ["known_balanced_f1", "zero_shot_balanced_f1", "infiltration", "zero_shot_auroc"]
    grouped = p95[cols].groupby(level="detector")
    return grouped.mean().join(grouped.std(ddof=1).fillna(0.0).add_suffix("_std"))


KNN_TITLE = "Latent kNN score (added after an exploratory look at test rows; confirmed on fresh seeds 3–5)"
KNN_VARIANTS = ("two-stage", "two-stage-knn", "knn", "margin", "density", "distance", "auto")
KNN_FINDINGS: list[str] = [  # written from the fresh-seed table above (seeds 3, 4, 5, run 2026-11-23)
    "",
    "**The fresh seeds confirm the finding.** At P95, `two-stage-knn` has zero-shot F1 (1:1) 0.584 ± 0.016 "
    "against 0.151 ± 0.079 for the seed's `two-stage` (per seed 0.591 vs 0.242, 0.566 vs 0.104, 0.596 vs 0.106), "
    "with the same known F1 (0.659 vs 0.661; the stage-1 flags are identical, only the ranking of unflagged rows "
    "changes): Bot recall 43.4% vs 8.3%, Infiltration 56.5% vs 31.5% (of 36 rows). At P97 the gain is smaller "
    "(0.392 ± 0.143 vs 0.130 ± 0.089); at P99 there is none (0.063 vs 0.054), because stage 1 is calibrated to "
    "flag 1% of benign training rows and so takes up nearly the whole 1% budget of that threshold. `knn` alone "
    "reproduces the exploratory figures of seeds 0-2 (Bot 38-45% and Infiltration 53-75% at P95 here, vs "
    "38-54% and 69-89% there) but catches fewer known attacks (known F1 0.42 ± 0.18), as predicted. Zero-shot "
    "AUROC does not improve (two-stage-knn 0.837 vs two-stage 0.861; `margin` 0.881 stays the best ranker): the "
    "gain is at the operating point, where the kNN distance puts Bot above the top 5% of benign rows and the "
    "flow's density does not.",
    "",
    "Caveats: three fresh seeds; the unseen set is 98% Bot plus 36 Infiltration rows; and the fresh seeds' "
    "known F1 under `two-stage` (0.66) is below seeds 0-2's (0.78), so seeds vary a lot in stage 1 itself. "
    "The seed's goal is still not met (best here: zero-shot F1 0.58 vs 0.87, known F1 0.66 vs 0.94, "
    "Infiltration 57% vs 88.9%). `auto` picks `margin` on every fresh seed: on known families the kNN scores "
    "validate poorly (internal validation AUROC `knn` 0.62/0.69, `two-stage-knn` 0.67/0.79, `margin` "
    "0.95/0.97 on seeds 3/4), so a known-family validation set cannot discover this gain. Cost: the kNN search "
    "over the ~25.9k benign reference latents (float64, 1 thread): on seed 3's saved model and its 13.6k test rows, "
    "2,645 rows per CPU-second for `two-stage` and 1,900 for `two-stage-knn` (3,478 for `margin`), after the "
    "distance matrix was computed in one fused `addmm` (before: ~1,400 for `two-stage-knn`; identical ranks, "
    "relative difference 5e-13); the reference adds ~3.3 MB to a saved model.",
    "",
    "Decision: `two-stage-knn` is now the detector's default `score`, since on rows nobody had looked at it "
    'beats `two-stage` on zero-shot F1 at P95 and P97 without losing known F1; `score="two-stage"` gives the '
    "seed's rule. The tables for seeds 0-2 above were fitted before the kNN variants existed and show the "
    "seed's rule and the other variants of those fits.",
]


def _fresh_section() -> tuple[list[str], pd.DataFrame | None]:
    """The fresh seeds' table (every variant incl. the knn ones) and their mean/std rows for the CSV."""
    if not FRESH.is_dir() or not any((d / "results.csv").is_file() for d in FRESH.glob("*-seed*")):
        return [], None
    res, cat, _, finished = _load(FRESH)
    seeds = sorted(set(res["seed"]))
    wide = cat.pivot_table(
        index=["detector", "threshold_strategy", "seed"], columns="attack_category", values="detection_rate"
    )
    res = res.set_index(["detector", "threshold_strategy", "seed"]).join(wide[["Bot", "Infiltration", "normal"]])
    cols = ["known_balanced_f1", "zero_shot_balanced_f1", "Infiltration", "Bot", "normal", "zero_shot_auroc"]
    grouped = res.groupby(level=["detector", "threshold_strategy"])
    mean, std = grouped[cols].mean(), grouped[cols].std(ddof=1).fillna(0.0)
    lines = [
        "",
        f"## {KNN_TITLE}",
        "",
        "Two score variants added to `LatentSculpting` after the exploratory `diagnose` above (which looked at "
        "test rows of seeds 0-2): `knn` = mean Euclidean distance of a row's latent to its `knn_k = 10` nearest "
        "benign training latents (a seeded sample of at most `knn_max_rows = 50,000` of the flow's benign training "
        "latents, stored with the model), and `two-stage-knn` = the calibrated stage-1 flag for known families, "
        "else that kNN distance (combined exactly as `two-stage` combines the flag and the flow's density). To "
        "test the finding without the test rows that suggested it, seeds "
        + ", ".join(str(s) for s in seeds)
        + " -- never run or looked at before -- were fitted once each with the settings of seeds 0-2 "
        "(`python benchmarks/cicids2017_zero_shot.py run --detectors latent-sculpting --seeds N`, one process per "
        f"seed, finished {finished.get('latent-sculpting', '?')} UTC) and every variant scored on the same fit; "
        "thresholds are percentiles of validation normals as above. Mean ± std over the fresh seeds; Bot and "
        "Infiltration are the unseen families, `FPR` the false-positive rate on all test normals.",
        "",
        "| variant | threshold | known F1 (1:1) | zero-shot F1 (1:1) | Infiltration recall | Bot recall | FPR | "
        "zero-shot AUROC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant in KNN_VARIANTS:
        det = f"latent-sculpting:{variant}"
        for thr in ("p99", "p97", "p95"):
            if (det, thr) not in mean.index:
                continue
            m, sd = mean.loc[(det, thr)], std.loc[(det, thr)]
            lines.append(
                f"| {variant} | {thr} | {_fmt(m['known_balanced_f1'], sd['known_balanced_f1'])} | "
                f"{_fmt(m['zero_shot_balanced_f1'], sd['zero_shot_balanced_f1'])} | "
                f"{m['Infiltration']:.1%} ± {sd['Infiltration']:.1%} | {m['Bot']:.1%} ± {sd['Bot']:.1%} | "
                f"{m['normal']:.1%} | {_fmt(m['zero_shot_auroc'], sd['zero_shot_auroc'])} |"
            )
    lines += [
        "",
        "Per fresh seed at P95 (known F1 / zero-shot F1, both 1:1; Bot and Infiltration recall):",
        "",
        "| variant | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|" + "---|" * len(seeds),
    ]
    for variant in KNN_VARIANTS[:4]:
        det = f"latent-sculpting:{variant}"
        cells = []
        for seed in seeds:
            key = (det, "p95", seed)
            if key not in res.index:
                cells.append("–")
                continue
            r = res.loc[key]
            cells.append(
                f"{r['known_balanced_f1']:.3f} / {r['zero_shot_balanced_f1']:.3f}; Bot {r['Bot']:.0%}, "
                f"Infiltration {r['Infiltration']:.0%}"
            )
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    choices = res.xs("p95", level="threshold_strategy").reset_index()
    choices = choices[choices["detector"] == "latent-sculpting:auto"].set_index("seed")["auto_choice"]
    lines += ["", "`auto` chose: " + ", ".join(f"seed {s}: {c}" for s, c in choices.items()) + "."]
    lines += KNN_FINDINGS
    frame = pd.concat([mean.add_suffix("_mean"), std.add_suffix("_std")], axis=1)
    frame["n_seeds"] = grouped.size()
    frame["seeds"] = ",".join(str(s) for s in seeds) + " (fresh)"
    return lines, frame


def report() -> Path:
    res, cat, configs, finished = _load(WORK)
    present = set(res["detector"])
    detectors = [d for d in ORDER if d in present] + sorted(d for d in present if d not in ORDER)
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
        f"- Rows rerun: every `latent-sculpting:*` row (finished {finished.get('latent-sculpting', '?')} UTC, "
        "10 stage-1 epochs, the seed's 16 x 512 flow; settings at the end). Baseline rows (`mlp`, `ocsvm-sgd`, "
        "`iforest`, `autoencoder`, `maf`) are reused from their runs of "
        + ", ".join(f"{k} {v}" for k, v in sorted(finished.items()) if not k.startswith("latent"))
        + " UTC: the dataset loader, the zero-shot split, the preprocessor and the metrics have not changed since "
        "(the only later commits to that code are a refactor of the bench's evaluation into one function and "
        "blank lines).",
        "",
        "## Headline at P95 (the seed's most sensitive threshold; mean ± std over seeds)",
        "",
        "`two-stage` is the seed's rule (netad's default is now `two-stage-knn`: fresh-seed section at the end); "
        "`auto` is the opt-in variant with the best "
        "AUROC on the detector's internal validation set (known families only), chosen at fit. Goal from the seed: "
        "known F1 0.94, zero-shot F1 0.87 (both on 1:1 sets), Infiltration recall 88.9%.",
        "",
        "| detector | known F1 (1:1) | zero-shot F1 (1:1) | Infiltration recall | zero-shot AUROC |",
        "|---|---|---|---|---|",
    ]
    head = _p95_summary(res, cat)
    for det in detectors:
        if det not in head.index:
            continue
        h = head.loc[det]
        lines.append(
            f"| {det} | {_fmt(h['known_balanced_f1'], h['known_balanced_f1_std'])} | "
            f"{_fmt(h['zero_shot_balanced_f1'], h['zero_shot_balanced_f1_std'])} | "
            f"{h['infiltration']:.1%} ± {h['infiltration_std']:.1%} | "
            f"{_fmt(h['zero_shot_auroc'], h['zero_shot_auroc_std'])} |"
        )
    if PREVIOUS.is_dir():
        old_res, old_cat, _, _ = _load(PREVIOUS)
        old = _p95_summary(old_res, old_cat)
        lines += [
            "",
            "### Against the previous, compute-starved run (same split, same code path)",
            "",
            "Before: stage 1 for 4 epochs at batch 256, flow 5 MADE x 128 on <= 30,000 benign latents, the seed's "
            "default `two-stage` score, stage-1 validation rows not held out from the flow (run of 2026-11-23, "
            "archived under benchmarks/work/cicids2017_zero_shot_4epochs/). After: the settings at the end of this "
            "file. P95, mean ± std over seeds 0-2.",
            "",
            "| variant | known F1 (1:1) before -> after | zero-shot F1 (1:1) before -> after | Infiltration before "
            "-> after | zero-shot AUROC before -> after |",
            "|---|---|---|---|---|",
        ]
        for det in LATENT_SCORES:
            name = f"latent-sculpting:{det}"
            if name not in old.index or name not in head.index:
                continue
            o, h = old.loc[name], head.loc[name]
            lines.append(
                f"| {det} | {_fmt(o['known_balanced_f1'], o['known_balanced_f1_std'])} -> "
                f"{_fmt(h['known_balanced_f1'], h['known_balanced_f1_std'])} | "
                f"{_fmt(o['zero_shot_balanced_f1'], o['zero_shot_balanced_f1_std'])} -> "
                f"{_fmt(h['zero_shot_balanced_f1'], h['zero_shot_balanced_f1_std'])} | "
                f"{o['infiltration']:.1%} -> {h['infiltration']:.1%} | "
                f"{_fmt(o['zero_shot_auroc'], o['zero_shot_auroc_std'])} -> "
                f"{_fmt(h['zero_shot_auroc'], h['zero_shot_auroc_std'])} |"
            )
    lines += [
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
        latent = res[res["detector"].str.startswith("latent-sculpting") & (res["threshold_strategy"] == "p95")]
        lines += [
            "",
            '## Latent-sculpting score variants: the choice `score="auto"` makes',
            "",
            "One fit per seed; the variants differ only in how the fitted model scores a row (see "
            "`netad.detectors.latent_sculpting`), and `score_variants` computes them all from one encoder pass "
            "(seeds 0-2 were run before the `knn` variants existed; those are in the fresh-seed section below). "
            "`internal validation AUROC`: on the detector's own held-out 10% of each class of its stage-1 rows "
            "(benign + known attacks, 1:1; never trained on by either stage) -- what `auto` maximises at fit. "
            "`split validation AUROC`: on the protocol's validation split (normals + seen attacks). Neither holds "
            "an unseen family.",
            "",
            "| variant | internal validation AUROC | split validation AUROC | chosen by auto (seeds) | "
            "stage-1 flag rate on benign training rows |",
            "|---|---|---|---|---|",
        ]
        choices = latent[latent["variant"] == "auto"].set_index("seed")["auto_choice"]
        for det in detectors:
            rows = latent[latent["detector"] == det]
            if rows.empty:
                continue
            variant = str(rows["variant"].iloc[0])
            picked = ", ".join(str(seed) for seed, c in choices.items() if c == variant) or "-"
            if variant == "auto":
                picked = ", ".join(f"{seed}: {c}" for seed, c in choices.items())
            internal, split_val = rows["internal_validation_auroc"], rows["validation_auroc"]
            lines.append(
                f"| {det} | {_fmt(internal.mean(), internal.std(ddof=1) if len(internal) > 1 else 0.0)} | "
                f"{_fmt(split_val.mean(), split_val.std(ddof=1) if len(split_val) > 1 else 0.0)} | {picked} | "
                f"{rows['stage1_benign_flag_rate'].mean():.3f} |"
            )
        timing = latent[latent["variant"] == "auto"]
        lines += [
            "",
            "Time per seed (1 torch thread, nice 10, sharing 2 cores with other jobs): fit "
            f"{timing['fit_seconds'].mean():.0f} s (stage-1 training {timing['stage1_seconds'].mean():.0f} s, "
            f"flow training {timing['flow_seconds'].mean():.0f} s; the rest is encoding, the internal-validation "
            'AUROCs and the fit-time threshold); scoring the test split with `score="auto"` '
            f"{timing['test_rows_per_second'].mean():,.0f} rows/s, all four variants in one pass "
            f"{latent[latent['variant'] == 'margin']['test_rows_per_second'].mean():,.0f} rows/s.",
        ]
        goal = []
        for det in ["latent-sculpting:two-stage", "latent-sculpting:auto"]:
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
    diagnoses = [json.loads(f.read_text()) for f in sorted(RESULTS.glob("cicids2017_zero_shot_diagnosis_seed*.json"))]
    if diagnoses:
        fams = list(diagnoses[0]["scores"]["centroid distance"]["p95_detection_rate"])
        lines += [
            "",
            "## Diagnosis: where the unseen families land in the sculpted space (`diagnose`)",
            "",
            "The benchmark's fit refitted (same job and seed; its `distance` rows are reproduced exactly), then two "
            "label-free scores on the latent code, each cut at the P95 of validation normals: the squared distance "
            "to the benign centroid (= the `distance` variant) and the mean distance to the "
            f"{diagnoses[0]['k']} nearest benign *training* latents (a neighbourhood score the detector did "
            "not offer then; it is now the `knn` variant). Detection rate per family at P95; zero-shot AUROC on the "
            "natural zero-shot view. "
            "Found by looking at the UMAP of seed 0's test rows, so these figures are exploratory, not a result "
            "to compare with the seed.",
            "",
            "| seed | latent score | zero-shot AUROC | " + " | ".join(fams) + " |",
            "|---|---|---|" + "---|" * len(fams),
        ]
        for diag in diagnoses:
            for name, block in diag["scores"].items():
                rates = block["p95_detection_rate"]
                lines.append(
                    f"| {diag['seed']} | {name} | {block['zero_shot_auroc']:.3f} | "
                    + " | ".join(f"{rates.get(f, np.nan):.3f}" for f in fams)
                    + " |"
                )
    lines += FINDINGS
    fresh_lines, fresh = _fresh_section()
    lines += fresh_lines
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
    table = pd.concat([mean.add_suffix("_mean"), std.add_suffix("_std"), n.rename("n_seeds")], axis=1)
    if fresh is not None:  # the fresh seeds' rows, marked in a `seeds` column (their columns: the md's table)
        table["seeds"] = ",".join(str(s) for s in sorted(set(res["seed"])))
        table = pd.concat([table, fresh])
    table.to_csv(RESULTS / "cicids2017_zero_shot.csv")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "plot", "report", "diagnose"])
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
    elif args.mode == "diagnose":
        print(diagnose(int(args.seeds.split(",")[0])))
    else:
        print(report())


if __name__ == "__main__":
    main()
