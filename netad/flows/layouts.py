"""Flow table layouts: the column names and definitions of the CICFlowMeter outputs models are trained on.

- ``cicids2017``: the official CIC-IDS-2017 CSVs (MachineLearningCVE names, ``Total Fwd Packets`` ...), made by
  CICFlowMeter-V3: flag columns hold 0/1, the first packet's payload is counted twice in ``Packet Length Mean``.
- ``cicflowmeter-v4``: CICFlowMeter-V4, as in CSE-CIC-IDS2018 (``Tot Fwd Pkts``, ``Flow Byts/s`` ...), bugs
  included (flag counts per packet, ``Fwd PSH Flags`` from the first packet only, ``Subflow *`` = totals //
  packets, ``Init Bwd Win Byts`` from the last backward packet, ``Idle *`` epoch-sized, ``Active *`` always 0),
  checked flow by flow against CICFlowMeter's own output (``benchmarks/flow_fidelity.py``).
- ``cicids2017-improved``: the improved CIC-IDS-2017 of Engelen et al. (corrected CICFlowMeter; ``Total Fwd
  Packet``, ``Fwd RST Flags``, ``ICMP Type`` ...): no first-packet quirk, flag counts, float ``Down/Up Ratio``.

Each feature column is **exact** (CICFlowMeter's definition, reproduced), **approximated** (the note says how it
differs) or **absent** (not computed: left out unless ``fill_missing``). Time-based columns are exact only when
the meter read microsecond times (a classic pcap file); from NFStream's milliseconds they are approximated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from netad.errors import NetadInputError

STATUS_EXACT, STATUS_APPROXIMATED, STATUS_ABSENT = "exact", "approximated", "absent"
"""The three statuses of a feature column (see the module docstring)."""
_APPROX = STATUS_APPROXIMATED
_IDS = ("flow_id", "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "timestamp")
TIMED_QUANTITIES = frozenset(
    ["duration", "tcp_duration", "flow_bytes_per_s", "flow_packets_per_s", "fwd_packets_per_s", "bwd_packets_per_s"]
    + [f"{n}_{s}" for n in ("flow_iat", "fwd_iat", "bwd_iat", "active", "idle", "idle_v4") for s in
       ("sum", "mean", "std", "max", "min")]
)  # fmt: skip
"""Quantities measured with the clock: exact from microsecond pcap times, approximated from milliseconds."""


@dataclass(frozen=True)
class Column:
    """One feature column of a layout: where its value comes from and how faithful it is."""

    name: str
    quantity: str
    status: str = STATUS_EXACT
    note: str = ""


@dataclass(frozen=True)
class Layout:
    """A flow table layout: identifier columns, then feature columns, in the published order."""

    name: str
    title: str
    identifiers: tuple[str, ...]
    columns: tuple[Column, ...] = field(repr=False)

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.columns]

    def status(self, column: Column, time_resolution_us: int) -> str:
        """``column``'s status for a meter with this time resolution."""
        if column.status == STATUS_EXACT and column.quantity in TIMED_QUANTITIES and time_resolution_us > 1:
            return STATUS_APPROXIMATED
        return column.status

    def by_status(self, time_resolution_us: int = 1) -> dict[str, dict[str, str]]:
        """{status: {column: note}}."""
        out: dict[str, dict[str, str]] = {STATUS_EXACT: {}, STATUS_APPROXIMATED: {}, STATUS_ABSENT: {}}
        for c in self.columns:
            status = self.status(c, time_resolution_us)
            note = c.note
            if status != c.status:
                note = f"{note}; NFStream's millisecond times".lstrip("; ")
            out[status][c.name] = note
        return out


def _stats(prefix: str, quantity: str, names: Iterable[str] = ("Mean", "Std", "Max", "Min")) -> list[Column]:
    keys = {"Mean": "mean", "Std": "std", "Max": "max", "Min": "min", "Total": "sum", "Tot": "sum"}
    return [Column(f"{prefix} {n}", f"{quantity}_{keys[n]}") for n in names]


def _bulk(names: Iterable[str]) -> list[Column]:
    return [Column(n, "zero", STATUS_ABSENT, "bulk transfer feature: not computed") for n in names]


_HALF_US = "0 us flows: over 0.5 us, not Infinity"
_FLAG_ANY = "1 when a packet of the flow had the flag, else 0 (CIC-IDS-2017 holds 0/1; its values are inconsistent)"

CICIDS2017 = Layout(
    name="cicids2017",
    title="CIC-IDS-2017 (MachineLearningCVE names)",
    identifiers=("Flow ID", "Source IP", "Source Port", "Destination IP", "Destination Port", "Protocol", "Timestamp"),
    columns=(
        Column("Flow Duration", "duration"),
        Column("Total Fwd Packets", "fwd_packets"),
        Column("Total Backward Packets", "bwd_packets"),
        Column("Total Length of Fwd Packets", "fwd_bytes"),
        Column("Total Length of Bwd Packets", "bwd_bytes"),
        *_stats("Fwd Packet Length", "fwd_len", ("Max", "Min", "Mean", "Std")),
        *_stats("Bwd Packet Length", "bwd_len", ("Max", "Min", "Mean", "Std")),
        Column("Flow Bytes/s", "flow_bytes_per_s", note=_HALF_US),
        Column("Flow Packets/s", "flow_packets_per_s", note=_HALF_US),
        *_stats("Flow IAT", "flow_iat"),
        *_stats("Fwd IAT", "fwd_iat", ("Total", "Mean", "Std", "Max", "Min")),
        *_stats("Bwd IAT", "bwd_iat", ("Total", "Mean", "Std", "Max", "Min")),
        *[Column(f"{d} {f} Flags", f"{d.lower()}_{f.lower()}_any", STATUS_APPROXIMATED, _FLAG_ANY)
          for d, f in (("Fwd", "PSH"), ("Bwd", "PSH"), ("Fwd", "URG"), ("Bwd", "URG"))],
        Column("Fwd Header Length", "fwd_header", note="TCP/UDP header bytes (CIC-IDS-2017's UDP values differ)"),
        Column("Bwd Header Length", "bwd_header"),
        Column("Fwd Packets/s", "fwd_packets_per_s", note=_HALF_US),
        Column("Bwd Packets/s", "bwd_packets_per_s", note=_HALF_US),
        Column("Min Packet Length", "len_min"),
        Column("Max Packet Length", "len_max"),
        Column("Packet Length Mean", "len_mean_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        Column("Packet Length Std", "len_std_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        Column("Packet Length Variance", "len_var_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        *[Column(f"{f} Flag Count", f"{q}_any", STATUS_APPROXIMATED, _FLAG_ANY)
          for f, q in (("FIN", "fin"), ("SYN", "syn"), ("RST", "rst"), ("PSH", "psh"), ("ACK", "ack"),
                       ("URG", "urg"), ("CWE", "cwr"), ("ECE", "ece"))],
        Column("Down/Up Ratio", "down_up_int", note="backward // forward packets"),
        Column("Average Packet Size", "avg_size_quirk", note="(payload + first payload) / packets"),
        Column("Avg Fwd Segment Size", "fwd_seg_avg"),
        Column("Avg Bwd Segment Size", "bwd_seg_avg"),
        *_bulk(("Fwd Avg Bytes/Bulk", "Fwd Avg Packets/Bulk", "Fwd Avg Bulk Rate", "Bwd Avg Bytes/Bulk",
                "Bwd Avg Packets/Bulk", "Bwd Avg Bulk Rate")),
        Column("Subflow Fwd Packets", "fwd_packets", note="= totals, as on every CIC-IDS-2017 row"),
        Column("Subflow Fwd Bytes", "fwd_bytes", note="= totals, as on every CIC-IDS-2017 row"),
        Column("Subflow Bwd Packets", "bwd_packets", note="= totals, as on every CIC-IDS-2017 row"),
        Column("Subflow Bwd Bytes", "bwd_bytes", note="= totals, as on every CIC-IDS-2017 row"),
        Column("Init_Win_bytes_forward", "init_win_fwd", note="-1 when not TCP"),
        Column("Init_Win_bytes_backward", "init_win_bwd", note="first backward packet; -1 when none or not TCP"),
        Column("act_data_pkt_fwd", "act_data_fwd"),
        Column("min_seg_size_forward", "min_seg_fwd"),
        *_stats("Active", "active"),
        *_stats("Idle", "idle"),
    ),
)  # fmt: skip

_V4_NOTE = "CICFlowMeter-V4 bug reproduced: "
CICFLOWMETER_V4 = Layout(
    name="cicflowmeter-v4",
    title="CICFlowMeter-V4 / CSE-CIC-IDS2018 names",
    identifiers=("Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp"),
    columns=(
        Column("Flow Duration", "duration"),
        Column("Tot Fwd Pkts", "fwd_packets"),
        Column("Tot Bwd Pkts", "bwd_packets"),
        Column("TotLen Fwd Pkts", "fwd_bytes"),
        Column("TotLen Bwd Pkts", "bwd_bytes"),
        *_stats("Fwd Pkt Len", "fwd_len", ("Max", "Min", "Mean", "Std")),
        *_stats("Bwd Pkt Len", "bwd_len", ("Max", "Min", "Mean", "Std")),
        Column("Flow Byts/s", "flow_bytes_per_s", note=_HALF_US),
        Column("Flow Pkts/s", "flow_packets_per_s", note=_HALF_US),
        *_stats("Flow IAT", "flow_iat"),
        *_stats("Fwd IAT", "fwd_iat", ("Tot", "Mean", "Std", "Max", "Min")),
        *_stats("Bwd IAT", "bwd_iat", ("Tot", "Mean", "Std", "Max", "Min")),
        Column("Fwd PSH Flags", "fwd_psh_first", note=_V4_NOTE + "1 when the first packet had PSH"),
        Column("Bwd PSH Flags", "zero", note=_V4_NOTE + "always 0"),
        Column("Fwd URG Flags", "fwd_urg_first", note=_V4_NOTE + "1 when the first packet had URG"),
        Column("Bwd URG Flags", "zero", note=_V4_NOTE + "always 0"),
        Column("Fwd Header Len", "fwd_header"),
        Column("Bwd Header Len", "bwd_header"),
        Column("Fwd Pkts/s", "fwd_packets_per_s", note=_HALF_US),
        Column("Bwd Pkts/s", "bwd_packets_per_s", note=_HALF_US),
        Column("Pkt Len Min", "len_min"),
        Column("Pkt Len Max", "len_max"),
        Column("Pkt Len Mean", "len_mean_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        Column("Pkt Len Std", "len_std_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        Column("Pkt Len Var", "len_var_quirk", note="first packet counted twice (CICFlowMeter quirk)"),
        *[Column(f"{f} Flag {'Count' if f == 'CWE' else 'Cnt'}", f"{q}_count", note="packets with the flag")
          for f, q in (("FIN", "fin"), ("SYN", "syn"), ("RST", "rst"), ("PSH", "psh"), ("ACK", "ack"),
                       ("URG", "urg"), ("CWE", "cwr"), ("ECE", "ece"))],
        Column("Down/Up Ratio", "down_up_int", note="backward // forward packets"),
        Column("Pkt Size Avg", "avg_size_quirk", note="(payload + first payload) / packets"),
        Column("Fwd Seg Size Avg", "fwd_seg_avg"),
        Column("Bwd Seg Size Avg", "bwd_seg_avg"),
        *_bulk(("Fwd Byts/b Avg", "Fwd Pkts/b Avg", "Fwd Blk Rate Avg", "Bwd Byts/b Avg", "Bwd Pkts/b Avg",
                "Bwd Blk Rate Avg")),
        Column("Subflow Fwd Pkts", "subflow_fwd_packets_v4", note=_V4_NOTE + "forward packets // all packets"),
        Column("Subflow Fwd Byts", "subflow_fwd_bytes_v4", note=_V4_NOTE + "forward bytes // all packets"),
        Column("Subflow Bwd Pkts", "subflow_bwd_packets_v4", note=_V4_NOTE + "backward packets // all packets"),
        Column("Subflow Bwd Byts", "subflow_bwd_bytes_v4", note=_V4_NOTE + "backward bytes // all packets"),
        Column("Init Fwd Win Byts", "init_win_fwd_v4", note="0 when not TCP"),
        Column("Init Bwd Win Byts", "init_win_bwd_v4", note=_V4_NOTE + "window of the last backward packet"),
        Column("Fwd Act Data Pkts", "act_data_fwd_v4", note=_V4_NOTE + "the first packet is not counted"),
        Column("Fwd Seg Size Min", "min_seg_fwd"),
        *[Column(f"Active {s}", "zero", note=_V4_NOTE + "no active period is ever recorded")
          for s in ("Mean", "Std", "Max", "Min")],
        *[Column(c.name, c.quantity, note=_V4_NOTE + "each idle value is a packet time minus the previous "
                 "inter-arrival time (epoch-sized)") for c in _stats("Idle", "idle_v4")],
    ),
)  # fmt: skip

_IMPROVED_NOTE = "improved CICFlowMeter's source not checked flow by flow: "
CICIDS2017_IMPROVED = Layout(
    name="cicids2017-improved",
    title="improved CIC-IDS-2017 (Engelen et al.)",
    identifiers=("Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp"),
    columns=(
        Column("Flow Duration", "duration"),
        Column("Total Fwd Packet", "fwd_packets"),
        Column("Total Bwd packets", "bwd_packets"),
        Column("Total Length of Fwd Packet", "fwd_bytes"),
        Column("Total Length of Bwd Packet", "bwd_bytes"),
        *_stats("Fwd Packet Length", "fwd_len", ("Max", "Min", "Mean", "Std")),
        *_stats("Bwd Packet Length", "bwd_len", ("Max", "Min", "Mean", "Std")),
        Column("Flow Bytes/s", "flow_bytes_per_s", note=_HALF_US),
        Column("Flow Packets/s", "flow_packets_per_s", note=_HALF_US),
        *_stats("Flow IAT", "flow_iat"),
        *_stats("Fwd IAT", "fwd_iat", ("Total", "Mean", "Std", "Max", "Min")),
        *_stats("Bwd IAT", "bwd_iat", ("Total", "Mean", "Std", "Max", "Min")),
        *[Column(f"{d} {f} Flags", f"{d.lower()}_{f.lower()}_count", note="packets with the flag, per direction")
          for f in ("PSH", "URG", "RST") for d in ("Fwd", "Bwd")],
        Column("Fwd Header Length", "fwd_header"),
        Column("Bwd Header Length", "bwd_header"),
        Column("Fwd Packets/s", "fwd_packets_per_s", note=_HALF_US),
        Column("Bwd Packets/s", "bwd_packets_per_s", note=_HALF_US),
        Column("Packet Length Min", "len_min"),
        Column("Packet Length Max", "len_max"),
        Column("Packet Length Mean", "len_mean", note="no first-packet quirk (checked on the dataset's rows)"),
        Column("Packet Length Std", "len_std"),
        Column("Packet Length Variance", "len_var"),
        *[Column(f"{f} Flag Count", f"{f[:3].lower()}_count", note="packets with the flag")
          for f in ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "CWR", "ECE")],
        Column("Down/Up Ratio", "down_up", _APPROX, "backward / forward packets (96% of the dataset's rows)"),
        Column("Average Packet Size", "avg_size", note="payload / packets (checked on the dataset's rows)"),
        Column("Fwd Segment Size Avg", "fwd_seg_avg"),
        Column("Bwd Segment Size Avg", "bwd_seg_avg"),
        *_bulk(("Fwd Bytes/Bulk Avg", "Fwd Packet/Bulk Avg", "Fwd Bulk Rate Avg", "Bwd Bytes/Bulk Avg",
                "Bwd Packet/Bulk Avg", "Bwd Bulk Rate Avg")),
        Column("Subflow Fwd Packets", "subflow_fwd_packets_v4", note="totals // packets (checked on the rows)"),
        Column("Subflow Fwd Bytes", "subflow_fwd_bytes_v4", note="totals // packets (checked on the rows)"),
        Column("Subflow Bwd Packets", "subflow_bwd_packets_v4", note="totals // packets (checked on the rows)"),
        Column("Subflow Bwd Bytes", "subflow_bwd_bytes_v4", note="totals // packets (checked on the rows)"),
        Column("FWD Init Win Bytes", "init_win_fwd_v4", note="0 when not TCP"),
        Column("Bwd Init Win Bytes", "init_win_bwd", _APPROX, _IMPROVED_NOTE + "first backward window"),
        Column("Fwd Act Data Pkts", "act_data_fwd_v4", _APPROX, _IMPROVED_NOTE + "first packet not counted"),
        Column("Fwd Seg Size Min", "min_seg_fwd"),
        *[Column(c.name, c.quantity, STATUS_APPROXIMATED, _IMPROVED_NOTE + "CICFlowMeter-V3's active/idle periods")
          for c in (*_stats("Active", "active"), *_stats("Idle", "idle"))],
        Column("ICMP Code", "icmp_code", note="-1 when not ICMP"),
        Column("ICMP Type", "icmp_type", note="-1 when not ICMP"),
        Column("Total TCP Flow Time", "tcp_duration", STATUS_APPROXIMATED,
               "from the TCP connection's first packet to the flow's last, across flows the 120 s timeout cut (a "
               "reading of the dataset's values: = Flow Duration on 93% of its rows); 0 when not TCP"),
    ),
)  # fmt: skip

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (CICIDS2017, CICFLOWMETER_V4, CICIDS2017_IMPROVED)}
DEFAULT_LAYOUT = CICIDS2017.name
IDENTIFIER_QUANTITIES = _IDS


def get_layout(name: str | Layout) -> Layout:
    """The layout called ``name`` (or ``name`` itself), else an error listing the choices."""
    if isinstance(name, Layout):
        return name
    if name not in LAYOUTS:
        raise NetadInputError(f"unknown flow layout {name!r}; choose one of {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def layout_for(feature_names: Iterable[str]) -> Layout:
    """The layout whose feature columns include every name in ``feature_names`` (a saved model's input columns).

    Names that are identifiers of the layout (``Src Port``, ``Protocol`` ...) count as covered. When no layout
    covers them all, the error names the best layout and the columns it lacks.
    """
    names = [str(n).strip() for n in feature_names]
    if not names:
        raise NetadInputError("no feature names to choose a flow layout from")
    best, best_missing = None, names
    for layout in LAYOUTS.values():
        known = set(layout.features) | set(layout.identifiers)
        missing = [n for n in names if n not in known]
        if not missing:
            return layout
        if len(missing) < len(best_missing):
            best, best_missing = layout, missing
    shown = ", ".join(best_missing[:5]) + (", ..." if len(best_missing) > 5 else "")
    closest = f"closest: {best.name}, which lacks {len(best_missing)} ({shown})" if best else f"none of: {shown}"
    raise NetadInputError(
        f"no flow layout ({', '.join(LAYOUTS)}) has all {len(names)} feature columns of the model; {closest}"
    )


# the official CIC-IDS-2017 layout's names, as ``netad.flows`` exported them before layouts existed
CIC_FEATURES = tuple(CICIDS2017.features)
"""The 76 CIC-IDS-2017 (MachineLearningCVE) feature columns, in the published order (``Destination Port`` and the
duplicated ``Fwd Header Length`` aside)."""
IDENTIFIERS = CICIDS2017.identifiers
_CICIDS2017_STATUS = CICIDS2017.by_status(time_resolution_us=1)
EXACT: dict[str, str] = _CICIDS2017_STATUS[STATUS_EXACT]
"""CIC-IDS-2017 columns computed with CICFlowMeter's definition (time-based ones: from a pcap file's microseconds)."""
APPROXIMATED: dict[str, str] = _CICIDS2017_STATUS[STATUS_APPROXIMATED]
ABSENT: dict[str, str] = _CICIDS2017_STATUS[STATUS_ABSENT]
