"""Does the latent-sculpting pipeline fit in 2 cores / 24 GiB on a full-size (2.8 M-row) CIC-IDS-2017 table?

Builds a 2,830,743-row dataset (the size of the complete CIC-IDS-2017) by repeating the rows of the four shared
subsets (float32 features, labels and attack families repeated with them), then runs the zero-shot pipeline
stage by stage in this process: split -> preprocessor fit + transform (train) -> latent-sculpting fit (stage 1
encoder, centroids, stage 2 flow, fit-time threshold) -> transform + score validation and test. A sampler
thread reads VmRSS from /proc every 0.1 s; each stage reports its wall time and the peak RSS reached in it.

    python benchmarks/cicids2017_scale.py [--rows 2830743] [--epochs 1] [--max-stage1-rows 50000]
                                          [--score-rows 100000] [--threads 1]

Training cost is set by the row caps, not by the table (``max_stage1_rows``, ``max_flow_rows``); scoring is
linear in rows, so ``--score-rows`` scores that many validation and test rows and extrapolates the full sets'
time from the measured rate (0 = score everything). Writes benchmarks/results/cicids2017_scale.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
FULL_ROWS = 2_830_743
MEMORY_GOAL_GIB = 24.0


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class StageMeter:
    """Wall time and peak RSS per named stage (RSS sampled every 0.1 s by a daemon thread)."""

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []
        self._peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_bytes())
            time.sleep(0.1)

    @contextmanager
    def stage(self, name: str, **info: Any):
        self._peak = _rss_bytes()
        start, cpu_start = time.perf_counter(), time.process_time()
        record: dict[str, Any] = {"stage": name, **info}
        yield record
        record["seconds"] = round(time.perf_counter() - start, 2)
        record["cpu_seconds"] = round(time.process_time() - cpu_start, 2)
        record["peak_rss_gib"] = round(max(self._peak, _rss_bytes()) / 2**30, 3)
        self.stages.append(record)
        logging.info("%s: %.1f s, peak RSS %.2f GiB", name, record["seconds"], record["peak_rss_gib"])


def repeated_dataset(rows: int) -> Any:
    """The shared CIC-IDS-2017 subsets, repeated (whole copies, then a prefix) to ``rows`` rows."""
    import pandas as pd

    from netad.datasets import load
    from netad.datasets.base import Dataset

    base = load("cicids2017")
    reps = -(-rows // base.n_rows)
    index = np.tile(np.arange(base.n_rows), reps)[:rows]
    features = pd.DataFrame(
        {c: np.ascontiguousarray(base.features[c].to_numpy(dtype=np.float32)[index]) for c in base.features.columns}
    )
    return Dataset(
        name="cicids2017",
        features=features,
        label=base.label[index],
        attack_category=np.asarray(base.attack_category, dtype=object)[index],
        notes=[f"the {base.n_rows:,} shared rows repeated to {rows:,}"],
        version=f"{base.version}, repeated to {rows:,} rows",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--flow-epochs", type=int, default=1)
    parser.add_argument("--max-stage1-rows", type=int, default=50_000)
    parser.add_argument("--max-flow-rows", type=int, default=100_000)
    parser.add_argument("--score-rows", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    os.environ.setdefault("NETAD_DATA", str(REPO.parent / "shared" / "data"))
    os.environ.setdefault("NETAD_CACHE", str(HERE / "work" / "cache"))

    import torch

    from netad.detectors import make
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    params = {
        "epochs": args.epochs,
        "batch_size": 512,
        "max_stage1_rows": args.max_stage1_rows,
        "flow_blocks": 16,
        "flow_hidden": [512],
        "flow_epochs": args.flow_epochs,
        "max_flow_rows": args.max_flow_rows,
        "n_threads": args.threads,
        "random_state": 0,
    }
    meter = StageMeter()
    started = time.perf_counter()
    with meter.stage("build 2.8 M-row table (repeat the shared rows)") as rec:
        dataset = repeated_dataset(args.rows)
        rec["rows"] = dataset.n_rows
    with meter.stage("zero-shot split") as rec:
        split = make_split(dataset, "zero-shot", seed=0)
        rec.update({k: int(v) for k, v in split.info["sizes"].items()})
    detector = make("latent-sculpting", **params)
    with meter.stage("preprocess: fit + transform train") as rec:
        fit_frame, fit_labels = split.fit_data(detector.supervision)
        pre = FlowPreprocessor.for_dataset(dataset).fit(fit_frame)
        X_fit = pre.transform(fit_frame)
        del fit_frame
        rec["shape"] = list(X_fit.shape)
        rec["dtype"] = str(X_fit.dtype)
    with meter.stage("latent-sculpting fit (both stages + fit-time threshold)") as rec:
        detector.fit(X_fit, fit_labels)
        rec["stage1_rows"] = detector.stage1_rows_
        rec["stage1_train_seconds"] = round(float(np.sum(detector.history_["seconds"])), 1)
        rec["flow_rows"] = detector.flow_rows_
        rec["flow_train_seconds"] = round(float(np.sum(detector.flow_history_["seconds"])), 1)
    del X_fit
    rates = {}
    for name, part in (("validation", split.validation), ("test", split.test)):
        n = len(part) if args.score_rows <= 0 else min(len(part), args.score_rows)
        with meter.stage(f"transform + score {name}") as rec:
            X = pre.transform(part.features.iloc[:n])
            start, cpu_start = time.perf_counter(), time.process_time()
            scores = detector.decision_function(X)  # the default score: two-stage-knn (encoder + neighbour search)
            score_seconds, score_cpu = time.perf_counter() - start, time.process_time() - cpu_start
            rec.update({"rows_scored": n, "rows_in_part": len(part), "score": detector.score})
        rate = n / max(meter.stages[-1]["seconds"], 1e-9)
        rates[name] = rate
        meter.stages[-1]["rows_per_second"] = round(rate, 1)
        meter.stages[-1]["scoring_rows_per_second"] = round(n / max(score_seconds, 1e-9), 1)
        meter.stages[-1]["scoring_rows_per_cpu_second"] = round(n / max(score_cpu, 1e-9), 1)
        meter.stages[-1]["extrapolated_seconds_all_rows"] = round(len(part) / rate, 1)
        assert np.isfinite(scores).all()
        if name == "test":
            with meter.stage("score test: all six score variants from one encoder pass") as rec:
                variants = detector.score_variants(X)
                rec.update({"rows_scored": n})
            meter.stages[-1]["rows_per_second"] = round(n / max(meter.stages[-1]["seconds"], 1e-9), 1)
            meter.stages[-1]["rows_per_cpu_second"] = round(n / max(meter.stages[-1]["cpu_seconds"], 1e-9), 1)
            assert all(np.isfinite(v).all() for v in variants.values())
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python benchmarks/cicids2017_scale.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "params": params,
        "stages": meter.stages,
        "total_seconds": round(total, 1),
        "peak_rss_gib": round(peak, 3),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cicids2017_scale.json").write_text(json.dumps(record, indent=1, default=str))
    load = ", ".join(f"{x:.1f}" for x in record["load_average"])
    lines = [
        "# Latent sculpting at full CIC-IDS-2017 size: memory and time per stage",
        "",
        f"Date: {record['date']}. Python {record['python']}, torch {record['torch']}, {record['cpu_count']} CPU "
        f"cores shared with other jobs (load average at the end: {load}), {args.threads} torch thread(s).",
        "",
        f"Command: `{record['command']}`",
        "",
        f"Table: the {FULL_ROWS:,}-row size of the complete dataset, made by repeating the rows of the four shared "
        "CIC-IDS-2017 subsets (so the class mix is theirs: ~70% benign, no DoS/DDoS/PortScan). Protocol "
        "`zero-shot` (seed 0; unseen Bot + Infiltration). Detector parameters: "
        f"`{json.dumps(params)}` (the seed's 16 x 512 flow; stage 1 capped and run for {args.epochs} epoch(s); "
        'every other parameter the detector\'s default, so `score="two-stage-knn"`: stage-1 flag, else the kNN '
        "distance to benign training latents; the flow is still fitted, for the other variants).",
        "",
        "| stage | wall s | CPU s | peak RSS GiB | details |",
        "|---|---|---|---|---|",
    ]
    for stage in meter.stages:
        details = {k: v for k, v in stage.items() if k not in ("stage", "seconds", "cpu_seconds", "peak_rss_gib")}
        lines.append(
            f"| {stage['stage']} | {stage['seconds']:.1f} | {stage['cpu_seconds']:.1f} | {stage['peak_rss_gib']:.2f} "
            f"| `{json.dumps(details)}` |"
        )
    lines += [
        "",
        f"Total wall time {total:.0f} s; process peak RSS {peak:.2f} GiB (goal: < {MEMORY_GOAL_GIB:.0f} GiB: "
        f"{'met' if peak < MEMORY_GOAL_GIB else 'NOT met'}).",
        "",
        "Reading the figures: the fit's cost is set by `max_stage1_rows` x `epochs` (the encoder) and "
        "`max_flow_rows` x `flow_epochs` (the flow), not by the table size; a stage-1 epoch over the uncapped "
        "stage-1 set (every seen attack + as many benign rows, ~0.96 M rows here) costs about "
        "(stage-1 rows / max_stage1_rows) x the measured stage-1 seconds per epoch. Scoring is linear in rows: "
        "the extrapolated seconds for all validation/test rows are in the table (`rows_per_second` includes the "
        "preprocessor's transform; `scoring_rows_per_second` is `decision_function` alone). Memory: float32 "
        "throughout; the largest arrays are the dataset table, the split's parts and the transformed training "
        "matrix.",
        "",
        "CPU s is this process's CPU time in the stage: with other jobs on the 2 cores, wall time shows the share "
        "of a core the process got and CPU time the work (`*_per_cpu_second` is the rate on a core of its own).",
        "",
        "Scoring speed. Each row is ~27 tokens through 3 Transformer layers (d_model 64) plus, for the two-stage "
        "and density scores, 16 MADE blocks of 512 units. torch profiler (1 thread, 4,000 rows): the encoder's "
        "Transformer is ~80% of the time and already runs PyTorch's fused encoder-layer inference kernel "
        "(batch_first, eval mode, inference_mode, no padding mask); the flow ~10%. What changed: 512-row scoring "
        "batches instead of 4,096 (each row expands to 27 x 256 activations in the feed-forward layer; smaller "
        "batches stay nearer the cache), the flow run only for the variants that use it (two-stage, density), and "
        "`score_variants` giving all six variants from one encoder pass (the zero-shot benchmark used to encode "
        "every row 4 times). Scores are unchanged (max |difference| 0 on 8,000 rows). Before/after on one saved "
        "seed-sized model (16 x 512 flow), 8,000 test rows, 1 thread, interleaved, best of 3, per CPU-second: "
        "two-stage 2,455 -> 3,760 rows/s, margin 2,437 -> 4,511 rows/s (scratch A/B script with HEAD's class and "
        "the new one; load average 5 at the time). The first run's 205-238 rows/s were wall-clock rates at load "
        "average ~14 on 2 cores, i.e. about a seventh of a core, not the code's speed. With 2 threads on this "
        "machine (one core taken by another benchmark) scoring was slower than with 1 (1,203 vs 2,321 rows/s "
        "before the change, wall clock at load 1.6), so the benchmarks use 1.",
        "",
    ]
    (RESULTS / "cicids2017_scale.md").write_text("\n".join(lines))
    print(RESULTS / "cicids2017_scale.md")


if __name__ == "__main__":
    main()
