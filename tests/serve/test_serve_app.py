"""The REST service end to end (TestClient): scores equal the saved model's own; uploads, explanations, limits,
authentication and the model description behave as documented.

Data: a model trained by `netad train` on the bundled NSL-KDD sample, scoring real NSL-KDD rows.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from netad.persist import load_model
from netad.score import read_scores, score_file

AUTH = {"X-API-Key": "test-key-123"}  # the key of conftest's client


def test_json_scores_equal_the_saved_models_and_flags_follow_its_threshold(
    client, model_dir, rows, to_records, expected_scores
):
    response = client.post("/score", json={"records": to_records(rows)}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    np.testing.assert_allclose(body["scores"], expected_scores(model_dir, rows), rtol=1e-6)
    assert body["is_attack"] == [bool(s > body["threshold"]) for s in body["scores"]]
    assert body["n_rows"] == len(rows) and body["n_flagged"] == sum(body["is_attack"])
    assert body["ignored_columns"] == ["label"] and body["n_ignored_columns"] == 1
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(rows["label"], body["scores"]) > 0.8  # an easy dataset: the service must not scramble rows


def test_csv_and_parquet_uploads_score_like_json(client, rows, to_records):
    subset = rows.iloc[:50]
    reference = client.post("/score", json=to_records(subset), headers=AUTH).json()["scores"]  # a bare list works
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


def test_explanations_name_the_same_top_features_as_netad_score(client, model_dir, rows, to_records, tmp_path):
    subset = rows.iloc[:30]
    response = client.post("/score", json={"records": to_records(subset), "top_features": 3}, headers=AUTH)
    body = response.json()
    assert body["attribution"] == "deviation" and all(len(e) == 3 for e in body["explanations"])
    path = tmp_path / "rows.parquet"
    subset.to_parquet(path, index=False)
    score_file(model_dir, path, tmp_path / "scores.parquet", top_features=3)
    batch = read_scores(tmp_path / "scores.parquet")
    for explanation, (_, row) in zip(body["explanations"], batch.iterrows(), strict=True):
        assert [e["feature"] for e in explanation] == [row[f"top_feature_{i}"] for i in (1, 2, 3)]
        assert explanation[0]["contribution"] == pytest.approx(row["top_value_1"], rel=1e-5)


def test_unknown_categories_and_empty_batches_are_reported_not_refused(client, rows, to_records):
    batch = to_records(rows.iloc[:5])
    batch[0]["service"] = "never-seen-service"
    body = client.post("/score", json={"records": batch}, headers=AUTH).json()
    assert body["unknown_categories"] == {"service": 1} and body["n_rows"] == 5
    empty = client.post("/score", json={"records": []}, headers=AUTH).json()
    assert empty["n_rows"] == 0 and empty["scores"] == []


def test_batches_over_the_row_or_size_limits_are_413(client, rows, to_records):
    too_many = pd.concat([rows, rows]).iloc[:501]
    response = client.post("/score", json={"records": to_records(too_many)}, headers=AUTH)
    assert response.status_code == 413 and "at most 500" in response.text
    big = b"x" * (1 << 20) + b"x"
    response = client.post("/score", content=big, headers={**AUTH, "content-type": "text/csv"})
    assert response.status_code == 413 and "exceeds the limit" in response.text


def test_api_key_guards_scoring_and_model_but_not_health(client, rows, to_records):
    from fastapi.testclient import TestClient

    payload = {"records": to_records(rows.iloc[:2])}
    assert client.post("/score", json=payload).status_code == 401
    assert client.post("/score", json=payload, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/model").status_code == 401
    assert client.get("/health").json()["status"] == "ok"
    open_client = TestClient(client.app)
    assert open_client.post("/score", json=payload, headers=AUTH).status_code == 200


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
    assert "/metrics" in paths
