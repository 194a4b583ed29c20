"""Request rows -> model inputs: every problem is a 422 naming the column and rows; odd but valid input is scored."""

from __future__ import annotations

import json

import numpy as np
import pytest

from netad.persist import load_model
from netad.serve.problems import RequestProblem
from netad.serve.validation import InputSchema

AUTH = {"X-API-Key": "test-key-123"}  # the key of conftest's client


@pytest.fixture(scope="module")
def schema(model_dir) -> InputSchema:
    return InputSchema(load_model(model_dir))


def problems_of(schema: InputSchema, records: list) -> dict[str, dict]:
    with pytest.raises(RequestProblem) as refused:
        schema.from_records(records)
    assert refused.value.status == 422
    return {p.get("column", str(p["loc"])): p for p in refused.value.detail}


def test_a_record_with_200000_extra_keys_is_scored_and_its_extra_columns_counted(schema, model_dir, rows, to_records):
    # the column check was quadratic in the keys (48k keys took 15 s); it must be one pass
    record = to_records(rows.iloc[:1])[0]
    record.update({f"extra_{i}": i for i in range(200_000)})
    validated = schema.from_records([record])
    assert len(validated.ignored) == 200_001  # the extra keys and "label"
    model = load_model(model_dir)
    reference = model.preprocessor.transform(rows.iloc[:1][model.schema.input_columns])
    X = model.preprocessor.transform_arrays(validated.numeric.copy(), validated.categorical)
    np.testing.assert_allclose(X, reference, rtol=1e-6, atol=1e-6)


def test_a_many_key_record_over_http_answers_200_listing_the_first_100_ignored(model_dir, rows, to_records):
    from fastapi.testclient import TestClient

    from netad.serve import create_app

    client = TestClient(create_app(model_dir, max_body_mb=8))
    record = to_records(rows.iloc[:1])[0]
    record.update({f"extra_{i}": i for i in range(50_000)})
    response = client.post("/score", content=json.dumps([record]), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body["n_ignored_columns"] == 50_001 and len(body["ignored_columns"]) == 100 and body["n_rows"] == 1


def test_true_text_null_nested_and_out_of_range_values_are_422_naming_columns_and_rows(schema, rows, to_records):
    batch = to_records(rows.iloc[:10])
    batch[1]["duration"] = True  # a JSON boolean is not a number
    batch[3]["src_bytes"] = "lots"
    batch[4]["src_bytes"] = [1, 2]
    batch[7]["dst_bytes"] = None
    batch[8]["hot"] = 1e39  # beyond float32
    found = problems_of(schema, batch)
    assert found["duration"]["type"] == "not_a_number" and found["duration"]["rows"] == [1]
    assert found["src_bytes"]["rows"] == [3, 4] and "'lots'" in found["src_bytes"]["msg"]
    assert found["dst_bytes"]["type"] == "not_finite" and found["dst_bytes"]["rows"] == [7]
    assert found["hot"]["rows"] == [8]


def test_numbers_as_text_and_null_categories_are_accepted_like_a_csv(schema, rows, to_records):
    batch = to_records(rows.iloc[:3])
    reference = schema.from_records(batch)
    batch[0]["src_bytes"] = str(batch[0]["src_bytes"])
    converted = schema.from_records(batch)
    np.testing.assert_array_equal(converted.numeric, reference.numeric)
    batch[1]["service"] = None  # an empty category is a category (unknown), not an error
    assert schema.from_records(batch).categorical[1, schema.categorical.index("service")] == ""


def test_missing_columns_are_422_naming_each_column(client, rows, to_records):
    response = client.post(
        "/score", json={"records": to_records(rows.drop(columns=["src_bytes", "service"]).iloc[:5])}, headers=AUTH
    )
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert {p["column"] for p in problems} == {"src_bytes", "service"}
    assert all(p["type"] == "missing_column" for p in problems)


def test_keys_with_spaces_are_cleaned_and_keys_that_collide_are_refused(schema, rows, to_records):
    record = to_records(rows.iloc[:1])[0]
    spaced = {f" {k} " if k == "duration" else k: v for k, v in record.items()}
    np.testing.assert_array_equal(schema.from_records([spaced]).numeric, schema.from_records([record]).numeric)
    found = problems_of(schema, [{**spaced, "duration": 1}])
    assert found["duration"]["type"] == "duplicate_column"


def test_records_that_are_not_objects_or_hold_nested_categories_are_422(schema, rows, to_records):
    found = problems_of(schema, [1, "x"])
    assert [p["loc"] for p in found.values()] == [["body", "records", 0], ["body", "records", 1]]
    record = to_records(rows.iloc[:1])[0]
    record["service"] = {"name": "http"}
    assert problems_of(schema, [record])["service"]["type"] == "not_a_category"


def test_csv_text_in_numeric_columns_is_422_and_an_empty_category_is_accepted(client, rows):
    csv = rows.iloc[:4].to_csv(index=False).replace(",tcp,", ",,", 1)
    assert client.post("/score", content=csv, headers={**AUTH, "content-type": "text/csv"}).status_code == 200
    lines = rows.iloc[:4].to_csv(index=False).splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("src_bytes")] = "lots"
    lines[2] = ",".join(cells)
    response = client.post("/score", content="\n".join(lines), headers={**AUTH, "content-type": "text/csv"})
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["column"] == "src_bytes" and problem["rows"] == [1]
