"""Metering, flow by flow against CICFlowMeter-V4's own table for the same capture (slowloris.pcap): flows found,
columns marked exact agreeing; and what the millisecond clock would cost."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("nfstream")

from netad.flows import LAYOUTS, flow_table, meter  # noqa: E402
from netad.flows.layouts import STATUS_EXACT  # noqa: E402

pytestmark = pytest.mark.needs_data("slowloris")
V4 = LAYOUTS["cicflowmeter-v4"]
RELATIVE_TOLERANCE = 1e-6  # "agrees": |ours - CICFlowMeter| <= 1e-6 * |CICFlowMeter|


@pytest.fixture(scope="module")
def pcap(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slowloris") / "slowloris.pcap"
    with lzma.open(shared_data / "pcaps" / "slowloris.pcap.xz") as f, open(path, "wb") as out:
        shutil.copyfileobj(f, out)
    return path


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "pcaps" / "slowloris.cicflowmeter.csv.xz")


def _matched(ours: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of both paired by 5-tuple and start second (CICFlowMeter writes local time: the offset is whole hours)."""
    start = pd.to_datetime(ours["Timestamp"]).dt.tz_localize(None).dt.floor("s")
    ref_start = pd.to_datetime(reference["Timestamp"], format="%d/%m/%Y %I:%M:%S %p")
    offset = (start.min() - ref_start.min()).round("h")
    key = ["Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol"]
    left = ours.assign(second=start - offset)
    right = reference.assign(second=ref_start)
    merged = left.merge(right, on=[*key, "second"], suffixes=("", " (cic)"), validate="one_to_one")
    return merged, reference


def test_every_cicflowmeter_flow_is_found_and_every_exact_column_agrees(pcap, reference):
    ours = flow_table(meter(pcap), V4)
    merged, _ = _matched(ours, reference)
    assert len(merged) / len(reference) >= 0.95  # the goal; on this capture all 300 match
    exact = [c.name for c in V4.columns if V4.status(c, 1) == STATUS_EXACT]
    assert len(exact) >= 60  # time-based columns are exact from the pcap's microsecond times
    for column in exact:
        got, want = merged[column].to_numpy(float), merged[f"{column} (cic)"].to_numpy(float)
        agree = np.abs(got - want) <= RELATIVE_TOLERANCE * np.abs(want)
        assert agree.mean() >= 0.99, f"{column}: {agree.mean():.1%} of flows agree"


def test_cicflowmeter_v4_bugs_are_reproduced_not_fixed(pcap, reference):
    """Epoch-sized idle values, subflows = totals // packets, PSH only from the first packet: V4's own output."""
    merged, _ = _matched(flow_table(meter(pcap), V4), reference)
    assert (merged["Idle Min"] > 1e15).any() and (merged["Subflow Fwd Pkts"] == 0).all()
    np.testing.assert_allclose(merged["Idle Max"], merged["Idle Max (cic)"], rtol=1e-12)
    assert (merged["Fwd PSH Flags"] == merged["Fwd PSH Flags (cic)"]).all()


def test_with_millisecond_times_the_timed_columns_are_only_approximated(pcap, reference):
    """NFStream's own clock: durations become whole milliseconds (the reason the plugin reads the pcap's)."""
    ours = flow_table(meter(pcap, microseconds=False), V4)
    assert (ours["Flow Duration"] % 1000 == 0).all()
    merged, _ = _matched(ours, reference)
    off = np.abs(merged["Flow Duration"] - merged["Flow Duration (cic)"])
    assert off.max() < 1000 and (off > 0).mean() > 0.5  # under a millisecond off, but off on most flows
