"""The dashboard's HTTP server: Python's stdlib ``ThreadingHTTPServer``, local by default, read-only.

Routes (GET only):

- ``/``: the page (``static/index.html``), ``/static/<file>``: its script and style sheet;
- ``/vendor/plotly.min.js``: plotly.js as shipped inside the ``plotly`` Python package (no CDN: works offline);
- ``/api/index``: runs, jobs, leaderboard (:func:`netad.dashboard.data.index_payload`);
- ``/api/job?run=<i>&key=<job key>``: one job's payload (:func:`netad.dashboard.data.job_payload`), cached.

Nothing outside the static folder, plotly.js and the given run directories is ever read.

>>> server = make_server(["runs/demo"], port=0)        # doctest: +SKIP
>>> server.url                                          # doctest: +SKIP
'http://127.0.0.1:40123/'
>>> server.serve_forever()                              # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from netad.dashboard.data import DEFAULT_MAX_POINTS, index_payload, job_payload, to_json
from netad.errors import NetadInputError
from netad.runs import RunDir, load_run

log = logging.getLogger(__name__)

STATIC = resources.files("netad.dashboard") / "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}


def plotly_js_path() -> Path:
    """plotly.min.js as shipped in the ``plotly`` package (raises ImportError naming the extra when missing)."""
    try:
        import plotly
    except ImportError:
        raise ImportError('the dashboard needs plotly: pip install "netad[dashboard]"') from None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ImportError(f"plotly {plotly.__version__} ships no package_data/plotly.min.js; reinstall plotly")
    return path


class DashboardServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that knows its run directories and caches their payloads."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], runs: list[RunDir], max_points: int = DEFAULT_MAX_POINTS):
        self.runs, self.max_points = runs, max_points
        self.plotly_js = plotly_js_path()
        self._lock = threading.Lock()
        self.job_json = lru_cache(maxsize=64)(self._job_json)
        self.index_json = lru_cache(maxsize=1)(self._index_json)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def _index_json(self) -> bytes:
        return to_json(index_payload(self.runs)).encode()

    def _job_json(self, run: int, key: str) -> bytes:
        if not 0 <= run < len(self.runs):
            raise NetadInputError(f"no run {run}; runs 0..{len(self.runs) - 1}")
        with self._lock:  # one payload built at a time: they read parquet files and fit nothing, but use memory
            return to_json(job_payload(self.runs[run], key, self.max_points, run_id=run)).encode()


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "netad-dashboard"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("%s - %s", self.address_string(), format % args)

    def _send(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=86400" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        from json import dumps

        self._send(dumps({"error": message}).encode(), "application/json", status)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        path = parts.path
        try:
            if path in ("/", "/index.html"):
                self._send((STATIC / "index.html").read_bytes(), _TYPES[".html"])
            elif path.startswith("/static/"):
                name = path.removeprefix("/static/")
                files = {f.name: f for f in STATIC.iterdir() if f.is_file()}
                if name not in files:
                    return self._error(HTTPStatus.NOT_FOUND, f"no static file {name!r}")
                self._send(files[name].read_bytes(), _TYPES.get(Path(name).suffix, "application/octet-stream"))
            elif path == "/vendor/plotly.min.js":
                self._send(self.server.plotly_js.read_bytes(), _TYPES[".js"], cache=True)
            elif path == "/api/index":
                self._send(self.server.index_json(), "application/json")
            elif path == "/api/job":
                query = parse_qs(parts.query)
                run, key = query.get("run", [""])[0], query.get("key", [""])[0]
                if not run.isdigit() or not key:
                    return self._error(HTTPStatus.BAD_REQUEST, "expected /api/job?run=<index>&key=<job key>")
                self._send(self.server.job_json(int(run), key), "application/json")
            elif path == "/favicon.ico":
                self._send(b"", "image/x-icon", HTTPStatus.NO_CONTENT)
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no such page {path!r}")
        except NetadInputError as exc:
            self._error(HTTPStatus.NOT_FOUND, str(exc))
        except (BrokenPipeError, ConnectionResetError):  # the browser went away mid-response
            pass
        except Exception as exc:  # noqa: BLE001 - shown in the page, logged with its traceback
            log.exception("dashboard request %s failed", self.path)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")


def make_server(
    run_dirs: Sequence[str | Path],
    host: str = "127.0.0.1",
    port: int = 8050,
    max_points: int = DEFAULT_MAX_POINTS,
) -> DashboardServer:
    """Read the run directories (errors name the bad one) and bind the server; ``port=0`` picks a free port."""
    if not run_dirs:
        raise NetadInputError("give at least one run directory")
    if max_points < 10:
        raise NetadInputError(f"max_points {max_points}: need at least 10 points per job")
    runs = [load_run(path) for path in run_dirs]
    try:
        return DashboardServer((host, port), runs, max_points)
    except OSError as exc:
        raise NetadInputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); try another --port") from None


def serve(
    run_dirs: Sequence[str | Path],
    host: str = "127.0.0.1",
    port: int = 8050,
    max_points: int = DEFAULT_MAX_POINTS,
) -> None:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    server = make_server(run_dirs, host, port, max_points)
    log.info("dashboard on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
