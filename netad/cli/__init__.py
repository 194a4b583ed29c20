"""The ``netad`` command: a thin Typer layer over the Python API.

Results go to stdout, messages to stderr; a user error is one line and exit code 2, never a traceback.
Heavy modules (torch, the detectors, pandas work) are imported inside commands so ``--help`` starts fast.
Long steps report progress on stderr (:class:`StderrProgress`): a Rich bar on a terminal, plain lines otherwise;
``--quiet`` silences it. One module per group of commands; importing them registers the commands on ``app``.
"""

from netad.cli import (  # noqa: F401 - registers the commands
    capture,  # noqa: F401 - registers the commands
    catalog,
    experiments,
    models,
    study,
    views,
    watch,
)
from netad.cli.common import DATASET_NAMES, app
from netad.cli.progress import StderrProgress

__all__ = ["DATASET_NAMES", "StderrProgress", "app", "main"]

HELP_ORDER = ("bench", "sweep", "train", "score", "serve", "watch", "flows", "explain", "latent_plot", "dashboard",
              "report", "datasets", "detectors", "version")  # fmt: skip
"""The order ``netad --help`` lists the commands in (the everyday ones first); others follow."""
app.registered_commands.sort(
    key=lambda c: HELP_ORDER.index(c.callback.__name__) if c.callback.__name__ in HELP_ORDER else len(HELP_ORDER)
)


def main() -> None:  # pragma: no cover - console entry point
    app()
