"""``netad watch``: a live interface or capture files through a saved model into EVE-style alert records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from netad.cli.common import (
    QuietOption,
    VerboseOption,
    app,
    log_to_stderr,
    say,
    stderr,
    user_errors,
)
from netad.cli.progress import StderrProgress
from netad.errors import NetadInputError


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "-"


@app.command()
@user_errors
def watch(
    model: Annotated[
        Path, typer.Argument(help="Model directory written by `netad train` (flows metered into its layout).")
    ],
    interface: Annotated[
        str | None, typer.Option("--interface", "-i", help="Network interface to capture live (needs root).")
    ] = None,
    pcap: Annotated[
        list[Path] | None, typer.Option("--pcap", help="Capture file to replay (repeatable; read in order).")
    ] = None,
    alerts: Annotated[
        Path | None, typer.Option("--alerts", "-o", help="JSON-lines alert file (rotated by size).")
    ] = None,
    stdout_records: Annotated[bool, typer.Option("--stdout", help="Write the records to stdout too.")] = False,
    all_flows: Annotated[
        bool, typer.Option("--all-flows", help="Write every flow (event_type flow), not only alerts.")
    ] = False,
    idle_timeout: Annotated[int, typer.Option("--idle-timeout", help="Seconds without packets that end a flow.")] = 120,
    active_timeout: Annotated[int, typer.Option("--active-timeout", help="Seconds after which a flow is cut.")] = 120,
    bpf: Annotated[str | None, typer.Option("--bpf", help="BPF filter applied to the packets, e.g. 'tcp'.")] = None,
    batch_flows: Annotated[int, typer.Option("--batch-flows", help="Score at most this many flows at once.")] = 1024,
    batch_seconds: Annotated[
        float, typer.Option("--batch-seconds", help="Score what has arrived after this many seconds.")
    ] = 0.25,
    no_app_proto: Annotated[
        bool, typer.Option("--no-app-proto", help="Skip nDPI application detection (app_proto 'unknown').")
    ] = False,
    no_drift: Annotated[bool, typer.Option("--no-drift", help="No drift records.")] = False,
    drift_window: Annotated[float, typer.Option("--drift-window", help="Seconds of traffic per drift window.")] = 60.0,
    adapt: Annotated[
        Path | None,
        typer.Option("--adapt", help="Refit on recent unflagged flows when drift fires; new versions go here."),
    ] = None,
    adapt_min_rows: Annotated[int, typer.Option("--adapt-min-rows", help="Rows needed before a refit.")] = 2000,
    duration: Annotated[float | None, typer.Option("--duration", help="Stop after this many seconds.")] = None,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Rotate the alert file beyond this size.")] = 100 << 20,
    backups: Annotated[int, typer.Option("--backups", help="Rotated alert files kept (.1 ... .N).")] = 5,
    append: Annotated[bool, typer.Option("--append", help="Append to an existing alert file.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing alert file.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Watch a live interface or capture files: flows scored as they end, alerts written at once (EVE JSON lines)."""
    log_to_stderr(verbose)
    from netad.watch import AdaptSettings, DriftSettings, RotatingFileSink, StreamSink, WatchSettings
    from netad.watch import watch as run_watch

    if bool(interface) == bool(pcap):
        raise NetadInputError("give --interface IF or --pcap FILE (one of them)")
    if alerts is None and not stdout_records:
        raise NetadInputError("nowhere to write: give --alerts FILE and/or --stdout")
    settings = WatchSettings(
        idle_timeout=idle_timeout, active_timeout=active_timeout, batch_flows=batch_flows,
        batch_seconds=batch_seconds, bpf_filter=bpf, app_proto=not no_app_proto, all_flows=all_flows,
        duration=duration, drift=None if no_drift else DriftSettings(window_seconds=drift_window),
        adapt=None if adapt is None else AdaptSettings(adapt, min_rows=adapt_min_rows,
                                                       reservoir_rows=max(20_000, adapt_min_rows)),
    )  # fmt: skip
    sinks = []
    if alerts is not None:
        sinks.append(RotatingFileSink(alerts, max_bytes=max_bytes, backups=backups, overwrite=overwrite,
                                      append=append))  # fmt: skip
    if stdout_records:
        sinks.append(StreamSink())
    shown = StderrProgress(stderr, live=False)  # plain lines with the time since start, also on a terminal
    last = {"t": time.monotonic(), "packets": 0, "flows": 0, "alerts": 0}

    def progress(stats) -> None:  # noqa: ANN001 - WatchStats, imported lazily
        now = time.monotonic()
        span = now - last["t"]
        shown.line(
            f"{stats.packets:,} packets in ended flows ({_rate(stats.packets - last['packets'], span)}), "
            f"{stats.flows:,} flows ({_rate(stats.flows - last['flows'], span)}), "
            f"{stats.alerts:,} alerts ({_rate(stats.alerts - last['alerts'], span)})"
        )
        last.update(t=now, packets=stats.packets, flows=stats.flows, alerts=stats.alerts)

    where = f"interface {interface}" if interface else ", ".join(str(p) for p in pcap)
    if not quiet:
        say(f"watching {where} with {model} (Ctrl-C to stop)")
    stats = run_watch(model, sinks, pcaps=pcap, interface=interface, settings=settings,
                      on_progress=None if quiet else progress, handle_signals=True)  # fmt: skip
    say(
        f"{stats.stopped_by}: {stats.packets:,} packets, {stats.flows:,} flows, {stats.flow_alerts:,} flow alerts, "
        f"{stats.host_alerts:,} host alerts, {stats.drift_records:,} drift records in {stats.seconds:.1f} s"
        + (f"; {stats.unscored_flows:,} flows not scored (NaN/Inf features)" if stats.unscored_flows else "")
        + (f"; {stats.cleaned_flows:,} flows with NaN/Inf filled as in training" if stats.cleaned_flows else "")
        + (f"; {stats.evicted_hosts:,} hosts evicted from the host windows" if stats.evicted_hosts else "")
    )
    for version in stats.models:
        say(f"adapted model saved: {version}")
    if alerts is not None:
        say(f"alerts: {alerts}")
