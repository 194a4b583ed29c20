"""`netad serve` as a real uvicorn process on 127.0.0.1 (a free port, bounded waits): it scores, and it stops
within a few seconds of SIGTERM, with one worker or several; bad options are one line and exit code 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

httpx = pytest.importorskip("httpx")

KEY = "test-key-123"
AUTH = {"X-API-Key": KEY}
STOP_SECONDS = 10  # generous for a loaded CI machine; uvicorn is told to finish in-flight work within 3 s


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``netad serve MODEL ...`` in a child process; killed at the end if it is still running."""

    def __init__(self, model_dir: Path, log: Path, *options: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = log.open("w")
        command = [sys.executable, "-m", "netad.cli", "serve", str(model_dir), "--port", str(self.port), *options]
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "NETAD_API_KEY": KEY}
        )

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not start in {seconds} s"
            time.sleep(0.2)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def test_a_real_uvicorn_process_scores_on_loopback_and_stops_on_sigterm(
    model_dir, rows, to_records, expected_scores, tmp_path
):
    served = Served(model_dir, tmp_path / "serve.log", "--max-rows", "100")
    try:
        served.wait_ready()
        subset = rows.iloc[:20]
        with httpx.Client(base_url=served.base, timeout=10.0) as client:  # keeps its connection open
            response = client.post("/score", json={"records": to_records(subset)}, headers=AUTH)
            assert response.status_code == 200, response.text
            np.testing.assert_allclose(response.json()["scores"], expected_scores(model_dir, subset), rtol=1e-6)
            assert client.post("/score", json={"records": to_records(subset)}).status_code == 401
            too_many = client.post("/score", json={"records": to_records(rows.iloc[:101])}, headers=AUTH)
            assert too_many.status_code == 413
            assert 'netad_requests_total{route="/score",status="200"} 1' in client.get("/metrics").text
            served.process.send_signal(signal.SIGTERM)  # with a keep-alive connection still open
            served.process.wait(timeout=STOP_SECONDS)
        # uvicorn shuts down, then re-raises the signal so the exit status says why it stopped
        assert served.process.returncode in (0, -signal.SIGTERM), served.log_path.read_text()
    finally:
        served.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_several_workers_serve_and_all_stop_on_sigterm(model_dir, rows, to_records, tmp_path):
    served = Served(model_dir, tmp_path / "serve.log", "--workers", "2", "--alert-log", str(tmp_path / "alerts.jsonl"))
    try:
        served.wait_ready(seconds=120)
        with httpx.Client(base_url=served.base, timeout=10.0) as client:
            for _ in range(4):
                response = client.post("/score", json=to_records(rows.iloc[:50]), headers=AUTH)
                assert response.status_code == 200, response.text
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=STOP_SECONDS)
    finally:
        served.close()
    flagged = response.json()["n_flagged"]
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 4 * flagged  # one line per flagged flow
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_bad_serve_options_are_one_line_and_exit_code_2(model_dir, tmp_path):
    from netad.cli import app as cli

    result = CliRunner().invoke(cli, ["serve", str(model_dir), "--alert-log", str(tmp_path)])
    assert result.exit_code == 2 and "directory" in result.output and "Traceback" not in result.output
    for option in (["--max-batch", "0"], ["--batch-window-ms", "-1"], ["--workers", "0"]):
        result = CliRunner().invoke(cli, ["serve", str(model_dir), *option])
        assert result.exit_code == 2, (option, result.output)
