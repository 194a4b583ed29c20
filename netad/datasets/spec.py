"""How one dataset is described: where its files are found, how they are read, which options it takes.

The per-dataset modules build a :class:`DatasetSpec` each; :mod:`netad.datasets.registry` collects them (this module
imports none of them, so the loaders never import the registry that imports them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netad.datasets.base import Dataset
from netad.datasets.sources import search_dirs
from netad.errors import NetadInputError

REQUIRED = object()
"""Default value of an option the user must pass (e.g. ``label_column`` of ``csv:``)."""

Finder = Callable[[Path, Mapping[str, Any]], list[Path]]
Reader = Callable[[list[Path], Mapping[str, Any], Mapping[Path, str]], Dataset]


@dataclass(frozen=True)
class DatasetSpec:
    """One loadable dataset.

    ``find(folder, options)`` picks the dataset's files in a folder; ``read(files, options, sha256_by_path)``
    parses them into a :class:`Dataset`. ``version`` is the loader version: bump it whenever parsing changes,
    which invalidates cached parquet copies.
    """

    name: str
    description: str
    title: str  # e.g. "NSL-KDD", used in messages
    data_dir: str  # folder under $NETAD_DATA and ~/.netad/data
    download: str | None  # official download page (None: the user's own file, nothing to download)
    expected: str  # the official file names, for messages
    find: Finder
    read: Reader
    version: str
    options: Mapping[str, Any] = field(default_factory=dict)
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    builtin: Callable[[], Path] | None = None  # a folder shipped inside netad (the embedded sample)
    preprocess: Mapping[str, Any] = field(default_factory=dict)
    """FlowPreprocessor defaults for this dataset (explicit options win), e.g. no scaler for a file that is
    already scaled."""

    def resolve_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults completed with ``given``; unknown, missing required or out-of-range options raise."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            accepted = ", ".join(sorted(self.options)) or "none"
            raise NetadInputError(
                f"dataset {self.name!r} does not take option(s) {', '.join(unknown)}; accepted: {accepted}"
            )
        resolved = {**self.options, **given}
        missing = [k for k, v in resolved.items() if v is REQUIRED]
        if missing:
            raise NetadInputError(f"dataset {self.name!r} needs option(s) {', '.join(missing)}")
        for key, allowed in self.choices.items():
            if resolved[key] not in allowed:
                raise NetadInputError(
                    f"dataset {self.name!r}: {key}={resolved[key]!r} is not one of {', '.join(map(repr, allowed))}"
                )
        return resolved

    def locate(self, path: str | Path | None, options: Mapping[str, Any]) -> list[Path]:
        """The files that would be read: from ``path`` if given, else the first default folder holding some."""
        if self.builtin is not None:
            if path is not None:
                raise NetadInputError(f"dataset {self.name!r} is shipped inside netad; it takes no path")
            folder = self.builtin()
            return self.find(folder, options)
        if path is not None:
            p = Path(path).expanduser()
            if p.is_file():
                return [p]
            if not p.is_dir():
                raise NetadInputError(f"{self.title}: {p} does not exist. {self._where_to_get()}")
            files = self.find(p, options)
            if files:
                return files
            raise NetadInputError(f"{self.title}: no {self.expected} in {p}. {self._where_to_get()}")
        looked = []
        for how, folder in search_dirs(self.data_dir):
            if folder is None:
                looked.append(f"{how} (not set)")
                continue
            if folder.is_dir():
                files = self.find(folder, options)
                if files:
                    return files
                looked.append(f"{folder} (no matching files)")
            else:
                looked.append(f"{folder} (missing)")
        raise NetadInputError(
            f"{self.title} files not found; looked in {'; '.join(looked)}. Expected {self.expected}. "
            f"{self._where_to_get()}"
        )

    def _where_to_get(self) -> str:
        if self.download is None:
            return f"Give the path of an existing file: {self.name}:PATH, or --data-path PATH."
        return (
            f"Point netad at the data: export NETAD_DATA=DIR (a folder holding {self.data_dir}/, e.g. ../shared/data "
            f"beside a netad clone), or pass --data-path PATH (path=... in Python); or download the official files "
            f"from {self.download} into ~/.netad/data/{self.data_dir}/"
        )
