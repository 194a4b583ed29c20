"""``GET /metrics``: request, row, alert, batch and latency counters in the Prometheus text format (0.0.4).

A few counters written by hand (the format is small and fixed) rather than another dependency. Each uvicorn
worker counts its own requests: with ``--workers N`` a scrape sees the worker that answered it.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the request latency histogram."""
ROUTES = frozenset(("/score", "/model", "/health", "/metrics", "/docs", "/openapi.json"))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Counters of one service process, rendered by :meth:`render`."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.latency_counts: dict[str, list[int]] = defaultdict(lambda: [0] * (len(LATENCY_BUCKETS) + 1))
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.rows_scored = 0
        self.rows_flagged = 0
        self.batches = 0
        self.batched_requests = 0
        self.started = time.time()

    def observe_request(self, path: str, status: int, seconds: float) -> None:
        route = path if path in ROUTES else "other"
        self.requests[(route, status)] += 1
        self.latency_counts[route][bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum[route] += seconds

    def observe_scored(self, rows: int, flagged: int) -> None:
        self.rows_scored += rows
        self.rows_flagged += flagged

    def observe_batch(self, requests: int, rows: int) -> None:
        self.batches += 1
        self.batched_requests += requests

    def render(self) -> str:
        """The counters in the Prometheus text exposition format."""
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family("netad_requests_total", "counter", "HTTP requests answered, by route and status code.")
        for (route, status), count in sorted(self.requests.items()):
            out.append(f'netad_requests_total{{route="{route}",status="{status}"}} {count}')
        family("netad_errors_total", "counter", "HTTP responses with status >= 400, by status code.")
        errors: dict[int, int] = defaultdict(int)
        for (_, status), count in self.requests.items():
            if status >= 400:
                errors[status] += count
        for status, count in sorted(errors.items()):
            out.append(f'netad_errors_total{{status="{status}"}} {count}')
        family("netad_rows_scored_total", "counter", "Flows scored.")
        out.append(f"netad_rows_scored_total {self.rows_scored}")
        family("netad_rows_flagged_total", "counter", "Flows scored above the model's threshold.")
        out.append(f"netad_rows_flagged_total {self.rows_flagged}")
        family("netad_batches_total", "counter", "Scoring calls (one per micro-batch or large request).")
        out.append(f"netad_batches_total {self.batches}")
        family("netad_batched_requests_total", "counter", "Requests scored, summed over scoring calls.")
        out.append(f"netad_batched_requests_total {self.batched_requests}")
        family("netad_request_duration_seconds", "histogram", "Time from request received to response sent.")
        for route in sorted(self.latency_counts):
            cumulative = 0
            counts = self.latency_counts[route]
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'netad_request_duration_seconds_bucket{{route="{route}",le="{le}"}} {cumulative}')
            out.append(f'netad_request_duration_seconds_sum{{route="{route}"}} {self.latency_sum[route]:.6f}')
            out.append(f'netad_request_duration_seconds_count{{route="{route}"}} {cumulative}')
        family("netad_uptime_seconds", "gauge", "Seconds since the service started.")
        out.append(f"netad_uptime_seconds {time.time() - self.started:.3f}")
        family("netad_model_info", "gauge", "The served model (always 1).")
        out.append(f'netad_model_info{{detector="{self.model_name}"}} 1')
        return "\n".join(out) + "\n"


class MetricsMiddleware:
    """ASGI middleware counting every HTTP request's route, status and duration (500 if none was sent)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counting_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.metrics.observe_request(scope.get("path", ""), status, time.perf_counter() - started)
