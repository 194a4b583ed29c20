"""What every ``netad`` command shares: the Typer app, the consoles, user-error handling, option parsing and
the options several commands declare alike."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

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


def say(message: str, style: str | None = None) -> None:
    """One message line on stderr; its text is never read as Rich markup (``pyod[audio]`` stays as typed)."""
    text = escape(message) if style is None else f"[{style}]{escape(message)}[/]"
    stderr.print(text, highlight=False, soft_wrap=True)


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


def clock(seconds: float | None) -> str:
    from netad.progress import format_seconds

    return format_seconds(seconds)


def count(n: int, noun: str) -> str:
    """``1 job``, ``15 jobs``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


QUIET_HELP = "No progress on stderr (results, paths and errors still show)."


def log_to_stderr(verbose: bool, level: int = logging.INFO) -> None:
    """Library log messages on stderr: ``level`` and above with --verbose, warnings otherwise."""
    logging.basicConfig(level=level if verbose else logging.WARNING, stream=sys.stderr)


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn NetadInputError (bad files, columns, options) into a one-line message and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetadInputError as exc:
            # soft_wrap: one line whatever the terminal width, so scripts and logs get it whole
            stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except FileNotFoundError as exc:
            stderr.print(
                f"[bold red]error:[/] file not found: {escape(str(exc.filename or exc))}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(2) from None

    return wrapper


def parse_value(text: str) -> Any:
    """JSON where it parses (numbers, lists, true/false), a plain string otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise NetadInputError(f"{what} {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        parsed[key.strip()] = parse_value(value.strip())
    return parsed


def parse_detector_params(items: list[str] | None) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for key, value in parse_assignments(items, "--param").items():
        if "." not in key:
            raise NetadInputError(
                f"--param {key}={value}: expected DETECTOR.PARAM=VALUE, e.g. iforest.n_estimators=200"
            )
        detector, name = key.split(".", 1)
        params.setdefault(detector, {})[name] = value
    return params


def mean_std(mean: float, std: float, digits: int = 3) -> str:
    if mean != mean:  # NaN
        return "n/a"
    if std != std:  # one seed: no spread measured, say so instead of "± 0.000"
        return f"{mean:.{digits}f} (n=1)"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


PREPROCESS_HELP = (
    "FlowPreprocessor option KEY=VALUE (repeatable): scaler=standard, scaler=minmax or scaler=robust; log1p=true; ..."
)

# options several commands share, declared once
DatasetNameOption = Annotated[str, typer.Option("--dataset", "-d", help="Dataset name (see `netad datasets`).")]
DetectorOption = Annotated[str, typer.Option("--detector", "-m", help="Detector name (see `netad detectors`).")]
ProtocolOption = Annotated[str, typer.Option("--protocol", "-p", help="Split protocol.")]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", help="Detector parameter DETECTOR.NAME=VALUE (repeatable).")
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]
MaxTrainOption = Annotated[int | None, typer.Option("--max-train", help="Cap training rows.")]
DataPathOption = Annotated[Path | None, typer.Option("--data-path", help="Dataset file or directory.")]
PreprocessOption = Annotated[list[str] | None, typer.Option("--preprocess-option", help=PREPROCESS_HELP)]
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

LabelColumnOption = Annotated[str | None, typer.Option("--label-column", help="csv: the label column.")]
NormalLabelOption = Annotated[str | None, typer.Option("--normal-label", help="csv: the label value of normal rows.")]
DropColumnsOption = Annotated[
    str | None, typer.Option("--drop-columns", help="csv: columns that are not features, comma-separated.")
]
DatasetOption = Annotated[
    list[str] | None, typer.Option("--dataset-option", help="Loader option KEY=VALUE (repeatable).")
]


def dataset_options(
    dataset_option: list[str] | None, label_column: str | None, normal_label: str | None, drop_columns: str | None
) -> dict[str, Any]:
    """Loader options: ``--dataset-option`` and the csv shortcuts ``--label-column/--normal-label/--drop-columns``."""
    options = parse_assignments(dataset_option, "--dataset-option")
    if label_column is not None:
        options["label_column"] = label_column
    if normal_label is not None:
        options["normal_label"] = normal_label
    if drop_columns is not None:
        options["drop_columns"] = [c.strip() for c in drop_columns.split(",") if c.strip()]
    return options


def parse_seeds(text: str) -> list[int]:
    """``0,1,2`` -> [0, 1, 2]; anything else (text, a negative or a 20-digit seed) is a one-line error."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise NetadInputError(f"--seeds {text!r}: expected integers separated by commas") from None
    check_seed(*seeds)
    return seeds


def check_seed(*seeds: int) -> None:
    """Seeds numpy accepts everywhere netad uses them: 0 .. 2**32 - 1."""
    bad = [s for s in seeds if not 0 <= s < 2**32]
    if bad:
        raise NetadInputError(f"seed(s) {bad}: a seed must be an integer from 0 to 2**32 - 1 (4294967295)")


DATASET_NAMES = (
    "nsl-kdd", "nsl-kdd-21", "nsl-kdd-sample", "unsw-nb15", "kddcup99", "kddcup99-dagmm", "cicids2017",
    "cicids2017-improved", "iot23", "iot23-candc", "iot23-ddos", "iot23-portscan",
)  # fmt: skip
"""Every registered dataset (help text only; a test keeps it equal to netad.datasets' registry)."""


def single_job(
    dataset: str, detector: str, protocol: str, seed: int, param: list[str] | None, max_train: int | None,
    data_path: Path | None, preprocess_option: list[str] | None, threshold: str = "p99",
    loader_options: dict[str, Any] | None = None,
) -> Any:  # fmt: skip
    """One benchmark job from command-line options, validated like `netad bench`."""
    from netad.bench import plan

    if "," in dataset or "," in detector:
        raise NetadInputError("give one dataset and one detector (no commas)")
    check_seed(seed)
    return plan(
        dataset, detector, [seed], protocol, threshold, parse_detector_params(param),
        str(data_path) if data_path else None, dataset_options=loader_options, max_train=max_train,
        save_scores=False, preprocess=parse_assignments(preprocess_option, "--preprocess-option"),
    )[0]  # fmt: skip
