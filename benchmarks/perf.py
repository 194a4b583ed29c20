"""Performance: netad against its baselines, each measured as a ratio inside one run on the same machine.

    nice -n 10 python benchmarks/perf.py [--rows 2830743] [--rounds 3] [--epochs 2] [--threads 2] [--quick]
    python benchmarks/perf.py --skip loading,training --detectors neutral,mnpwad --merge   # add/refresh rows

What it measures (one report, benchmarks/results/perf.md, plus perf.json):

1. loading CIC-IDS-2017: a full-size (2,830,743-row) MachineLearningCVE CSV with the official files' quirks, built
   from the real shared rows by ``load_cicids2017.build_csv``; netad ``load(..., cache=False)`` (parse + clean:
   NaN/Inf rows dropped, labels fixed, float32) against plain ``pandas.read_csv``, then netad's first cached load
   (parse + write parquet) and a load from the cache. Each in a fresh process (``load_cicids2017.run_child``:
   load-call wall time and the child's peak RSS);
2. AutoEncoder training per epoch: netad's against PyOD's, same architecture (n-64-32-16-32-64-n, ReLU, no dropout
   or batch norm), batch 256, Adam, on the 37,000 normal rows of UNSW-NB15 (``ae_speed``: epoch-boundary hooks,
   paired rounds, median of per-round ratios);
3. scoring throughput, rows/s of ``decision_function`` on a preprocessed float32 matrix (UNSW-NB15 rows repeated)
   for every netad detector and the peer model that computes the same kind of score (PyOD's IForest, PCA, OCSVM,
   LOF, MCD for the elliptic envelope, AutoEncoder, VAE, ALAD for BiGAN; DeepOD's NeuTraL); models fitted on
   10,000 normal rows with few epochs (speed, not quality, is measured here; the label-using mnpwad and
   latent-sculpting get a seeded random 5% of the rows marked as attacks); best of 2 calls after a warm-up;
4. peak RSS: of every load child, and of this process (all fits and scoring).

``--threads`` torch/BLAS threads for both libraries in 2-3 (default 2: the goal is stated for 2 cores). Other
processes share the CPUs: every line records the 1-minute load average, and ratios are taken within one round.
``--profile`` adds cProfile's top functions of the hot paths (cached load, AE scoring, one benchmark job).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ae_speed  # noqa: E402  (benchmarks/ae_speed.py: the AE training comparison)
import load_cicids2017  # noqa: E402  (benchmarks/load_cicids2017.py: the full-size CSV and load children)

WORK = HERE / "work" / "perf"
RESULTS = HERE / "results"
FIT_ROWS = 10_000
SCORE_ROWS = {"fast": 1_000_000, "slow": 50_000}
SLOW = {"ocsvm", "lof", "pyod:OCSVM", "pyod:LOF", "pyod:ALAD", "pyod:VAE", "seq2seq", "latent-sculpting"}
# netad detector -> (PyOD equivalent, its parameters); fast settings: this measures speed, not detection quality
PAIRS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "iforest": ("pyod:IForest", {"n_estimators": 100}),
    "pca": ("pyod:PCA", {}),
    "elliptic": ("pyod:MCD", {}),
    "ocsvm": ("pyod:OCSVM", {}),
    "ocsvm-sgd": (None, {}),
    "lof": ("pyod:LOF", {}),
    "autoencoder": ("pyod:AutoEncoder", {"epoch_num": 2, "hidden_neuron_list": [64, 32, 16], "batch_norm": False,
                                         "dropout_rate": 0.0, "batch_size": 256, "preprocessing": False}),
    "vae": ("pyod:VAE", {"epoch_num": 2, "batch_size": 256, "preprocessing": False}),
    "beta-vae": ("pyod:VAE", {"epoch_num": 2, "batch_size": 256, "preprocessing": False, "beta": 4.0}),
    "bigan": ("pyod:ALAD", {"epochs": 2, "batch_size": 256}),
    "dagmm": (None, {}),
    "maf": (None, {}),
    "seq2seq": (None, {}),
    "neutral": ("deepod:NeuTraL", {"epochs": 2, "batch_size": 64}),
    "mnpwad": (None, {}),
    "latent-sculpting": (None, {}),
}  # fmt: skip
LABELLED_SHARE = 0.05  # label-using detectors (mnpwad, latent-sculpting) fit with this share of rows marked 1
NETAD_FAST = {"epochs": 2, "patience": None}


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# -- 1. loading ------------------------------------------------------------------------------------------
def measure_loading(rows: int) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    csv = WORK / "MachineLearningCVE-full-size.pcap_ISCX.csv"
    print(f"building a {rows:,}-row CIC-IDS-2017 CSV", file=sys.stderr, flush=True)
    built = load_cicids2017.build_csv(csv, rows)
    cache = WORK / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "NETAD_CACHE": str(cache), "PYTHONPATH": str(HERE.parent)}
    out: dict[str, Any] = {"csv_rows": built["rows"], "csv_gib": built["bytes"] / 2**30}
    runs = [
        ("pandas.read_csv", "pandas"),
        ("netad CSV parse + clean", "nocache"),
        ("netad first load (parse + clean + cache)", "cache"),
        ("netad from cache", "cache"),
    ]
    for label, mode in runs:
        before = load_average()
        result = load_cicids2017.run_child(mode, csv, env)
        result["load_avg"] = f"{before} / {load_average()}"
        out[label] = result
        print(f"  {label}: {result['seconds']:.1f}s, peak RSS {result['peak_rss_gib']:.2f} GiB", file=sys.stderr)
    shutil.rmtree(cache, ignore_errors=True)
    csv.unlink(missing_ok=True)
    return out


# -- 2. AE training --------------------------------------------------------------------------------------
def measure_training(X: np.ndarray, rounds: int, epochs: int, threads: int) -> dict[str, Any]:
    times: dict[str, list[tuple[float, float]]] = {}
    models: dict[str, Any] = {}
    for r in range(rounds):
        print(f"AE training round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        ae_speed.train_round(X, epochs, threads, times, models)
    netad_key, pyod_key = f"netad@{threads}", f"pyod@{threads}"
    ratios = []
    for r in range(rounds):
        mine = times[netad_key][r * epochs : (r + 1) * epochs]
        theirs = times[pyod_key][r * epochs : (r + 1) * epochs]
        ratios.append(ae_speed.median([w for w, _ in theirs]) / ae_speed.median([w for w, _ in mine]))
    return {
        "rows": len(X),
        "netad_s_per_epoch": ae_speed.median([w for w, _ in times[netad_key]]),
        "pyod_s_per_epoch": ae_speed.median([w for w, _ in times[pyod_key]]),
        "speedup": ae_speed.median(ratios),
        "per_round_speedups": ratios,
        "load_avg": load_average(),
    }


# -- 3. scoring ------------------------------------------------------------------------------------------
def fitted(name: str, params: dict[str, Any], X: np.ndarray, threads: int) -> Any:
    from netad.detectors import get_class, make

    if ":" in name:
        return make(name, **params, n_threads=threads, random_state=0).fit(X)
    cls = get_class(name)
    accepted = set(cls._get_param_names())
    fast = {k: v for k, v in {**NETAD_FAST, "n_threads": threads, "random_state": 0}.items() if k in accepted}
    if cls.supervision == "unsupervised":
        return make(name, **fast).fit(X)
    # speed only: a seeded random share of the rows plays the labelled attacks the detector needs at fit
    y = (np.random.default_rng(0).random(len(X)) < LABELLED_SHARE).astype(np.int8)
    return make(name, **fast).fit(X, y)


def rows_per_second(score: Any, X: np.ndarray, repeats: int = 2) -> float:
    score(X[:1000])  # warm-up (lazy imports, numba compilation, allocator)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        score(X)
        best = min(best, time.perf_counter() - start)
    return len(X) / best


def peer_scorer(detector: Any) -> Any:
    """PyOD's own ``decision_function`` on the fitted peer (the adapter adds only netad's input check)."""
    peer = detector.peer_

    def score(X: np.ndarray) -> Any:
        from netad.detectors.peers import _quiet_and_local

        with _quiet_and_local(detector.n_threads):
            return peer.decision_function(X)

    return score


def measure_scoring(X: np.ndarray, threads: int, only: list[str] | None) -> list[dict[str, Any]]:
    import torch
    from threadpoolctl import threadpool_limits

    from netad.detectors import available

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    train = X[rng.choice(len(X), size=min(FIT_ROWS, len(X)), replace=False)]
    rows = []
    names = [n for n in PAIRS if n in available()] if not only else only
    for name in names:
        peer, peer_params = PAIRS.get(name, (None, {}))
        slow = name in SLOW or peer in SLOW
        n = SCORE_ROWS["slow" if slow else "fast"]
        big = np.ascontiguousarray(X[np.arange(n) % len(X)])
        entry: dict[str, Any] = {"detector": name, "peer": peer, "rows": n, "load_avg": load_average()}
        print(f"scoring {name} vs {peer} on {n:,} rows", file=sys.stderr, flush=True)
        with threadpool_limits(threads):
            try:
                ours = fitted(name, {}, train, threads)
                entry["netad_rows_per_s"] = rows_per_second(ours.decision_function, big)
            except Exception as exc:  # noqa: BLE001 - recorded in the report
                entry["netad_error"] = f"{type(exc).__name__}: {exc}"
            if peer is not None:
                try:
                    theirs = fitted(peer, peer_params, train, threads)
                    entry["peer_rows_per_s"] = rows_per_second(peer_scorer(theirs), big)
                except Exception as exc:  # noqa: BLE001
                    entry["peer_error"] = f"{type(exc).__name__}: {exc}"
        rows.append(entry)
    return rows


# -- profiling -------------------------------------------------------------------------------------------
def profile(label: str, fn: Any, top: int = 12) -> str:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    fn()
    profiler.disable()
    seconds = time.perf_counter() - start
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(top)
    text = stream.getvalue()
    body = text[text.find("ncalls") :] if "ncalls" in text else text
    return f"### {label} ({seconds:.2f} s under the profiler)\n\n```\n{body.rstrip()}\n```\n"


def measure_profiles(X: np.ndarray, threads: int) -> list[str]:
    from netad.bench import plan
    from netad.bench.job import run_job
    from netad.datasets import load

    load("unsw-nb15")  # warm the cache
    sections = [profile("load('unsw-nb15') from the parquet cache", lambda: load("unsw-nb15"))]
    ae = fitted("autoencoder", {}, X[:10_000], threads)
    big = np.ascontiguousarray(X[np.arange(1_000_000) % len(X)])
    sections.append(profile("autoencoder.decision_function, 1,000,000 rows", lambda: ae.decision_function(big)))
    job = plan("unsw-nb15", "pca", [0], "novelty", "p99,best-f1", max_train=20_000, save_scores=False)[0]
    sections.append(profile("one benchmark job (unsw-nb15, pca, novelty, max_train 20,000)", lambda: run_job(job)))
    return sections


# -- report ----------------------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    from netad.bench.runner import package_versions

    packages = ("netad", "torch", "numpy", "pandas", "pyarrow", "scikit-learn", "pyod", "deepod")
    return {"python": platform.python_version(), **package_versions(packages)}


def markdown(report: dict[str, Any]) -> str:
    t = report["threads"]
    lines = [
        "# netad performance against its baselines",
        "",
        f"Run {report['date']} with `{report['command']}`; "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items())
        + f"; {os.cpu_count()} CPU cores **shared with other jobs** (1-minute load average on each line).",
        "",
        "Every comparison is a ratio measured in this one run on this machine: both sides under the same load.",
    ]
    loading = report.get("loading")
    if loading:
        pandas_s = loading["pandas.read_csv"]["seconds"]
        lines += [
            "",
            "## Loading CIC-IDS-2017 (full size)",
            "",
            f"One uncompressed CSV, {loading['csv_rows']:,} rows, {loading['csv_gib']:.2f} GiB, built from the real "
            "shared rows with the official files' quirks (benchmarks/load_cicids2017.py). Fresh process per line.",
            "",
            "| run | load s | vs pandas.read_csv | peak RSS GiB | rows out | load avg |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label in ("pandas.read_csv", "netad CSV parse + clean", "netad first load (parse + clean + cache)",
                      "netad from cache"):  # fmt: skip
            r = loading[label]
            lines.append(
                f"| {label} | {r['seconds']:.1f} | {pandas_s / r['seconds']:.2f}x | {r['peak_rss_gib']:.2f} | "
                f"{r['rows']:,} | {r['load_avg']} |"
            )
        lines += [
            "",
            "pandas.read_csv only parses (float64/object, NaN/Inf rows kept, labels not decoded); netad also "
            "cleans (drops NaN/Inf rows and says how many), fixes labels and returns float32.",
        ]
    training = report.get("training")
    if training:
        lines += [
            "",
            "## AutoEncoder training per epoch",
            "",
            f"{training['rows']:,} UNSW-NB15 normal rows, same network and batch size (benchmarks/ae_speed.py), "
            f"{t} threads, {len(training['per_round_speedups'])} paired rounds.",
            "",
            "| library | wall s/epoch (median) |",
            "|---|---:|",
            f"| PyOD AutoEncoder | {training['pyod_s_per_epoch']:.3f} |",
            f"| netad autoencoder | {training['netad_s_per_epoch']:.3f} |",
            "",
            f"Speed-up (median of per-round ratios): **{training['speedup']:.2f}x** (rounds: "
            + ", ".join(f"{r:.2f}x" for r in training["per_round_speedups"])
            + f"); load average {training['load_avg']}.",
        ]
    scoring = report.get("scoring")
    if scoring:
        lines += [
            "",
            "## Scoring throughput",
            "",
            f"`decision_function` on preprocessed float32 UNSW-NB15 rows (repeated), fitted on {FIT_ROWS:,} normal "
            f"rows, {t} threads for both, best of 2 after a warm-up. Peers' rows/s are PyOD's / DeepOD's own "
            "`decision_function`. `mnpwad` and `latent-sculpting` need labelled attacks at fit: a seeded random "
            f"{LABELLED_SHARE:.0%} of the rows is marked (speed only).",
            "",
            "| netad detector | rows/s | peer equivalent | rows/s | netad / peer | rows scored | load avg |",
            "|---|---:|---|---:|---:|---:|---|",
        ]
        for r in scoring:
            ours = r.get("netad_rows_per_s")
            theirs = r.get("peer_rows_per_s")
            ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
            lines.append(
                f"| {r['detector']} | {f'{ours:,.0f}' if ours else r.get('netad_error', '-')} | {r['peer'] or '-'} | "
                f"{f'{theirs:,.0f}' if theirs else r.get('peer_error', '-')} | {ratio} | {r['rows']:,} | "
                f"{r['load_avg']} |"
            )
    lines += [
        "",
        "## Memory",
        "",
        f"Peak RSS of this process (all fits and scoring): {report['peak_rss_gib']:.2f} GiB.",
    ]
    if loading:
        lines.append(
            "Load children: "
            + ", ".join(f"{k} {v['peak_rss_gib']:.2f} GiB" for k, v in loading.items() if isinstance(v, dict))
            + "."  # fmt: skip
        )
    goals = []
    if training:
        met = "met" if training["speedup"] >= 2 else "not met"
        goals.append(f"- AE trains >= 2x faster per epoch than PyOD: **{met}** ({training['speedup']:.2f}x).")
    if scoring:
        ae = next((r for r in scoring if r["detector"] == "autoencoder" and r.get("netad_rows_per_s")), None)
        if ae:
            met = "met" if ae["netad_rows_per_s"] >= 1e6 else "not met"
            goals.append(f"- AE scores >= 1M rows/s on {t} cores: **{met}** ({ae['netad_rows_per_s']:,.0f} rows/s).")
    if loading:
        cached = loading["netad from cache"]["seconds"]
        goals.append(
            f"- CIC-IDS-2017 full load from cache <= 5 s: **{'met' if cached <= 5 else 'not met'}** ({cached:.1f} s)."
        )
    if goals:
        lines += [
            "",
            "## Goals (as measured in this run, under the load averages shown)",
            "",
            *goals,
            "",
            "Absolute speeds depend on how busy the CPU was; see the next section for quiet-machine figures.",
        ]
    if report.get("findings"):
        lines += ["", "## What the profiles show", "", *report["findings"]]
    if report.get("profiles"):
        lines += ["", "## Profiles", "", *report["profiles"]]
    return "\n".join(lines) + "\n"


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` report updated with ``new``: scoring rows replaced per detector (new ones appended), other parts
    replaced when re-measured; the commands and dates of both runs are kept."""
    out = {**old, **{k: v for k, v in new.items() if k not in ("scoring", "date", "command", "peak_rss_gib")}}
    if "scoring" in new:
        fresh = {row["detector"]: row for row in new["scoring"]}
        kept = [fresh.pop(row["detector"], row) for row in old.get("scoring", [])]
        out["scoring"] = kept + list(fresh.values())
    out["date"] = f"{old['date']}; updated {new['date']}"
    out["command"] = f"{old['command']}`, then `{new['command']}"
    out["peak_rss_gib"] = max(old.get("peak_rss_gib", 0.0), new["peak_rss_gib"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=load_cicids2017.FULL_ROWS, help="rows of the CIC-IDS-2017 CSV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: loading,training,scoring")
    parser.add_argument("--detectors", default=None, help="only these netad detectors in the scoring part")
    parser.add_argument(
        "--merge", action="store_true",
        help="update perf.json: replace the parts run now (scoring rows per detector) and keep the rest",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--findings", type=Path, default=None, help="markdown file with the profile findings")
    parser.add_argument("--report-only", action="store_true", help="re-render perf.md from perf.json (+ --findings)")
    parser.add_argument("--out", type=Path, default=RESULTS / "perf.md")
    args = parser.parse_args(argv)
    if args.report_only:
        report = json.loads(args.out.with_suffix(".json").read_text())
        if args.findings:
            report["findings"] = args.findings.read_text().splitlines()
        args.out.write_text(markdown(report))
        return 0
    os.environ.setdefault("NETAD_DATA", str(HERE.parent.parent / "shared" / "data"))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/perf.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "versions": versions(),
        "threads": args.threads,
    }
    if "loading" not in skip:
        report["loading"] = measure_loading(args.rows)
    X = ae_speed.load_normals()
    if "training" not in skip:
        report["training"] = measure_training(X, args.rounds, args.epochs, args.threads)
    if "scoring" not in skip:
        only = args.detectors.split(",") if args.detectors else None
        report["scoring"] = measure_scoring(X, args.threads, only)
    if args.profile:
        report["profiles"] = measure_profiles(X, args.threads)
    if args.findings:
        report["findings"] = args.findings.read_text().splitlines()
    report["peak_rss_gib"] = peak_rss_gib()
    if args.merge and args.out.with_suffix(".json").is_file():
        report = merged(json.loads(args.out.with_suffix(".json").read_text()), report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(report))
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
