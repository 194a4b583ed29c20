"""csv:PATH: any flow table (CSV or parquet) with a label column, on real rows and small hand-made files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netad.datasets import NORMAL_CATEGORY, load
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("unsw-nb15")


def test_real_unsw_file_through_the_generic_loader(shared_data):
    path = shared_data / "unsw-nb15" / "UNSW_NB15_training-set.csv.xz"
    ds = load(f"csv:{path}", label_column="label", normal_label=0, drop_columns=["id", "attack_cat"])
    assert ds.name == f"csv:{path}"
    assert ds.n_rows == 82_332 and int(ds.label.sum()) == 45_332
    assert ds.class_balance() == {"1": 45_332, NORMAL_CATEGORY: 37_000}
    assert set(ds.categorical_columns) == {"proto", "service", "state"}
    assert set(ds.features[list(ds.numeric_columns)].dtypes) == {np.dtype("float32")}
    assert ds.features.shape[1] == 42 and ds.official_split is None


def test_attack_category_is_the_label_value(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("bytes,proto,verdict\n10,tcp,ok\n20,udp,scan\n30,tcp,ok\n40,icmp,ddos\n")
    ds = load("csv", path, label_column="verdict", normal_label="ok")
    assert ds.attack_category.tolist() == [NORMAL_CATEGORY, "scan", NORMAL_CATEGORY, "ddos"]
    assert ds.label.tolist() == [0, 1, 0, 1] and ds.label.dtype == np.int8
    assert ds.categorical_columns == ("proto",)
    assert ds.features["bytes"].dtype == np.float32


def test_explicit_categorical_columns_keep_numeric_codes_as_text(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("port,bytes,y\n80,1,0\n443,2,1\n80,3,0\n")
    ds = load(f"csv:{path}", label_column="y", normal_label="0", categorical_columns=["port"])
    assert ds.categorical_columns == ("port",)
    assert ds.features["port"].tolist() == ["80", "443", "80"]


def test_parquet_input(tmp_path):
    path = tmp_path / "flows.parquet"
    table = pa.table({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3], "kind": ["x", "y", "x"], "y": ["n", "n", "bad"]})
    pq.write_table(table, path)
    ds = load(f"csv:{path}", label_column="y", normal_label="n")
    assert list(ds.features.columns) == ["a", "b", "kind"]
    assert ds.label.tolist() == [0, 0, 1]
    assert ds.features.dtypes["b"] == np.float32


def test_nan_and_inf_are_dropped_and_reported(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,b,y\n1,2,n\nInfinity,2,n\n3,NaN,a\n4,,a\n5,6,a\n")
    ds = load(f"csv:{path}", label_column="y", normal_label="n")
    assert ds.n_rows == 2
    assert ds.dropped_rows == {"NaN or missing numeric value": 2, "Inf numeric value": 1}
    zeroed = load(f"csv:{path}", label_column="y", normal_label="n", clean_inf="zero")
    assert zeroed.n_rows == 5 and zeroed.features["b"].tolist() == [2, 2, 0, 0, 6]


def test_rows_without_label_are_dropped_and_counted(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,y\n1,n\n2,\n3,a\n")
    ds = load(f"csv:{path}", label_column="y", normal_label="n")
    assert ds.n_rows == 2 and ds.dropped_rows == {"missing label": 1}


def test_identifier_like_text_column_gets_a_note(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"flow_id": [f"f{i}" for i in range(300)], "x": rng.random(300), "y": ["n", "a"] * 150})
    path = tmp_path / "flows.csv"
    frame.to_csv(path, index=False)
    ds = load(f"csv:{path}", label_column="y", normal_label="n")
    assert any("'flow_id'" in n and "identifier" in n for n in ds.notes)


def test_timestamps_must_be_dropped_explicitly(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("ts,x,y\n2017-07-03 08:00:00,1,n\n2017-07-03 08:00:01,2,a\n")
    with pytest.raises(NetadInputError, match="'ts' holds dates/times.*drop_columns"):
        load(f"csv:{path}", label_column="y", normal_label="n")
    assert load(f"csv:{path}", label_column="y", normal_label="n", drop_columns=["ts"]).n_rows == 2


def test_a_missing_file_is_named_without_pointing_at_downloads(tmp_path):
    with pytest.raises(NetadInputError) as info:
        load(f"csv:{tmp_path / 'missing.csv'}", label_column="label", normal_label="normal")
    message = str(info.value)
    assert "missing.csv does not exist" in message and "csv:PATH" in message
    assert "download" not in message and "NETAD_DATA" not in message
