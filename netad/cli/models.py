"""``netad train``, ``netad score`` and ``netad serve``: a saved model from fit to use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from netad.cli.common import (
    DataPathOption,
    DatasetOption,
    DropColumnsOption,
    LabelColumnOption,
    MaxTrainOption,
    NormalLabelOption,
    PreprocessOption,
    QuietOption,
    VerboseOption,
    app,
    dataset_options,
    log_to_stderr,
    say,
    single_job,
    stderr,
    stdout,
    user_errors,
)
from netad.cli.progress import progress_on_stderr
from netad.errors import NetadInputError


@app.command()
@user_errors
def train(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name (see `netad datasets`) or csv:PATH.")],
    detector: Annotated[str, typer.Option("--detector", "-m", help="Detector name (see `netad detectors`).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Model directory to write. Must be empty unless --overwrite.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Detector parameter NAME=VALUE (repeatable), e.g. n_estimators=200."),
    ] = None,
    protocol: Annotated[str, typer.Option("--protocol", "-p", help="Split protocol.")] = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and the detector.")] = 0,
    threshold: Annotated[
        str,
        typer.Option("--threshold", "-t", help="Threshold strategy chosen on validation: p99, p97, best-f1, ..."),
    ] = "p99",
    max_train: MaxTrainOption = None,
    data_path: DataPathOption = None,
    label_column: LabelColumnOption = None,
    normal_label: NormalLabelOption = None,
    drop_columns: DropColumnsOption = None,
    dataset_option: DatasetOption = None,
    preprocess_option: PreprocessOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the model in a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit one detector, set its threshold on validation, measure it on test, and save it for `netad score`."""
    log_to_stderr(verbose)
    from netad.pipeline import train_model

    # NAME=VALUE (or DETECTOR.NAME=VALUE as in `netad bench`)
    scoped = [
        item if item.split("=", 1)[0].startswith(f"{detector}.") else f"{detector}.{item}" for item in param or []
    ]
    loader_options = dataset_options(dataset_option, label_column, normal_label, drop_columns)
    job = single_job(
        dataset, detector, protocol, seed, scoped, max_train, data_path, preprocess_option, threshold, loader_options
    )
    with progress_on_stderr(quiet) as shown:
        if shown is not None:
            shown.line(f"training {detector} on {dataset} ({protocol}, seed {seed})")
        trained = train_model(job, out, overwrite=overwrite)
    table = Table(
        title=escape(
            f"{detector} on {dataset} — test part ({trained.n_test:,} rows; {trained.n_train:,} training rows)"
        ),
        title_justify="left",
    )
    for column in ("threshold", "precision", "recall", "F1", "AUROC", "AUPRC", "fit s"):
        table.add_column(column, justify="left" if column == "threshold" else "right")
    m = trained.metrics
    table.add_row(
        f"{trained.threshold_strategy} = {trained.threshold:.6g}", *(f"{m.get(k, float('nan')):.3f}" for k in (
            "precision", "recall", "f1", "auroc", "auprc")), f"{trained.fit_seconds:.2f}",
    )  # fmt: skip
    stdout.print(table)
    for warning in trained.warnings:  # shown even with --quiet (rows dropped while loading are among them)
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    if trained.non_finite != "error":
        say(f"NaN/Inf in scored flows: cleaned as in training ({trained.non_finite}; saved with the model)")
    say(f"model saved to {trained.path}")


@app.command()
@user_errors
def score(
    model_dir: Annotated[Path, typer.Argument(help="Model directory written by `netad train`.")],
    input_file: Annotated[
        Path, typer.Argument(help="Flows to score: CSV (plain, .gz/.bz2/.xz/.zst/.zip) or parquet; - = stdin.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output file (.parquet, .csv or .jsonl: format from the extension); - = stdout."
        ),
    ],
    output_format: Annotated[
        str | None, typer.Option("--format", help="Output format whatever the extension: parquet, csv or jsonl.")
    ] = None,
    only_alerts: Annotated[bool, typer.Option("--only-alerts", help="Write flagged rows only.")] = False,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read and scored at a time.")] = 100_000,
    keep_columns: Annotated[
        str | None,
        typer.Option(
            "--keep-columns",
            help="Input columns copied to the output, comma-separated (flow identifiers "
            "such as Flow ID, addresses, ports and Timestamp are copied when present).",
        ),
    ] = None,
    top_features: Annotated[
        int, typer.Option("--top-features", help="Add the k most unusual features per row (cheap attribution).")
    ] = 0,
    on_bad_rows: Annotated[
        str,
        typer.Option(
            "--on-bad-rows",
            help="NaN/Inf/empty numeric values: clean (the model's saved policy; rows "
            "scored and marked non_finite=1), error, or skip (and count) the rows.",
        ),
    ] = "clean",
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch CPU threads for deep models (default: the model's).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Score a flow file with a saved model, in bounded memory, into a parquet, CSV or JSON-lines file or stdout."""
    log_to_stderr(verbose)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from netad.persist import load_model
    from netad.score import score_file
    from netad.score.outputs import output_format as resolve_format

    keep = [c.strip() for c in (keep_columns or "").split(",") if c.strip()]
    to_stdout = str(out) == "-"
    kind = resolve_format(out, output_format)  # a wrong extension fails before the model loads
    model = load_model(model_dir)
    progress = Progress(
        TextColumn("scoring"), BarColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
        console=stderr, transient=True, disable=not stderr.is_terminal and not verbose,
    )  # fmt: skip
    task = progress.add_task("scoring", total=None)

    def on_progress(rows: int, total: int | None) -> None:
        progress.update(task, completed=rows, total=total)

    with progress:
        report = score_file(
            model, input_file, "-" if to_stdout else out, chunk_rows=chunk_rows,
            keep_columns=keep, top_features=top_features, on_bad_rows=on_bad_rows, only_alerts=only_alerts,
            output_format_name=kind, overwrite=overwrite, n_threads=threads, on_progress=on_progress,
        )  # fmt: skip
    for note in report.notes:
        say(f"note: {note}", "yellow")
    if report.ignored_columns:
        shown = ", ".join(report.ignored_columns[:20]) + (" ..." if len(report.ignored_columns) > 20 else "")
        say(f"ignored {len(report.ignored_columns)} column(s) the model does not use: {shown}")
    by_column = ", ".join(
        f"{c!r}: {n:,}" for c, n in sorted(report.non_finite_by_column.items(), key=lambda kv: -kv[1])
    )
    if report.rows_cleaned:
        cleaned = f"cleaned {report.rows_cleaned:,} row(s) with NaN/Inf/empty values by the model's policy"
        say(f"{cleaned} ({report.cleaning}), scored and marked non_finite=1 (per column: {by_column})", "yellow")
    if report.rows_skipped:
        say(f"skipped {report.rows_skipped:,} row(s) with NaN/Inf/empty values (per column: {by_column})", "yellow")
    if report.unknown_categories:
        detail = ", ".join(f"{c!r}: {n:,}" for c, n in report.unknown_categories.items())
        say(f"rows with categories never seen in training (scored as unknown): {detail}")
    table = Table(title=escape(f"netad score — {model.detector_name} ({model_dir})"), title_justify="left")
    for column in ("rows read", "scored", "flagged", "cleaned", "skipped", "rows/s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.rows_read:,}", f"{report.rows_scored:,}", f"{report.rows_flagged:,}", f"{report.rows_cleaned:,}",
        f"{report.rows_skipped:,}", f"{report.rows_per_second:,.0f}",
    )  # fmt: skip
    (stderr if to_stdout else stdout).print(table)  # stdout carries the scores themselves with -o -
    where = "standard output" if to_stdout else str(report.output)
    what = f"{report.rows_written:,} {'alert' if only_alerts else 'row'}(s) as {report.format}"
    say(f"scores: {where} ({what})" + (f"; top features: {report.attribution}" if top_features else ""))


@app.command()
@user_errors
def serve(
    model_dir: Annotated[Path, typer.Argument(help="Model directory written by `netad train`.")],
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="NETAD_API_KEY", help="Require this X-API-Key header (or set NETAD_API_KEY)."),
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Most rows in one request (more: 413).")] = 10_000,
    max_body_mb: Annotated[
        float, typer.Option("--max-body-mb", min=0.001, help="Largest request body in MiB (413).")
    ] = 16.0,
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, max=256, help="torch CPU threads for deep models (default: the model's)."),
    ] = None,
    batch_window_ms: Annotated[
        float,
        typer.Option(
            "--batch-window-ms",
            min=0.0,
            max=1000.0,
            help="Longest wait gathering concurrent small requests into one scoring batch (0: no batching).",
        ),
    ] = 2.0,
    max_batch: Annotated[
        int, typer.Option("--max-batch", min=1, max=100_000, help="Most rows in one micro-batch.")
    ] = 64,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="uvicorn worker processes (each loads the model).")
    ] = 1,
    alert_log: Annotated[
        str | None,
        typer.Option("--alert-log", help="Append one JSON line per flagged flow to this file (- for stdout)."),
    ] = None,
    alert_top_features: Annotated[
        int, typer.Option("--alert-top-features", min=0, max=20, help="Top features listed in each alert line.")
    ] = 3,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests and details to stderr.")] = False,
) -> None:
    """Serve a saved model over HTTP: POST /score, GET /model, /health, /metrics, docs at /docs (FastAPI)."""
    log_to_stderr(verbose)
    try:
        import json
        import os

        import uvicorn

        from netad.serve import create_app
        from netad.serve.app import OPTIONS_VARIABLE, limit_blas_threads
    except ImportError:
        raise NetadInputError('netad serve needs the serve extra: pip install "netad[serve]"') from None

    if host not in ("127.0.0.1", "localhost", "::1") and api_key is None:
        say(f"warning: serving on {host} without --api-key: anyone who reaches it can score", "yellow")
    options = {
        "api_key": api_key,
        "max_rows": max_rows,
        "max_body_mb": max_body_mb,
        "n_threads": threads,
        "batch_window_ms": batch_window_ms,
        "max_batch": max_batch,
        "alert_log": alert_log,
        "alert_top_features": alert_top_features,
    }
    limit_blas_threads(threads)
    service = create_app(model_dir, **options)  # loads the model: a bad one fails here, with one clear line
    run = {
        "host": host,
        "port": port,
        "log_level": "info" if verbose else "warning",
        "access_log": verbose,
        "timeout_graceful_shutdown": 3,  # SIGTERM: finish what is in flight for at most 3 s, then stop
    }
    say(f"serving {model_dir} on http://{host}:{port} (docs: /docs, metrics: /metrics, {workers} worker(s))")
    if workers == 1:
        uvicorn.run(service, **run)
        return
    del service
    os.environ[OPTIONS_VARIABLE] = json.dumps({"model_dir": str(model_dir), **options})
    uvicorn.run("netad.serve.app:app_from_environment", factory=True, workers=workers, **run)
