"""GET /metrics counts requests by route and status, errors, rows scored and flagged, and request latency."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from netad.serve import create_app


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text, 0 when absent."""
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, flags=re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_errors_rows_flags_and_latency(pca_dir, rows, to_records):
    client = TestClient(create_app(pca_dir, api_key="k"))
    key = {"X-API-Key": "k"}
    body = client.post("/score", json=to_records(rows.iloc[:50]), headers=key).json()
    client.post("/score", json=to_records(rows.iloc[50:60]), headers=key)
    client.post("/score", content=b"{", headers={**key, "content-type": "application/json"})  # 400
    client.post("/score", json=[{"duration": 1}], headers=key)  # 422: columns missing
    client.post("/score", json=[])  # 401
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert sample(text, "netad_requests_total", route="/score", status="200") == 2
    assert sample(text, "netad_requests_total", route="/health", status="200") == 1
    for status in ("400", "401", "422"):
        assert sample(text, "netad_errors_total", status=status) == 1
    assert sample(text, "netad_rows_scored_total") == 60
    assert sample(text, "netad_rows_flagged_total") >= body["n_flagged"] > 0  # the sample holds attacks
    assert sample(text, "netad_request_duration_seconds_count", route="/score") == 5
    assert sample(text, "netad_request_duration_seconds_bucket", route="/score", le="+Inf") == 5
    assert sample(text, "netad_batches_total") == 2
    assert "# TYPE netad_request_duration_seconds histogram" in text
