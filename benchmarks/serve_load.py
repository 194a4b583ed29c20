"""How many requests per second does ``netad serve`` answer, and with what latency?

Trains models with ``netad train`` on UNSW-NB15 (novelty split, ``--max-train``), starts ``netad serve`` as a
real uvicorn process on 127.0.0.1 (a free port; loopback only), and sends real UNSW-NB15 rows as JSON from an
httpx client with keep-alive:

- *single*: one record per request, one client thread (sequential) and ``--concurrency`` threads;
- *batch1000*: 1,000 records per request, sequential.

Each scenario is bounded by a request count and a time limit (whichever comes first) and repeated ``--runs``
times; the table shows mean ± std over runs of requests/s and of the p50/p99 client-side latency, and the
median server-side scoring time (the response's ``seconds``: validation + preprocessing + scoring, without
HTTP and JSON). Client and server share the machine's cores.

    python benchmarks/serve_load.py [--models iforest,autoencoder] [--runs 3] [--single 400] [--batches 20]

Writes benchmarks/results/serve_load.md and .json; models go to benchmarks/work/serve_load/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "serve_load"
RESULTS = HERE / "results"
DATA = Path(os.environ.get("NETAD_DATA", REPO.parent / "shared" / "data"))
UNSW = DATA / "unsw-nb15" / "UNSW_NB15_training-set.csv.xz"
PARAMS = {"iforest": ["n_estimators=100"], "pca": [], "autoencoder": ["epochs=10", "n_threads=1"]}
HOST = "127.0.0.1"  # loopback only


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def train(name: str, max_train: int) -> Path:
    out = WORK / name
    if (out / "model.json").is_file():
        return out
    params = [arg for p in PARAMS.get(name, []) for arg in ("--param", p)]
    cmd = [
        sys.executable,
        "-m",
        "netad.cli",
        "train",
        "-d",
        "unsw-nb15",
        "-m",
        name,
        "--max-train",
        str(max_train),
        "-o",
        str(out),
        "--overwrite",
        *params,
    ]
    subprocess.run(cmd, check=True, timeout=900)
    return out


class Server:
    """``netad serve`` in a child process, stopped on exit."""

    def __init__(self, model: Path, max_rows: int) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = (WORK / f"serve-{model.name}.log").open("w")
        cmd = [
            sys.executable,
            "-m",
            "netad.cli",
            "serve",
            str(model),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--max-rows",
            str(max_rows),
            "--threads",
            "1",
        ]
        self.process = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.log.close()


def run_scenario(base: str, payloads: list[dict], n_requests: int, max_seconds: float, concurrency: int) -> dict:
    """Send up to ``n_requests`` (cycling through ``payloads``) within ``max_seconds``; latency per request."""
    import httpx

    latencies: list[float] = []
    server: list[float] = []
    deadline = time.monotonic() + max_seconds
    per_thread = int(np.ceil(n_requests / concurrency))

    def worker(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30.0) as client:
            for i in range(per_thread):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                response = client.post("/score", json=payloads[(offset + i) % len(payloads)])
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                server.append(response.json()["seconds"])

    # warm-up: first requests pay for lazy imports and allocations
    with httpx.Client(base_url=base, timeout=60.0) as client:
        for payload in payloads[:3]:
            client.post("/score", json=payload).raise_for_status()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [k * 7919 for k in range(concurrency)]))
    wall = time.perf_counter() - started
    lat = np.asarray(latencies) * 1000
    return {
        "requests": len(lat),
        "seconds": wall,
        "rps": len(lat) / wall,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "server_p50_ms": float(np.median(server) * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="iforest,autoencoder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--single", type=int, default=400, help="requests per single-record scenario (at most)")
    parser.add_argument("--batches", type=int, default=20, help="1,000-record requests per run (at most)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=30.0, help="time limit per scenario and run")
    parser.add_argument("--max-train", type=int, default=20_000)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)

    raw = pd.read_csv(UNSW).drop(columns=["id", "attack_cat", "label"])
    rows = raw.sample(n=5000, random_state=0).reset_index(drop=True)
    records = json.loads(rows.to_json(orient="records"))
    singles = [{"records": [r]} for r in records[:1000]]
    batches = [{"records": records[i : i + 1000]} for i in range(0, 5000, 1000)]

    results: dict[str, dict[str, list[dict]]] = {}
    args.load_before = os.getloadavg()
    for name in args.models.split(","):
        model = train(name, args.max_train)
        results[name] = {"single (1 client)": [], f"single ({args.concurrency} clients)": [], "batch1000": []}
        with Server(model, max_rows=1000) as server:
            for run in range(args.runs):
                print(f"{name}: run {run + 1}/{args.runs}", file=sys.stderr)
                results[name]["single (1 client)"].append(
                    run_scenario(server.base, singles, args.single, args.max_seconds, 1)
                )
                results[name][f"single ({args.concurrency} clients)"].append(
                    run_scenario(server.base, singles, args.single, args.max_seconds, args.concurrency)
                )
                results[name]["batch1000"].append(run_scenario(server.base, batches, args.batches, args.max_seconds, 1))
    args.load_after = os.getloadavg()
    write(results, args)


def _ms(values: list[float]) -> str:
    return f"{np.mean(values):,.1f} ± {np.std(values):,.1f}"


def write(results: dict, args: argparse.Namespace) -> None:
    import fastapi
    import httpx
    import sklearn
    import torch
    import uvicorn

    import netad

    versions = {
        "python": platform.python_version(),
        "netad": netad.__version__,
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "httpx": httpx.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
    }
    command = "python benchmarks/serve_load.py " + " ".join(sys.argv[1:])
    lines = [
        "# netad serve — load on loopback",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: {os.cpu_count()} CPU cores (shared by client, server and "
        f"other jobs; load average {args.load_before[0]:.1f} before, {args.load_after[0]:.1f} after the runs). "
        f"Versions: {', '.join(f'{k} {v}' for k, v in versions.items())}.",
        "",
        f"Command: `{command.strip()}`",
        "",
        f"Settings: models trained by `netad train -d unsw-nb15 --max-train {args.max_train:,}` (novelty split, p99 "
        "threshold); served by `netad serve --host 127.0.0.1 --threads 1` (one uvicorn worker); requests are real "
        "UNSW-NB15 rows (42 columns) as JSON records, httpx with keep-alive; each scenario is capped at "
        f"{args.single} single-record / {args.batches} 1,000-record requests and {args.max_seconds:g} s, repeated "
        f"{args.runs} times (mean ± std over runs). Latency is client-side (request sent -> JSON parsed); "
        "*server scoring* is the median of the response's `seconds` (validation, preprocessing, scoring, "
        "attribution off).",
        "",
        "| model | scenario | requests/run | requests/s | rows/s | p50 latency ms | p99 latency ms "
        "| server scoring ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, scenarios in results.items():
        for scenario, runs in scenarios.items():
            rows_per = 1000 if scenario == "batch1000" else 1
            lines.append(
                f"| {name} | {scenario} | {np.mean([r['requests'] for r in runs]):,.0f} | "
                f"{_ms([r['rps'] for r in runs])} | {_ms([r['rps'] * rows_per for r in runs])} | "
                f"{_ms([r['p50_ms'] for r in runs])} | {_ms([r['p99_ms'] for r in runs])} | "
                f"{_ms([r['server_p50_ms'] for r in runs])} |"
            )
    lines += [
        "",
        "Requests are scored one at a time (a lock around the model), so more clients raise throughput only by "
        "overlapping HTTP/JSON work with scoring; with several clients *server scoring* includes the wait for the "
        "lock. On a 2-core machine the client's own JSON work competes with the server's, and a load average above "
        "2 means other jobs did too: the figures are a floor for a dedicated server. For one record, most server "
        "time is fixed per-call overhead (pandas frame building, the preprocessor, scikit-learn's per-call setup), "
        "which is why 1,000-record requests score about 100-300 times more rows per second.",
        "",
    ]
    (RESULTS / "serve_load.md").write_text("\n".join(lines))
    (RESULTS / "serve_load.json").write_text(
        json.dumps(
            {
                "versions": versions,
                "command": command,
                "load_average": [args.load_before, args.load_after],
                "results": results,
            },
            indent=1,
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
