"""Metering: packets -> NFStream's flow records plus the CIC plugin's ``udps.cic_*`` values.

NFStream (``pip install "netad[flows]"``; its wheel bundles libpcap and nDPI) runs with ``statistical_analysis=True``
and payload accounting (CICFlowMeter's packet lengths are TCP/UDP payload bytes). Forward = the direction of a
flow's first packet, as in CICFlowMeter. Flows end on NFStream's idle/active timeouts (both 120 s by default,
CICFlowMeter's flow timeout) and, as in CICFlowMeter, on a TCP FIN (the FIN packet is the flow's last).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from netad.errors import NetadInputError
from netad.flows.clock import microsecond_clock_supported
from netad.flows.plugin import cic_plugin

FLOW_TIMEOUT_S = 120
"""CICFlowMeter's flow timeout, used as NFStream's idle and active timeouts."""
_CAPTURE_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\n\r\r\n")


def require_nfstream() -> Any:
    """The ``nfstream`` module, or an ImportError naming the extra to install."""
    try:
        import nfstream
    except ImportError:
        raise ImportError('netad flows needs NFStream: pip install "netad[flows]"') from None
    return nfstream


def check_capture(path: Path) -> None:
    """Refuse, with one line naming the file, a path that is not a pcap/pcapng capture."""
    if not path.is_file():
        raise NetadInputError(f"{path}: capture file not found")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic not in _CAPTURE_MAGIC:
        raise NetadInputError(f"{path}: not a pcap or pcapng capture (first bytes {magic!r})")


def time_resolution_us(source: str | os.PathLike) -> int:
    """1 when the plugin reads microsecond times from ``source`` (a classic pcap file), else 1000 (NFStream's ms)."""
    path = Path(source)
    return 1 if path.is_file() and microsecond_clock_supported(path) else 1000


def streamer(
    source: str | os.PathLike,
    *,
    idle_timeout: int = FLOW_TIMEOUT_S,
    active_timeout: int = FLOW_TIMEOUT_S,
    bpf_filter: str | None = None,
    n_meters: int = 0,
    fin_ends_flow: bool = True,
    microseconds: bool = True,
    n_dissections: int = 0,
) -> Any:
    """An ``NFStreamer`` over ``source`` (a capture file or a live interface name) with the CIC plugin.

    Iterating it yields flows as they expire; :func:`netad.flows.flow_table` turns a frame of them into a layout.
    ``microseconds=False`` keeps NFStream's millisecond packet times even for a pcap file (for comparisons).
    """
    nfstream = require_nfstream()
    pcap = str(source) if microseconds and time_resolution_us(source) == 1 else None
    return nfstream.NFStreamer(
        source=str(source),
        statistical_analysis=True,
        accounting_mode=3,  # payload bytes, as CICFlowMeter's packet lengths
        n_dissections=int(n_dissections),  # nDPI application detection: not a CIC feature (watch's app_proto)
        idle_timeout=int(idle_timeout),
        active_timeout=int(active_timeout),
        bpf_filter=bpf_filter,
        udps=cic_plugin(nfstream, pcap, fin_ends_flow=fin_ends_flow),
        n_meters=int(n_meters),
    )


def meter(
    pcap: str | os.PathLike,
    *,
    idle_timeout: int = FLOW_TIMEOUT_S,
    active_timeout: int = FLOW_TIMEOUT_S,
    bpf_filter: str | None = None,
    n_meters: int = 0,
    fin_ends_flow: bool = True,
    microseconds: bool = True,
) -> pd.DataFrame:
    """NFStream's flow table of the capture file ``pcap`` (payload accounting, statistics, ``udps.cic_*`` columns)."""
    path = Path(pcap)
    check_capture(path)
    try:
        flows = streamer(
            path, idle_timeout=idle_timeout, active_timeout=active_timeout, bpf_filter=bpf_filter,
            n_meters=n_meters, fin_ends_flow=fin_ends_flow, microseconds=microseconds,
        ).to_pandas(columns_to_anonymize=())  # fmt: skip
    except (ValueError, OSError) as exc:
        raise NetadInputError(f"{path}: NFStream cannot read the capture ({exc})") from None
    return flows if flows is not None else pd.DataFrame()
