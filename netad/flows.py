"""Packet capture -> flow table with CIC-IDS-2017 column names, so a model trained on CIC-IDS-2017 can score it.

Flows are metered by NFStream (``pip install "netad[flows]"``; its wheel bundles libpcap and nDPI) with
``statistical_analysis=True`` and payload accounting (CICFlowMeter's packet lengths are TCP/UDP payload bytes),
plus a small NFStream plugin for what NFStream does not compute (header bytes, initial TCP windows, data packets
forward, the first packet's payload, active/idle periods). Forward = the direction of a flow's first packet, as
in CICFlowMeter. Each CIC feature column is one of:

- **exact** (:data:`EXACT`): same definition as CICFlowMeter's, CIC-IDS-2017 quirks included (the first
  packet counted twice in ``Packet Length Mean/Std/Variance`` and ``Average Packet Size``; ``Subflow *`` equal
  to the totals, as on every CIC-IDS-2017 row). Checked against the published CSVs' internal identities;
- **approximated** (:data:`APPROXIMATED`): NFStream timestamps have millisecond resolution where CICFlowMeter
  has microseconds, so durations, inter-arrival times, rates and active/idle times are multiples of 1,000 us
  (rates over a 0 ms flow use 0.5 ms, not Infinity); CIC-IDS-2017's flag columns hold 0/1 (and are known to be
  inconsistent), so flag columns are 1 when any packet of the flow (direction) carried the flag;
- **absent** (:data:`ABSENT`): the six bulk features (``Fwd Avg Bytes/Bulk`` ...) are not computed. They are
  left out, so ``netad score`` names them as missing, unless ``fill_missing`` is given: then they are written
  with that value and the fill is recorded in the parquet metadata (``netad.flows``) and the report. (They are
  0 on all 60,059 rows of the four CIC-IDS-2017 day subsets checked, so a model fitted there drops them as
  constant.)

Flow boundaries differ too: NFStream ends a flow on its idle/active timeouts (both 120 s here, CICFlowMeter's
flow timeout), CICFlowMeter also on a TCP FIN. Identifier columns (``Flow ID``, ``Source IP``, ``Source Port``,
``Destination IP``, ``Destination Port``, ``Protocol``, ``Timestamp``) are written too; models trained with the
CIC-IDS-2017 loader do not read them (``netad score --keep-columns`` copies them to the scores).

>>> report = write_flows("capture.pcap", "flows.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from netad.errors import NetadInputError
from netad.files import atomic_path, check_output

logger = logging.getLogger(__name__)

ACTIVITY_TIMEOUT_US = 5_000_000
"""CICFlowMeter's activity timeout: a gap longer than this between packets ends an active period (an idle one)."""
FLOW_TIMEOUT_S = 120
"""CICFlowMeter's flow timeout, used as NFStream's idle and active timeouts."""
ZERO_DURATION_US = 500.0
"""Duration used for rates when a flow lasts 0 ms at NFStream's resolution (half the resolution)."""
METADATA_KEY = b"netad.flows"

IDENTIFIERS = (
    "Flow ID",
    "Source IP",
    "Source Port",
    "Destination IP",
    "Destination Port",
    "Protocol",
    "Timestamp",
)

EXACT: dict[str, str] = {
    **{c: "packets per direction" for c in ("Total Fwd Packets", "Total Backward Packets")},
    **{c: "payload bytes per direction" for c in ("Total Length of Fwd Packets", "Total Length of Bwd Packets")},
    **{
        f"{d} Packet Length {s}": f"payload bytes per packet, {s.lower()} ({'sample std' if s == 'Std' else s})"
        for d in ("Fwd", "Bwd")
        for s in ("Max", "Min", "Mean", "Std")
    },
    "Min Packet Length": "smallest payload of the flow",
    "Max Packet Length": "largest payload of the flow",
    "Packet Length Mean": "payload mean with the first packet counted twice (CICFlowMeter quirk)",
    "Packet Length Std": "payload sample std with the first packet counted twice (CICFlowMeter quirk)",
    "Packet Length Variance": "square of Packet Length Std",
    "Average Packet Size": "(payload bytes + first payload) / packets (CICFlowMeter quirk)",
    "Avg Fwd Segment Size": "= Fwd Packet Length Mean",
    "Avg Bwd Segment Size": "= Bwd Packet Length Mean",
    "Down/Up Ratio": "backward packets // forward packets (integer division)",
    "Subflow Fwd Packets": "= Total Fwd Packets (as on every CIC-IDS-2017 row)",
    "Subflow Fwd Bytes": "= Total Length of Fwd Packets (as on every CIC-IDS-2017 row)",
    "Subflow Bwd Packets": "= Total Backward Packets (as on every CIC-IDS-2017 row)",
    "Subflow Bwd Bytes": "= Total Length of Bwd Packets (as on every CIC-IDS-2017 row)",
    "Fwd Header Length": "sum of TCP/UDP header bytes, forward (CIC-IDS-2017's UDP values are not reproducible)",
    "Bwd Header Length": "sum of TCP/UDP header bytes, backward",
    "min_seg_size_forward": "smallest TCP/UDP header of a forward packet",
    "act_data_pkt_fwd": "forward packets with at least 1 payload byte",
    "Init_Win_bytes_forward": "TCP window of the first forward packet (-1 when not TCP)",
    "Init_Win_bytes_backward": "TCP window of the first backward packet (-1 when none or not TCP)",
}
_MS = "NFStream's millisecond timestamps, in microseconds"
APPROXIMATED: dict[str, str] = {
    "Flow Duration": _MS,
    "Flow Bytes/s": "payload bytes / duration (0 ms flows: over 0.5 ms)",
    "Flow Packets/s": "packets / duration (0 ms flows: over 0.5 ms)",
    "Fwd Packets/s": "forward packets / duration (0 ms flows: over 0.5 ms)",
    "Bwd Packets/s": "backward packets / duration (0 ms flows: over 0.5 ms)",
    **{f"Flow IAT {s}": f"inter-arrival time {s.lower()}, {_MS}" for s in ("Mean", "Std", "Max", "Min")},
    **{f"{d} IAT Total": f"first to last {d.lower()} packet, {_MS}" for d in ("Fwd", "Bwd")},
    **{
        f"{d} IAT {s}": f"{d.lower()} inter-arrival {s.lower()}, {_MS}"
        for d in ("Fwd", "Bwd")
        for s in ("Mean", "Std", "Max", "Min")
    },
    **{
        f"Active {s}": f"active periods (5 s activity timeout) {s.lower()}, {_MS}"
        for s in ("Mean", "Std", "Max", "Min")
    },
    **{f"Idle {s}": f"idle gaps (> 5 s) {s.lower()}, {_MS}" for s in ("Mean", "Std", "Max", "Min")},
    **{
        f"{d} {f} Flags": f"1 when a {d.lower()} packet had {f}, else 0" for d in ("Fwd", "Bwd") for f in ("PSH", "URG")
    },
    **{
        f"{f} Flag Count": f"1 when a packet had {flag}, else 0 (CIC-IDS-2017 holds 0/1 here)"
        for f, flag in (
            ("FIN", "FIN"),
            ("SYN", "SYN"),
            ("RST", "RST"),
            ("PSH", "PSH"),
            ("ACK", "ACK"),
            ("URG", "URG"),
            ("CWE", "CWR"),
            ("ECE", "ECE"),
        )
    },
}
ABSENT: dict[str, str] = {
    c: "bulk transfer feature: not computed (0 on every CIC-IDS-2017 row checked)"
    for c in (
        "Fwd Avg Bytes/Bulk",
        "Fwd Avg Packets/Bulk",
        "Fwd Avg Bulk Rate",
        "Bwd Avg Bytes/Bulk",
        "Bwd Avg Packets/Bulk",
        "Bwd Avg Bulk Rate",
    )
}

CIC_FEATURES = (
    "Flow Duration",
    "Total Fwd Packets",
    "Total Backward Packets",
    "Total Length of Fwd Packets",
    "Total Length of Bwd Packets",
    "Fwd Packet Length Max",
    "Fwd Packet Length Min",
    "Fwd Packet Length Mean",
    "Fwd Packet Length Std",
    "Bwd Packet Length Max",
    "Bwd Packet Length Min",
    "Bwd Packet Length Mean",
    "Bwd Packet Length Std",
    "Flow Bytes/s",
    "Flow Packets/s",
    "Flow IAT Mean",
    "Flow IAT Std",
    "Flow IAT Max",
    "Flow IAT Min",
    "Fwd IAT Total",
    "Fwd IAT Mean",
    "Fwd IAT Std",
    "Fwd IAT Max",
    "Fwd IAT Min",
    "Bwd IAT Total",
    "Bwd IAT Mean",
    "Bwd IAT Std",
    "Bwd IAT Max",
    "Bwd IAT Min",
    "Fwd PSH Flags",
    "Bwd PSH Flags",
    "Fwd URG Flags",
    "Bwd URG Flags",
    "Fwd Header Length",
    "Bwd Header Length",
    "Fwd Packets/s",
    "Bwd Packets/s",
    "Min Packet Length",
    "Max Packet Length",
    "Packet Length Mean",
    "Packet Length Std",
    "Packet Length Variance",
    "FIN Flag Count",
    "SYN Flag Count",
    "RST Flag Count",
    "PSH Flag Count",
    "ACK Flag Count",
    "URG Flag Count",
    "CWE Flag Count",
    "ECE Flag Count",
    "Down/Up Ratio",
    "Average Packet Size",
    "Avg Fwd Segment Size",
    "Avg Bwd Segment Size",
    "Fwd Avg Bytes/Bulk",
    "Fwd Avg Packets/Bulk",
    "Fwd Avg Bulk Rate",
    "Bwd Avg Bytes/Bulk",
    "Bwd Avg Packets/Bulk",
    "Bwd Avg Bulk Rate",
    "Subflow Fwd Packets",
    "Subflow Fwd Bytes",
    "Subflow Bwd Packets",
    "Subflow Bwd Bytes",
    "Init_Win_bytes_forward",
    "Init_Win_bytes_backward",
    "act_data_pkt_fwd",
    "min_seg_size_forward",
    "Active Mean",
    "Active Std",
    "Active Max",
    "Active Min",
    "Idle Mean",
    "Idle Std",
    "Idle Max",
    "Idle Min",
)
"""The 76 CIC-IDS-2017 (MachineLearningCVE) feature columns, in the published order (``Destination Port`` and the
duplicated ``Fwd Header Length`` aside)."""


@dataclass
class FlowReport:
    """What :func:`write_flows` read and wrote, and how each CIC column was obtained."""

    input: Path
    output: Path | None
    flows: int = 0
    packets: int = 0
    payload_bytes: int = 0
    seconds: float = 0.0
    exact: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    """CIC columns not in the output (when ``fill_missing`` is None)."""
    filled: dict[str, float] = field(default_factory=dict)
    """CIC columns not computed but written with a constant (``fill_missing``): column -> value."""
    settings: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The JSON stored under ``netad.flows`` in the output parquet's key-value metadata."""
        data = asdict(self)
        data["input"], data["output"] = str(self.input), str(self.output) if self.output else None
        return data


def _require_nfstream() -> Any:
    try:
        import nfstream
    except ImportError:
        raise ImportError('netad flows needs NFStream: pip install "netad[flows]"') from None
    return nfstream


def _tcp_window(packet: Any) -> int:
    """The TCP window of a packet (its raw IP bytes), -1 when it is not TCP or too short."""
    if packet.protocol != 6:
        return -1
    data = packet.ip_packet
    if packet.ip_version == 4 and data:
        offset = (data[0] & 0x0F) * 4
    elif packet.ip_version == 6:
        offset = 40  # extension headers before TCP are not followed
    else:
        return -1
    if len(data) < offset + 16:
        return -1
    return int.from_bytes(data[offset + 14 : offset + 16], "big")


def _plugin(activity_timeout_us: int) -> Any:
    """An NFStream plugin computing the per-flow values NFStream lacks (see the module docstring)."""
    nfstream = _require_nfstream()

    class CICExtras(nfstream.NFPlugin):
        def on_init(self, packet: Any, flow: Any) -> None:
            u = flow.udps
            header = packet.transport_size - packet.payload_size
            u.cic_first_payload = packet.payload_size
            u.cic_fwd_header, u.cic_bwd_header, u.cic_min_fwd_header = header, 0, header
            u.cic_act_data_fwd = int(packet.payload_size > 0)
            u.cic_init_win_fwd, u.cic_init_win_bwd = _tcp_window(packet), -1
            u.cic_active_start = u.cic_active_end = packet.time * 1000
            u.cic_active, u.cic_idle = [], []

        def on_update(self, packet: Any, flow: Any) -> None:
            u = flow.udps
            header = packet.transport_size - packet.payload_size
            if packet.direction == 0:
                u.cic_fwd_header += header
                u.cic_min_fwd_header = min(u.cic_min_fwd_header, header)
                u.cic_act_data_fwd += int(packet.payload_size > 0)
            else:
                if flow.dst2src_packets == 1:  # this is the first backward packet
                    u.cic_init_win_bwd = _tcp_window(packet)
                u.cic_bwd_header += header
            now = packet.time * 1000
            # CICFlowMeter's updateActiveIdleTime; the last active period is not closed at expiry (as in the CSVs)
            if now - u.cic_active_end > activity_timeout_us:
                if u.cic_active_end > u.cic_active_start:
                    u.cic_active.append(u.cic_active_end - u.cic_active_start)
                u.cic_idle.append(now - u.cic_active_end)
                u.cic_active_start = u.cic_active_end = now
            else:
                u.cic_active_end = now

        def on_expire(self, flow: Any) -> None:
            u = flow.udps
            for name in ("active", "idle"):
                values = np.asarray(getattr(u, f"cic_{name}"), dtype=np.float64)
                stats = _stats(values)
                for stat, value in zip(("mean", "std", "max", "min"), stats, strict=True):
                    setattr(u, f"cic_{name}_{stat}", value)
                delattr(u, f"cic_{name}")
            del u.cic_active_start, u.cic_active_end

    return CICExtras()


def _stats(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, sample std, max, min (all 0 for no values), as CICFlowMeter's SummaryStatistics."""
    if len(values) == 0:
        return 0.0, 0.0, 0.0, 0.0
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), std, float(values.max()), float(values.min())


def meter(
    pcap: str | os.PathLike,
    *,
    idle_timeout: int = FLOW_TIMEOUT_S,
    active_timeout: int = FLOW_TIMEOUT_S,
    bpf_filter: str | None = None,
    n_meters: int = 0,
) -> pd.DataFrame:
    """NFStream's flow table of ``pcap`` (payload accounting, statistics, the CIC plugin's ``udps.*`` columns)."""
    nfstream = _require_nfstream()
    path = Path(pcap)
    if not path.is_file():
        raise NetadInputError(f"{path}: capture file not found")
    with open(path, "rb") as f:
        magic = f.read(4)
    # pcap (both byte orders, us and ns) and pcapng
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\n\r\r\n"):
        raise NetadInputError(f"{path}: not a pcap or pcapng capture (first bytes {magic!r})")
    try:
        streamer = nfstream.NFStreamer(
            source=str(path),
            statistical_analysis=True,
            accounting_mode=3,  # payload bytes, as CICFlowMeter's packet lengths
            n_dissections=0,  # no nDPI application detection: not a CIC feature
            idle_timeout=int(idle_timeout),
            active_timeout=int(active_timeout),
            bpf_filter=bpf_filter,
            udps=_plugin(ACTIVITY_TIMEOUT_US),
            n_meters=int(n_meters),
        )
        frame = streamer.to_pandas(columns_to_anonymize=())
    except (ValueError, OSError) as exc:
        raise NetadInputError(f"{path}: NFStream cannot read the capture ({exc})") from None
    if frame is None:
        frame = pd.DataFrame()
    return frame


def cic_flow_table(nf: pd.DataFrame, *, fill_missing: float | None = None) -> pd.DataFrame:
    """Map NFStream's columns (from :func:`meter`) to the CIC-IDS-2017 names (see the module docstring).

    Rows are sorted by first packet time. ``fill_missing`` writes the :data:`ABSENT` columns with that value.
    """
    if len(nf) == 0:
        text = ("Flow ID", "Source IP", "Destination IP", "Timestamp")
        out = pd.DataFrame({c: pd.Series(dtype="object" if c in text else "int64") for c in IDENTIFIERS})
        for c in CIC_FEATURES:
            if c not in ABSENT or fill_missing is not None:
                out[c] = pd.Series(dtype="float64")
        return out
    nf = nf.sort_values(["bidirectional_first_seen_ms", "id"], kind="stable").reset_index(drop=True)

    def col(name: str) -> np.ndarray:
        return nf[name].to_numpy(dtype=np.float64)

    def us(name: str) -> np.ndarray:
        return col(name) * 1000.0

    fwd_n, bwd_n = col("src2dst_packets"), col("dst2src_packets")
    fwd_b, bwd_b = col("src2dst_bytes"), col("dst2src_bytes")
    n, total = fwd_n + bwd_n, fwd_b + bwd_b
    duration = us("bidirectional_duration_ms")
    rate_duration_s = np.where(duration > 0, duration, ZERO_DURATION_US) / 1e6
    first = col("udps.cic_first_payload")
    # CICFlowMeter adds the first packet's payload twice to its all-packet length statistics
    mean_ps, std_ps = col("bidirectional_mean_ps"), col("bidirectional_stddev_ps")
    sum_sq = (n - 1) * std_ps**2 + n * mean_ps**2 + first**2
    quirk_mean = (total + first) / (n + 1)
    quirk_var = np.maximum(sum_sq - (n + 1) * quirk_mean**2, 0.0) / n

    out: dict[str, Any] = {
        "Flow ID": [
            f"{s}-{d}-{sp}-{dp}-{p}"
            for s, d, sp, dp, p in zip(
                nf["src_ip"], nf["dst_ip"], nf["src_port"], nf["dst_port"], nf["protocol"], strict=True
            )
        ],
        "Source IP": nf["src_ip"].astype(str).to_numpy(),
        "Source Port": nf["src_port"].to_numpy(dtype=np.int64),
        "Destination IP": nf["dst_ip"].astype(str).to_numpy(),
        "Destination Port": nf["dst_port"].to_numpy(dtype=np.int64),
        "Protocol": nf["protocol"].to_numpy(dtype=np.int64),
        "Timestamp": [
            datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
            for ms in nf["bidirectional_first_seen_ms"]
        ],
        "Flow Duration": duration,
        "Total Fwd Packets": fwd_n,
        "Total Backward Packets": bwd_n,
        "Total Length of Fwd Packets": fwd_b,
        "Total Length of Bwd Packets": bwd_b,
    }
    for d, prefix in (("Fwd", "src2dst"), ("Bwd", "dst2src")):
        for stat, nf_stat in (("Max", "max"), ("Min", "min"), ("Mean", "mean"), ("Std", "stddev")):
            out[f"{d} Packet Length {stat}"] = col(f"{prefix}_{nf_stat}_ps")
    out["Flow Bytes/s"] = total / rate_duration_s
    out["Flow Packets/s"] = n / rate_duration_s
    for stat, nf_stat in (("Mean", "mean"), ("Std", "stddev"), ("Max", "max"), ("Min", "min")):
        out[f"Flow IAT {stat}"] = us(f"bidirectional_{nf_stat}_piat_ms")
    for d, prefix in (("Fwd", "src2dst"), ("Bwd", "dst2src")):
        out[f"{d} IAT Total"] = us(f"{prefix}_duration_ms")
        for stat, nf_stat in (("Mean", "mean"), ("Std", "stddev"), ("Max", "max"), ("Min", "min")):
            out[f"{d} IAT {stat}"] = us(f"{prefix}_{nf_stat}_piat_ms")
    for d, prefix in (("Fwd", "src2dst"), ("Bwd", "dst2src")):
        out[f"{d} PSH Flags"] = (col(f"{prefix}_psh_packets") > 0).astype(np.float64)
        out[f"{d} URG Flags"] = (col(f"{prefix}_urg_packets") > 0).astype(np.float64)
    out["Fwd Header Length"] = col("udps.cic_fwd_header")
    out["Bwd Header Length"] = col("udps.cic_bwd_header")
    out["Fwd Packets/s"] = fwd_n / rate_duration_s
    out["Bwd Packets/s"] = bwd_n / rate_duration_s
    out["Min Packet Length"] = col("bidirectional_min_ps")
    out["Max Packet Length"] = col("bidirectional_max_ps")
    out["Packet Length Mean"] = quirk_mean
    out["Packet Length Std"] = np.sqrt(quirk_var)
    out["Packet Length Variance"] = quirk_var
    for cic, flag in (
        ("FIN", "fin"),
        ("SYN", "syn"),
        ("RST", "rst"),
        ("PSH", "psh"),
        ("ACK", "ack"),
        ("URG", "urg"),
        ("CWE", "cwr"),
        ("ECE", "ece"),
    ):
        out[f"{cic} Flag Count"] = (col(f"bidirectional_{flag}_packets") > 0).astype(np.float64)
    out["Down/Up Ratio"] = np.floor_divide(bwd_n, np.maximum(fwd_n, 1))
    out["Average Packet Size"] = (total + first) / n
    out["Avg Fwd Segment Size"] = col("src2dst_mean_ps")
    out["Avg Bwd Segment Size"] = col("dst2src_mean_ps")
    if fill_missing is not None:
        for c in ABSENT:
            out[c] = np.full(len(nf), float(fill_missing))
    out["Subflow Fwd Packets"], out["Subflow Fwd Bytes"] = fwd_n, fwd_b
    out["Subflow Bwd Packets"], out["Subflow Bwd Bytes"] = bwd_n, bwd_b
    out["Init_Win_bytes_forward"] = col("udps.cic_init_win_fwd")
    out["Init_Win_bytes_backward"] = col("udps.cic_init_win_bwd")
    out["act_data_pkt_fwd"] = col("udps.cic_act_data_fwd")
    out["min_seg_size_forward"] = col("udps.cic_min_fwd_header")
    for name in ("Active", "Idle"):
        for stat in ("Mean", "Std", "Max", "Min"):
            out[f"{name} {stat}"] = col(f"udps.cic_{name.lower()}_{stat.lower()}")
    frame = pd.DataFrame(out)
    return frame[[*IDENTIFIERS, *(c for c in CIC_FEATURES if c in frame.columns)]]


def write_flows(
    pcap: str | os.PathLike,
    output: str | os.PathLike,
    *,
    fill_missing: float | None = None,
    overwrite: bool = False,
    idle_timeout: int = FLOW_TIMEOUT_S,
    active_timeout: int = FLOW_TIMEOUT_S,
    bpf_filter: str | None = None,
    n_meters: int = 0,
) -> FlowReport:
    """Meter ``pcap`` into a parquet flow table with CIC-IDS-2017 column names (the API behind ``netad flows``).

    Refuses an existing ``output`` unless ``overwrite``, and a link; writes atomically (:mod:`netad.files`).
    """
    started = time.perf_counter()
    pcap, output = Path(pcap), Path(output)
    if fill_missing is not None and not math.isfinite(float(fill_missing)):
        raise NetadInputError(f"fill_missing must be a finite number, got {fill_missing!r}")
    check_output(output, overwrite=overwrite, what="flow table")  # before metering: a link, a folder, no --overwrite
    if pcap.exists() and output.resolve() == pcap.resolve():
        raise NetadInputError(f"{output}: the output would overwrite the input")
    nf = meter(pcap, idle_timeout=idle_timeout, active_timeout=active_timeout, bpf_filter=bpf_filter, n_meters=n_meters)
    table = cic_flow_table(nf, fill_missing=fill_missing)
    report = FlowReport(
        input=pcap,
        output=output,
        flows=len(table),
        packets=int(table["Total Fwd Packets"].sum() + table["Total Backward Packets"].sum()) if len(table) else 0,
        payload_bytes=int(table["Total Length of Fwd Packets"].sum() + table["Total Length of Bwd Packets"].sum())
        if len(table)
        else 0,
        exact=list(EXACT),
        approximated=list(APPROXIMATED),
        absent=[] if fill_missing is not None else list(ABSENT),
        filled={c: float(fill_missing) for c in ABSENT} if fill_missing is not None else {},
        settings={
            "nfstream_version": _require_nfstream().__version__,
            "accounting_mode": "payload",
            "idle_timeout_s": int(idle_timeout),
            "active_timeout_s": int(active_timeout),
            "activity_timeout_us": ACTIVITY_TIMEOUT_US,
            "time_resolution_us": 1000,
            "bpf_filter": bpf_filter,
        },
    )
    if report.filled:
        logger.warning("%s: columns not computed, written as %s: %s", output, fill_missing, ", ".join(ABSENT))
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    metadata = dict(arrow.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(report.metadata()).encode()
    arrow = arrow.replace_schema_metadata(metadata)
    with atomic_path(output, overwrite=overwrite, what="flow table") as temporary:
        pq.write_table(arrow, temporary)
    report.seconds = time.perf_counter() - started
    logger.info("%s: %d flows, %d packets -> %s in %.1f s", pcap, report.flows, report.packets, output, report.seconds)
    return report


def read_flow_metadata(path: str | os.PathLike) -> dict[str, Any] | None:
    """The ``netad.flows`` record of a parquet written by :func:`write_flows` (None for other files)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else None
