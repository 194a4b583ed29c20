"""The one object every dataset loader returns, and the report of what cleaning did to the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

NORMAL_CATEGORY = "normal"
"""The attack_category value of benign traffic in every netad dataset (loaders map BENIGN/Normal/... to it)."""


@dataclass
class SourceFile:
    """One file a dataset was read from."""

    path: str
    sha256: str
    rows: int
    role: str = "data"  # e.g. "train" / "test" / "day:Tuesday"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows, "role": self.role}


@dataclass
class Dataset:
    """A flow table with binary labels, attack categories and provenance.

    Attributes
    ----------
    name : registered dataset name (``nsl-kdd``, ``cicids2017``, ``csv:/path``...).
    features : one row per flow; numeric columns are float32, categorical ones are strings.
    label : int8 array, 1 = attack, 0 = normal.
    attack_category : string array, ``"normal"`` for benign rows, the attack family otherwise.
    official_split : string array naming the official partition of each row (``"train"``, ``"test"``),
        or None when the dataset has no official split here (protocols then cut a seeded stratified one).
    categorical_columns : the feature columns holding categories (protocol, service, flag, state...).
    sources : the files read, with sha256 and row counts.
    dropped_rows : reason -> number of rows removed while cleaning (never silent).
    notes : quirks met and handled, and differences from the complete official files.
    version : the dataset's release and variant, e.g. ``"NSL-KDD (KDDTrain+/KDDTest+)"``.
    metadata : per-row columns that are not features (e.g. ``Timestamp``, the source's row ``id``), or None:
        kept for tracing and time-based analyses, never given to a detector.
    """

    name: str
    features: pd.DataFrame
    label: np.ndarray
    attack_category: np.ndarray
    official_split: np.ndarray | None = None
    categorical_columns: tuple[str, ...] = ()
    sources: list[SourceFile] = field(default_factory=list)
    dropped_rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    version: str = ""
    metadata: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        n = len(self.features)
        if len(self.label) != n or len(self.attack_category) != n:
            raise ValueError(
                f"dataset {self.name!r}: features has {n} rows but label has {len(self.label)} "
                f"and attack_category {len(self.attack_category)}"
            )
        if self.official_split is not None and len(self.official_split) != n:
            raise ValueError(f"dataset {self.name!r}: official_split has {len(self.official_split)} rows, not {n}")
        if self.metadata is not None and len(self.metadata) != n:
            raise ValueError(f"dataset {self.name!r}: metadata has {len(self.metadata)} rows, not {n}")

    @property
    def n_rows(self) -> int:
        return len(self.features)

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.features.columns if c not in self.categorical_columns)

    def class_balance(self) -> dict[str, int]:
        """Rows per attack category, largest first."""
        values, counts = np.unique(self.attack_category, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        return {str(values[i]): int(counts[i]) for i in order}

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same dataset restricted to ``rows`` (integer positions), provenance kept."""
        return Dataset(
            name=self.name,
            features=self.features.iloc[rows].reset_index(drop=True),
            label=self.label[rows],
            attack_category=self.attack_category[rows],
            official_split=None if self.official_split is None else self.official_split[rows],
            categorical_columns=self.categorical_columns,
            sources=self.sources,
            dropped_rows=self.dropped_rows,
            notes=self.notes,
            version=self.version,
            metadata=None if self.metadata is None else self.metadata.iloc[rows].reset_index(drop=True),
        )

    def describe(self) -> dict[str, Any]:
        """Provenance as JSON-ready data; saved with every result."""
        return {
            "name": self.name,
            "version": self.version,
            "rows": self.n_rows,
            "features": int(self.features.shape[1]),
            "categorical_columns": list(self.categorical_columns),
            "metadata_columns": [] if self.metadata is None else [str(c) for c in self.metadata.columns],
            "attacks": int(self.label.sum()),
            "official_split": None
            if self.official_split is None
            else {str(k): int(v) for k, v in zip(*np.unique(self.official_split, return_counts=True), strict=True)},
            "sources": [s.to_dict() for s in self.sources],
            "dropped_rows": dict(self.dropped_rows),
            "notes": list(self.notes),
        }
