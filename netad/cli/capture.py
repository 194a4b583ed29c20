"""``netad flows``: packet captures into flow tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from netad.cli.common import (
    VerboseOption,
    app,
    log_to_stderr,
    say,
    stderr,
    stdout,
    user_errors,
)


@app.command()
@user_errors
def flows(
    pcap: Annotated[Path, typer.Argument(help="Packet capture to meter (.pcap or .pcapng).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output parquet flow table (CIC-IDS-2017 column names).")],
    fill_missing: Annotated[
        float | None,
        typer.Option("--fill-missing", help="Write the CIC columns not computed (bulk features) with this value."),
    ] = None,
    idle_timeout: Annotated[int, typer.Option("--idle-timeout", help="Seconds without packets that end a flow.")] = 120,
    active_timeout: Annotated[int, typer.Option("--active-timeout", help="Seconds after which a flow is cut.")] = 120,
    bpf: Annotated[str | None, typer.Option("--bpf", help="BPF filter applied to the packets, e.g. 'tcp'.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Meter a packet capture into flows with CIC-IDS-2017 features (NFStream), for `netad score`."""
    log_to_stderr(verbose)
    from netad.flows import ABSENT, write_flows

    report = write_flows(
        pcap, out, fill_missing=fill_missing, overwrite=overwrite, idle_timeout=idle_timeout,
        active_timeout=active_timeout, bpf_filter=bpf,
    )  # fmt: skip
    table = Table(title=escape(f"netad flows — {pcap}"), title_justify="left")
    for column in ("flows", "packets", "payload bytes", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(f"{report.flows:,}", f"{report.packets:,}", f"{report.payload_bytes:,}", f"{report.seconds:.2f}")
    stdout.print(table)
    stderr.print(
        f"CIC-IDS-2017 columns: {len(report.exact)} exact, {len(report.approximated)} approximated "
        "(millisecond timestamps; 0/1 flags), see netad.flows",
        highlight=False,
    )
    if report.filled:
        say(
            f"filled {len(report.filled)} column(s) not computed with {fill_missing:g} (recorded in the "
            f"file's netad.flows metadata): {', '.join(report.filled)}",
            "yellow",
        )
    else:
        stderr.print(
            f"absent (not computed, left out): {', '.join(ABSENT)}; `netad score` reports them as missing for a "
            "model trained with them: pass --fill-missing 0 to write them as 0 (their value on every CIC-IDS-2017 "
            "row checked)",
            highlight=False,
        )
    say(f"flows: {report.output}")
