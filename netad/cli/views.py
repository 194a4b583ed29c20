"""``netad dashboard`` and ``netad report``: look at run directories."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from netad.cli.common import (
    VerboseOption,
    app,
    log_to_stderr,
    say,
    stderr,
    user_errors,
)


@app.command()
@user_errors
def dashboard(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `netad bench` / `netad sweep`.")],
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8050,
    max_points: Annotated[
        int,
        typer.Option("--max-points", help="Test rows per job sent to the browser for the threshold slider (sample)."),
    ] = 5000,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests to stderr.")] = False,
) -> None:
    """Serve a web dashboard over run directories: leaderboard, histograms, ROC/PR, threshold slider, SHAP."""
    log_to_stderr(verbose, logging.DEBUG)
    from netad.dashboard.server import make_server

    server = make_server(run_dirs, host, port, max_points)
    if host not in ("127.0.0.1", "localhost", "::1"):
        say(f"listening on {host}: anyone who can reach it can read these runs", "yellow")
    say(f"netad dashboard on {server.url} ({len(run_dirs)} run(s)); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        stderr.print("stopped")
    finally:
        server.server_close()


@app.command()
@user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory written by `netad bench` / `netad sweep`.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default RUN_DIR/report.html).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Write one self-contained HTML report of a run (tables, plots, config) that opens offline."""
    log_to_stderr(verbose)
    from netad.report import write_report

    path = write_report(run_dir, out, overwrite=overwrite)
    say(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
