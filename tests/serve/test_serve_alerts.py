"""Every flagged flow is one JSON line in the alert log: its identifiers, score, threshold and top features."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from netad.errors import NetadInputError
from netad.serve import create_app


def with_identifiers(frame, to_records) -> list[dict]:
    records = to_records(frame)
    for i, record in enumerate(records):
        record.update({"Flow ID": f"flow-{i}", "Src IP": "10.0.0.1", "Dst Port": 80 + i, "Timestamp": f"t{i}"})
    return records


def test_each_flagged_flow_is_one_alert_line_with_its_identifiers(pca_dir, rows, to_records, tmp_path):
    log = tmp_path / "alerts.jsonl"
    log.write_text('{"earlier": "line"}\n')  # an existing log is appended to, never replaced
    client = TestClient(create_app(pca_dir, alert_log=log, alert_top_features=2))
    records = with_identifiers(rows.iloc[:100], to_records)
    body = client.post("/score", json=records).json()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0] == {"earlier": "line"}
    alerts = lines[1:]
    flagged = [i for i, f in enumerate(body["is_attack"]) if f]
    assert len(flagged) > 0 and [a["row"] for a in alerts] == flagged
    for alert in alerts:
        i = alert["row"]
        assert alert["Flow ID"] == f"flow-{i}" and alert["Src IP"] == "10.0.0.1"
        assert alert["Dst Port"] == 80 + i and alert["Timestamp"] == f"t{i}"
        assert alert["score"] == pytest.approx(body["scores"][i], rel=1e-9) and alert["score"] > alert["threshold"]
        assert alert["model"] == "pca" and len(alert["top_features"]) == 2 and "time" in alert
    assert "Flow ID" in body["ignored_columns"]  # identifiers are not features: listed as ignored, still logged


def test_alerts_from_a_csv_upload_and_to_stdout(pca_dir, rows, capfd):
    client = TestClient(create_app(pca_dir, alert_log="-"))
    frame = rows.iloc[:100].copy()
    frame.insert(0, "Flow ID", [f"f{i}" for i in range(len(frame))])
    body = client.post("/score", content=frame.to_csv(index=False), headers={"content-type": "text/csv"}).json()
    out = capfd.readouterr().out
    alerts = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [a["Flow ID"] for a in alerts] == [f"f{i}" for i, f in enumerate(body["is_attack"]) if f]


def test_an_alert_log_that_is_a_directory_is_refused_up_front(pca_dir, tmp_path):
    with pytest.raises(NetadInputError, match="directory"):
        create_app(pca_dir, alert_log=tmp_path)


def test_an_alert_log_path_that_is_a_link_is_refused_and_its_target_untouched(pca_dir, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "alerts.jsonl").symlink_to(victim)
    with pytest.raises(NetadInputError, match="symbolic link"):
        create_app(pca_dir, alert_log=tmp_path / "alerts.jsonl")
    assert victim.read_text() == "precious"
