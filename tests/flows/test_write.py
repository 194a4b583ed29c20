"""Capture -> CIC-IDS-2017 flow table: counts, bytes and times match a pcap written here with scapy; the columns a
CIC-IDS-2017 model reads are there (or named as missing); the mapping's identities also hold on the real CSVs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("nfstream")
scapy = pytest.importorskip("scapy.all")

from netad.cli import app  # noqa: E402
from netad.errors import NetadInputError  # noqa: E402
from netad.flows import ABSENT, APPROXIMATED, CIC_FEATURES, EXACT, read_flow_metadata, write_flows  # noqa: E402

pytestmark = pytest.mark.needs_data("cicids2017")
ABSENT_V4 = (
    "Fwd Byts/b Avg",
    "Fwd Pkts/b Avg",
    "Fwd Blk Rate Avg",
    "Bwd Byts/b Avg",
    "Bwd Pkts/b Avg",
    "Bwd Blk Rate Avg",
)

runner = CliRunner()
T0 = 1_700_000_000  # whole seconds: packet times below are whole milliseconds (the pcap holds microseconds)


@dataclass
class Flow:
    """A flow to write: packets as (ms after T0, forward?, payload bytes); expected CIC values derive from it."""

    src: str
    dst: str
    sport: int
    dport: int
    proto: str  # "tcp" | "udp"
    packets: list[tuple[int, bool, int]]
    windows: tuple[int, int] = (8192, 29200)
    expected: dict[str, float] = field(default_factory=dict)

    def scapy_packets(self) -> list:
        out = []
        for i, (ms, forward, payload) in enumerate(self.packets):
            src, dst, sport, dport = (
                (self.src, self.dst, self.sport, self.dport)
                if forward
                else (self.dst, self.src, self.dport, self.sport)
            )
            ip = scapy.Ether() / scapy.IP(src=src, dst=dst)
            if self.proto == "tcp":
                flags = "S" if i == 0 else "SA" if i == 1 else "PA" if payload else "A"
                l4 = scapy.TCP(sport=sport, dport=dport, flags=flags, window=self.windows[0 if forward else 1])
            else:
                l4 = scapy.UDP(sport=sport, dport=dport)
            packet = ip / l4 / scapy.Raw(b"x" * payload) if payload else ip / l4
            packet.time = T0 + ms / 1000
            out.append(packet)
        return out


def _flows() -> list[Flow]:
    rng = np.random.default_rng(0)
    flows = []
    for k in range(3):  # TCP connections: handshake, requests and responses, closing ACKs
        packets = [(0, True, 0), (1 + k, False, 0), (2 + k, True, 0)]
        ms = 2 + k
        for _ in range(2 + k):
            ms += int(rng.integers(1, 30))
            packets.append((ms, True, int(rng.integers(1, 400))))
            ms += int(rng.integers(1, 30))
            packets.append((ms, False, int(rng.integers(100, 1400))))
        packets.append((ms + 3, True, 0))
        start = 1000 * k + 100
        flows.append(
            Flow(f"10.0.0.{k + 1}", "10.0.1.1", 40000 + k, 80, "tcp", [(start + t, f, p) for t, f, p in packets])
        )
    flows.append(Flow("10.0.0.9", "10.0.1.53", 5353, 53, "udp", [(4000, True, 40), (4012, False, 120)]))
    flows.append(Flow("10.0.0.9", "10.0.1.54", 5354, 53, "udp", [(4500, True, 33)]))
    # a gap over CICFlowMeter's 5 s activity timeout: one active period of 10 ms, one idle gap of 6 s
    flows.append(
        Flow(
            "10.0.0.7",
            "10.0.1.2",
            41000,
            22,
            "tcp",
            [(5000, True, 0), (5004, False, 0), (5010, True, 0), (11010, True, 48), (11030, False, 64)],
        )
    )
    return flows


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Flow]]:
    flows = _flows()
    packets = sorted((p for f in flows for p in f.scapy_packets()), key=lambda p: float(p.time))
    path = tmp_path_factory.mktemp("pcap") / "capture.pcap"
    scapy.wrpcap(str(path), packets)
    return path, flows


@pytest.fixture(scope="module")
def table(capture, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("flows") / "flows.parquet"
    write_flows(capture[0], out)
    return pd.read_parquet(out).set_index("Source Port")


def test_flow_counts_packets_bytes_and_durations_match_the_written_capture(capture, table):
    _, flows = capture
    assert len(table) == len(flows)
    for flow in flows:
        row = table.loc[flow.sport]
        fwd = [p for t, forward, p in flow.packets if forward]
        bwd = [p for t, forward, p in flow.packets if not forward]
        times = [t for t, _, _ in flow.packets]
        assert row["Destination Port"] == flow.dport and row["Protocol"] == (6 if flow.proto == "tcp" else 17)
        assert (row["Total Fwd Packets"], row["Total Backward Packets"]) == (len(fwd), len(bwd))
        assert (row["Total Length of Fwd Packets"], row["Total Length of Bwd Packets"]) == (sum(fwd), sum(bwd))
        assert row["Fwd Packet Length Max"] == max(fwd) and row["Fwd Packet Length Min"] == min(fwd)
        assert row["Fwd Packet Length Std"] == pytest.approx(np.std(fwd, ddof=1) if len(fwd) > 1 else 0.0)
        assert row["Flow Duration"] == (max(times) - min(times)) * 1000  # microseconds
        iat = np.diff(times) * 1000
        if len(iat):
            assert row["Flow IAT Max"] == iat.max() and row["Flow IAT Mean"] == pytest.approx(iat.mean())
        fwd_times = [t for t, forward, _ in flow.packets if forward]
        assert row["Fwd IAT Total"] == (max(fwd_times) - min(fwd_times)) * 1000
        all_payloads = [p for _, _, p in flow.packets]
        # CICFlowMeter counts the first packet twice in these two (checked on the real CSVs below)
        assert row["Packet Length Mean"] == pytest.approx((sum(all_payloads) + all_payloads[0]) / (len(times) + 1))
        assert row["Average Packet Size"] == pytest.approx((sum(all_payloads) + all_payloads[0]) / len(times))
        assert row["Down/Up Ratio"] == len(bwd) // len(fwd)
        assert row["Subflow Fwd Bytes"] == sum(fwd)


def test_tcp_windows_headers_and_data_packets_are_read_from_the_packets(capture, table):
    _, flows = capture
    for flow in flows:
        row = table.loc[flow.sport]
        n_fwd = sum(forward for _, forward, _ in flow.packets)
        n_bwd = len(flow.packets) - n_fwd
        header = 20 if flow.proto == "tcp" else 8
        assert (row["Fwd Header Length"], row["Bwd Header Length"]) == (header * n_fwd, header * n_bwd)
        assert row["min_seg_size_forward"] == header
        assert row["act_data_pkt_fwd"] == sum(1 for _, forward, p in flow.packets if forward and p > 0)
        if flow.proto == "tcp":
            assert (row["Init_Win_bytes_forward"], row["Init_Win_bytes_backward"]) == flow.windows
            assert row["SYN Flag Count"] == 1 and row["ACK Flag Count"] == 1
        else:
            assert row["Init_Win_bytes_forward"] == -1 and row["Init_Win_bytes_backward"] == -1
            assert row["SYN Flag Count"] == 0


def test_a_gap_over_five_seconds_gives_cicflowmeter_active_and_idle_periods(table):
    row = table.loc[41000]
    assert row["Idle Mean"] == row["Idle Max"] == 6_000_000  # 5010 ms -> 11010 ms
    assert row["Active Mean"] == 10_000  # 5000 -> 5010 ms, closed by the idle gap; the last period is not
    assert table.loc[40000, ["Active Max", "Idle Max"]].tolist() == [0, 0]


def test_a_single_packet_flow_gets_finite_rates_not_infinity(table):
    row = table.loc[5354]
    assert row["Flow Duration"] == 0 and row["Total Backward Packets"] == 0
    features = table[[c for c in CIC_FEATURES if c in table.columns]]
    assert np.isfinite(features.to_numpy(dtype=float)).all()
    assert row["Flow Packets/s"] == pytest.approx(1 / 0.5e-6)  # over half a microsecond


def test_every_cic_feature_is_exact_approximated_or_absent_and_absent_ones_are_left_out(table):
    assert set(EXACT) | set(APPROXIMATED) | set(ABSENT) == set(CIC_FEATURES)
    assert not set(EXACT) & set(APPROXIMATED) and not (set(EXACT) | set(APPROXIMATED)) & set(ABSENT)
    assert not set(ABSENT) & set(table.columns)
    assert set(CIC_FEATURES) - set(ABSENT) <= set(table.columns)


def test_the_mapping_covers_the_feature_columns_of_the_real_cicids2017_files(shared_data):
    header = pd.read_csv(shared_data / "cicids2017" / "Tuesday_Working_balanced.csv.xz", nrows=0).columns
    features = {c.strip() for c in header} - {"Label", "Destination Port"}
    assert features == set(CIC_FEATURES)


def test_identities_called_exact_hold_on_the_real_cicids2017_rows(shared_data):
    """The quirks reproduced (first packet counted twice, subflows = totals, integer Down/Up) are CIC's own."""
    df = pd.read_csv(shared_data / "cicids2017" / "web_attacks_Bot_balanced.csv.xz")
    df.columns = [c.strip() for c in df.columns]
    n = df["Total Fwd Packets"] + df["Total Backward Packets"]
    total = df["Total Length of Fwd Packets"] + df["Total Length of Bwd Packets"]
    first = df["Packet Length Mean"] * (n + 1) - total  # the payload counted twice
    within = (first >= df["Fwd Packet Length Min"] - 0.01) & (first <= df["Fwd Packet Length Max"] + 0.01)
    assert within.mean() > 0.999
    assert np.allclose(df["Average Packet Size"], (total + first) / n, rtol=1e-4, atol=1e-3)
    assert (df["Down/Up Ratio"] == df["Total Backward Packets"] // df["Total Fwd Packets"]).all()
    assert (df["Subflow Fwd Packets"] == df["Total Fwd Packets"]).all()
    assert (df[list(ABSENT)] == 0).all().all()
    flags = [c for c in APPROXIMATED if "Flag" in c]
    assert df[flags].isin([0, 1]).all().all()  # why flags are written as 0/1


def test_cli_refuses_to_overwrite_and_records_a_fill(capture, tmp_path):
    out = tmp_path / "flows.parquet"
    out.write_bytes(b"keep me")
    result = runner.invoke(app, ["flows", str(capture[0]), "-o", str(out)])
    assert result.exit_code == 2 and "exists" in result.stderr
    assert out.read_bytes() == b"keep me"
    result = runner.invoke(app, ["flows", str(capture[0]), "-o", str(out), "--overwrite", "--fill-missing", "0"])
    assert result.exit_code == 0, result.output
    assert "filled 6 column(s)" in result.stderr
    meta = read_flow_metadata(out)
    assert meta["filled"] == {c: 0.0 for c in ABSENT} and meta["absent"] == []
    assert meta["settings"]["time_resolution_us"] == 1  # microseconds read from the pcap records
    assert (pd.read_parquet(out)[list(ABSENT)] == 0).all().all()


def test_a_file_that_is_not_a_capture_is_named(tmp_path):
    bad = tmp_path / "notes.pcap"
    bad.write_text("hello")
    with pytest.raises(NetadInputError, match="not a pcap"):
        write_flows(bad, tmp_path / "out.parquet")
    with pytest.raises(NetadInputError, match="not found"):
        write_flows(tmp_path / "missing.pcap", tmp_path / "out.parquet")


def test_a_cicids2017_model_scores_the_flows_of_a_capture(capture, shared_data, tmp_path):
    """A model fitted on real CIC-IDS-2017 rows (all 76 features) scores `netad flows` output via `netad score`."""
    from netad.datasets import load
    from netad.detectors import get_class
    from netad.persist import save_model
    from netad.preprocess import FlowPreprocessor
    from netad.score import read_scores

    data = load("cicids2017", path=shared_data / "cicids2017", files="web_attacks_Bot*")
    benign = data.features.iloc[np.flatnonzero(data.label == 0)]
    preprocessor = FlowPreprocessor.for_dataset(data).fit(benign)
    X = preprocessor.transform(benign)
    detector = get_class("iforest")(n_estimators=50, random_state=0).fit(X)
    model = save_model(tmp_path / "model", preprocessor, detector, reference=X)

    flows = tmp_path / "flows.parquet"
    assert runner.invoke(app, ["flows", str(capture[0]), "-o", str(flows)]).exit_code == 0
    result = runner.invoke(app, ["score", str(model), str(flows), "-o", str(tmp_path / "s.parquet")])
    assert result.exit_code == 2 and "missing 6 column(s)" in result.stderr and "Fwd Avg Bulk Rate" in result.stderr

    assert (
        runner.invoke(app, ["flows", str(capture[0]), "-o", str(flows), "--overwrite", "--fill-missing", "0"]).exit_code
        == 0
    )
    out = tmp_path / "scores.parquet"
    result = runner.invoke(
        app, ["score", str(model), str(flows), "-o", str(out), "--keep-columns", "Flow ID", "--top-features", "2"]
    )
    assert result.exit_code == 0, result.output
    scores = read_scores(out)
    assert len(scores) == len(capture[1]) and np.isfinite(scores["score"]).all()
    assert scores["Flow ID"].str.endswith(("-6", "-17")).all()
    assert {"Source IP", "Destination IP", "Timestamp"} <= set(scores.columns)  # identifiers carried, not model inputs


def test_a_capture_without_ip_flows_gives_an_empty_table_with_the_columns(tmp_path):
    path = tmp_path / "arp.pcap"
    scapy.wrpcap(str(path), [scapy.Ether() / scapy.ARP()])
    report = write_flows(path, tmp_path / "flows.parquet")
    table = pd.read_parquet(tmp_path / "flows.parquet")
    assert report.flows == 0 and len(table) == 0
    assert set(CIC_FEATURES) - set(ABSENT) <= set(table.columns)


def test_write_flows_never_writes_through_a_link_at_the_output(capture, tmp_path):
    victim = tmp_path / "victim.parquet"
    victim.write_bytes(b"precious")
    link = tmp_path / "flows.parquet"
    link.symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(NetadInputError, match="symbolic link"):
            write_flows(capture[0], link, overwrite=overwrite)
    assert victim.read_bytes() == b"precious"


def test_a_fin_ends_the_flow_and_the_packets_after_it_start_another(tmp_path):
    """As CICFlowMeter: the FIN packet is the flow's last; the peer's answer opens a new flow."""
    packets = []
    for i, (flags, forward) in enumerate((("S", True), ("SA", False), ("A", True), ("FA", True), ("A", False))):
        src, dst, sport, dport = ("10.0.0.1", "10.0.0.2", 40000, 80) if forward else ("10.0.0.2", "10.0.0.1", 80, 40000)
        packet = scapy.Ether() / scapy.IP(src=src, dst=dst) / scapy.TCP(sport=sport, dport=dport, flags=flags)
        packet.time = T0 + i / 1000
        packets.append(packet)
    path = tmp_path / "fin.pcap"
    scapy.wrpcap(str(path), packets)
    write_flows(path, tmp_path / "flows.parquet")
    table = pd.read_parquet(tmp_path / "flows.parquet")
    assert table["Total Fwd Packets"].tolist() == [3, 1] and table["Total Backward Packets"].tolist() == [1, 0]
    assert table["FIN Flag Count"].tolist() == [1, 0] and table["Source Port"].tolist() == [40000, 80]


def test_cli_writes_the_layout_asked_for_or_the_one_a_model_was_trained_on(capture, tmp_path):
    from netad.detectors import get_class
    from netad.flows import LAYOUTS, flow_table, meter
    from netad.persist import save_model
    from netad.preprocess import FlowPreprocessor

    v4 = LAYOUTS["cicflowmeter-v4"]
    out = tmp_path / "v4.parquet"
    result = runner.invoke(app, ["flows", str(capture[0]), "-o", str(out), "--layout", "cicflowmeter-v4"])
    assert result.exit_code == 0, result.output
    assert list(pd.read_parquet(out).columns) == [*v4.identifiers, *(c for c in v4.features if c not in ABSENT_V4)]
    assert read_flow_metadata(out)["layout"] == "cicflowmeter-v4"

    frame = flow_table(meter(capture[0]), v4, fill_missing=0.0)[v4.features]
    preprocessor = FlowPreprocessor().fit(frame)
    detector = get_class("iforest")(n_estimators=10, random_state=0).fit(preprocessor.transform(frame))
    model = save_model(tmp_path / "model", preprocessor, detector)
    by_model = tmp_path / "by-model.parquet"
    result = runner.invoke(app, ["flows", str(capture[0]), "-o", str(by_model), "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert "layout cicflowmeter-v4" in result.stderr and read_flow_metadata(by_model)["layout"] == "cicflowmeter-v4"

    for extra, message in (
        (["--layout", "cic2018"], "unknown flow layout 'cic2018'"),
        (["--layout", "cicids2017", "--model", str(model)], "not both"),
    ):
        result = runner.invoke(app, ["flows", str(capture[0]), "-o", str(tmp_path / "x.parquet"), *extra])
        assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
