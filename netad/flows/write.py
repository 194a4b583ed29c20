"""``netad flows``' API: meter a capture into a parquet flow table in a layout, with a record of how it was made."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from netad.errors import NetadInputError
from netad.files import atomic_path, check_output
from netad.flows.layouts import STATUS_ABSENT, STATUS_APPROXIMATED, STATUS_EXACT, Layout, get_layout
from netad.flows.meter import FLOW_TIMEOUT_S, meter, require_nfstream, time_resolution_us
from netad.flows.plugin import ACTIVITY_TIMEOUT_US
from netad.flows.table import flow_table

logger = logging.getLogger(__name__)

METADATA_KEY = b"netad.flows"


@dataclass
class FlowReport:
    """What :func:`write_flows` read and wrote, and how each feature column of the layout was obtained."""

    input: Path
    output: Path | None
    layout: str = "cicids2017"
    flows: int = 0
    packets: int = 0
    payload_bytes: int = 0
    seconds: float = 0.0
    exact: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    """Feature columns not in the output (when ``fill_missing`` is None)."""
    filled: dict[str, float] = field(default_factory=dict)
    """Feature columns not computed but written with a constant (``fill_missing``): column -> value."""
    settings: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The JSON stored under ``netad.flows`` in the output parquet's key-value metadata."""
        data = asdict(self)
        data["input"], data["output"] = str(self.input), str(self.output) if self.output else None
        return data


def write_flows(
    pcap: str | os.PathLike,
    output: str | os.PathLike,
    *,
    layout: str | Layout = "cicids2017",
    fill_missing: float | None = None,
    overwrite: bool = False,
    idle_timeout: int = FLOW_TIMEOUT_S,
    active_timeout: int = FLOW_TIMEOUT_S,
    bpf_filter: str | None = None,
    n_meters: int = 0,
) -> FlowReport:
    """Meter ``pcap`` into a parquet flow table in ``layout`` (the API behind ``netad flows``).

    Refuses an existing ``output`` unless ``overwrite``; writes atomically (:mod:`netad.files`).
    """
    started = time.perf_counter()
    layout = get_layout(layout)
    pcap = Path(pcap)
    output = check_output(output, overwrite=overwrite, what="flows output")
    if pcap.exists() and output.exists() and output.resolve() == pcap.resolve():
        raise NetadInputError(f"{output}: the output would overwrite the input")
    nf = meter(pcap, idle_timeout=idle_timeout, active_timeout=active_timeout, bpf_filter=bpf_filter, n_meters=n_meters)
    table = flow_table(nf, layout, fill_missing=fill_missing)
    resolution = time_resolution_us(pcap)
    statuses = layout.by_status(resolution)
    absent = list(statuses[STATUS_ABSENT])
    fwd_n, bwd_n, fwd_b, bwd_b = (layout.columns[i].name for i in range(1, 5))
    report = FlowReport(
        input=pcap,
        output=output,
        layout=layout.name,
        flows=len(table),
        packets=int(table[fwd_n].sum() + table[bwd_n].sum()) if len(table) else 0,
        payload_bytes=int(table[fwd_b].sum() + table[bwd_b].sum()) if len(table) else 0,
        exact=list(statuses[STATUS_EXACT]),
        approximated=list(statuses[STATUS_APPROXIMATED]),
        absent=[] if fill_missing is not None else absent,
        filled={c: float(fill_missing) for c in absent} if fill_missing is not None else {},
        settings={
            "nfstream_version": require_nfstream().__version__,
            "accounting_mode": "payload",
            "idle_timeout_s": int(idle_timeout),
            "active_timeout_s": int(active_timeout),
            "activity_timeout_us": ACTIVITY_TIMEOUT_US,
            "time_resolution_us": resolution,
            "fin_ends_flow": True,
            "bpf_filter": bpf_filter,
        },
    )
    if report.filled:
        logger.warning("%s: columns not computed, written as %s: %s", output, fill_missing, ", ".join(absent))
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    metadata = dict(arrow.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(report.metadata()).encode()
    arrow = arrow.replace_schema_metadata(metadata)
    with atomic_path(output, overwrite=overwrite, what="flows output") as temporary:
        pq.write_table(arrow, temporary)
    report.seconds = time.perf_counter() - started
    logger.info("%s: %d flows, %d packets -> %s in %.1f s", pcap, report.flows, report.packets, output, report.seconds)
    return report


def read_flow_metadata(path: str | os.PathLike) -> dict[str, Any] | None:
    """The ``netad.flows`` record of a parquet written by :func:`write_flows` (None for other files)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else None
