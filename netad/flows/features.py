"""Per-flow quantities computed from a metered flow frame, under neutral names that layouts map to their columns.

Each layout (:mod:`netad.flows.layouts`) is a list of (column name, quantity) pairs; the quantities are computed
here once, from NFStream's columns and the CIC plugin's ``udps.cic_*`` ones (:mod:`netad.flows.plugin`). Times
are microseconds. Where CICFlowMeter versions differ, the quantity names say which behaviour they reproduce
(``*_quirk``: the first packet's payload counted twice, as CICFlowMeter before the improved release;
``*_v4``: CICFlowMeter-V4's subflow and idle bugs).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

ZERO_DURATION_US = 0.5
"""Duration used for rates when a flow lasts 0 us at the meter's resolution (1 us from a pcap file, 1,000 us from
NFStream's milliseconds otherwise): half a microsecond, so rates stay finite where CICFlowMeter writes Infinity."""

_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg", "cwr", "ece")


def _ordered(nf: pd.DataFrame) -> pd.DataFrame:
    return nf.sort_values(["bidirectional_first_seen_ms", "id"], kind="stable").reset_index(drop=True)


def flow_quantities(nf: pd.DataFrame) -> dict[str, Any]:
    """Every quantity a layout can name, one array per name, rows sorted by first packet time."""
    nf = _ordered(nf)

    def col(name: str) -> np.ndarray:
        return nf[name].to_numpy(dtype=np.float64)

    q: dict[str, Any] = {}
    q["src_ip"], q["dst_ip"] = nf["src_ip"].astype(str).to_numpy(), nf["dst_ip"].astype(str).to_numpy()
    q["src_port"], q["dst_port"] = nf["src_port"].to_numpy(np.int64), nf["dst_port"].to_numpy(np.int64)
    q["protocol"] = nf["protocol"].to_numpy(np.int64)
    q["flow_id"] = np.array(
        [
            f"{s}-{d}-{sp}-{dp}-{p}"
            for s, d, sp, dp, p in zip(
                q["src_ip"], q["dst_ip"], q["src_port"], q["dst_port"], q["protocol"], strict=True
            )
        ],
        dtype=object,
    )
    first_us = nf["udps.cic_first_us"].to_numpy(np.int64)
    q["timestamp"] = np.array(
        [datetime.fromtimestamp(us / 1e6, tz=timezone.utc).isoformat(timespec="microseconds") for us in first_us],
        dtype=object,
    )
    q["first_seen_us"] = first_us
    fwd_n, bwd_n = col("src2dst_packets"), col("dst2src_packets")
    fwd_b, bwd_b = col("src2dst_bytes"), col("dst2src_bytes")
    n, total = fwd_n + bwd_n, fwd_b + bwd_b
    duration = col("udps.cic_duration_us")
    rate_seconds = np.where(duration > 0, duration, ZERO_DURATION_US) / 1e6
    q.update(fwd_packets=fwd_n, bwd_packets=bwd_n, fwd_bytes=fwd_b, bwd_bytes=bwd_b, duration=duration)
    for d, prefix in (("fwd", "src2dst"), ("bwd", "dst2src")):
        for stat, nf_stat in (("max", "max"), ("min", "min"), ("mean", "mean"), ("std", "stddev")):
            q[f"{d}_len_{stat}"] = col(f"{prefix}_{nf_stat}_ps")
    q["flow_bytes_per_s"] = total / rate_seconds
    q["flow_packets_per_s"] = n / rate_seconds
    q["fwd_packets_per_s"] = fwd_n / rate_seconds
    q["bwd_packets_per_s"] = bwd_n / rate_seconds
    for name in ("flow_iat", "fwd_iat", "bwd_iat", "active", "idle", "idle_v4"):
        for stat in ("sum", "mean", "std", "max", "min"):
            q[f"{name}_{stat}"] = col(f"udps.cic_{name}_{stat}")
    q["len_min"], q["len_max"] = col("bidirectional_min_ps"), col("bidirectional_max_ps")
    mean, std = col("bidirectional_mean_ps"), col("bidirectional_stddev_ps")
    q["len_mean"], q["len_std"], q["len_var"] = mean, std, std**2
    # CICFlowMeter before the improved release adds the first packet's payload twice to its all-packet statistics
    first = col("udps.cic_first_payload")
    sum_sq = (n - 1) * std**2 + n * mean**2 + first**2
    quirk_mean = (total + first) / (n + 1)
    quirk_var = np.maximum(sum_sq - (n + 1) * quirk_mean**2, 0.0) / n
    q["len_mean_quirk"], q["len_std_quirk"], q["len_var_quirk"] = quirk_mean, np.sqrt(quirk_var), quirk_var
    q["avg_size"], q["avg_size_quirk"] = total / n, (total + first) / n
    q["fwd_seg_avg"], q["bwd_seg_avg"] = q["fwd_len_mean"], q["bwd_len_mean"]
    for flag in _FLAGS:
        count = col(f"bidirectional_{flag}_packets")
        q[f"{flag}_count"], q[f"{flag}_any"] = count, (count > 0).astype(np.float64)
        for d, prefix in (("fwd", "src2dst"), ("bwd", "dst2src")):
            count = col(f"{prefix}_{flag}_packets")
            q[f"{d}_{flag}_count"], q[f"{d}_{flag}_any"] = count, (count > 0).astype(np.float64)
    q["fwd_psh_first"], q["fwd_urg_first"] = col("udps.cic_first_psh"), col("udps.cic_first_urg")
    q["zero"] = np.zeros(len(nf))
    q["down_up_int"] = np.floor_divide(bwd_n, np.maximum(fwd_n, 1))
    q["down_up"] = bwd_n / np.maximum(fwd_n, 1)
    q["fwd_header"], q["bwd_header"] = col("udps.cic_fwd_header"), col("udps.cic_bwd_header")
    q["min_seg_fwd"] = col("udps.cic_min_fwd_header")
    q["act_data_fwd"] = col("udps.cic_act_data_fwd")
    q["act_data_fwd_v4"] = q["act_data_fwd"] - (first > 0)  # CICFlowMeter-V4 never counts the first packet
    q["init_win_fwd"] = col("udps.cic_init_win_fwd")
    q["init_win_bwd"] = col("udps.cic_init_win_bwd")
    q["init_win_bwd_v4"] = np.where(bwd_n > 0, col("udps.cic_last_win_bwd"), 0.0)  # V4 keeps the last one
    q["init_win_fwd_v4"] = np.maximum(q["init_win_fwd"], 0.0)  # V4 writes 0, not -1, when not TCP
    q["icmp_type"], q["icmp_code"] = col("udps.cic_icmp_type"), col("udps.cic_icmp_code")
    # CICFlowMeter-V4's subflow counter is bumped on every packet: "subflow" values are totals // packets
    q["subflow_fwd_packets_v4"], q["subflow_fwd_bytes_v4"] = fwd_n // n, fwd_b // n
    q["subflow_bwd_packets_v4"], q["subflow_bwd_bytes_v4"] = bwd_n // n, bwd_b // n
    q["tcp_duration"] = _tcp_connection_time(nf, q)
    return q


def _tcp_connection_time(nf: pd.DataFrame, q: dict[str, Any]) -> np.ndarray:
    """From the first packet of the flow's TCP connection to the flow's last packet (0 when not TCP).

    A flow continues the connection of the previous flow with the same addresses and ports unless that one ended
    on a FIN or this one opens with a SYN (a connection cut by the 120 s timeout goes on in the next flow).
    """
    first, last = nf["udps.cic_first_us"].to_numpy(np.int64), nf["udps.cic_last_us"].to_numpy(np.int64)
    ended_by_fin = (nf["expiration_id"].to_numpy() == -1) if "expiration_id" in nf else np.zeros(len(nf), bool)
    opens = nf["udps.cic_first_syn"].to_numpy() == 1
    out = np.zeros(len(nf))
    connections: dict[tuple, tuple[int, bool]] = {}
    for i in np.flatnonzero(q["protocol"] == 6):
        a, b = (q["src_ip"][i], q["src_port"][i]), (q["dst_ip"][i], q["dst_port"][i])
        key = (a, b) if a <= b else (b, a)
        previous = connections.get(key)
        start = first[i] if previous is None or previous[1] or opens[i] else previous[0]
        connections[key] = (start, bool(ended_by_fin[i]))
        out[i] = last[i] - start
    return out
