"""``netad datasets``, ``netad detectors`` and ``netad version``: what is available here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from netad.cli.common import (
    app,
    count,
    say,
    stdout,
    user_errors,
)
from netad.errors import NetadInputError


@app.command()
@user_errors
def datasets(
    name: Annotated[list[str] | None, typer.Argument(help="Only these datasets.")] = None,
) -> None:
    """List every dataset, where it was found, rows and class balance."""
    from netad.datasets import summary

    table = Table(title="netad datasets", title_justify="left")
    for column in ("name", "found", "rows", "attacks", "top categories", "where"):
        table.add_column(column)
    for entry in summary(name or None):
        balance = entry.get("class_balance") or {}
        top = ", ".join(f"{k} {v:,}" for k, v in list(balance.items())[:4])
        paths = entry.get("paths") or []
        table.add_row(
            escape(entry["name"]),
            "yes" if entry.get("found") else "no",
            f"{entry['rows']:,}" if entry.get("rows") is not None else "",
            f"{entry['attacks']:,}" if entry.get("attacks") is not None else "",
            escape(top),
            escape(str(Path(paths[0]).parent) if paths else entry.get("hint", "")),
        )
    stdout.print(table)


@app.command()
@user_errors
def detectors(
    peers: Annotated[
        bool,
        typer.Option(
            "--peers", help="Also list the installed PyOD/DeepOD detectors that take a flow table (pyod:NAME, ...)."
        ),
    ] = False,
    all_peers: Annotated[
        bool,
        typer.Option("--all", help="With --peers: also the graph, time-series, audio and other non-table models."),
    ] = False,
) -> None:
    """List registered detectors (and, with --peers, the PyOD/DeepOD ones `netad bench` can run)."""
    from netad.detectors import available

    table = Table(title="netad detectors", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, description in available().items():
        table.add_row(escape(name), escape(description))
    if peers:
        _add_peer_rows(table, all_peers)
    elif all_peers:
        raise NetadInputError("--all lists the non-table peer models: use it with --peers")
    stdout.print(table)


def _add_peer_rows(table: Table, all_peers: bool) -> None:
    """Peer rows: by default only models that take a flow table (with their supervision); ``all_peers`` adds
    the rest, marked with the input they need."""
    from netad.detectors.peers import INSTALL_HINT, available_peers, peer_input

    found = available_peers()
    hidden = 0
    for name, supervision in found.items():
        kind = peer_input(name)
        if kind == "table":
            table.add_row(escape(name), f"peer, {supervision}")
        elif all_peers:
            table.add_row(escape(name), escape(f"peer, {supervision}; needs {kind} input: not for flow tables"))
        else:
            hidden += 1
    if hidden:
        say(f"{count(hidden, 'peer model')} for graph, time-series, audio or embedding input not shown (--all)")
    for library, hint in INSTALL_HINT.items():
        if not any(name.startswith(f"{library}:") for name in found):
            say(f"{library} is not installed; to list and run its detectors: {hint}")


@app.command()
def version() -> None:
    """Print the netad version (also: netad --version)."""
    from netad import __version__

    stdout.print(__version__, highlight=False)
