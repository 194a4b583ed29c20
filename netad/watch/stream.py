"""The watch loop: packets -> NFStream flows -> micro-batches -> scores, host rules, drift -> records in the sinks.

A capture file and a live interface go through the same code: NFStream's streamer (its meter process reads the
packets, keeps the flow table and emits each flow when it ends by the idle or active timeout, or at the end of
the capture) is iterated by a reader thread into a bounded queue; the main thread takes flows off the queue in
micro-batches of ``batch_flows`` flows or whatever arrived within ``batch_seconds``, scores them, updates the host
windows and the drift monitor, and writes the batch's records to every sink before taking the next batch.

Memory is bounded by: the queue (``queue_flows`` flows; when full the reader waits, so NFStream's meter waits, and
on a live interface the kernel drops packets, as any capture does when the reader is slower than the link), one
batch, the host windows (:class:`~netad.watch.hosts.HostRules` caps), the drift window (capped), and NFStream's
flow table, which holds the flows seen within the idle timeout (NFStream 6 has no flow-count cap: a flow leaves
its table only by the idle/active timeouts, scanned every 10 ms of traffic time; shorter timeouts bound it).

Stopping: the end of the capture, ``duration`` seconds, SIGINT (Ctrl-C) or SIGTERM. On a signal the loop scores and
writes every flow already emitted, closes the sinks and ends NFStream's meter processes (the flows still open in
the meter's table at that moment are not emitted: NFStream has no stop-and-flush).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.persist import LoadedModel, load_model
from netad.watch.adapt import Adapter, AdaptSettings
from netad.watch.drift import DriftMonitor, DriftSettings
from netad.watch.eve import drift_record, flow_records, host_record
from netad.watch.hosts import HostRules, HostWindows, failed_connections
from netad.watch.scoring import FlowScorer, ModelInfo
from netad.watch.sinks import Sink

logger = logging.getLogger(__name__)

FLOW_TIMEOUT_S = 120
"""CICFlowMeter's flow timeout, NFStream's idle and active timeouts by default (as in :mod:`netad.flows`)."""
_END = object()


@dataclass(frozen=True)
class WatchSettings:
    """How ``netad watch`` meters, batches and reports (see the module docstring)."""

    idle_timeout: int = FLOW_TIMEOUT_S
    active_timeout: int = FLOW_TIMEOUT_S
    batch_flows: int = 1024
    batch_seconds: float = 0.25
    queue_flows: int = 8192
    bpf_filter: str | None = None
    app_proto: bool = True
    """nDPI application detection for ``app_proto`` (off: ``unknown``, and faster metering)."""
    all_flows: bool = False
    top_features: int = 3
    duration: float | None = None
    progress_seconds: float = 5.0
    hosts: HostRules = field(default_factory=HostRules)
    drift: DriftSettings | None = field(default_factory=DriftSettings)
    adapt: AdaptSettings | None = None
    """Opt-in online adaptation (:mod:`netad.watch.adapt`); needs ``drift``."""

    def __post_init__(self) -> None:
        if self.idle_timeout < 1 or self.active_timeout < 1:
            raise NetadInputError(
                f"timeouts must be >= 1 s, got idle {self.idle_timeout}, active {self.active_timeout}"
            )
        if self.batch_flows < 1 or self.batch_seconds <= 0 or self.queue_flows < 1:
            raise NetadInputError("batch flows, batch seconds and queue flows must be positive")
        if self.duration is not None and self.duration <= 0:
            raise NetadInputError(f"duration must be positive seconds, got {self.duration}")
        if self.adapt is not None and self.drift is None:
            raise NetadInputError("--adapt refits when the drift signal fires: it cannot run with --no-drift")


@dataclass
class WatchStats:
    """Counts of one watch run; ``latencies``: seconds from a flow's emission by NFStream to its batch written
    (the last 100,000 flows)."""

    packets: int = 0
    flows: int = 0
    flow_alerts: int = 0
    host_alerts: int = 0
    drift_records: int = 0
    records: int = 0
    unscored_flows: int = 0
    cleaned_flows: int = 0
    batches: int = 0
    seconds: float = 0.0
    stopped_by: str = "end of capture"
    evicted_hosts: int = 0
    models: list[str] = field(default_factory=list)
    """Model versions saved by ``adapt``, in order."""
    latencies: deque = field(default_factory=lambda: deque(maxlen=100_000))

    @property
    def alerts(self) -> int:
        return self.flow_alerts + self.host_alerts

    def latency_quantile(self, q: float) -> float:
        return float(np.quantile(np.fromiter(self.latencies, float), q)) if self.latencies else float("nan")


def open_streamers(pcaps: Sequence[Path] | None, interface: str | None, settings: WatchSettings) -> list[Any]:
    """NFStream streamers (:func:`netad.flows.streamer`): one per capture file, read in order (each file its own
    flow table), or one over a live interface."""
    from netad.flows import streamer
    from netad.flows.meter import check_capture

    if bool(pcaps) == bool(interface):
        raise NetadInputError("give either an interface or capture files, not both or neither")
    sources: list[Any] = [interface] if interface else list(pcaps)
    for path in pcaps or ():
        check_capture(Path(path))
    try:
        return [
            streamer(
                source,
                idle_timeout=settings.idle_timeout,
                active_timeout=settings.active_timeout,
                bpf_filter=settings.bpf_filter,
                n_meters=1,
                n_dissections=20 if settings.app_proto else 0,
            )  # fmt: skip
            for source in sources
        ]
    except ValueError as exc:
        raise NetadInputError(f"{interface or sources[0]}: NFStream cannot read it ({exc})") from None


class _Reader(threading.Thread):
    """Iterates the streamers in turn into a bounded queue: (monotonic time emitted, flow), then ``_END``."""

    def __init__(self, streamers: list[Any], flows: queue.Queue) -> None:
        super().__init__(name="netad-watch-reader", daemon=True)
        self.streamers, self.flows = streamers, flows
        self.keys: list[str] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for streamer in self.streamers:
                for flow in streamer:
                    if self.keys is None:
                        self.keys = flow.keys()
                    self.flows.put((time.monotonic(), flow.values()))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which reports it
            self.error = exc
        finally:
            self.flows.put(_END)


class Watch:
    """One watch run over a source (see :func:`watch`)."""

    def __init__(self, model: LoadedModel, sinks: Sequence[Sink], settings: WatchSettings) -> None:
        self.settings, self.sinks = settings, list(sinks)
        self.hosts = HostWindows(settings.hosts)
        self.adapter = None if settings.adapt is None else Adapter(model, settings.adapt)
        self.stats = WatchStats()
        self._use(model)
        self.stop = threading.Event()
        self.keys: list[str] | None = None

    def _use(self, model: LoadedModel) -> None:
        """Score with ``model`` from now on (at start, and after each adapted version); drift restarts with it."""
        self.model = model
        self.scorer = FlowScorer(model, self.settings.top_features)
        self.info = ModelInfo.of(model)
        schema, drift = model.schema, self.settings.drift
        self.drift = None if drift is None else DriftMonitor(
            list(schema.output_features), schema.feature_mean, schema.feature_std, drift, model.score_reference
        )  # fmt: skip

    def process(self, items: list[tuple[float, list[Any]]]) -> None:
        """Score one batch and write its records."""
        nf = pd.DataFrame([values for _, values in items], columns=self.keys)
        batch = self.scorer.score(self.scorer.columns(nf))
        records = flow_records(nf, batch, self.info, self.settings.all_flows)
        start = nf["bidirectional_first_seen_ms"].to_numpy(np.float64) / 1000
        payload = (nf["src2dst_bytes"] + nf["dst2src_bytes"]).to_numpy()
        failed = failed_connections(
            nf["protocol"].to_numpy(), nf["bidirectional_syn_packets"].to_numpy(),
            nf["bidirectional_rst_packets"].to_numpy(), nf["dst2src_packets"].to_numpy(), payload,
        )  # fmt: skip
        host_alerts = self.hosts.update(
            nf["src_ip"].to_numpy(), nf["dst_ip"].to_numpy(), nf["dst_port"].to_numpy(), start, failed, payload,
            batch.flagged,
        )  # fmt: skip
        records += [host_record(a, self.info) for a in host_alerts]
        drift = [] if self.drift is None else self.drift.add(start[batch.scored], batch.scores[batch.scored], batch.X)
        records += [drift_record(body, self.info) for body in drift]
        adapted = None
        if self.adapter is not None:
            self.adapter.add(batch.X, batch.flagged[batch.scored])
            if drift:
                adapted = self.adapter.refit(self.model, self.info.sha256, drift[-1])
        for sink in self.sinks:
            sink.write(records)
        written = time.monotonic()
        s = self.stats
        s.latencies.extend(written - emitted for emitted, _ in items)
        s.flows += len(nf)
        s.packets += int(nf["bidirectional_packets"].sum())
        s.flow_alerts += int(batch.flagged.sum())
        s.host_alerts += len(host_alerts)
        s.drift_records += len(drift)
        s.records += len(records)
        s.unscored_flows += batch.unscored
        s.cleaned_flows += batch.cleaned
        s.evicted_hosts = self.hosts.evicted_hosts
        s.batches += 1
        if adapted is not None:  # from the next batch on
            self._use(adapted)
            s.models.append(str(adapted.path))

    def run(self, streamers: list[Any], on_progress: Callable[[WatchStats], None] | None = None) -> WatchStats:
        settings = self.settings
        flows: queue.Queue = queue.Queue(maxsize=settings.queue_flows)
        before = {p.pid for p in multiprocessing.active_children()}
        reader = _Reader(streamers, flows)
        started = time.monotonic()
        deadline = started + settings.duration if settings.duration else float("inf")
        next_progress = started + settings.progress_seconds
        batch: list[tuple[float, list[Any]]] = []
        batch_due = float("inf")
        reader.start()
        try:
            while True:
                now = time.monotonic()
                if self.stop.is_set() or now >= deadline:
                    self.stats.stopped_by = "signal" if self.stop.is_set() else "duration"
                    break
                try:
                    item = flows.get(timeout=max(min(batch_due, deadline, next_progress) - now, 0.0) + 1e-3)
                except queue.Empty:
                    item = None
                if item is _END:
                    break
                if item is not None:
                    if not batch:
                        batch_due = time.monotonic() + settings.batch_seconds
                    batch.append(item)
                if batch and (len(batch) >= settings.batch_flows or time.monotonic() >= batch_due):
                    self._flush(reader, batch)
                    batch, batch_due = [], float("inf")
                if on_progress is not None and time.monotonic() >= next_progress:
                    self.stats.seconds = time.monotonic() - started
                    on_progress(self.stats)
                    next_progress = time.monotonic() + settings.progress_seconds
            # scored and written before stopping: the current batch and every flow already queued
            while True:
                try:
                    item = flows.get_nowait()
                except queue.Empty:
                    break
                if item is not _END:
                    batch.append(item)
            if batch:
                self._flush(reader, batch)
        finally:
            for sink in self.sinks:
                sink.close()
            if reader.is_alive():  # stopped early: end NFStream's meter processes (started by this run)
                for process in multiprocessing.active_children():
                    if process.pid not in before:
                        process.terminate()
                        process.join(timeout=1)
                        if process.is_alive():  # blocked in libpcap, where a Python handler cannot run
                            process.kill()
                            process.join(timeout=1)
            self.stats.seconds = time.monotonic() - started
        if reader.error is not None and not isinstance(reader.error, KeyboardInterrupt):
            if isinstance(reader.error, ValueError | OSError):
                raise NetadInputError(f"NFStream stopped: {reader.error}")
            raise reader.error
        return self.stats

    def _flush(self, reader: _Reader, batch: list[tuple[float, list[Any]]]) -> None:
        if self.keys is None:
            self.keys = reader.keys
        self.process(batch)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` in this process; NFStream's forked meters ignore SIGINT (the terminal sends
    Ctrl-C to the whole group: the watch ends them itself) and die on SIGTERM."""
    owner = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() == owner:
            stop.set()
        elif signum == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, previous in saved.items():
            signal.signal(s, previous)


def watch(
    model: LoadedModel | str | os.PathLike,
    sinks: Sequence[Sink],
    *,
    pcaps: Sequence[str | os.PathLike] | None = None,
    interface: str | None = None,
    settings: WatchSettings | None = None,
    on_progress: Callable[[WatchStats], None] | None = None,
    handle_signals: bool = False,
) -> WatchStats:
    """Meter ``pcaps`` (in order) or a live ``interface``, score flows as they end and write records to ``sinks``
    (the API behind ``netad watch``). ``handle_signals``: SIGINT/SIGTERM stop the run cleanly (main thread only).
    """
    settings = settings or WatchSettings()
    if not isinstance(model, LoadedModel):
        model = load_model(model)
    run = Watch(model, sinks, settings)
    run.scorer.check_layout(list(run.scorer.columns(pd.DataFrame()).columns))
    streamers = open_streamers([Path(p) for p in pcaps] if pcaps else None, interface, settings)
    with stop_on_signals(run.stop) if handle_signals else contextlib.nullcontext():
        stats = run.run(streamers, on_progress)
    logger.info("watch: %d flows, %d packets, %d alerts in %.1f s (%s)", stats.flows, stats.packets, stats.alerts,
                stats.seconds, stats.stopped_by)  # fmt: skip
    return stats
