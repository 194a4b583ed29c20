"""The ``netad`` command: a thin Typer layer over the Python API.

Results go to stdout, messages to stderr; a user error is one line and exit code 2, never a traceback.
Heavy modules (torch, the detectors, pandas work) are imported inside commands so ``--help`` starts fast.
Long steps report progress on stderr (:class:`StderrProgress`): a Rich bar on a terminal, plain lines otherwise;
``--quiet`` silences it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from netad import thresholds
from netad.errors import NetadInputError


class _CompactHelp:
    """Help with short type names: flags show none (``<bool>`` made ``--peers true`` look valid), other options
    ``INT``, ``TEXT``, ``PATH``..., so every option name stays whole at 80 columns."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "param_type_name", "") == "option" and param.metavar is None:
                param.metavar = _short_metavar(param)
        return params


class NetadCommand(_CompactHelp, TyperCommand):
    """A netad subcommand (Typer's, with :class:`_CompactHelp`)."""


class NetadGroup(_CompactHelp, TyperGroup):
    """The ``netad`` command group (Typer's, with :class:`_CompactHelp`)."""


def _short_metavar(param: Any) -> str:
    """``""`` for a flag, else INT / FLOAT / PATH / TEXT from the option's annotation (``list[X]``: X's)."""
    if getattr(param, "is_flag", False):
        return ""
    described = getattr(param, "type_descriptor", None)
    if described is None:
        return "TEXT"
    if described.is_path:
        return "PATH"
    annotation = described.annotation
    if described.is_list:
        annotation = (get_args(annotation) or (str,))[0]
    return {int: "INT", float: "FLOAT", bool: "BOOL", Path: "PATH"}.get(annotation, "TEXT")


class _Typer(typer.Typer):
    """``typer.Typer`` whose commands use :class:`NetadCommand`."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", NetadCommand)
        return super().command(*args, **kwargs)


app = _Typer(
    cls=NetadGroup,
    help="netad: anomaly and intrusion detection on network-flow data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
if not stdout.is_terminal:  # piped or captured: do not squeeze the leaderboard into 80 columns
    stdout = Console(width=200)
stderr = Console(stderr=True)


def _say(message: str, style: str | None = None) -> None:
    """One message line on stderr; its text is never read as Rich markup (``pyod[audio]`` stays as typed)."""
    stderr.print(escape(message) if style is None else f"[{style}]{escape(message)}[/]", highlight=False)


def _show_version(value: bool) -> None:
    if value:
        from netad import __version__

        stdout.print(__version__, highlight=False)
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the netad version and exit.")
    ] = False,
) -> None:
    """netad: anomaly and intrusion detection on network-flow data."""


# -- progress on stderr -------------------------------------------------------------------------------------
PROGRESS_SECONDS = float(os.environ.get("NETAD_PROGRESS_SECONDS", "5"))
"""Without a terminal, a progress line at most this often (plus every phase, first/last epoch and job)."""


class StderrProgress(logging.Handler):
    """Renders :mod:`netad.progress` events and finished benchmark jobs on stderr.

    On a terminal: one Rich progress display (a bar per training run and one for the jobs), phases printed above
    it. Otherwise plain lines prefixed with the time since the command started: every phase, training start and
    end, every finished job, and epoch / in-epoch lines at most every ``interval`` seconds (the first and last
    epoch always), so a log file shows a sign of life at least every few seconds of training.
    """

    def __init__(self, console: Console, live: bool | None = None, interval: float = PROGRESS_SECONDS):
        super().__init__(logging.INFO)
        self.console, self.interval = console, interval
        self.live = console.is_terminal if live is None else live
        self.started = time.monotonic()
        self.last_line = -math.inf
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._jobs: dict[str, Any] = {}
        self.n_jobs = self.n_done = 0

    # rendering helpers
    def _display(self) -> Any:
        if self._bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(), console=self.console, transient=False,
            )  # fmt: skip
            self._bar.start()
        return self._bar

    def line(self, text: str) -> None:
        """A plain progress line (above the bar on a terminal)."""
        self.last_line = time.monotonic()
        if self.live:
            self._display().console.print(escape(text), highlight=False)
        else:
            elapsed = _clock(time.monotonic() - self.started)
            self.console.print(f"[{elapsed}] {text}", highlight=False, markup=False, soft_wrap=True)

    def _due(self) -> bool:
        return time.monotonic() - self.last_line >= self.interval

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = getattr(record, "netad_progress", None)
            if event is None:
                self.line(record.getMessage())
            elif self.live:
                self._live_event(event)
            else:
                self._plain_event(event)
        except Exception:  # noqa: BLE001 - progress must never break the work it reports on
            self.handleError(record)

    def _plain_event(self, event: Any) -> None:
        if event.kind in ("phase", "start", "end"):
            self.line(event.message)
        elif event.kind == "epoch" and (event.step in (1, event.total) or self._due()):
            self.line(event.message)
        elif event.kind == "batch" and self._due():
            self.line(event.message)

    def _live_event(self, event: Any) -> None:
        if event.kind == "phase":
            self.line(event.message)
            return
        bar = self._display()
        key = event.task or "training"
        if event.kind == "start":
            self._tasks[key] = bar.add_task(f"training {key}", total=event.total, status="")
            self.line(event.message)
        elif key not in self._tasks:
            return
        elif event.kind == "epoch":
            losses = "  ".join(f"{k} {v:.4g}" for k, v in event.metrics.items())
            status = f"epoch {event.step}/{event.total}  {losses}  ETA {_clock(event.eta)}"
            bar.update(self._tasks[key], completed=event.step, status=status)
        elif event.kind == "batch" and event.total:
            bar.update(self._tasks[key], completed=event.epoch + event.step / event.total)
        elif event.kind == "end":
            bar.remove_task(self._tasks.pop(key))
            self.line(event.message)

    # benchmark jobs
    def jobs_planned(self, n_jobs: int, what: str) -> None:
        """``running 15 jobs (nsl-kdd / novelty) ...`` and, on a terminal, a bar over them."""
        self.n_jobs, self.n_done = n_jobs, 0
        self.line(f"running {_count(n_jobs, 'job')} ({what}) ...")
        if self.live:
            self._jobs["task"] = self._display().add_task("jobs", total=n_jobs, status="")

    def job_done(self, job: Any, result: Any) -> None:
        """One line per finished job, as it finishes (its F1 and AUROC at the first threshold strategy)."""
        self.n_done += 1
        if "task" in self._jobs:
            self._bar.advance(self._jobs["task"])
        width = len(str(self.n_jobs))
        where = f"[{self.n_done:>{width}}/{self.n_jobs}] {job.detector}" + (f"[{job.variant}]" if job.variant else "")
        where += f" · {job.dataset} · seed {job.seed}"
        if result.error:
            self.line(f"{where}: FAILED {result.error}")
            return
        first = result.rows[0] if result.rows else {}
        numbers = ", ".join(
            f"{label} {first[key]:.3f}" for key, label in (("f1", "F1"), ("auroc", "AUROC"))
            if isinstance(first.get(key), float) and first[key] == first[key]
        )  # fmt: skip
        if numbers and first.get("threshold_strategy"):
            numbers += f" ({first['threshold_strategy']})"
        fit = f"fit {first['fit_seconds']:.1f} s" if "fit_seconds" in first else ""
        self.line(f"{where}: {', '.join(p for p in (numbers, fit) if p)}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        super().close()


def _clock(seconds: float | None) -> str:
    from netad.progress import format_seconds

    return format_seconds(seconds)


def _count(n: int, noun: str) -> str:
    """``1 job``, ``15 jobs``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@contextlib.contextmanager
def _progress_on_stderr(quiet: bool) -> Iterator[StderrProgress | None]:
    """Show :mod:`netad.progress` events on stderr for the duration of a command (nothing with ``quiet``)."""
    from netad.progress import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    saved = logger.level, logger.propagate
    if quiet:
        logger.setLevel(logging.WARNING)  # silent even under --verbose
        try:
            yield None
        finally:
            logger.setLevel(saved[0])
        return
    handler = StderrProgress(stderr)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # shown once, here, not again by --verbose's root handler
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        handler.close()


_QUIET_HELP = "No progress on stderr (results, paths and errors still show)."


def _log_to_stderr(verbose: bool, level: int = logging.INFO) -> None:
    """Library log messages on stderr: ``level`` and above with --verbose, warnings otherwise."""
    logging.basicConfig(level=level if verbose else logging.WARNING, stream=sys.stderr)


def _user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn NetadInputError (bad files, columns, options) into a one-line message and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetadInputError as exc:
            stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        except FileNotFoundError as exc:
            stderr.print(f"[bold red]error:[/] file not found: {escape(str(exc.filename or exc))}", highlight=False)
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
    if std != std:  # one seed: no spread measured, say so instead of "± 0.000"
        return f"{mean:.{digits}f} (n=1)"
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
        tag = thresholds.test_data_tag(row["threshold_strategy"])
        strategy = escape(row["threshold_strategy"] + (f" [{tag}]" if tag else ""))
        table.add_row(
            escape(row["dataset"]),
            escape(row["detector"] + (f"[{row['variant']}]" if row.get("variant") else "")),
            strategy,
            _fmt(row["f1_mean"], row["f1_std"]),
            _fmt(row["precision_mean"], row["precision_std"]),
            _fmt(row["recall_mean"], row["recall_std"]),
            _fmt(row["auroc_mean"], row["auroc_std"]),
            _fmt(row["auprc_mean"], row["auprc_std"]),
            f"{row['fit_seconds_mean']:.2f}",
        )
    return table


_PREPROCESS_HELP = (
    "FlowPreprocessor option KEY=VALUE (repeatable): scaler=standard, scaler=minmax or scaler=robust; log1p=true; ..."
)

# options several commands share, declared once
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help=_QUIET_HELP)]
MaxTrainOption = Annotated[int | None, typer.Option("--max-train", help="Cap training rows.")]
DataPathOption = Annotated[Path | None, typer.Option("--data-path", help="Dataset file or directory.")]
PreprocessOption = Annotated[list[str] | None, typer.Option("--preprocess-option", help=_PREPROCESS_HELP)]
BackendOption = Annotated[
    str, typer.Option("--backend", help="Where jobs run: joblib (this machine) or ray (a Ray cluster).")
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="--backend ray: cluster address (auto, HOST:6379, ray://HOST:10001); "
        "default: a private local Ray instance.",
    ),
]

DATASET_NAMES = (
    "nsl-kdd", "nsl-kdd-21", "nsl-kdd-sample", "unsw-nb15", "kddcup99", "kddcup99-dagmm", "cicids2017",
    "cicids2017-improved", "iot23", "iot23-candc", "iot23-ddos", "iot23-portscan",
)  # fmt: skip
"""Every registered dataset (help text only; a test keeps it equal to netad.datasets' registry)."""


@app.command()
@_user_errors
def bench(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help=f"Dataset name(s), comma-separated: {', '.join(DATASET_NAMES)}, csv:PATH (see `netad datasets`).",
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
        list[str],
        typer.Option(
            "--threshold",
            "-t",
            help="Threshold strategies, comma-separated or repeated (-t p99 -t best-f1): p99, p97, p95, "
            "contamination:R, best-f1; oracle and seed:pQ use test data (labelled as such).",
        ),
    ] = ["p99"],  # noqa: B006 - Typer reads the default, it is never mutated
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
    preprocess_option: Annotated[
        list[str] | None,
        typer.Option(
            "--preprocess-option",
            help=_PREPROCESS_HELP,
        ),
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", "-j", help="Parallel jobs (joblib); -1 = all cores.")] = -1,
    backend: BackendOption = "joblib",
    address: AddressOption = None,
    plots: Annotated[
        bool, typer.Option("--plots", help="Write score histograms with the threshold, ROC and PR curves (PNG).")
    ] = False,
    no_scores: Annotated[bool, typer.Option("--no-scores", help="Do not save per-row test scores.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Allow writing into a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Benchmark detectors on a dataset: leaderboard (mean ± std over seeds) + a run directory."""
    _log_to_stderr(verbose)
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

    with _progress_on_stderr(quiet) as shown:
        on_plan, on_done = _job_callbacks(shown, f"{dataset} / {protocol}")
        result = run(
            dataset, detectors, seed_list, protocol, ",".join(threshold), out,
            detector_params=_parse_detector_params(param),
            dataset_path=str(data_path) if data_path else None,
            dataset_options=dataset_options, protocol_options=_parse_assignments(protocol_option, "--protocol-option"),
            max_train=max_train, n_jobs=n_jobs, preprocess=_parse_assignments(preprocess_option, "--preprocess-option"),
            save_scores=not no_scores, overwrite=overwrite,
            on_done=on_done, on_plan=on_plan, backend=backend, address=address,
        )  # fmt: skip
    if not result.summary.empty:
        stdout.print(_leaderboard(result.summary, f"netad bench — {protocol} protocol, seeds {seeds}"))
    for warning in result.warnings:  # shown even with --quiet
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    _say(f"run directory: {result.run_dir}")
    if plots and result.run_dir is not None and not no_scores:
        from netad.viz.job_figures import write_figures

        figures = write_figures(result.run_dir)
        _say(f"{len(figures)} figures in {result.run_dir / 'figures'}")
    if result.errors:
        stderr.print(f"[red]{len(result.errors)} job(s) failed[/]; see config.json")
        raise typer.Exit(1)


def _job_callbacks(shown: StderrProgress | None, what: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """``on_plan`` / ``on_done`` for netad.bench: progress per finished job; failures are reported even when quiet."""

    def on_plan(jobs: list[Any]) -> None:
        if shown is not None:
            shown.jobs_planned(len(jobs), what)

    def on_done(job: Any, result: Any) -> None:
        if shown is not None:
            shown.job_done(job, result)
        elif result.error:
            _say(f"job {job.key} failed: {result.error}", "yellow")

    return on_plan, on_done


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
            escape(entry["name"]),
            "yes" if entry.get("found") else "no",
            f"{entry['rows']:,}" if entry.get("rows") is not None else "",
            f"{entry['attacks']:,}" if entry.get("attacks") is not None else "",
            escape(top),
            escape(str(Path(paths[0]).parent) if paths else entry.get("hint", "")),
        )
    stdout.print(table)


@app.command()
@_user_errors
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
        _say(f"{_count(hidden, 'peer model')} for graph, time-series, audio or embedding input not shown (--all)")
    for library, hint in INSTALL_HINT.items():
        if not any(name.startswith(f"{library}:") for name in found):
            _say(f"{library} is not installed; to list and run its detectors: {hint}")


@app.command()
def version() -> None:
    """Print the netad version (also: netad --version)."""
    from netad import __version__

    stdout.print(__version__, highlight=False)


def _sweep_table(table: Any, title: str) -> Table:
    """The sweep table in file order: one line per (dataset, detector, variant, threshold)."""
    out = Table(title=title, title_justify="left")
    several = table["dataset"].nunique() > 1 or table["detector"].nunique() > 1
    columns = (["dataset", "detector"] if several else []) + [
        "variant", "threshold", "F1", "precision", "recall", "AUROC", "AUPRC", "fit s",
    ]  # fmt: skip
    for column in columns:
        left = column in ("dataset", "detector", "variant", "threshold")
        out.add_column(column, justify="left" if left else "right", no_wrap=True)
    for _, row in table.iterrows():
        cells = [escape(row["dataset"]), escape(row["detector"])] if several else []
        tag = thresholds.test_data_tag(row["threshold_strategy"])
        strategy = row["threshold_strategy"] + (f" \\[{tag}]" if tag else "")
        cells += [
            escape(row["variant"]) if isinstance(row["variant"], str) and row["variant"] else "-", strategy,
            _fmt(row["f1_mean"], row["f1_std"]), _fmt(row["precision_mean"], row["precision_std"]),
            _fmt(row["recall_mean"], row["recall_std"]), _fmt(row["auroc_mean"], row["auroc_std"]),
            _fmt(row["auprc_mean"], row["auprc_std"]), f"{row['fit_seconds_mean']:.2f}",
        ]  # fmt: skip
        out.add_row(*cells)
    return out


@app.command()
@_user_errors
def sweep(
    config: Annotated[
        Path, typer.Argument(help="Sweep file (.toml, or .yaml with pyyaml installed); see examples/sweeps/.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default runs/<time>-sweep-<name>). Must not exist."),
    ] = None,
    n_jobs: Annotated[
        int | None, typer.Option("--n-jobs", "-j", help="Parallel jobs (default: the file's n_jobs, else all cores).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting KEY=VALUE (repeatable): max_train=5000, params.epochs=3."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the variants and jobs; run nothing.")] = False,
    backend: BackendOption = "joblib",
    address: AddressOption = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw the metric-vs-parameter plots.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Allow writing into a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a parameter sweep from a file: one job per variant and seed; sweep.csv (mean ± std) and plots."""
    _log_to_stderr(verbose)
    from netad.bench.sweep import describe_jobs, load_config, run_sweep

    loaded = load_config(config, _parse_assignments(set_, "--set"))
    if dry_run:
        for line in describe_jobs(loaded):
            stdout.print(line, highlight=False, soft_wrap=True, markup=False)
        counts = (
            f"{len(loaded.datasets)} dataset(s) x {len(loaded.detectors)} detector(s) x {len(loaded.variants)} "
            f"variant(s) x {len(loaded.seeds)} seed(s)"
        )
        strategies = ", ".join(loaded.thresholds)
        stdout.print(f"{_count(len(loaded.jobs()), 'job')} = {counts}; thresholds {strategies}", highlight=False)
        return
    with _progress_on_stderr(quiet) as shown:
        on_plan, on_done = _job_callbacks(shown, f"sweep {loaded.name}")
        result = run_sweep(loaded, out, n_jobs=n_jobs, overwrite=overwrite, plots=not no_plots, on_done=on_done,
                           on_plan=on_plan, backend=backend, address=address)  # fmt: skip
    if not result.table.empty:
        seeds = ",".join(str(s) for s in loaded.seeds)
        stdout.print(_sweep_table(result.table, f"netad sweep {loaded.name} — {loaded.protocol}, seeds {seeds}"))
    _say(f"run directory: {result.run_dir} (sweep.csv, plots/)")
    if result.errors:
        stderr.print(f"[red]{len(result.errors)} job(s) failed[/]; see config.json")
        raise typer.Exit(1)


def _single_job(
    dataset: str, detector: str, protocol: str, seed: int, param: list[str] | None, max_train: int | None,
    data_path: Path | None, preprocess_option: list[str] | None, threshold: str = "p99",
) -> Any:  # fmt: skip
    """One benchmark job from command-line options, validated like `netad bench`."""
    from netad.bench import plan

    if "," in dataset or "," in detector:
        raise NetadInputError("give one dataset and one detector (no commas)")
    return plan(
        dataset, detector, [seed], protocol, threshold, _parse_detector_params(param),
        str(data_path) if data_path else None, max_train=max_train, save_scores=False,
        preprocess=_parse_assignments(preprocess_option, "--preprocess-option"),
    )[0]  # fmt: skip


@app.command()
@_user_errors
def explain(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the plot, CSVs and alerts.json.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name (see `netad datasets`).")] = (
        "nsl-kdd-sample"
    ),
    detector: Annotated[str, typer.Option("--detector", "-m", help="Detector name.")] = "autoencoder",
    protocol: Annotated[str, typer.Option("--protocol", "-p", help="Split protocol.")] = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, the detector and the SHAP sampling.")] = 0,
    threshold: Annotated[
        str, typer.Option("--threshold", "-t", help="Alert threshold, chosen on validation (p99, best-f1, ...).")
    ] = "p99",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Detector parameter DETECTOR.NAME=VALUE (repeatable).")
    ] = None,
    max_train: MaxTrainOption = None,
    data_path: DataPathOption = None,
    preprocess_option: PreprocessOption = None,
    n_alerts: Annotated[int, typer.Option("--n-alerts", help="Explain this many top-scoring test alerts.")] = 50,
    top_k: Annotated[int, typer.Option("--top-k", help="Contributing features listed per alert.")] = 5,
    method: Annotated[str, typer.Option("--method", help="SHAP explainer: auto, permutation, exact, kernel.")] = "auto",
    n_background: Annotated[
        int, typer.Option("--n-background", help="Training normals in the SHAP background sample.")
    ] = 100,
    max_evals: Annotated[
        int | None, typer.Option("--max-evals", help="Model evaluations per alert (permutation explainer).")
    ] = None,
    plot: Annotated[str, typer.Option("--plot", help="Summary plot: bar or beeswarm.")] = "bar",
    no_group_categories: Annotated[
        bool,
        typer.Option(
            "--no-group-categories",
            help="Keep one-hot columns apart (default: each one's SHAP value is summed into its source column).",
        ),
    ] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Explain a detector's top test alerts with SHAP: summary plot, mean |SHAP| per feature, top features per alert."""
    _log_to_stderr(verbose)
    from netad.explain import explain_alerts

    job = _single_job(dataset, detector, protocol, seed, param, max_train, data_path, preprocess_option, threshold)
    with _progress_on_stderr(quiet) as shown:
        if shown is not None:
            shown.line(f"explaining {detector}'s top alerts on {dataset} ({protocol}, seed {seed})")
        result = explain_alerts(
            job, n_alerts=n_alerts, threshold=threshold, method=method, n_background=n_background,
            max_evals=max_evals, group_categories=not no_group_categories, top_k=top_k, plot=plot, out_dir=out,
        )  # fmt: skip
    importance = Table(
        title=f"mean |SHAP| over {len(result.alerts)} alerts ({result.explanation.method}; "
        f"{result.threshold_strategy} threshold {result.threshold:.4g})",
        title_justify="left",
    )
    for column, justify in (("rank", "right"), ("feature", "left"), ("mean |SHAP|", "right"), ("mean SHAP", "right")):
        importance.add_column(column, justify=justify)  # type: ignore[arg-type]
    for _, row in result.explanation.mean_abs().head(15).iterrows():
        importance.add_row(
            str(row["rank"]), escape(row["feature"]), f"{row['mean_abs_shap']:.4g}", f"{row['mean_shap']:.4g}"
        )
    stdout.print(importance)
    alerts = Table(title="top alerts", title_justify="left")
    for column in ("alert", "row", "category", "score", "top features (SHAP)"):
        alerts.add_column(column, justify="left" if column in ("category", "top features (SHAP)") else "right")
    for i, (_, row) in enumerate(result.alerts.head(10).iterrows()):
        top = result.explanation.top_features(3)[i]
        alerts.add_row(
            str(i + 1), str(row["row"]), escape(row["attack_category"]), f"{row['score']:.4g}",
            escape(", ".join(f"{name} {value:+.3g}" for name, value in top)),
        )  # fmt: skip
    stdout.print(alerts)
    for name, path in result.files.items():
        _say(f"{name}: {path}")


@app.command()
@_user_errors
def latent_plot(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name (see `netad datasets`).")] = (
        "nsl-kdd-sample"
    ),
    detector: Annotated[str, typer.Option("--detector", "-m", help="Detector name.")] = "autoencoder",
    protocol: Annotated[str, typer.Option("--protocol", "-p", help="Split protocol.")] = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, the detector, the sample, the map.")] = 0,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Detector parameter DETECTOR.NAME=VALUE (repeatable).")
    ] = None,
    max_train: MaxTrainOption = None,
    data_path: DataPathOption = None,
    preprocess_option: PreprocessOption = None,
    method: Annotated[str, typer.Option("--method", help="2-D projection: tsne, umap (umap-learn), pca.")] = "tsne",
    space: Annotated[
        str, typer.Option("--space", help="auto (latent code when the detector has one), latent or input.")
    ] = "auto",
    n_samples: Annotated[
        int, typer.Option("--n-samples", help="Test rows drawn (stratified by attack category).")
    ] = 3000,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Map test flows through a detector's latent space (AE bottleneck, VAE mean) to 2-D, coloured by category."""
    _log_to_stderr(verbose)
    import numpy as np

    from netad.pipeline import fit_job
    from netad.viz.latent import PROJECTION_NAMES, PROJECTIONS, SPACES
    from netad.viz.latent import latent_plot as draw

    if method not in PROJECTIONS:
        raise NetadInputError(f"--method {method!r}: use one of {', '.join(PROJECTIONS)}")
    if space not in SPACES:
        raise NetadInputError(f"--space {space!r}: use one of {', '.join(SPACES)}")
    if n_samples < 5:
        raise NetadInputError(f"--n-samples {n_samples}: need at least 5 rows")
    job = _single_job(dataset, detector, protocol, seed, param, max_train, data_path, preprocess_option)
    with _progress_on_stderr(quiet):
        fitted = fit_job(job)
        test = fitted.split.test
        result = draw(fitted.detector, fitted.preprocessor.transform(test.features), test.attack_category, out,
                      method=method, space=space, n_samples=n_samples, random_state=seed)  # fmt: skip
    title = f"{PROJECTION_NAMES[method]} of the {result.space} space ({result.embedding.shape[1]}-d)"
    table = Table(title=title, title_justify="left")
    table.add_column("attack category")
    table.add_column("rows drawn", justify="right")
    categories, counts = np.unique(result.categories, return_counts=True)
    for category, count in sorted(zip(categories, counts, strict=True), key=lambda pair: -pair[1]):
        table.add_row(escape(str(category)), f"{count:,}")
    stdout.print(table)
    _say(f"plot: {result.path}")


@app.command()
@_user_errors
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
    preprocess_option: PreprocessOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the model in a non-empty --out.")] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit one detector, set its threshold on validation, measure it on test, and save it for `netad score`."""
    _log_to_stderr(verbose)
    from netad.pipeline import train_model

    # NAME=VALUE (or DETECTOR.NAME=VALUE as in `netad bench`)
    scoped = [
        item if item.split("=", 1)[0].startswith(f"{detector}.") else f"{detector}.{item}" for item in param or []
    ]
    job = _single_job(dataset, detector, protocol, seed, scoped, max_train, data_path, preprocess_option, threshold)
    with _progress_on_stderr(quiet) as shown:
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
    for warning in trained.warnings:  # shown even with --quiet
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    _say(f"model saved to {trained.path}")


@app.command()
@_user_errors
def score(
    model_dir: Annotated[Path, typer.Argument(help="Model directory written by `netad train`.")],
    input_file: Annotated[Path, typer.Argument(help="Flows to score: .csv (.gz/.xz/.bz2/.zip) or .parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output parquet file (score, is_attack, ...).")],
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read and scored at a time.")] = 100_000,
    keep_columns: Annotated[
        str | None, typer.Option("--keep-columns", help="Input columns copied to the output, comma-separated.")
    ] = None,
    top_features: Annotated[
        int, typer.Option("--top-features", help="Add the k most unusual features per row (cheap attribution).")
    ] = 0,
    on_bad_rows: Annotated[
        str, typer.Option("--on-bad-rows", help="NaN/Inf/empty numeric values: error, or skip (and report) the rows.")
    ] = "error",
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch CPU threads for deep models (default: the model's).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Score a flow file with a saved model, in bounded memory, into a parquet file."""
    _log_to_stderr(verbose)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from netad.persist import load_model
    from netad.score import score_file

    keep = [c.strip() for c in (keep_columns or "").split(",") if c.strip()]
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
            model, input_file, out, chunk_rows=chunk_rows, keep_columns=keep, top_features=top_features,
            on_bad_rows=on_bad_rows, overwrite=overwrite, n_threads=threads, on_progress=on_progress,
        )  # fmt: skip
    if report.ignored_columns:
        shown = ", ".join(report.ignored_columns[:20]) + (" ..." if len(report.ignored_columns) > 20 else "")
        _say(f"ignored {len(report.ignored_columns)} column(s) the model does not use: {shown}")
    if report.rows_skipped:
        detail = ", ".join(f"{c!r}: {n:,}" for c, n in sorted(report.skipped_by_column.items(), key=lambda kv: -kv[1]))
        _say(f"skipped {report.rows_skipped:,} row(s) with NaN/Inf/empty values (per column: {detail})", "yellow")
    if report.unknown_categories:
        detail = ", ".join(f"{c!r}: {n:,}" for c, n in report.unknown_categories.items())
        _say(f"rows with categories never seen in training (scored as unknown): {detail}")
    table = Table(title=escape(f"netad score — {model.detector_name} ({model_dir})"), title_justify="left")
    for column in ("rows read", "scored", "flagged", "skipped", "rows/s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.rows_read:,}", f"{report.rows_scored:,}", f"{report.rows_flagged:,}", f"{report.rows_skipped:,}",
        f"{report.rows_per_second:,.0f}",
    )  # fmt: skip
    stdout.print(table)
    _say(f"scores: {report.output}" + (f" (top features: {report.attribution})" if top_features else ""))


@app.command()
@_user_errors
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
    _log_to_stderr(verbose)
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
        _say(
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
    _say(f"flows: {report.output}")


@app.command()
@_user_errors
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
    _log_to_stderr(verbose, logging.DEBUG)
    from netad.dashboard.server import make_server

    server = make_server(run_dirs, host, port, max_points)
    if host not in ("127.0.0.1", "localhost", "::1"):
        _say(f"listening on {host}: anyone who can reach it can read these runs", "yellow")
    _say(f"netad dashboard on {server.url} ({len(run_dirs)} run(s)); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        stderr.print("stopped")
    finally:
        server.server_close()


@app.command()
@_user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory written by `netad bench` / `netad sweep`.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default RUN_DIR/report.html).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Write one self-contained HTML report of a run (tables, plots, config) that opens offline."""
    _log_to_stderr(verbose)
    from netad.report import write_report

    path = write_report(run_dir, out, overwrite=overwrite)
    _say(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command()
@_user_errors
def serve(
    model_dir: Annotated[Path, typer.Argument(help="Model directory written by `netad train`.")],
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="NETAD_API_KEY", help="Require this X-API-Key header (or set NETAD_API_KEY)."),
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Most rows in one request (more: 413).")] = 10_000,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", help="Largest request body in MiB (413).")] = 16.0,
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch CPU threads for deep models (default: the model's).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests and details to stderr.")] = False,
) -> None:
    """Serve a saved model over HTTP: POST /score, GET /model, GET /health, docs at /docs (FastAPI)."""
    _log_to_stderr(verbose)
    try:
        import uvicorn

        from netad.serve import create_app
    except ImportError:
        raise NetadInputError('netad serve needs the serve extra: pip install "netad[serve]"') from None

    if host not in ("127.0.0.1", "localhost", "::1") and api_key is None:
        _say(f"warning: serving on {host} without --api-key: anyone who reaches it can score", "yellow")
    service = create_app(model_dir, api_key=api_key, max_rows=max_rows, max_body_mb=max_body_mb, n_threads=threads)
    _say(f"serving {model_dir} on http://{host}:{port} (docs: /docs)")
    uvicorn.run(service, host=host, port=port, log_level="info" if verbose else "warning")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
