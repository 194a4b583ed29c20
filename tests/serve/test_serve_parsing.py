"""Malformed bodies are 400/413/415/422 with a reason, never 500 and never an empty 200."""

from __future__ import annotations

import json

import pytest

AUTH = {"X-API-Key": "test-key-123"}  # the key of conftest's client
JSON = {**AUTH, "content-type": "application/json"}


def post(client, body: bytes, content_type: str = "application/json"):
    return client.post("/score", content=body, headers={**AUTH, "content-type": content_type})


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"records": [{"duration": "\xff\xfe"}]}', 400, "UTF-8"),  # invalid UTF-8
        (b'{"records": [{"service": "\\ud800"}]}', 400, "surrogate"),  # a lone surrogate escape
        (b"[" * 50_000 + b"]" * 50_000, 400, "depth"),  # nested 50k levels
        (b'{"records": [{"duration": 1' + b"0" * 400 + b"}]}", 400, "infinity"),  # the integer 10**400
        (b'{"records": [{"duration": Infinity}]}', 400, "NaN and Infinity are not JSON"),
        (b"{not json", 400, "invalid JSON"),
        (b'"a string"', 422, "the JSON body is a str"),  # JSON, but neither an object nor an array
        (b"42", 422, "the JSON body is a int"),
        (b'{"rows": []}', 422, "records"),
        (b'{"records": {"a": 1}}', 422, "records must be a list"),
        (b'{"records": [], "top_features": true}', 422, "top_features must be an integer"),
        (b"", 422, "empty body"),
    ],
)
def test_malformed_json_bodies_are_client_errors_with_a_reason(client, body, status, says):
    response = post(client, body)
    assert response.status_code == status, response.text
    assert says in response.text


def test_json_sent_as_text_is_415_not_an_empty_200(client, rows, to_records):
    body = json.dumps({"records": to_records(rows.iloc[:3])}).encode()
    for content_type in ("text/plain", "text/csv"):
        response = post(client, body, content_type)
        assert response.status_code == 415 and "application/json" in response.text


def test_a_header_only_or_empty_csv_is_422_naming_the_problem(client, rows):
    header = ",".join(rows.columns).encode() + b"\n"
    response = post(client, header, "text/csv")
    assert response.status_code == 422 and "no data rows" in response.text and "only a header" in response.text
    assert post(client, b"", "text/csv").status_code == 422
    upload = client.post("/score", files={"file": ("flows.csv", header, "text/csv")}, headers=AUTH)
    assert upload.status_code == 422 and "no data rows" in upload.text


def test_unreadable_uploads_and_unsupported_types_are_refused(client):
    response = post(client, b"<xml/>", "application/xml")
    assert response.status_code == 415 and "text/csv" in response.text
    assert post(client, b"PAR1 not really parquet", "application/vnd.apache.parquet").status_code == 422
    assert post(client, "a,b\n\xe9,1\n".encode("latin-1"), "text/csv").status_code == 422  # not UTF-8
    response = client.post("/score", files={"file": ("flows.xlsx", b"x", "application/vnd.ms-excel")}, headers=AUTH)
    assert response.status_code == 415
    response = post(client, b"--x\r\nbroken", "multipart/form-data; boundary=x")
    assert 400 <= response.status_code < 500


def test_uploads_are_read_by_the_input_layer_as_netad_score_reads_files(client, rows):
    """A gzip-compressed CSV is read by its bytes; an undecodable byte gets the input layer's message."""
    import gzip

    plain = rows.drop(columns=["label"], errors="ignore").iloc[:5].to_csv(index=False).encode()
    scored = client.post("/score", files={"file": ("flows.csv.gz", gzip.compress(plain), "text/csv")}, headers=AUTH)
    assert scored.status_code == 200, scored.text
    assert scored.json()["n_rows"] == 5
    assert scored.json()["scores"] == post(client, plain, "text/csv").json()["scores"]
    latin = plain.replace(b"tcp", b"tc\xe9", 1)
    refused = post(client, latin, "text/csv")
    assert refused.status_code == 422, refused.text
    message = refused.json()["detail"][0]["msg"]
    assert "'protocol_type'" in message and "line 3" in message and "iconv" in message
