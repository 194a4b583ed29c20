"""``netad score`` outputs: the format follows the extension (or --format), ``-`` is stdout (and stdin as input),
--only-alerts, flow identifiers carried along, and files written atomically: never through a link, and two runs
writing the same file leave one whole readable file.

Data: the NSL-KDD sample shipped with netad (real rows), with flow identifiers added as a flow exporter writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.datasets import load
from netad.detectors import get_class
from netad.persist import save_model
from netad.preprocess import FlowPreprocessor
from netad.score import read_scores, score_file

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nsl = load("nsl-kdd-sample")
    train = nsl.features.iloc[np.flatnonzero(nsl.label[:1500] == 0)]
    preprocessor = FlowPreprocessor.for_dataset(nsl).fit(train)
    detector = get_class("iforest")(n_estimators=30, random_state=0).fit(preprocessor.transform(train))
    return save_model(tmp_path_factory.mktemp("model") / "iforest", preprocessor, detector)


@pytest.fixture(scope="module")
def flows_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nsl = load("nsl-kdd-sample")
    frame = nsl.features.iloc[1500:3500].reset_index(drop=True)
    n = len(frame)
    frame.insert(0, "Flow ID", [f"10.0.0.{i % 250}-192.168.1.{i % 7}-{1024 + i}-80-6" for i in range(n)])
    frame.insert(1, "Src IP", [f"10.0.0.{i % 250}" for i in range(n)])
    frame.insert(2, "Timestamp", pd.date_range("2017-07-04 09:00", periods=n, freq="s").astype(str))
    frame["label"] = nsl.attack_category[1500:3500]
    path = tmp_path_factory.mktemp("flows") / "flows.csv"
    frame.to_csv(path, index=False)
    return path


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(("name", "forced"), [("s.parquet", None), ("s.csv", None), ("s.jsonl", None),
                                              ("s.txt", "csv")])  # fmt: skip
def test_the_format_follows_the_extension_or_format(name, forced, model, flows_csv, tmp_path):
    out = tmp_path / name
    report = score_file(model, flows_csv, out, output_format_name=forced)
    reference = score_file(model, flows_csv, tmp_path / "ref.parquet")
    expected = read_scores(tmp_path / "ref.parquet")
    if out.suffix == ".parquet":
        got = read_scores(out)
    elif report.format == "csv":
        got = pd.read_csv(out)
    else:
        got = pd.read_json(out, lines=True)
    assert report.format == (forced or out.suffix[1:]) and len(got) == reference.rows_scored == 2000
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-12)
    assert list(got["Flow ID"]) == list(expected["Flow ID"])


def test_alerts_carry_the_flow_identifiers_of_the_input(model, flows_csv, tmp_path):
    report = score_file(model, flows_csv, tmp_path / "alerts.parquet", only_alerts=True)
    alerts = read_scores(tmp_path / "alerts.parquet")
    flows = pd.read_csv(flows_csv)
    assert len(alerts) == report.rows_flagged == report.rows_written > 0 and (alerts["is_attack"] == 1).all()
    assert {"Flow ID", "Src IP", "Timestamp"} <= set(alerts.columns) and "label" not in alerts.columns
    rows = alerts["row"].to_numpy()
    assert list(alerts["Flow ID"]) == list(flows["Flow ID"].iloc[rows])
    assert list(alerts["Timestamp"]) == list(flows["Timestamp"].iloc[rows])


def test_stdin_to_stdout_as_json_lines(model, flows_csv, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "netad.cli", "score", str(model), "-", "-o", "-", "--only-alerts"],
        input=flows_csv.read_bytes(), capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    alerts = [json.loads(line) for line in result.stdout.decode().splitlines()]
    score_file(model, flows_csv, tmp_path / "ref.parquet")
    expected = read_scores(tmp_path / "ref.parquet").query("is_attack == 1")
    assert [a["row"] for a in alerts] == list(expected["row"]) and all("Flow ID" in a for a in alerts)
    assert not Path("-").exists()
    assert b"rows read" in result.stderr  # the summary goes to stderr: stdout holds only the scores


def test_stdout_csv_and_no_parquet_on_stdout(model, flows_csv):
    result = runner.invoke(app, ["score", str(model), str(flows_csv), "-o", "-", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith('"row","score","is_attack"')
    assert len(result.stdout.splitlines()) == 2001
    line = one_line_error(runner.invoke(app, ["score", str(model), str(flows_csv), "-o", "-", "--format", "parquet"]))
    assert "standard output" in line


@pytest.mark.parametrize(
    ("out", "message"),
    [("scores.out", "cannot tell the format"), ("DIR", "is a directory"), ("LINK.parquet", "symbolic link")],
)
def test_bad_outputs_are_one_line_errors(out, message, model, flows_csv, tmp_path):
    if out == "DIR":
        out = str(tmp_path)
    elif out == "LINK.parquet":
        victim = tmp_path / "victim.txt"
        victim.write_text("keep me")
        (tmp_path / out).symlink_to(victim)
        out = str(tmp_path / out)
    else:
        out = str(tmp_path / out)
    line = one_line_error(runner.invoke(app, ["score", str(model), str(flows_csv), "-o", out, "--overwrite"]))
    assert message in line
    if "LINK" in out:
        assert (tmp_path / "victim.txt").read_text() == "keep me"


@pytest.mark.parametrize("overwrite", [False, True])
def test_two_concurrent_runs_leave_one_whole_readable_file(overwrite, model, flows_csv, tmp_path):
    big = tmp_path / "big.csv"
    frame = pd.read_csv(flows_csv)
    pd.concat([frame] * 10, ignore_index=True).to_csv(big, index=False)  # 20,000 rows: the runs overlap
    out = tmp_path / "same.parquet"
    command = [sys.executable, "-m", "netad.cli", "score", str(model), str(big), "-o", str(out), "--chunk-rows", "500"]
    command += ["--overwrite"] if overwrite else []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    codes = sorted(run.wait(timeout=300) for run in runs)
    errors = [run.stderr.read().decode() for run in runs]
    if overwrite:
        assert codes == [0, 0], errors
    else:  # one wins; the other is refused (the file appeared meanwhile), never both writing into one file
        assert codes == [0, 2], errors
    table = pq.read_table(out)
    assert table.num_rows == 20_000 and table.column("row").to_pylist() == list(range(20_000))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
