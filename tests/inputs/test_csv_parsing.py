"""CSV parsing through the input layer: a latin-1 byte is named by file, column and line with the fix; a 10 MB field is
parsed (pyarrow's block size grows) instead of "straddling object"; duplicate column names are reported; the csv
loader and `netad score` say the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.datasets import load
from netad.errors import NetadInputError
from netad.inputs import header_names, read_csv
from netad.score import read_scores, score_file

runner = CliRunner()


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, (result.exit_code, result.stderr)
    return lines[0]


def with_latin1_service(frame: pd.DataFrame, path: Path, row: int = 637) -> Path:
    """The frame as UTF-8 CSV, except one ``service`` cell written as latin-1 ``café`` (byte 0xe9)."""
    frame = frame.copy()
    frame.loc[row, "service"] = "MARKER"
    path.write_bytes(frame.to_csv(index=False).encode().replace(b"MARKER", "café".encode("latin-1")))
    return path


def test_a_latin1_byte_is_named_with_file_column_line_and_fix(nsl_frame, nsl_model, tmp_path):
    path = with_latin1_service(nsl_frame, tmp_path / "flows.csv")
    result = runner.invoke(app, ["score", str(nsl_model), str(path), "-o", str(tmp_path / "s.parquet")])
    line = one_line_error(result)
    assert str(path) in line and "'service'" in line and "line 639" in line and "not UTF-8" in line
    assert "iconv" in line and "unsupported type binary" not in line
    with pytest.raises(NetadInputError) as loader_error:
        load(f"csv:{path}", label_column="label", normal_label="normal", cache=False)
    message = str(loader_error.value)
    assert "'service'" in message and "line 639" in message and "encoding=latin-1" in message


def test_the_loader_reads_latin1_files_when_told(nsl_frame, tmp_path):
    path = with_latin1_service(nsl_frame, tmp_path / "flows.csv")
    dataset = load(f"csv:{path}", label_column="label", normal_label="normal", encoding="latin-1", cache=False)
    assert dataset.features["service"].iloc[637] == "café" and dataset.n_rows == 1000


def test_a_ten_megabyte_field_is_parsed(nsl_frame, nsl_model, tmp_path):
    frame = nsl_frame.copy()
    frame["comment"] = ""
    frame.loc[500, "comment"] = "x" * (10 << 20)
    path = tmp_path / "flows.csv"
    frame.to_csv(path, index=False)
    report = score_file(nsl_model, path, tmp_path / "s.parquet", chunk_rows=300)
    assert report.rows_scored == 1000 and "comment" in report.ignored_columns
    reference = tmp_path / "plain.csv"
    nsl_frame.to_csv(reference, index=False)
    score_file(nsl_model, reference, tmp_path / "r.parquet", chunk_rows=300)
    assert read_scores(tmp_path / "s.parquet")["score"].equals(read_scores(tmp_path / "r.parquet")["score"])
    names, _ = header_names(path)
    table = read_csv(path, names=names, skip_rows=1, column_types={}, include=["comment"])
    assert len(table.column(0)[500].as_py()) == 10 << 20
    dataset = load(f"csv:{path}", label_column="label", normal_label="normal", drop_columns=["comment"], cache=False)
    assert dataset.n_rows == 1000


def test_duplicate_column_names_are_reported_never_silently_renamed(nsl_frame, nsl_model, tmp_path):
    frame = nsl_frame.copy()
    frame.insert(5, "hot.dup", frame["hot"])
    path = tmp_path / "flows.csv"
    path.write_text(frame.to_csv(index=False).replace("hot.dup", "hot", 1))
    assert header_names(path)[0].count("hot") == 1
    result = runner.invoke(app, ["score", str(nsl_model), str(path), "-o", str(tmp_path / "s.parquet")])
    assert result.exit_code == 0, result.output
    assert "'hot' appears twice" in result.stderr and "'hot.1'" in result.stderr
    dataset = load(f"csv:{path}", label_column="label", normal_label="normal", cache=False)
    assert any("'hot' appears twice" in note for note in dataset.notes)


def test_text_in_a_numeric_column_names_the_line(nsl_frame, nsl_model, tmp_path):
    frame = nsl_frame.astype({"src_bytes": object})
    frame.loc[321, "src_bytes"] = "12kB"
    path = tmp_path / "flows.csv"
    frame.to_csv(path, index=False)
    line = one_line_error(runner.invoke(app, ["score", str(nsl_model), str(path), "-o", str(tmp_path / "s.parquet")]))
    assert "'src_bytes'" in line and "'12kB'" in line and "line 323" in line


def test_duplicate_names_in_a_parquet_file_are_reported_too(nsl_frame, nsl_model, tmp_path):
    frame = nsl_frame.copy()
    frame["hot "] = frame["hot"]  # the same name once spaces are stripped
    path = tmp_path / "flows.parquet"
    frame.to_parquet(path, index=False)
    report = score_file(nsl_model, path, tmp_path / "s.parquet")
    assert report.rows_scored == 1000 and any("'hot' appears twice" in note for note in report.notes)
    dataset = load(f"csv:{path}", label_column="label", normal_label="normal", cache=False)
    assert "hot.1" in dataset.features.columns and any("'hot' appears twice" in n for n in dataset.notes)
