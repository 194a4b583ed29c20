"""`netad watch`: capture -> alerts throughput, flow end -> alert latency live, host alerts, RSS over a long replay.

1. **Throughput**: the IoT-23 34-1 IRC capture (36,797 packets) repeated ``--repeat`` times into one pcap, each
   copy shifted in time past the previous one (raw pcap records, timestamps rewritten), so ~1 M packets of
   distinct flows. In one process, back to back, ``--rounds`` times: NFStream metering alone (the same streamer
   watch builds: CIC plugin, payload accounting, statistics, nDPI; flows only counted), then
   :func:`netad.watch.watch` with an iforest model (CIC-IDS-2017, 20,000 training rows) writing alerts to a file.
   Packets/s = packets of the metered flows / median wall time of the call (start-up included in both).
2. **Latency, live on loopback** (root; traffic to 127.0.0.1 only): a local HTTP server fetched every 0.1 s
   for ``--live-seconds``, watched on ``lo`` with a 1 s idle timeout and every flow written. Two figures: NFStream
   emits a flow -> its batch is written (netad's part), and the flow's last packet -> written, minus the idle
   timeout (what an operator waits beyond the timeout; NFStream notices an idle flow at the next packet).
3. **Host alerts**: the ssh brute-force capture, the slowloris capture and a synthetic 30-port SYN scan amid
   normal HTTP sessions (written with scapy; nothing sent).
4. **RSS over a long replay**: ``netad watch`` in a child process over the capture repeated ``--rss-repeat``
   times; RSS of the child and its NFStream meter sampled every 5 s.

    python benchmarks/watch.py [--repeat 27] [--rss-repeat 170] [--live-seconds 30] [--rounds 3]

Writes benchmarks/results/watch.md and .json; data and models go to benchmarks/work/watch/ (git-ignored).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import lzma
import os
import platform
import shutil
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work" / "watch"
RESULTS = HERE / "results"
DATA = Path(os.environ.get("NETAD_DATA", REPO.parent / "shared" / "data"))
PCAPS = DATA / "pcaps"
BASE = "CTU-IoT-Malware-Capture-34-1_irc.pcap"


def decompress(name: str) -> Path:
    target = WORK / name
    if not target.exists():
        with lzma.open(PCAPS / f"{name}.xz") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
    return target


def replay(source: Path, copies: int, target: Path) -> tuple[int, float]:
    """``source`` repeated ``copies`` times, each copy shifted past the previous one; (packets, span seconds)."""
    data = source.read_bytes()
    header, body = data[:24], data[24:]
    if header[:4] != b"\xd4\xc3\xb2\xa1":
        raise SystemExit(f"{source}: expected a little-endian microsecond pcap")
    records, offset, first, last = [], 0, None, None
    while offset < len(body):
        seconds, micros, caplen, _ = struct.unpack_from("<IIII", body, offset)
        records.append((offset, seconds, caplen))
        first = seconds if first is None else first
        last = seconds
        offset += 16 + caplen
    shift = last - first + 300  # past the idle timeout: copies never share a flow
    with open(target, "wb") as out:
        out.write(header)
        for k in range(copies):
            for position, seconds, caplen in records:
                record = bytearray(body[position : position + 16 + caplen])
                struct.pack_into("<I", record, 0, seconds + k * shift)
                out.write(record)
    return len(records) * copies, float(shift * copies)


def train_model() -> Path:
    from netad.bench.spec import Job
    from netad.pipeline import train_model as train

    directory = WORK / "iforest"
    if not (directory / "model.json").exists():
        train(Job("cicids2017", "novelty", "iforest", 0, max_train=20000, save_scores=False), directory,
              overwrite=True)  # fmt: skip
    return directory


class MemorySampler(threading.Thread):
    """RSS (MiB) of a process and its children every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.samples, self.done = pid, interval, [], threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        import psutil

        process = psutil.Process(self.pid)
        while not self.done.wait(self.interval):
            try:
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            except psutil.Error:
                break
            self.samples.append((round(time.monotonic() - self.started, 1), round(rss / 2**20, 1)))


def nfstream_alone(pcap: Path, settings) -> tuple[int, int, float]:  # noqa: ANN001 - WatchSettings
    """(packets, flows, wall seconds) of iterating the streamer watch builds, flows only counted."""
    from netad.flows import streamer

    started = time.perf_counter()
    packets = flows = 0
    for flow in streamer(
        pcap, idle_timeout=settings.idle_timeout, active_timeout=settings.active_timeout, n_meters=1, n_dissections=20
    ):
        packets += flow.bidirectional_packets
        flows += 1
    return packets, flows, time.perf_counter() - started


def throughput(model: Path, pcap: Path, rounds: int) -> dict:
    """``rounds`` x (NFStream alone, then watch), back to back; the machine is shared, so medians are reported."""
    from netad.watch import RotatingFileSink, WatchSettings, watch

    settings = WatchSettings()
    out = WORK / "throughput-alerts.jsonl"
    alone, watched, load = [], [], []
    for _ in range(rounds):
        load.append(os.getloadavg()[0])
        packets, flows, seconds = nfstream_alone(pcap, settings)
        alone.append(seconds)
        sampler = MemorySampler(os.getpid(), 2.0)
        sampler.start()
        started = time.perf_counter()
        stats = watch(model, [RotatingFileSink(out, overwrite=True)], pcaps=[pcap], settings=settings)
        watched.append(time.perf_counter() - started)
        sampler.done.set()
    load.append(os.getloadavg()[0])
    alone_s, watch_s = float(np.median(alone)), float(np.median(watched))
    return {
        "packets": packets, "flows": flows, "rounds": rounds, "nfstream_seconds_each": alone,
        "watch_seconds_each": watched, "load_average_1min": load,
        "nfstream_seconds": alone_s, "nfstream_pps": packets / alone_s,
        "watch_packets": stats.packets, "watch_flows": stats.flows, "watch_seconds": watch_s,
        "watch_pps": stats.packets / watch_s, "ratio": (stats.packets / watch_s) / (packets / alone_s),
        "ratios_each": [a / w for a, w in zip(alone, watched, strict=True)],
        "flow_alerts": stats.flow_alerts, "host_alerts": stats.host_alerts, "drift_records": stats.drift_records,
        "batches": stats.batches, "batch_flows": settings.batch_flows, "watch_rss_mib": sampler.samples,
    }  # fmt: skip


class _Timed:
    """A sink that notes the wall time each flow record was written."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, dict]] = []

    def write(self, records: list) -> None:
        now = time.time()
        self.rows += [(now, r) for r in records if "flow" in r]

    def close(self) -> None:
        pass


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # no line per request on stderr
        pass


def live_latency(model: Path, seconds: float) -> dict:
    from datetime import datetime

    from netad.watch import WatchSettings, watch

    folder = WORK / "www"
    folder.mkdir(exist_ok=True)
    (folder / "index.html").write_text("<html>netad</html>")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()

    def fetch() -> None:
        time.sleep(4)  # the meter starts
        while not stop.wait(0.1):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                response.read()

    threading.Thread(target=fetch, daemon=True).start()
    sink = _Timed()
    idle = 1
    settings = WatchSettings(idle_timeout=idle, all_flows=True, duration=seconds, bpf_filter=f"tcp port {port}")
    stats = watch(model, [sink], interface="lo", settings=settings)
    stop.set()
    server.shutdown()
    beyond = [
        written - datetime.strptime(r["flow"]["end"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() - idle
        for written, r in sink.rows
    ]
    emitted = np.fromiter(stats.latencies, float)
    return {
        "flows": stats.flows, "idle_timeout": idle,
        "emit_to_write_p50": float(np.quantile(emitted, 0.5)), "emit_to_write_p99": float(np.quantile(emitted, 0.99)),
        "end_to_write_minus_idle_p50": float(np.quantile(beyond, 0.5)),
        "end_to_write_minus_idle_p99": float(np.quantile(beyond, 0.99)),
    }  # fmt: skip


def syn_scan(path: Path) -> Path:
    """30 SYN probes from 10.0.0.66 (closed ports answer RST) amid three clients' HTTP sessions, in one minute."""
    import scapy.all as scapy

    packets = []

    def add(ms: float, src: str, dst: str, layer) -> None:  # noqa: ANN001
        packet = scapy.Ether() / scapy.IP(src=src, dst=dst) / layer
        packet.time = 1_700_000_000 + ms / 1000
        packets.append(packet)

    for i in range(30):
        add(1000 + 100 * i, "10.0.0.66", "10.0.0.5", scapy.TCP(sport=40000 + i, dport=1000 + i, flags="S"))
        add(1001 + 100 * i, "10.0.0.5", "10.0.0.66", scapy.TCP(sport=1000 + i, dport=40000 + i, flags="RA"))
    for c in range(3):
        for k in range(6):
            ms, sport, client = 500 + 9000 * k + 300 * c, 50000 + 10 * k + c, f"10.0.0.{11 + c}"
            for dt, forward, flags, payload in ((0, 1, "S", b""), (1, 0, "SA", b""), (2, 1, "A", b""),
                                                (3, 1, "PA", b"GET / HTTP/1.1\r\n\r\n"), (8, 0, "PA", b"x" * 900),
                                                (9, 1, "FA", b""), (10, 0, "FA", b""), (11, 1, "A", b"")):  # fmt: skip
                src, dst = (client, "10.0.0.5") if forward else ("10.0.0.5", client)
                ports = dict(sport=sport, dport=80) if forward else dict(sport=80, dport=sport)
                add(ms + dt, src, dst, scapy.TCP(**ports, flags=flags) / scapy.Raw(payload))
    packets.sort(key=lambda p: p.time)
    scapy.wrpcap(str(path), packets)
    return path


def host_alerts(model: Path) -> list[dict]:
    from netad.watch import RotatingFileSink, WatchSettings, watch

    rows = []
    for name, pcap in (("ssh brute force (ssh-bruteforce.pcap)", decompress("ssh-bruteforce.pcap")),
                       ("slowloris (slowloris.pcap)", decompress("slowloris.pcap")),
                       ("30-port SYN scan + 3 normal clients (scapy)", syn_scan(WORK / "syn-scan.pcap"))):  # fmt: skip
        out = WORK / "hosts.jsonl"
        stats = watch(model, [RotatingFileSink(out, overwrite=True)], pcaps=[pcap], settings=WatchSettings())
        records = [json.loads(line) for line in out.read_text().splitlines()]
        hosts = [r for r in records if r["event_type"] == "anomaly" and r["anomaly"]["scope"] == "host"]
        rows.append({
            "capture": name, "flows": stats.flows, "flow_alerts": stats.flow_alerts,
            "host_alerts": [f"{r['src_ip']}: {r['anomaly']['rule']} ({r['anomaly']['score']:g} >= "
                            f"{r['anomaly']['threshold']:g})" for r in hosts],
        })  # fmt: skip
    return rows


def long_replay(model: Path, pcap: Path) -> dict:
    out = WORK / "long-alerts.jsonl"
    command = [sys.executable, "-m", "netad.cli", "watch", str(model), "--pcap", str(pcap), "--alerts", str(out),
               "--overwrite", "-q"]  # fmt: skip
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "250"}  # one summary line, not wrapped at 80
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(child.pid, 5.0)
    sampler.start()
    _, stderr = child.communicate()
    sampler.done.set()
    summary = next((line for line in stderr.splitlines() if line.startswith("end of capture")), stderr.strip())
    return {"seconds": time.monotonic() - started, "summary": summary,
            "rss_mib": sampler.samples}  # fmt: skip


def write_report(result: dict, command: str) -> None:
    t, live = result["throughput"], result["live"]
    rss = [m for _, m in result["long"]["rss_mib"]]
    lines = [
        "# netad watch: capture -> alerts",
        "",
        f"Written by `{command}` on {result['date']} ({result['machine']}). See the script's docstring for the setup.",
        "",
        "## Throughput (one process, back to back)",
        "",
        f"Replay: `{BASE}` x {result['repeat']} (shifted copies): {t['packets']:,} packets, {t['flows']:,} flows. "
        f"{t['rounds']} rounds of (NFStream alone, watch); wall s = median. 1-min load average of the shared machine "
        f"before each round and at the end: {', '.join(f'{x:.1f}' for x in t['load_average_1min'])}; ratio per "
        f"round: {', '.join(f'{x:.2f}' for x in t['ratios_each'])}. Micro-batches of at most {t['batch_flows']:,} "
        "flows (the default).",
        "",
        "| run | packets | flows | wall s | packets/s | vs NFStream alone |",
        "|---|---:|---:|---:|---:|---:|",
        f"| NFStream metering alone (CIC plugin, nDPI) | {t['packets']:,} | {t['flows']:,} | "
        f"{t['nfstream_seconds']:.1f} | {t['nfstream_pps']:,.0f} | 1.00x |",
        f"| `watch` with iforest, alerts to a file | {t['watch_packets']:,} | {t['watch_flows']:,} | "
        f"{t['watch_seconds']:.1f} | {t['watch_pps']:,.0f} | **{t['ratio']:.2f}x** |",
        "",
        f"The watch run wrote {t['flow_alerts']:,} flow alerts, {t['host_alerts']:,} host alerts and "
        f"{t['drift_records']:,} drift records in {t['batches']:,} batches.",
        "",
        "## Latency, live on loopback",
        "",
        f"{live['flows']:,} HTTP flows on `lo` (a fetch every 0.1 s), idle timeout {live['idle_timeout']} s.",
        "",
        "| interval | p50 s | p99 s |",
        "|---|---:|---:|",
        f"| NFStream emits the flow -> its record written | {live['emit_to_write_p50']:.3f} | "
        f"**{live['emit_to_write_p99']:.3f}** |",
        f"| last packet -> record written, minus the idle timeout | {live['end_to_write_minus_idle_p50']:.3f} | "
        f"{live['end_to_write_minus_idle_p99']:.3f} |",
        "",
        "## Host alerts",
        "",
        "| capture | flows | flow alerts | host alerts |",
        "|---|---:|---:|---|",
        *[
            f"| {r['capture']} | {r['flows']:,} | {r['flow_alerts']:,} | {'; '.join(r['host_alerts']) or 'none'} |"
            for r in result["hosts"]
        ],  # fmt: skip
        "",
        "## RSS over a long replay (child process + its NFStream meter)",
        "",
        f"`{BASE}` x {result['rss_repeat']}: {result['long_packets']:,} packets in {result['long']['seconds']:.0f} s "
        f"(`{result['long']['summary']}`).",
        "",
        "| seconds | " + " | ".join(f"{s:g}" for s, _ in result["long"]["rss_mib"][:: max(len(rss) // 12, 1)]) + " |",
        "|---|" + "---:|" * len(result["long"]["rss_mib"][:: max(len(rss) // 12, 1)]),
        "| RSS MiB | " + " | ".join(f"{m:.0f}" for _, m in result["long"]["rss_mib"][:: max(len(rss) // 12, 1)]) + " |",
        "",
        f"RSS after the first quarter of the run: {np.median(rss[len(rss) // 4 : len(rss) // 2]):.0f} MiB (median); "
        f"last quarter: {np.median(rss[3 * len(rss) // 4 :]):.0f} MiB; max {max(rss):.0f} MiB.",
        "",
    ]
    (RESULTS / "watch.md").write_text("\n".join(lines))
    (RESULTS / "watch.json").write_text(json.dumps(result, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=27)
    parser.add_argument("--rss-repeat", type=int, default=170)
    parser.add_argument("--live-seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NETAD_DATA", str(DATA))
    model = train_model()
    base = decompress(BASE)
    replayed = WORK / f"replay-x{args.repeat}.pcap"
    replay(base, args.repeat, replayed)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPUs shared, Python {platform.python_version()}",
        "repeat": args.repeat, "rss_repeat": args.rss_repeat,
    }  # fmt: skip
    print("throughput ...", flush=True)
    result["throughput"] = throughput(model, replayed, args.rounds)
    replayed.unlink()
    print("host alerts ...", flush=True)
    result["hosts"] = host_alerts(model)
    print("live latency ...", flush=True)
    result["live"] = live_latency(model, args.live_seconds)
    print("long replay ...", flush=True)
    long_pcap = WORK / f"replay-x{args.rss_repeat}.pcap"
    result["long_packets"], _ = replay(base, args.rss_repeat, long_pcap)
    result["long"] = long_replay(model, long_pcap)
    long_pcap.unlink()
    command = "python benchmarks/watch.py" + "".join(
        f" --{k.replace('_', '-')} {v:g}" for k, v in vars(args).items()
    )  # fmt: skip
    write_report(result, command)
    print((RESULTS / "watch.md").read_text())


if __name__ == "__main__":
    main()
