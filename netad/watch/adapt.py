"""Opt-in online adaptation (``netad watch --adapt DIR``): refit the detector on recent normal-looking flows when the
drift signal fires, save each new version, and name it in the alerts that follow.

A reservoir sample (Vitter's algorithm R, seeded) keeps at most ``reservoir_rows`` preprocessed rows of flows
scored **under** the threshold; flagged flows never enter it, so an attack the model sees does not teach it. When a
window yields a drift record and the reservoir holds ``min_rows`` rows, a fresh copy of the detector
(``sklearn.base.clone``: same parameters) is fitted on the reservoir; its ``fit`` sets ``threshold_`` with the
detector's own strategy on reservoir rows held out of the fit. The new model (same preprocessor) is saved with
:func:`netad.persist.save_model` to ``DIR/<model>-adapt-<n>`` (metadata: the parent's sha256, rows, the drift
record that triggered it), loaded back through the safe loader and used from the next batch; its name and sha256
appear in every later record. The drift reference restarts with it.

Classical unsupervised detectors only (iforest, pca, ...): deep detectors would need fine-tuning steps on the
shared trainer, which is not implemented; they are refused at start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist import LoadedModel, load_model, save_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdaptSettings:
    """Where adapted models go and how much recent traffic they learn from."""

    directory: Path
    reservoir_rows: int = 20_000
    min_rows: int = 2_000
    seed: int = 0


class Adapter:
    """Reservoir of unflagged preprocessed rows and the refit that makes a new model version from it."""

    def __init__(self, model: LoadedModel, settings: AdaptSettings) -> None:
        from netad.detectors.deep import DeepDetector

        if isinstance(model.detector, DeepDetector) or model.detector.supervision != "unsupervised":
            raise NetadInputError(
                f"{model.path}: --adapt refits classical unsupervised detectors (iforest, pca, ...) on recent "
                f"normal-looking flows; {model.detector_name} is not one (fine-tuning deep models is not implemented)"
            )
        directory = Path(settings.directory)
        if directory.is_symlink() or not directory.is_dir():
            raise NetadInputError(f"--adapt {directory}: not a directory (create it; links are not followed)")
        if settings.reservoir_rows < settings.min_rows or settings.min_rows < 10:
            raise NetadInputError("--adapt needs reservoir rows >= min rows >= 10")
        self.settings, self.directory = settings, directory
        self.base_name = model.path.name if model.path else "model"
        self.rows = np.empty((settings.reservoir_rows, len(model.schema.output_features)), np.float32)
        self.size = self.seen = 0
        taken = [p.name.rpartition("-adapt-")[2] for p in directory.glob(f"{self.base_name}-adapt-*")]
        self.versions = max((int(k) for k in taken if k.isdigit()), default=0)  # never reuse a saved version
        self.rng = np.random.default_rng(settings.seed)

    def add(self, X: np.ndarray, flagged: np.ndarray) -> None:
        """Offer the scored rows ``X``; those not ``flagged`` may enter the reservoir (algorithm R)."""
        for row in X[~flagged]:
            self.seen += 1
            if self.size < len(self.rows):
                self.rows[self.size] = row
                self.size += 1
            else:
                slot = int(self.rng.integers(self.seen))
                if slot < len(self.rows):
                    self.rows[slot] = row

    def refit(self, model: LoadedModel, parent_sha256: str, drift: dict[str, Any]) -> LoadedModel | None:
        """A new model version fitted on the reservoir, saved and loaded back; None with too few rows."""
        from sklearn.base import clone

        if self.size < self.settings.min_rows:
            logger.info("adapt: drift, but only %d reservoir rows (< %d): no refit", self.size, self.settings.min_rows)
            return None
        detector = clone(model.detector).fit(self.rows[: self.size].copy())
        self.versions += 1
        target = self.directory / f"{self.base_name}-adapt-{self.versions}"
        metadata = {
            "adapted": {"parent": str(model.path), "parent_sha256": parent_sha256, "rows": int(self.size),
                        "rows_offered": int(self.seen), "drift": drift},
        }  # fmt: skip
        save_model(target, model.preprocessor, detector, metadata, reference=self.rows[: self.size])
        logger.info("adapt: saved %s (%d rows, threshold %.6g)", target, self.size, detector.threshold_)
        return load_model(target)
