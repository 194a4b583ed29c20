"""A live run on the loopback interface: an HTTP exchange with a local server shows up as a flow record, and
SIGTERM ends the run cleanly (exit 0, records written). Traffic goes to 127.0.0.1 only; needs root to capture."""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.needs_data("cicids2017"),
    pytest.mark.skipif(os.geteuid() != 0, reason="live capture needs root"),
]
REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90  # a bound on the whole exchange, not a speed assertion


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # no line per request on stderr
        pass


@pytest.fixture
def web_server(tmp_path):  # noqa: ANN001, ANN201
    (tmp_path / "index.html").write_text("<html>netad watch test</html>")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_http_exchange_on_loopback_becomes_a_flow_record_and_sigterm_stops_cleanly(
    iforest_model, web_server, validate_records
):
    port = web_server
    command = [sys.executable, "-m", "netad.cli", "watch", str(iforest_model), "--interface", "lo", "--stdout",
               "--all-flows", "--idle-timeout", "1", "--bpf", f"tcp port {port}", "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        # NFStream notices an idle flow's end when a later packet arrives: keep fetching until one is written
        while time.monotonic() < deadline and not any(f'"dest_port":{port}' in line for line in lines):
            assert process.poll() is None, process.stderr.read()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                assert b"netad watch test" in response.read()
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    reader.join(timeout=5)
    assert process.returncode == 0, stderr
    assert "signal:" in stderr and "Traceback" not in stderr
    records = validate_records(lines)
    flows = [r for r in records if r.get("dest_port") == port and r["anomaly"]["scope"] == "flow"]
    assert flows, f"no flow record for port {port}: {stderr}"
    flow = flows[0]
    assert flow["src_ip"] == flow["dest_ip"] == "127.0.0.1" and flow["proto"] == "TCP"
    assert flow["app_proto"] == "http"
    assert flow["flow"]["pkts_toserver"] >= 3 and flow["flow"]["bytes_toclient"] > len("netad watch test")
