"""The table of known datasets: how each is found on disk, read, and what options it takes."""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from netad.datasets.spec import REQUIRED, DatasetSpec  # noqa: F401 (REQUIRED re-exported)
from netad.errors import NetadInputError


@functools.cache
def specs() -> dict[str, DatasetSpec]:
    """Every registered dataset by name (imported on first use so ``import netad`` stays fast)."""
    from netad.datasets import cicids2017, cicids2017_improved, csv, iot23, kddcup99, nsl_kdd, unsw_nb15

    table: dict[str, DatasetSpec] = {}
    for module in (kddcup99, nsl_kdd, unsw_nb15, cicids2017, cicids2017_improved, iot23, csv):
        for spec in module.SPECS:
            table[spec.name] = spec
    return table


def get_spec(name: str, path: str | Path | None) -> tuple[DatasetSpec, str | Path | None]:
    """The spec for ``name`` and the path to read; ``csv:PATH`` names carry their own path."""
    table = specs()
    if name.startswith("csv:"):
        if path is not None:
            raise NetadInputError(f"dataset {name!r} already names its file; do not also pass path={path!r}")
        if not name[4:]:
            raise NetadInputError("dataset 'csv:' needs a file, e.g. 'csv:flows.csv'")
        return table["csv"], name[4:]
    if name in table:
        if name == "csv" and path is None:
            raise NetadInputError("dataset 'csv' needs a file: use 'csv:PATH' or pass path=...")
        return table[name], path
    close = difflib.get_close_matches(name, list(table), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    known = ", ".join(n for n in table if n != "csv")
    raise NetadInputError(f"unknown dataset {name!r}{hint}; known: {known}, or csv:PATH")
