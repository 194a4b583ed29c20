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
from netad.errors import NetadInputError


@app.command()
@user_errors
def flows(
    pcap: Annotated[Path, typer.Argument(help="Packet capture to meter (.pcap or .pcapng).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output parquet flow table.")],
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            help="Column layout: cicids2017 (default), cicflowmeter-v4 (CSE-CIC-IDS2018 names) or cicids2017-improved.",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Saved model directory: write the layout its feature columns come from."),
    ] = None,
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
    """Meter a packet capture into flows with CICFlowMeter features (NFStream), for `netad score`."""
    log_to_stderr(verbose)
    from netad.flows import DEFAULT_LAYOUT, get_layout, layout_for, write_flows

    if layout is not None and model is not None:
        raise NetadInputError("give --layout or --model, not both (--model takes the layout from the model)")
    if model is not None:
        from netad.persist import load_model

        chosen = layout_for(load_model(model).schema.input_columns)
        say(f"layout {chosen.name} ({chosen.title}): the columns {model} was trained on")
    else:
        chosen = get_layout(layout or DEFAULT_LAYOUT)
    report = write_flows(
        pcap, out, layout=chosen, fill_missing=fill_missing, overwrite=overwrite, idle_timeout=idle_timeout,
        active_timeout=active_timeout, bpf_filter=bpf,
    )  # fmt: skip
    table = Table(title=escape(f"netad flows — {pcap}"), title_justify="left")
    for column in ("flows", "packets", "payload bytes", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(f"{report.flows:,}", f"{report.packets:,}", f"{report.payload_bytes:,}", f"{report.seconds:.2f}")
    stdout.print(table)
    clock = "microsecond" if report.settings["time_resolution_us"] == 1 else "NFStream's millisecond"
    stderr.print(
        f"{chosen.title} columns: {len(report.exact)} exact, {len(report.approximated)} approximated "
        f"({clock} packet times), see netad.flows.layouts",
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
            f"absent (not computed, left out): {', '.join(report.absent)}; `netad score` reports them as missing "
            "for a model trained with them: pass --fill-missing 0 to write them as 0 (their value on every "
            "CIC-IDS-2017 row checked)",
            highlight=False,
        )
    say(f"flows: {report.output}")
