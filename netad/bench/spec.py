"""What one benchmark job is: a flat, serialisable description that any backend can run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Job:
    """One (dataset, protocol, detector, seed) fit-and-evaluate, with every option needed to re-run it."""

    dataset: str
    protocol: str
    detector: str
    seed: int
    thresholds: tuple[str, ...] = ("p99",)
    params: dict[str, Any] = field(default_factory=dict)
    dataset_path: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    protocol_options: dict[str, Any] = field(default_factory=dict)
    preprocess: dict[str, Any] = field(default_factory=dict)  # FlowPreprocessor options (scaler, log1p, ...)
    max_train: int | None = None
    save_scores: bool = True
    variant: str = ""  # a label for one parameter setting in a sweep, e.g. "bottleneck=8"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["thresholds"] = list(self.thresholds)
        return data

    @property
    def key(self) -> str:
        """A file-name-safe identifier, unique within a run."""
        safe = self.dataset.replace(":", "_").replace("/", "_").replace("\\", "_")
        variant = "".join(ch if ch.isalnum() or ch in "=-." else "_" for ch in self.variant)
        name = self.detector.replace(":", "_")  # peers ("pyod:ECOD"): no ':' in file names (Windows)
        detector = f"{name}[{variant}]" if variant else name
        return f"{safe}__{self.protocol}__{detector}__seed{self.seed}"
