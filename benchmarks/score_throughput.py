"""How fast does ``netad score`` run over a ~1 M-row flow file, and how much memory does it take?

Builds a CSV of ~1 M rows by repeating the 82,332 real rows of the shared UNSW-NB15 file 12 times (raw
layout: BOM in the header, ``id``/``attack_cat``/``label`` columns that the model ignores), plus the same rows
as parquet. Trains iforest, pca and autoencoder with ``netad.pipeline.train_model`` on the UNSW-NB15 novelty
split, then scores each file with :func:`netad.score.score_file` in a fresh subprocess per run. *rows/s* is
rows read / wall time of the ``score_file`` call (model loading excluded, reported separately); *peak RSS*
is the child's own high-water mark (``VmHWM``; ``ru_maxrss`` would include the parent's RSS at fork);
*RSS before* is the child's RSS after imports and model loading, so their difference is what scoring itself
adds. A run on a quarter of the rows shows whether memory grows with rows.

    python benchmarks/score_throughput.py [--repeat 12] [--chunk-rows 100000] [--runs 2]

Writes benchmarks/results/score_throughput.md and .json; data and models go to benchmarks/work/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "score_throughput"
RESULTS = HERE / "results"
DATA = Path(os.environ.get("NETAD_DATA", REPO.parent / "shared" / "data"))
UNSW = DATA / "unsw-nb15" / "UNSW_NB15_training-set.csv.xz"
MODELS = {
    "iforest": {},
    "pca": {},
    "autoencoder": {"epochs": 20},
}

CHILD = r"""
import json, sys, time
from pathlib import Path

def rss_mib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def peak_rss_mib():
    # VmHWM: this process's own high-water mark (ru_maxrss would include the parent's RSS at fork time)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

model_dir, input_path, output, chunk_rows, top, threads = sys.argv[1:7]
start = time.perf_counter()
from netad.persist import load_model
from netad.score import score_file
model = load_model(model_dir)
load_seconds = time.perf_counter() - start
before = rss_mib()
start = time.perf_counter()
report = score_file(model, input_path, output, chunk_rows=int(chunk_rows), top_features=int(top), overwrite=True,
                    n_threads=None if threads == "default" else int(threads))
seconds = time.perf_counter() - start
print(json.dumps({
    "rows": report.rows_read, "seconds": seconds, "load_seconds": load_seconds, "chunks": report.chunks,
    "flagged": report.rows_flagged, "rss_before_mib": before,
    "peak_rss_mib": peak_rss_mib(),
}))
"""


def build_inputs(repeat: int) -> dict[str, Path]:
    """~repeat x 82,332 UNSW-NB15 rows as CSV and parquet (and a quarter-size CSV), built once."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    WORK.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": WORK / f"unsw_x{repeat}.csv",
        "parquet": WORK / f"unsw_x{repeat}.parquet",
        "csv-quarter": WORK / f"unsw_x{max(1, repeat // 4)}.csv",
        "parquet-quarter": WORK / f"unsw_x{max(1, repeat // 4)}.parquet",
    }
    if all(p.is_file() for p in paths.values()):
        return paths
    import lzma

    with lzma.open(UNSW, "rb") as f:
        text = f.read()
    header, _, body = text.partition(b"\n")
    for path, times in ((paths["csv"], repeat), (paths["csv-quarter"], max(1, repeat // 4))):
        with path.open("wb") as out:
            out.write(header + b"\n")
            for _ in range(times):
                out.write(body if body.endswith(b"\n") else body + b"\n")
    for csv, parquet in (("csv", "parquet"), ("csv-quarter", "parquet-quarter")):
        table = pacsv.read_csv(paths[csv])
        table = table.rename_columns([c.lstrip("\ufeff") for c in table.column_names])
        pq.write_table(table, paths[parquet], row_group_size=100_000)
        del table
    pa.default_memory_pool().release_unused()
    return paths


def train_models() -> dict[str, Path]:
    from netad.bench import plan
    from netad.pipeline import train_model

    out = {}
    for name, params in MODELS.items():
        directory = WORK / "models" / name
        if not (directory / "model.json").is_file():
            job = plan("unsw-nb15", name, [0], "novelty", "p99", {name: params} if params else None,
                       save_scores=False)[0]  # fmt: skip
            started = time.perf_counter()
            trained = train_model(job, directory, overwrite=True)
            print(f"trained {name} in {time.perf_counter() - started:.0f} s, test AUROC {trained.metrics['auroc']:.3f}")
        out[name] = directory
    return out


def run(model: Path, path: Path, chunk_rows: int, top: int, threads: str) -> dict:
    output = WORK / f"scores_{model.name}_{path.suffix.lstrip('.')}.parquet"
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(model), str(path), str(output), str(chunk_rows), str(top), threads],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_avg"] = f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"
    output.unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=12, help="copies of the 82,332 UNSW rows (12 = ~1 M rows)")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2, help="runs per line; the fastest is reported")
    args = parser.parse_args()
    os.environ.setdefault("NETAD_DATA", str(DATA))

    paths = build_inputs(args.repeat)
    models = train_models()
    runs = []
    plan = [(name, kind, 0, "default") for kind in ("csv", "parquet") for name in models]
    plan += [("autoencoder", kind, 0, "1") for kind in ("csv", "parquet")]
    plan += [("iforest", "csv-quarter", 0, "default"), ("iforest", "parquet-quarter", 0, "default")]
    plan += [("iforest", "csv", 3, "default"), ("pca", "csv", 3, "default")]
    plan += [("autoencoder", "csv", 3, "1")]
    for name, kind, top, threads in plan:
        # best of --runs: other jobs share the CPUs, the fastest run is the least disturbed one
        tries = [run(models[name], paths[kind], args.chunk_rows, top, threads) for _ in range(args.runs)]
        result = min(tries, key=lambda r: r["seconds"])
        result["peak_rss_mib"] = max(r["peak_rss_mib"] for r in tries)
        result.update(model=name, input=kind, top_features=top, threads=threads)
        result["file_mib"] = paths[kind].stat().st_size / 2**20
        runs.append(result)
        print(
            f"{name:12s} {kind:12s} top={top} threads={threads:7s} {result['rows']:>10,} rows "
            f"{result['rows'] / result['seconds']:>10,.0f} rows/s  "
            f"peak RSS {result['peak_rss_mib']:,.0f} MiB (before {result['rss_before_mib']:,.0f})"
        )
    write_results(runs, args)


def write_results(runs: list[dict], args: argparse.Namespace) -> None:
    import numpy
    import pandas
    import pyarrow
    import sklearn
    import torch

    from netad import __version__

    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    versions = (
        f"Python {platform.python_version()}, netad {__version__}, numpy {numpy.__version__}, pandas "
        f"{pandas.__version__}, pyarrow {pyarrow.__version__}, scikit-learn {sklearn.__version__}, torch "
        f"{torch.__version__}, {os.cpu_count()} CPUs ({platform.machine()}, shared with other jobs while measuring)"
    )
    (RESULTS / "score_throughput.json").write_text(
        json.dumps({"run": stamp, "versions": versions, "chunk_rows": args.chunk_rows, "runs": runs}, indent=1) + "\n"
    )
    lines = [
        "# Batch scoring throughput (`netad score`)",
        "",
        f"Run {stamp} with `python benchmarks/score_throughput.py --repeat {args.repeat} --chunk-rows "
        f"{args.chunk_rows} --runs {args.runs}`; {versions}.",
        "",
        f"Input: the 82,332 real rows of the shared UNSW-NB15 file repeated {args.repeat} times in its raw layout "
        "(45 columns: BOM in the header, `id`, `attack_cat` and `label` are ignored by the model), as plain CSV "
        "and as parquet (row groups of 100,000). Models: trained with `netad.pipeline.train_model` on the "
        "UNSW-NB15 novelty split (seed 0, p99 threshold on validation): iforest and pca with default parameters, "
        "autoencoder with 20 epochs.",
        "",
        f"Each line is the fastest of {args.runs} fresh Python processes (peak RSS: the largest). *rows/s* = "
        "rows / wall time of `score_file` (reading, validation, preprocessing, scoring, writing parquet); "
        "*load s* = imports + `load_model`; *RSS before* = RSS after "
        "loading, before scoring; *peak RSS* = the process's own high-water mark (`VmHWM`); *load avg* = the "
        "machine's 1-minute load average before/after (other jobs share the 2 CPUs; times stretch accordingly).",
        "",
        "| model | input | rows | file MiB | top-k | torch threads | rows/s | score s | load s | RSS before MiB | "
        "peak RSS MiB | load avg |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['model']} | {r['input']} | {r['rows']:,} | {r['file_mib']:,.0f} | {r['top_features']} | "
            f"{r['threads'] if r['model'] == 'autoencoder' else '-'} | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['seconds']:.1f} | {r['load_seconds']:.1f} | "
            f"{r['rss_before_mib']:,.0f} | {r['peak_rss_mib']:,.0f} | {r['load_avg']} |"
        )

    def peak(kind: str) -> dict:
        return next(r for r in runs if r["model"] == "iforest" and r["input"] == kind and not r["top_features"])

    lines += ["", f"Memory against file size (iforest, chunks of {args.chunk_rows:,} rows):", ""]
    for kind in ("csv", "parquet"):
        small, large = peak(f"{kind}-quarter"), peak(kind)
        lines.append(
            f"- {kind}: {small['rows']:,} rows peak at {small['peak_rss_mib']:,.0f} MiB, {large['rows']:,} rows at "
            f"{large['peak_rss_mib']:,.0f} MiB."
        )
    lines += [
        "",
        "What scoring adds on top of the loaded model is one chunk in Arrow, its pandas frame, the preprocessed "
        "float32 matrix and the parquet writer's buffers, plus allocator retention (Arrow's mimalloc pool keeps "
        "freed pages for reuse, which is why RSS creeps up over the first chunks and then levels off).",
        "",
        "Deep models: torch's default intra-op threads (one per core) stall when other processes hold the cores; "
        "compare the autoencoder lines with default threads and with 1 thread against their load averages. "
        "`netad score --threads 1` (`score_file(..., n_threads=1)`) avoids it on shared machines.",
        "",
    ]
    (RESULTS / "score_throughput.md").write_text("\n".join(lines))
    print(f"wrote {RESULTS / 'score_throughput.md'}")


if __name__ == "__main__":
    main()
