"""Packet capture -> flow table in the column layout a model was trained on (CIC-IDS-2017, CICFlowMeter-V4,
improved CIC-IDS-2017), so a model trained on those datasets can score live or captured traffic.

- :mod:`netad.flows.meter`: NFStream metering with the CIC plugin (:mod:`~netad.flows.plugin`), microsecond
  packet times read from a pcap file (:mod:`~netad.flows.clock`);
- :mod:`netad.flows.features`: per-flow quantities; :mod:`netad.flows.layouts`: which quantity each column of a
  layout holds, and whether it is exact, approximated or absent;
- :func:`flow_table` (a frame of metered flows -> a layout), :func:`layout_for` (a model's input columns -> its
  layout), :func:`write_flows` (``netad flows``).

>>> report = write_flows("capture.pcap", "flows.parquet", layout="cicflowmeter-v4")  # doctest: +SKIP
"""

from netad.flows.features import ZERO_DURATION_US
from netad.flows.layouts import (
    ABSENT,
    APPROXIMATED,
    CIC_FEATURES,
    DEFAULT_LAYOUT,
    EXACT,
    IDENTIFIERS,
    LAYOUTS,
    Layout,
    get_layout,
    layout_for,
)
from netad.flows.meter import FLOW_TIMEOUT_S, meter, streamer, time_resolution_us
from netad.flows.plugin import ACTIVITY_TIMEOUT_US
from netad.flows.table import cic_flow_table, flow_table
from netad.flows.write import METADATA_KEY, FlowReport, read_flow_metadata, write_flows

__all__ = [
    "ABSENT",
    "ACTIVITY_TIMEOUT_US",
    "APPROXIMATED",
    "CIC_FEATURES",
    "DEFAULT_LAYOUT",
    "EXACT",
    "FLOW_TIMEOUT_S",
    "IDENTIFIERS",
    "LAYOUTS",
    "METADATA_KEY",
    "ZERO_DURATION_US",
    "FlowReport",
    "Layout",
    "cic_flow_table",
    "flow_table",
    "get_layout",
    "layout_for",
    "meter",
    "read_flow_metadata",
    "streamer",
    "time_resolution_us",
    "write_flows",
]
