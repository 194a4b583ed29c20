"""The REST service: scores equal the saved model's own; bad requests are 401/413/415/422 naming what is wrong.

Data: a model trained by `netad train` on the bundled NSL-KDD sample, scoring real NSL-KDD rows; one test runs a
real uvicorn process on 127.0.0.1 (a free port, bounded waits).
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from netad.cli import app as cli  # noqa: E402
from netad.datasets import load  # noqa: E402
from netad.persist import load_model  # noqa: E402
from netad.score import read_scores, score_file  # noqa: E402
from netad.serve import create_app  # noqa: E402

KEY = "test-key-123"
AUTH = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serve") / "model"
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "-d",
            "nsl-kdd-sample",
            "-m",
            "iforest",
            "--param",
            "n_estimators=50",
            "--max-train",
            "3000",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """Real NSL-KDD rows (normal and attacks) with their label as an extra column."""
    data = load("nsl-kdd-sample")
    picked = np.sort(np.random.default_rng(3).choice(data.n_rows, 400, replace=False))
    frame = data.features.iloc[picked].reset_index(drop=True)
    frame["label"] = data.label[picked]
    return frame


@pytest.fixture(scope="module")
def client(model_dir) -> TestClient:
    return TestClient(create_app(model_dir, api_key=KEY, max_rows=500, max_body_mb=1.0))


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def expected_scores(model_dir: Path, frame: pd.DataFrame) -> np.ndarray:
    model = load_model(model_dir)
    return model.detector.decision_function(model.preprocessor.transform(frame[model.schema.input_columns]))


def test_json_scores_equal_the_saved_models_and_flags_follow_its_threshold(client, model_dir, rows):
    response = client.post("/score", json={"records": records(rows)}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = expected_scores(model_dir, rows)
    np.testing.assert_allclose(body["scores"], expected, rtol=1e-6)
    assert body["is_attack"] == [bool(s > body["threshold"]) for s in body["scores"]]
    assert body["n_rows"] == len(rows) and body["n_flagged"] == sum(body["is_attack"])
    assert body["ignored_columns"] == ["label"]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(rows["label"], body["scores"]) > 0.8  # an easy dataset: the service must not scramble rows


def test_csv_and_parquet_uploads_score_like_json(client, rows):
    subset = rows.iloc[:50]
    reference = client.post("/score", json=records(subset), headers=AUTH).json()["scores"]  # a bare list works too
    csv = subset.to_csv(index=False).encode()
    buffer = io.BytesIO()
    subset.to_parquet(buffer, index=False)
    uploads = [
        {"files": {"file": ("flows.csv", csv, "text/csv")}},
        {"files": {"file": ("flows.parquet", buffer.getvalue(), "application/octet-stream")}},
        {"content": csv, "headers": {"content-type": "text/csv"}},
        {"content": buffer.getvalue(), "headers": {"content-type": "application/vnd.apache.parquet"}},
    ]
    for upload in uploads:
        headers = {**AUTH, **upload.pop("headers", {})}
        response = client.post("/score", headers=headers, **upload)
        assert response.status_code == 200, response.text
        np.testing.assert_allclose(response.json()["scores"], reference, rtol=1e-5)


def test_explanations_name_the_same_top_features_as_netad_score(client, model_dir, rows, tmp_path):
    subset = rows.iloc[:30]
    response = client.post("/score", json={"records": records(subset), "top_features": 3}, headers=AUTH)
    body = response.json()
    assert body["attribution"] == "deviation" and all(len(e) == 3 for e in body["explanations"])
    path = tmp_path / "rows.parquet"
    subset.to_parquet(path, index=False)
    score_file(model_dir, path, tmp_path / "scores.parquet", top_features=3)
    batch = read_scores(tmp_path / "scores.parquet")
    for explanation, (_, row) in zip(body["explanations"], batch.iterrows(), strict=True):
        assert [e["feature"] for e in explanation] == [row[f"top_feature_{i}"] for i in (1, 2, 3)]
        assert explanation[0]["contribution"] == pytest.approx(row["top_value_1"], rel=1e-5)


def test_missing_columns_are_422_naming_each_column(client, rows):
    response = client.post(
        "/score", json={"records": records(rows.drop(columns=["src_bytes", "service"]).iloc[:5])}, headers=AUTH
    )
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert {p["column"] for p in problems} == {"src_bytes", "service"}
    assert all(p["type"] == "missing_column" for p in problems)


def test_text_and_non_finite_values_are_422_naming_columns_and_rows(client, rows):
    batch = records(rows.iloc[:10])
    batch[3]["src_bytes"] = "lots"
    batch[7]["dst_bytes"] = None
    batch[8]["duration"] = float("inf")  # sent as JSON Infinity
    response = client.post(
        "/score", content=json.dumps({"records": batch}), headers={**AUTH, "content-type": "application/json"}
    )
    assert response.status_code == 422
    problems = {p["column"]: p for p in response.json()["detail"]}
    assert problems["src_bytes"]["type"] == "not_a_number" and problems["src_bytes"]["rows"] == [3]
    assert "'lots'" in problems["src_bytes"]["msg"]
    assert problems["dst_bytes"]["rows"] == [7] and problems["duration"]["rows"] == [8]
    csv = rows.iloc[:4].to_csv(index=False).replace(",tcp,", ",,", 1)  # an empty category is a category, not an error
    assert client.post("/score", content=csv, headers={**AUTH, "content-type": "text/csv"}).status_code == 200


def test_unknown_categories_and_empty_batches_are_reported_not_refused(client, rows):
    batch = records(rows.iloc[:5])
    batch[0]["service"] = "never-seen-service"
    body = client.post("/score", json={"records": batch}, headers=AUTH).json()
    assert body["unknown_categories"] == {"service": 1} and body["n_rows"] == 5
    empty = client.post("/score", json={"records": []}, headers=AUTH).json()
    assert empty["n_rows"] == 0 and empty["scores"] == []


def test_batches_over_the_row_or_size_limits_are_413(client, rows):
    too_many = pd.concat([rows, rows]).iloc[:501]
    response = client.post("/score", json={"records": records(too_many)}, headers=AUTH)
    assert response.status_code == 413 and "at most 500" in response.text
    big = b"x" * (1 << 20) + b"x"
    response = client.post("/score", content=big, headers={**AUTH, "content-type": "text/csv"})
    assert response.status_code == 413 and "exceeds the limit" in response.text


def test_api_key_guards_scoring_and_model_but_not_health(client, rows):
    payload = {"records": records(rows.iloc[:2])}
    assert client.post("/score", json=payload).status_code == 401
    assert client.post("/score", json=payload, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/model").status_code == 401
    assert client.get("/health").json()["status"] == "ok"
    open_client = TestClient(client.app)
    assert open_client.post("/score", json=payload, headers=AUTH).status_code == 200


def test_unsupported_content_and_bad_json_are_refused_with_reasons(client):
    response = client.post("/score", content=b"<xml/>", headers={**AUTH, "content-type": "application/xml"})
    assert response.status_code == 415 and "text/csv" in response.text
    response = client.post("/score", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422 and "invalid JSON" in response.text
    response = client.post("/score", json={"records": [1, 2]}, headers=AUTH)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "records", 0]


def test_model_endpoint_gives_schema_threshold_metrics_and_provenance(client, model_dir):
    info = client.get("/model", headers=AUTH).json()
    saved = load_model(model_dir)
    assert info["detector"] == "iforest" and info["threshold"] == pytest.approx(float(saved.detector.threshold_))
    assert info["threshold_strategy"] == "p99"
    required = {c["name"] for c in info["schema"]["required_columns"]}
    assert required | set(info["schema"]["optional_columns"]) == set(saved.schema.input_columns)
    assert "tcp" in info["schema"]["categories"]["protocol_type"]
    assert 0.5 < info["metrics"]["test"]["auroc"] <= 1
    assert info["provenance"]["dataset"] == "nsl-kdd-sample"
    paths = client.get("/openapi.json").json()["paths"]
    content = paths["/score"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "text/csv"} <= set(content)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_uvicorn_process_serves_the_model_on_loopback(model_dir, rows, tmp_path):
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netad.cli",
            "serve",
            str(model_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--max-rows",
            "100",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**__import__("os").environ, "NETAD_API_KEY": KEY},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start in 60 s"
            time.sleep(0.2)
        subset = rows.iloc[:20]
        response = httpx.post(f"{base}/score", json={"records": records(subset)}, headers=AUTH, timeout=10.0)
        assert response.status_code == 200, response.text
        np.testing.assert_allclose(response.json()["scores"], expected_scores(model_dir, subset), rtol=1e-6)
        assert httpx.post(f"{base}/score", json={"records": records(subset)}, timeout=10.0).status_code == 401
        too_many = httpx.post(f"{base}/score", json={"records": records(rows.iloc[:101])}, headers=AUTH, timeout=10.0)
        assert too_many.status_code == 413
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
