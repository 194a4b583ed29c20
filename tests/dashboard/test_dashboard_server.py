"""The dashboard's HTTP server: JSON API over the run directories, plotly.js served locally, nothing else read."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.dashboard.server import plotly_js_path


def get(server, path: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(server.url + path.lstrip("/"), timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_index_lists_both_runs_their_jobs_and_every_summary_row(server, run_dir):
    status, body, kind = get(server, "/api/index")
    assert status == 200 and kind == "application/json"
    index = json.loads(body)
    summary = pd.read_csv(run_dir / "summary.csv")
    assert [r["name"] for r in index["runs"]] == [run_dir.name, "bench-copy"]
    assert len(index["leaderboard"]) == 2 * len(summary)
    assert {j["key"] for j in index["runs"][0]["jobs"]} == {p.stem for p in (run_dir / "scores").glob("*.parquet")}


def test_job_endpoint_serves_a_payload_and_names_an_unknown_job(server):
    status, body, _ = get(server, "/api/job?run=1&key=nsl-kdd-sample__novelty__pca__seed1")
    assert status == 200
    payload = json.loads(body)
    assert payload["run"] == 1 and payload["detector"] == "pca" and payload["seed"] == 1
    status, body, _ = get(server, "/api/job?run=0&key=nsl-kdd-sample__novelty__nosuch__seed0")
    assert status == 404 and "nosuch" in json.loads(body)["error"]
    status, _, _ = get(server, "/api/job?run=7&key=x")
    assert status == 404


def test_page_script_and_local_plotly_are_served_and_nothing_else(server):
    status, page, kind = get(server, "/")
    assert status == 200 and kind.startswith("text/html") and b"vendor/plotly.min.js" in page
    assert b"http://" not in page and b"https://" not in page  # no CDN
    status, script, _ = get(server, "/vendor/plotly.min.js")
    assert status == 200 and len(script) == plotly_js_path().stat().st_size
    assert get(server, "/static/dashboard.js")[0] == 200
    for path in ("/static/../server.py", "/static/%2e%2e/data.py", "/etc/passwd", "/api/nothing"):
        assert get(server, path)[0] == 404


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dashboard", "/nonexistent/run"], "/nonexistent/run"),
        (["dashboard", "."], "not a benchmark run directory"),
    ],
)
def test_dashboard_command_refuses_bad_run_directories(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_dashboard_command_names_a_busy_port(server, run_dir: Path):
    port = server.server_address[1]
    result = CliRunner().invoke(app, ["dashboard", str(run_dir), "--port", str(port)])
    assert result.exit_code == 2 and str(port) in " ".join(result.output.split())
