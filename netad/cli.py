"""The ``netad`` command: a thin Typer layer over the Python API.

Results go to stdout, messages to stderr; a user error is one line and exit code 2, never a traceback.
Heavy modules (torch, the detectors, pandas work) are imported inside commands so ``--help`` starts fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from netad.errors import NetadInputError

app = typer.Typer(
    help="netad: anomaly and intrusion detection on network-flow data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
if not stdout.is_terminal:  # piped or captured: do not squeeze the leaderboard into 80 columns
    stdout = Console(width=200)
stderr = Console(stderr=True)


def _user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn NetadInputError (bad files, columns, options) into a one-line message and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetadInputError as exc:
            stderr.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except FileNotFoundError as exc:
            stderr.print(f"[bold red]error:[/] file not found: {exc.filename or exc}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def _parse_value(text: str) -> Any:
    """JSON where it parses (numbers, lists, true/false), a plain string otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise NetadInputError(f"{what} {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        parsed[key.strip()] = _parse_value(value.strip())
    return parsed


def _parse_detector_params(items: list[str] | None) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for key, value in _parse_assignments(items, "--param").items():
        if "." not in key:
            raise NetadInputError(
                f"--param {key}={value}: expected DETECTOR.PARAM=VALUE, e.g. iforest.n_estimators=200"
            )
        detector, name = key.split(".", 1)
        params.setdefault(detector, {})[name] = value
    return params


def _fmt(mean: float, std: float, digits: int = 3) -> str:
    if mean != mean:  # NaN
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _leaderboard(summary: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "dataset",
        "detector",
        "threshold",
        "F1",
        "precision",
        "recall",
        "AUROC",
        "AUPRC",
        "fit s",
    ):
        justify = "left" if column in ("dataset", "detector", "threshold") else "right"
        table.add_column(column, justify=justify, no_wrap=True)
    ordered = summary.sort_values(["dataset", "threshold_strategy", "f1_mean"], ascending=[True, True, False])
    for _, row in ordered.iterrows():
        strategy = row["threshold_strategy"] + (
            " [oracle: test labels]" if row["threshold_strategy"] == "oracle" else ""
        )
        table.add_row(
            row["dataset"],
            row["detector"] + (f"[{row['variant']}]" if row.get("variant") else ""),
            strategy,
            _fmt(row["f1_mean"], row["f1_std"]),
            _fmt(row["precision_mean"], row["precision_std"]),
            _fmt(row["recall_mean"], row["recall_std"]),
            _fmt(row["auroc_mean"], row["auroc_std"]),
            _fmt(row["auprc_mean"], row["auprc_std"]),
            f"{row['fit_seconds_mean']:.2f}",
        )
    return table


@app.command()
@_user_errors
def bench(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help="Dataset name(s), comma-separated: nsl-kdd, unsw-nb15, kddcup99, cicids2017, iot23, "
            "nsl-kdd-sample, csv:PATH.",
        ),
    ] = "nsl-kdd-sample",
    detectors: Annotated[
        str,
        typer.Option("--detectors", "-m", help="Detector names, comma-separated (see `netad detectors`)."),
    ] = "iforest,ocsvm,lof,elliptic,pca",
    protocol: Annotated[
        str,
        typer.Option("--protocol", "-p", help="Split protocol: novelty, kdd-8000-2000, dagmm, zero-shot, weak."),
    ] = "novelty",
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, comma-separated; mean ± std is over these.")] = "0,1,2",
    threshold: Annotated[
        str,
        typer.Option(
            "--threshold",
            "-t",
            help="Threshold strategies, comma-separated: p99, p97, p95, contamination:R, best-f1, "
            "oracle (uses test labels; labelled as such).",
        ),
    ] = "p99",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Run directory (default runs/<time>-<dataset>-<protocol>). Must not exist unless --overwrite.",
        ),
    ] = None,
    max_train: Annotated[
        int | None,
        typer.Option("--max-train", help="Cap training rows (seeded subsample stratified by attack category)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Detector parameter DETECTOR.NAME=VALUE (repeatable)."),
    ] = None,
    data_path: Annotated[
        Path | None,
        typer.Option("--data-path", help="Dataset file or directory (default: $NETAD_DATA/<dataset>)."),
    ] = None,
    label_column: Annotated[str | None, typer.Option("--label-column", help="csv: the label column.")] = None,
    normal_label: Annotated[
        str | None, typer.Option("--normal-label", help="csv: the label value of normal rows.")
    ] = None,
    drop_columns: Annotated[
        str | None,
        typer.Option("--drop-columns", help="csv: columns that are not features, comma-separated."),
    ] = None,
    dataset_option: Annotated[
        list[str] | None, typer.Option("--dataset-option", help="Loader option KEY=VALUE (repeatable).")
    ] = None,
    protocol_option: Annotated[
        list[str] | None,
        typer.Option("--protocol-option", help="Protocol option KEY=VALUE (repeatable), e.g. unseen='[\"Bot\"]'."),
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", "-j", help="Parallel jobs (joblib); -1 = all cores.")] = -1,
    no_scores: Annotated[bool, typer.Option("--no-scores", help="Do not save per-row test scores.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Allow writing into a non-empty --out.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")] = False,
) -> None:
    """Benchmark detectors on a dataset: leaderboard (mean ± std over seeds) + a run directory."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from netad.bench import run

    dataset_options = _parse_assignments(dataset_option, "--dataset-option")
    if label_column is not None:
        dataset_options["label_column"] = label_column
    if normal_label is not None:
        dataset_options["normal_label"] = normal_label
    if drop_columns is not None:
        dataset_options["drop_columns"] = [c.strip() for c in drop_columns.split(",") if c.strip()]
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise NetadInputError(f"--seeds {seeds!r}: expected integers separated by commas") from None

    progress = Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=stderr, transient=False, disable=not stderr.is_terminal and not verbose,
    )  # fmt: skip
    state: dict[str, Any] = {}

    def on_plan(jobs: list[Any]) -> None:
        stderr.print(f"running {len(jobs)} jobs ({dataset} / {protocol}) ...", highlight=False)
        state["task"] = progress.add_task("jobs", total=len(jobs))
        progress.start()

    def on_done(job: Any, result: Any) -> None:
        progress.advance(state["task"])
        if result.error:
            stderr.print(f"[yellow]job {job.key} failed:[/] {result.error}", highlight=False)

    try:
        result = run(
            dataset, detectors, seed_list, protocol, threshold, out,
            detector_params=_parse_detector_params(param),
            dataset_path=str(data_path) if data_path else None,
            dataset_options=dataset_options, protocol_options=_parse_assignments(protocol_option, "--protocol-option"),
            max_train=max_train, n_jobs=n_jobs, save_scores=not no_scores, overwrite=overwrite,
            on_done=on_done, on_plan=on_plan,
        )  # fmt: skip
    finally:
        progress.stop()
    if not result.summary.empty:
        stdout.print(_leaderboard(result.summary, f"netad bench — {protocol} protocol, seeds {seeds}"))
    stderr.print(f"run directory: {result.run_dir}", highlight=False)
    if result.errors:
        stderr.print(f"[red]{len(result.errors)} job(s) failed[/]; see config.json")
        raise typer.Exit(1)


@app.command()
@_user_errors
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
            entry["name"],
            "yes" if entry.get("found") else "no",
            f"{entry['rows']:,}" if entry.get("rows") is not None else "",
            f"{entry['attacks']:,}" if entry.get("attacks") is not None else "",
            top,
            str(Path(paths[0]).parent) if paths else entry.get("hint", ""),
        )
    stdout.print(table)


@app.command()
def detectors() -> None:
    """List registered detectors."""
    from netad.detectors import available

    table = Table(title="netad detectors", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, description in available().items():
        table.add_row(name, description)
    stdout.print(table)


@app.command()
def version() -> None:
    """Print the netad version."""
    from netad import __version__

    stdout.print(__version__)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
