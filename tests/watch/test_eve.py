"""Records and sinks: the schema accepts what watch writes and rejects incomplete records; the alert file rotates
by size, keeps its backups, never writes through a link and never replaces a file unasked."""

from __future__ import annotations

import json

import pytest

from netad.errors import NetadInputError
from netad.watch.eve import drift_record, eve_time, flow_id, host_record, schema
from netad.watch.hosts import HostAlert
from netad.watch.scoring import ModelInfo
from netad.watch.sinks import RotatingFileSink

jsonschema = pytest.importorskip("jsonschema")
INFO = ModelInfo(name="m", path="/m", detector="iforest", threshold=0.5, sha256="0" * 64)
WINDOW = {"flows": 3, "dest_ports": 3, "dest_hosts": 1, "failed_share": 1.0, "bytes": 0, "flagged_share": 0.0}


def test_host_and_drift_records_validate_and_incomplete_ones_do_not():
    validator = jsonschema.Draft202012Validator(schema())
    host = host_record(HostAlert("10.0.0.1", 1.7e9, "port_scan", 30.0, 15.0, {"60s": WINDOW}), INFO)
    drift = drift_record({"window_start": 1.7e9, "window_end": 1.7e9 + 60, "flows": 100, "reference": "run-start",
                          "score_psi": 0.4, "psi_threshold": 0.25}, INFO)  # fmt: skip
    validator.validate(host)
    validator.validate(drift)
    flow_without_tuple = {"timestamp": eve_time(1.7e9), "event_type": "flow", "anomaly": host["anomaly"]}
    host_without_rule = json.loads(json.dumps(host))
    del host_without_rule["anomaly"]["rule"]
    for bad in (flow_without_tuple, host_without_rule, {**drift, "anomaly": host["anomaly"]}):
        assert not validator.is_valid(bad)


def test_flow_id_is_stable_and_distinguishes_flows():
    a = flow_id("10.0.0.1", 1234, "10.0.0.2", 80, 6, 1_700_000_000_000)
    assert a == flow_id("10.0.0.1", 1234, "10.0.0.2", 80, 6, 1_700_000_000_000)
    assert a != flow_id("10.0.0.1", 1235, "10.0.0.2", 80, 6, 1_700_000_000_000)
    assert 0 <= a < 2**48
    assert eve_time(1_700_000_000.25) == "2023-11-14T22:13:20.250000+0000"


def test_alert_file_rotates_by_size_and_keeps_its_backups(tmp_path):
    path = tmp_path / "alerts.jsonl"
    sink = RotatingFileSink(path, max_bytes=200, backups=2)
    for i in range(20):
        sink.write([{"i": i, "pad": "x" * 50}])
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2"]
    assert sink.rotations >= 5
    kept = [json.loads(line)["i"] for p in (path.with_name("alerts.jsonl.2"), path.with_name("alerts.jsonl.1"), path)
            for line in p.read_text().splitlines()]  # fmt: skip
    assert kept == sorted(kept) and kept[-1] == 19  # the newest records, in order, no partial line


def test_alert_file_refuses_links_and_existing_files_unless_asked(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep")
    link = tmp_path / "alerts.jsonl"
    link.symlink_to(target)
    with pytest.raises(NetadInputError, match="symbolic link"):
        RotatingFileSink(link, append=True)
    assert target.read_text() == "keep"
    existing = tmp_path / "old.jsonl"
    existing.write_text('{"a":1}\n')
    with pytest.raises(NetadInputError, match="exists"):
        RotatingFileSink(existing)
    sink = RotatingFileSink(existing, append=True)
    sink.write([{"b": 2}])
    sink.close()
    assert existing.read_text() == '{"a":1}\n{"b":2}\n'
