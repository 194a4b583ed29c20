"""Layouts: their columns are the published ones, a model's columns pick the right one, and the definitions called
exact for the improved CIC-IDS-2017 hold on that dataset's own rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netad.errors import NetadInputError
from netad.flows import CIC_FEATURES, LAYOUTS, get_layout, layout_for
from netad.flows.layouts import STATUS_ABSENT, STATUS_EXACT, TIMED_QUANTITIES


@pytest.mark.needs_data("slowloris")
def test_cicflowmeter_v4_columns_are_those_of_cicflowmeters_own_csv(shared_data):
    header = list(pd.read_csv(shared_data / "pcaps" / "slowloris.cicflowmeter.csv.xz", nrows=0).columns)
    layout = LAYOUTS["cicflowmeter-v4"]
    assert header == [*layout.identifiers, *layout.features, "Label"]


@pytest.mark.needs_data("cicids2017-improved")
def test_improved_columns_are_those_of_the_datasets_csv(shared_data):
    header = list(pd.read_csv(shared_data / "cicids2017-improved" / "Heartbleed_11.csv.xz", nrows=0).columns)
    layout = LAYOUTS["cicids2017-improved"]
    assert header == ["id", *layout.identifiers, *layout.features, "Label", "Attempted Category"]


def test_the_official_layout_keeps_the_names_netad_flows_always_wrote():
    assert LAYOUTS["cicids2017"].features == list(CIC_FEATURES) and len(CIC_FEATURES) == 76


@pytest.mark.parametrize(
    ("name", "distinctive"),
    [("cicids2017", "Total Fwd Packets"), ("cicflowmeter-v4", "Tot Fwd Pkts"), ("cicids2017-improved", "ICMP Type")],
)
def test_a_models_columns_pick_its_layout(name, distinctive):
    layout = LAYOUTS[name]
    assert layout_for(layout.features) is layout
    assert layout_for(["Flow Duration", distinctive]) is layout
    assert layout_for([" Flow Duration ", distinctive]) is layout  # CSV headers often carry spaces


def test_columns_no_layout_has_are_named():
    with pytest.raises(NetadInputError, match="lacks 1 .*src_bytes"):
        layout_for([*LAYOUTS["cicids2017"].features, "src_bytes"])
    with pytest.raises(NetadInputError, match="unknown flow layout 'cic2018'"):
        get_layout("cic2018")


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_timed_columns_are_exact_only_with_microsecond_times(name):
    layout = LAYOUTS[name]
    exact_us, exact_ms = layout.by_status(1)[STATUS_EXACT], layout.by_status(1000)[STATUS_EXACT]
    timed = {c.name for c in layout.columns if c.quantity in TIMED_QUANTITIES}
    assert not set(exact_ms) & timed and "Flow Duration" in exact_us
    statuses = layout.by_status(1)
    assert sum(len(v) for v in statuses.values()) == len(layout.columns)
    assert len(statuses[STATUS_ABSENT]) == 6 and all("bulk" in note for note in statuses[STATUS_ABSENT].values())


@pytest.mark.needs_data("cicids2017-improved")
def test_definitions_called_exact_in_the_improved_layout_hold_on_its_rows(shared_data):
    """No first-packet quirk, subflows = totals // packets, 0 windows without TCP, -1 ICMP fields without ICMP."""
    df = pd.concat(
        pd.read_csv(shared_data / "cicids2017-improved" / name)
        for name in ("BENIGN_5000.csv.xz", "DoS_Slowloris_3859.csv.xz", "Portscan_5000.csv.xz")
    )
    n = df["Total Fwd Packet"] + df["Total Bwd packets"]
    total = df["Total Length of Fwd Packet"] + df["Total Length of Bwd Packet"]
    np.testing.assert_allclose(df["Packet Length Mean"], total / n, rtol=1e-9)
    np.testing.assert_allclose(df["Average Packet Size"], total / n, rtol=1e-9)
    assert (df["Subflow Fwd Bytes"] == df["Total Length of Fwd Packet"] // n).all()
    assert (df["Subflow Bwd Packets"] == df["Total Bwd packets"] // n).all()
    assert (df.loc[df["Protocol"] == 17, ["FWD Init Win Bytes", "Bwd Init Win Bytes"]] == 0).all().all()
    assert (df.loc[df["Protocol"] != 1, ["ICMP Code", "ICMP Type"]] == -1).all().all()
    assert (df["PSH Flag Count"] == df["Fwd PSH Flags"] + df["Bwd PSH Flags"]).all()  # flags are counts
    assert (df["Total TCP Flow Time"] >= df["Flow Duration"]).where(df["Protocol"] == 6, True).all()
