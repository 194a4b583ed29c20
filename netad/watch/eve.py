"""Alert records in Suricata EVE JSON's shape, plus an ``anomaly`` (or ``drift``) object of netad's own.

Fields shared with EVE keep EVE's names and meaning: ``timestamp`` (ISO 8601, ``+0000``), ``flow_id`` (an
integer identifying the flow: here a 48-bit hash of its 5-tuple and start time, stable across runs), ``src_ip``,
``src_port``, ``dest_ip``, ``dest_port``, ``proto`` (``TCP``/``UDP``/``ICMP``/the IP protocol number),
``app_proto`` (nDPI's application name, lower case; ``unknown`` when nDPI did not recognise it or dissection is
off), ``flow`` counters (``pkts_toserver/toclient``, ``bytes_toserver/toclient``, ``start``, ``end``; to-server =
the direction of the flow's first packet; bytes are TCP/UDP payload bytes, the accounting the model's features
use). ``event_type`` is ``anomaly`` (a flagged flow or a host rule), ``flow`` (an unflagged flow, with
``--all-flows``) or ``drift``. The schema is ``eve_anomaly.schema.json`` beside this module (:func:`schema`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from netad.watch.hosts import HostAlert
from netad.watch.scoring import ModelInfo, ScoredBatch

SCHEMA_FILE = "eve_anomaly.schema.json"
PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP", 132: "SCTP"}
HOST_DETECTOR = "host-rules"


def schema() -> dict[str, Any]:
    """The JSON Schema every record validates against (shipped as package data)."""
    return json.loads(resources.files("netad.watch").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def eve_time(seconds: float) -> str:
    """EVE's timestamp format: ``2017-07-07T10:04:03.123456+0000``."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def flow_id(src: str, sport: int, dst: str, dport: int, proto: int, first_ms: int) -> int:
    """A flow identifier stable across runs: 48 bits of a hash of the 5-tuple and the first packet's time."""
    key = f"{src}|{sport}|{dst}|{dport}|{proto}|{first_ms}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=6).digest(), "big")


def flow_records(nf: pd.DataFrame, batch: ScoredBatch, model: ModelInfo, all_flows: bool) -> list[dict[str, Any]]:
    """One record per flagged flow of ``nf`` (NFStream columns), or per flow with ``all_flows``."""
    rows = np.arange(len(nf)) if all_flows else np.flatnonzero(batch.flagged)
    if len(rows) == 0:
        return []
    part = nf.iloc[rows]
    columns = {c: part[c].tolist() for c in (
        "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "bidirectional_first_seen_ms",
        "bidirectional_last_seen_ms", "src2dst_packets", "dst2src_packets", "src2dst_bytes", "dst2src_bytes",
    )}  # fmt: skip
    apps = part["application_name"].tolist() if "application_name" in part else ["unknown"] * len(part)
    records = []
    for i, row in enumerate(rows.tolist()):
        first_ms, proto = int(columns["bidirectional_first_seen_ms"][i]), int(columns["protocol"][i])
        src, dst = str(columns["src_ip"][i]), str(columns["dst_ip"][i])
        sport, dport = int(columns["src_port"][i]), int(columns["dst_port"][i])
        score = batch.scores[row]
        flagged = bool(batch.flagged[row])
        anomaly: dict[str, Any] = {
            "scope": "flow",
            "score": float(score) if np.isfinite(score) else None,
            "threshold": model.threshold,
            "model": model.name,
            "detector": model.detector,
            "model_sha256": model.sha256,
        }
        if row in batch.top:
            anomaly["top_features"] = [{"name": n, "value": round(v, 6)} for n, v in batch.top[row]]
        records.append({
            "timestamp": eve_time(first_ms / 1000),
            "flow_id": flow_id(src, sport, dst, dport, proto, first_ms),
            "event_type": "anomaly" if flagged else "flow",
            "src_ip": src,
            "src_port": sport,
            "dest_ip": dst,
            "dest_port": dport,
            "proto": PROTOCOLS.get(proto, str(proto)),
            "app_proto": _app_proto(apps[i]),
            "flow": {
                "pkts_toserver": int(columns["src2dst_packets"][i]),
                "pkts_toclient": int(columns["dst2src_packets"][i]),
                "bytes_toserver": int(columns["src2dst_bytes"][i]),
                "bytes_toclient": int(columns["dst2src_bytes"][i]),
                "start": eve_time(first_ms / 1000),
                "end": eve_time(int(columns["bidirectional_last_seen_ms"][i]) / 1000),
            },
            "anomaly": anomaly,
        })  # fmt: skip
    return records


def host_record(alert: HostAlert, model: ModelInfo) -> dict[str, Any]:
    """An ``anomaly`` record with ``scope: "host"`` for one fired host rule."""
    record: dict[str, Any] = {
        "timestamp": eve_time(alert.time),
        "event_type": "anomaly",
        "src_ip": alert.host,
        "anomaly": {
            "scope": "host",
            "score": alert.value,
            "threshold": alert.threshold,
            "rule": alert.rule,
            "model": model.name,
            "detector": HOST_DETECTOR,
            "model_sha256": model.sha256,
            "windows": alert.windows,
        },
    }
    if alert.target:
        record["dest_ip"], record["dest_port"] = alert.target["dest_ip"], alert.target["dest_port"]
    return record


def drift_record(body: dict[str, Any], model: ModelInfo) -> dict[str, Any]:
    """An ``event_type: "drift"`` record for one window (``body`` from :class:`~netad.watch.drift.DriftMonitor`)."""
    drift = dict(body)
    drift["window_start"], drift["window_end"] = eve_time(body["window_start"]), eve_time(body["window_end"])
    drift.update(model=model.name, detector=model.detector, model_sha256=model.sha256)
    return {"timestamp": drift["window_end"], "event_type": "drift", "drift": drift}


def _app_proto(name: Any) -> str:
    text = str(name or "").strip().lower()
    return "unknown" if text in ("", "unknown", "nan") else text
