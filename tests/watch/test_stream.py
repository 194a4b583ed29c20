"""Capture files through `netad watch`: every flow metered once and scored as `netad flows` + the model would,
records valid against the schema, host alerts for the attackers of the shared captures and nobody else."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.flows import cic_flow_table, meter
from netad.persist import load_model
from netad.watch import RotatingFileSink, WatchSettings, watch

pytestmark = pytest.mark.needs_data("cicids2017", "pcaps")
runner = CliRunner()


SCANNER, CLIENTS = "10.0.0.66", ("10.0.0.11", "10.0.0.12", "10.0.0.13")  # as in conftest.syn_scan_pcap


@pytest.fixture
def run(tmp_path, validate_records):  # noqa: ANN001, ANN201
    """``run(model, pcap, **settings)`` -> (stats, schema-checked records)."""

    def run(model, pcap, **settings):  # noqa: ANN001, ANN202
        out = tmp_path / "alerts.jsonl"
        stats = watch(model, [RotatingFileSink(out, overwrite=True)], pcaps=[pcap], settings=WatchSettings(**settings))
        return stats, validate_records(out)

    return run


def test_every_flow_is_scored_as_netad_flows_and_the_model_score_it(iforest_model, captures, run):
    pcap = captures / "slowloris.pcap"
    stats, records = run(iforest_model, pcap, all_flows=True, batch_flows=64)
    flows = [r for r in records if r["event_type"] in ("flow", "anomaly") and r["anomaly"]["scope"] == "flow"]
    nf = meter(pcap)
    assert stats.flows == len(flows) == len(nf) == 300
    assert stats.packets == int(nf["bidirectional_packets"].sum()) == 3752
    model = load_model(iforest_model)
    table = cic_flow_table(nf, fill_missing=0.0)
    expected = model.detector.decision_function(model.preprocessor.transform(table[model.schema.input_columns]))
    # a flow is its source, ports and start (to the millisecond, NFStream's resolution)
    key = zip(table["Source IP"], table["Source Port"], table["Destination Port"], table["Timestamp"], strict=True)
    by_flow = {(s, sp, dp, t[:23]): e for (s, sp, dp, t), e in zip(key, expected, strict=True)}
    got = {(r["src_ip"], r["src_port"], r["dest_port"], r["flow"]["start"][:23]): r["anomaly"]["score"] for r in flows}
    assert got.keys() == by_flow.keys() and len(got) == 300
    for flow, score in got.items():
        assert score == pytest.approx(by_flow[flow], abs=1e-9), flow
    assert all(r["event_type"] == ("anomaly" if r["anomaly"]["score"] > r["anomaly"]["threshold"] else "flow")
               for r in flows)  # fmt: skip


def test_ssh_brute_force_raises_one_host_alert_for_the_guesser(iforest_model, captures, run):
    stats, records = run(iforest_model, captures / "ssh-bruteforce.pcap")
    hosts = [r for r in records if r["anomaly"]["scope"] == "host"] if records else []
    assert [(r["src_ip"], r["anomaly"]["rule"], r["dest_port"]) for r in hosts] == [
        ("147.32.80.40", "repeated_connections", 902)
    ]
    assert hosts[0]["anomaly"]["score"] >= 30
    assert stats.flows == len(meter(captures / "ssh-bruteforce.pcap")) and stats.host_alerts == 1


def test_syn_scan_raises_a_port_scan_alert_and_the_normal_clients_none(iforest_model, syn_scan_pcap, run):
    stats, records = run(iforest_model, syn_scan_pcap, all_flows=True)
    hosts = [r for r in records if r["event_type"] == "anomaly" and r["anomaly"]["scope"] == "host"]
    assert [(r["src_ip"], r["anomaly"]["rule"]) for r in hosts] == [(SCANNER, "port_scan")]
    # fired by the first batch holding 15 or more of the 30 probes (how flows fall into batches varies)
    assert 15 <= hosts[0]["anomaly"]["score"] <= 30
    window = hosts[0]["anomaly"]["windows"]["60s"]
    assert window["dest_ports"] == hosts[0]["anomaly"]["score"] and window["failed_share"] == 1.0
    scanner_flows = [r for r in records if r.get("src_ip") == SCANNER and r["anomaly"]["scope"] == "flow"]
    assert len({r["dest_port"] for r in scanner_flows}) == 30
    seen = {r["src_ip"] for r in records if r["event_type"] == "flow"}
    assert set(CLIENTS) <= seen  # the normal clients were metered in the same minute, and raised nothing


def test_irc_capture_flow_and_packet_totals_match_the_meter(iforest_model, captures, run):
    pcap = captures / "CTU-IoT-Malware-Capture-34-1_irc.pcap"
    stats, records = run(iforest_model, pcap, batch_flows=512)
    nf = meter(pcap)
    assert stats.flows == len(nf) and stats.packets == int(nf["bidirectional_packets"].sum()) == 36797
    assert stats.flow_alerts == sum(
        1 for r in records if r["event_type"] == "anomaly" and r["anomaly"]["scope"] == "flow"
    )
    assert stats.unscored_flows == 0


def test_command_writes_alerts_and_refuses_bad_input_in_one_line(iforest_model, captures, tmp_path, validate_records):
    out = tmp_path / "alerts.jsonl"
    result = runner.invoke(app, ["watch", str(iforest_model), "--pcap", str(captures / "ssh-bruteforce.pcap"),
                                 "--alerts", str(out), "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(validate_records(out)) == 1
    again = runner.invoke(app, ["watch", str(iforest_model), "--pcap", str(captures / "ssh-bruteforce.pcap"),
                                "--alerts", str(out), "-q"])  # fmt: skip
    assert again.exit_code == 2 and "exists" in again.output
    text = tmp_path / "not.pcap"
    text.write_text("hello")
    bad = runner.invoke(app, ["watch", str(iforest_model), "--pcap", str(text), "--stdout"])
    assert bad.exit_code == 2 and "not a pcap" in bad.output and "Traceback" not in bad.output
    both = runner.invoke(app, ["watch", str(iforest_model), "--pcap", str(text), "-i", "lo", "--stdout"])
    assert both.exit_code == 2 and "one of them" in both.output
