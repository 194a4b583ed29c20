"""What a protocol returns: the train / validation / test ``Part``s of a dataset and the ``Split`` that holds them,
with the labels a detector may see at fit (``Split.fit_data``) and thresholds may see (``validation_labels``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.protocols.sampling import category_mask, norm_category
from netad.supervision import SUPERVISION_KINDS


@dataclass
class Part:
    """One side of a split: features with ground truth, and the dataset rows they came from."""

    features: pd.DataFrame
    label: np.ndarray  # int8 ground truth, 1 = attack (after the protocol's relabelling, e.g. dagmm)
    attack_category: np.ndarray
    rows: np.ndarray  # int64 positions into the Dataset, ascending

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Split:
    """Train / validation / test parts, the labels a detector may see at fit, and a JSON-ready record."""

    protocol: str
    seed: int
    train: Part
    validation: Part
    test: Part
    known_label: np.ndarray  # int8 per train row: 1 = an attack the detector is told about
    info: dict[str, Any] = field(default_factory=dict)
    unsupervised_rows: str = "normal"  # "normal": label-free detectors fit on known-normal rows; "all": on all
    validation_known: np.ndarray | None = None  # int8 per validation row: the labels thresholds/selection may see

    def validation_labels(self) -> np.ndarray:
        """The validation labels that thresholds and model selection may use: all of them, except under a label
        budget (``weak``), where only ``labelled_ratio`` of the validation attacks are marked 1, the rest 0."""
        return self.validation.label if self.validation_known is None else self.validation_known

    def fit_data(self, supervision: str) -> tuple[pd.DataFrame, np.ndarray | None]:
        """The table (and labels) a detector with this ``supervision`` fits on; only train rows, known labels."""
        if supervision not in SUPERVISION_KINDS:
            raise NetadInputError(f"unknown supervision {supervision!r}; expected one of {list(SUPERVISION_KINDS)}")
        if supervision == "unsupervised":
            if self.unsupervised_rows == "all":
                return self.train.features, None
            normal = self.known_label == 0
            return self.train.features.iloc[np.flatnonzero(normal)].reset_index(drop=True), None
        if supervision == "supervised" and len(np.unique(self.known_label)) < 2:
            raise NetadInputError(
                f"protocol {self.protocol!r} trains on one class only (known labels all "
                f"{int(self.known_label[0]) if len(self.known_label) else '-'}); supervised detectors do not apply"
            )
        return self.train.features, self.known_label.copy()

    def unseen_mask(self, part: str = "test") -> np.ndarray:
        """Boolean per row of ``part``: True for attack categories held out of training (zero-shot)."""
        unseen = {norm_category(c) for c in self.info.get("unseen_categories", [])}
        return category_mask(getattr(self, part).attack_category, unseen)
