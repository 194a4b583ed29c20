"""Opening flow files: format by magic bytes, standard input, and one-line errors (exit 2) for truncated or corrupt
compressed files, directories, empty and binary files; the same message from `netad score` and the csv loader."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.errors import NetadInputError
from netad.inputs import inspect_input
from netad.score import read_scores

runner = CliRunner()
CSV_OPTIONS = ["--label-column", "label", "--normal-label", "normal"]


def zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as f:
        f.write(data)
    return sink.getvalue().to_pybytes()


COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": zstd}


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, (result.exit_code, result.stderr)
    assert "Traceback" not in result.output
    return lines[0]


def score(model: Path, path: Path, tmp_path: Path, *extra: str):
    return runner.invoke(app, ["score", str(model), str(path), "-o", str(tmp_path / "out.parquet"), *extra])


def train_csv(path: Path, tmp_path: Path, *extra: str):
    command = ["train", "-d", f"csv:{path}", "-m", "iforest", "--param", "n_estimators=10", *CSV_OPTIONS]
    return runner.invoke(app, [*command, "-q", "-o", str(tmp_path / "model"), *extra])


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_truncated_compressed_files_are_one_line_errors(suffix, csv_bytes, nsl_model, tmp_path):
    whole = COMPRESSORS[suffix](csv_bytes * 4)
    path = tmp_path / f"flows.csv{suffix}"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    line = one_line_error(score(nsl_model, path, tmp_path))
    assert str(path) in line and "truncated or corrupt" in line
    assert not (tmp_path / "out.parquet").exists()
    line = one_line_error(train_csv(path, tmp_path))
    assert str(path) in line and "truncated or corrupt" in line


def test_corrupt_gzip_body_is_one_line_error(csv_bytes, nsl_model, tmp_path):
    data = bytearray(gzip.compress(csv_bytes))
    data[200:260] = b"\x00" * 60  # damaged in the middle, as by a bad disk or transfer
    path = tmp_path / "flows.csv.gz"
    path.write_bytes(bytes(data))
    assert "truncated or corrupt" in one_line_error(score(nsl_model, path, tmp_path))


def test_compressed_and_parquet_files_are_recognised_by_their_bytes(nsl_frame, csv_bytes, nsl_model, tmp_path):
    disguised_gzip = tmp_path / "flows.csv"  # gzip content, plain name
    disguised_gzip.write_bytes(gzip.compress(csv_bytes))
    renamed_parquet = tmp_path / "flows-parquet.csv"  # parquet content, .csv name
    nsl_frame.to_parquet(renamed_parquet, index=False)
    assert inspect_input(disguised_gzip).compression == "gzip" and inspect_input(renamed_parquet).parquet
    scores = []
    for path in (disguised_gzip, renamed_parquet):
        result = score(nsl_model, path, tmp_path, "--overwrite")
        assert result.exit_code == 0, result.output
        scores.append(read_scores(tmp_path / "out.parquet")["score"].to_numpy())
    assert len(scores[0]) == 1000 and (abs(scores[0] - scores[1]) < 1e-6).all()
    result = train_csv(renamed_parquet, tmp_path)
    assert result.exit_code == 0, result.output


def test_a_parquet_name_over_other_bytes_is_refused(csv_bytes, tmp_path):
    path = tmp_path / "flows.parquet"
    path.write_bytes(csv_bytes)
    with pytest.raises(NetadInputError, match="named like a parquet file but is not one"):
        inspect_input(path)


def test_directory_empty_and_binary_inputs(nsl_model, tmp_path):
    folder = tmp_path / "captures"
    folder.mkdir()
    assert "is a directory" in one_line_error(score(nsl_model, folder, tmp_path))
    line = one_line_error(train_csv(folder, tmp_path))
    assert "is a directory" in line and "(your own file)" not in line
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "file is empty" in one_line_error(score(nsl_model, empty, tmp_path))
    binary = tmp_path / "flows.csv"
    binary.write_bytes("duration,service\n1,http\n".encode("utf-16"))
    assert "binary data" in one_line_error(score(nsl_model, binary, tmp_path))


def test_a_header_only_file_is_an_error_not_an_empty_result(nsl_frame, nsl_model, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(nsl_frame.columns) + "\n")
    assert "no data rows" in one_line_error(score(nsl_model, path, tmp_path))
    assert "no data rows" in one_line_error(train_csv(path, tmp_path))
    assert not (tmp_path / "out.parquet").exists()


def test_standard_input_is_read_like_a_file(csv_bytes, nsl_model, tmp_path):
    command = ["score", str(nsl_model), "-", "-o", str(tmp_path / "s.csv")]
    result = runner.invoke(app, command, input=gzip.compress(csv_bytes))
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 1001
    result = runner.invoke(app, ["score", str(nsl_model), "-", "-o", str(tmp_path / "e.csv")], input=b"")
    assert "<stdin>: file is empty" in one_line_error(result)
