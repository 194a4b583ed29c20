"""How fast does netad load a full-size CIC-IDS-2017 day CSV, and how much memory does it take?

Builds a 2,830,743-row CSV (the size of the complete dataset) in the MachineLearningCVE layout with the
quirks of the official files - leading spaces in the header, the duplicated ``Fwd Header Length`` column,
``Infinity``/``NaN`` in ``Flow Bytes/s`` and ``Flow Packets/s``, cp1252 en dashes (byte 0x96) in the
web-attack labels - by repeating the real rows of the shared CIC-IDS-2017 subsets. Then measures, each in a
fresh subprocess: netad from CSV (cache=False), netad's first cached load (parse + write parquet), netad
from the parquet cache, and plain ``pandas.read_csv``. Wall time is the load call inside the child; peak RSS
is the child's ``ru_maxrss``.

    python benchmarks/load_cicids2017.py [--rows N] [--keep-csv]

Writes benchmarks/results/load_cicids2017.md and .json; the CSV goes to benchmarks/work/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import lzma
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
FULL_ROWS = 2_830_743
GOALS = {"netad, CSV (cache=False)": 60.0, "netad, first load (parse + cache)": 60.0, "netad, from cache": 5.0}
RSS_GOAL_GIB = 4.0

# The official MachineLearningCVE header, spaces and duplicated column included.
HEADER = (
    " Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets,"
    " Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean,"
    " Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean,"
    " Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max,"
    " Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total,"
    " Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags,"
    " Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length,"
    " Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count,"
    " SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count,"
    " ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size,"
    " Fwd Header Length,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk,"
    " Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets,"
    " Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd,"
    " min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max,"
    " Idle Min, Label"
).split(",")
NAN_PER_BLOCK, INF_PER_BLOCK = 29, 32  # about the 1,358 NaN / 1,509 Infinity of the official files


def shared_cic() -> Path:
    data = os.environ.get("NETAD_DATA") or str(REPO.parent / "shared" / "data")
    folder = Path(data) / "cicids2017"
    if not folder.is_dir():
        sys.exit(f"need the shared CIC-IDS-2017 subsets in {folder} (set NETAD_DATA)")
    return folder


def build_csv(path: Path, rows: int) -> dict:
    """Write ``rows`` rows of real CIC-IDS-2017 flows (repeated) with the official files' quirks."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    names = [h.strip() for h in HEADER]
    wanted = names[: names.index("Fwd Header Length", 40)] + names[names.index("Fwd Header Length", 40) + 1 :]
    blocks = []
    for f in sorted(shared_cic().glob("*.csv*")):
        convert = pacsv.ConvertOptions(column_types=dict.fromkeys(wanted, pa.string()), include_columns=wanted)
        with lzma.open(f) if f.suffix == ".xz" else open(f, "rb") as stream:
            blocks.append(pacsv.read_csv(stream, convert_options=convert))
    table = pa.concat_tables(blocks).combine_chunks()
    n = table.num_rows
    # 1 NaN / Infinity in Flow Bytes/s (Flow Packets/s Infinity too), as zero-duration flows have in the originals
    fb, fp = table.column("Flow Bytes/s").to_pylist(), table.column("Flow Packets/s").to_pylist()
    step = n // (NAN_PER_BLOCK + INF_PER_BLOCK)
    for i in range(NAN_PER_BLOCK + INF_PER_BLOCK):
        j = i * step
        fb[j], fp[j] = ("NaN", "Infinity") if i < NAN_PER_BLOCK else ("Infinity", "Infinity")
    table = table.set_column(table.schema.get_field_index("Flow Bytes/s"), "Flow Bytes/s", pa.array(fb))
    table = table.set_column(table.schema.get_field_index("Flow Packets/s"), "Flow Packets/s", pa.array(fp))
    dup = names.index("Fwd Header Length", 40)
    table = table.add_column(dup, "Fwd Header Length.1", table.column("Fwd Header Length"))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    block = sink.getvalue().to_pybytes().replace("\u2013".encode(), b"\x96")  # cp1252 en dash, as the originals
    labels = pc.value_counts(table.column("Label")).to_pylist()
    full, rest = divmod(rows, n)
    with open(path, "wb") as out:
        out.write(",".join(HEADER).encode() + b"\n")
        for _ in range(full):
            out.write(block)
        if rest:
            out.write(b"\n".join(block.split(b"\n")[:rest]) + b"\n")
    marked = [i * step for i in range(NAN_PER_BLOCK + INF_PER_BLOCK)]
    return {
        "rows": rows,
        "base_rows": n,
        "repeats": rows / n,
        "bytes": path.stat().st_size,
        "nan_rows": NAN_PER_BLOCK * full + sum(j < rest for j in marked[:NAN_PER_BLOCK]),
        "inf_rows": INF_PER_BLOCK * full + sum(j < rest for j in marked[NAN_PER_BLOCK:]),
        "base_labels": {d["values"]: d["counts"] for d in labels},
    }


CHILD = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if mode == "pandas":
    import pandas as pd
    df = pd.read_csv(path, encoding="latin-1", low_memory=False)
    out = {"rows": len(df), "columns": df.shape[1]}
else:
    from netad.datasets import load
    ds = load("cicids2017", path, cache=(mode != "nocache"))
    out = {"rows": ds.n_rows, "columns": ds.features.shape[1], "dropped_rows": ds.dropped_rows,
           "dtypes": sorted({str(t) for t in ds.features.dtypes}), "attacks": int(ds.label.sum())}
out["seconds"] = time.perf_counter() - t0
out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def run_child(mode: str, csv: Path, env: dict) -> dict:
    """Run one measurement in a fresh interpreter; peak RSS from wait4 (the child's own ru_maxrss)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(csv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{stderr.decode()[-3000:]}")
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    out["process_seconds"] = wall
    out["peak_rss_gib"] = out.pop("maxrss_kib") / 2**20
    return out


def versions() -> dict:
    import numpy
    import pandas
    import pyarrow

    import netad

    return {
        "python": platform.python_version(),
        "netad": netad.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--keep-csv", action="store_true", help="keep benchmarks/work/ afterwards")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas.read_csv baseline")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    csv = WORK / "MachineLearningCVE-full-size.pcap_ISCX.csv"
    t = time.perf_counter()
    built = build_csv(csv, args.rows)
    built["build_seconds"] = time.perf_counter() - t
    print(f"built {csv} ({built['bytes'] / 2**30:.2f} GiB, {built['rows']:,} rows) in {built['build_seconds']:.0f}s")

    cache = WORK / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "NETAD_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    runs = [
        ("netad, CSV (cache=False)", "nocache"),
        ("netad, first load (parse + cache)", "cache"),
        ("netad, from cache", "cache"),
    ]
    if not args.no_pandas:
        runs.append(("pandas.read_csv (float64, no cleaning)", "pandas"))
    results = {}
    for label, mode in runs:
        load_before = os.getloadavg()[0]
        results[label] = run_child(mode, csv, env)
        r = results[label]
        r["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(f"{label:42s} {r['seconds']:7.1f}s  peak RSS {r['peak_rss_gib']:.2f} GiB  rows {r['rows']:,}")

    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "csv": built,
        "goals": {"seconds": GOALS, "peak_rss_gib": RSS_GOAL_GIB},
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load_cicids2017.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "load_cicids2017.md").write_text(markdown(report))
    if not args.keep_csv:
        shutil.rmtree(WORK / "cache", ignore_errors=True)
        csv.unlink()


def markdown(report: dict) -> str:
    v, c = report["versions"], report["csv"]
    lines = [
        "# Loading a full-size CIC-IDS-2017 CSV",
        "",
        f"Run {report['date']} with `python benchmarks/load_cicids2017.py`; Python {v['python']}, netad "
        f"{v['netad']}, numpy {v['numpy']}, pandas {v['pandas']}, pyarrow {v['pyarrow']}, {v['cpus']} CPUs "
        f"({v['machine']}, shared with other jobs while measuring).",
        "",
        f"Input: one uncompressed CSV, {c['rows']:,} rows x 79 columns, {c['bytes'] / 2**30:.2f} GiB, built by "
        f"repeating the {c['base_rows']:,} real rows of the shared CIC-IDS-2017 subsets {c['repeats']:.1f} times "
        "in the "
        "MachineLearningCVE layout with the official files' quirks: leading spaces in the header, the "
        "duplicated `Fwd Header Length`, cp1252 en-dash bytes in web-attack labels, and "
        f"{c['nan_rows']:,} `NaN` + {c['inf_rows']:,} `Infinity` rows in `Flow Bytes/s` (`Flow Packets/s` = "
        "`Infinity` on all of them).",
        "",
        "Each line is a fresh Python process. *load s* = the load call (imports excluded); *process s* = the "
        "whole child process; *peak RSS* = the child's `ru_maxrss`; *load avg* = the machine's 1-minute load "
        "average before/after (other jobs share the CPUs; above the CPU count, times stretch accordingly).",
        "",
        "| run | load s | process s | peak RSS GiB | rows out | load avg | goal |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for label, r in report["results"].items():
        goal = report["goals"]["seconds"].get(label)
        ok = ""
        if goal is not None:
            met = r["seconds"] <= goal and r["peak_rss_gib"] <= report["goals"]["peak_rss_gib"]
            ok = f"<= {goal:.0f} s, <= {report['goals']['peak_rss_gib']:.0f} GiB: {'met' if met else 'MISSED'}"
        lines.append(
            f"| {label} | {r['seconds']:.1f} | {r['process_seconds']:.1f} | {r['peak_rss_gib']:.2f} | "
            f"{r['rows']:,} | {r['load_average_1min'][0]:.1f} / {r['load_average_1min'][1]:.1f} | {ok} |"
        )
    netad_run = report["results"].get("netad, CSV (cache=False)", {})
    if netad_run:
        lines += [
            "",
            f"netad output: {netad_run['columns']} float32 features ({', '.join(netad_run['dtypes'])}), "
            f"dropped rows {netad_run['dropped_rows']} (clean_inf='drop'), {netad_run['attacks']:,} attack rows. "
            "pandas.read_csv gives float64/object columns, keeps the NaN/Inf rows and does not clean labels "
            "(it needs encoding='latin-1' to read the cp1252 bytes at all).",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
