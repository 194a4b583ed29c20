"""What a saved model expects as input (:class:`FeatureSchema`) and the training statistics of its features."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from netad.errors import NetadInputError

if TYPE_CHECKING:
    from netad.detectors.base import BaseDetector
    from netad.preprocess import FlowPreprocessor


@dataclass
class FeatureSchema:
    """What a model expects as input and what its detector sees.

    ``input_columns`` are the table columns the preprocessor was fitted on (all must be present to score;
    ``used_columns`` are those actually read, the rest were dropped at fit as constant or duplicate);
    ``dtypes`` maps each input column to ``float32`` (numeric) or ``string`` (categorical);
    ``categories`` lists the known categories of each encoded categorical column; ``output_features`` are the
    detector's input features (after one-hot encoding). Without a preprocessor only ``output_features``
    (generic names) is set. ``feature_mean``/``feature_std`` are the training statistics of the output
    features when they were saved.
    """

    input_columns: list[str]
    dtypes: dict[str, str]
    used_columns: list[str]
    categories: dict[str, list[str]]
    output_features: list[str]
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None

    @property
    def categorical_columns(self) -> list[str]:
        return [c for c in self.input_columns if self.dtypes.get(c) == "string"]

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.input_columns if self.dtypes.get(c) != "string"]

    def to_json(self) -> dict[str, Any]:
        return {
            "input_columns": [
                {"name": c, "dtype": self.dtypes[c], "used": c in self.used_columns} for c in self.input_columns
            ],
            "categorical_columns": {c: self.categories.get(c, []) for c in self.categorical_columns},
            "output_features": list(self.output_features),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSchema:
        columns = data["input_columns"]
        return cls(
            input_columns=[str(c["name"]) for c in columns],
            dtypes={str(c["name"]): str(c["dtype"]) for c in columns},
            used_columns=[str(c["name"]) for c in columns if c.get("used", True)],
            categories={str(k): [str(v) for v in vs] for k, vs in data.get("categorical_columns", {}).items()},
            output_features=[str(f) for f in data["output_features"]],
        )


def build_schema(pre: FlowPreprocessor | None, detector: BaseDetector) -> FeatureSchema:
    """The schema of a preprocessor + detector pair (generic feature names without a preprocessor)."""
    if pre is None:
        names = [f"x{i}" for i in range(int(detector.n_features_in_))]
        return FeatureSchema([], {}, [], {}, names)
    output = [str(f) for f in pre.get_feature_names_out()]
    if len(output) != detector.n_features_in_:
        raise NetadInputError(
            f"the preprocessor gives {len(output)} features but the detector was fitted on {detector.n_features_in_}"
        )
    inputs = [str(c) for c in pre.feature_names_in_]
    categorical = set(pre.categorical_columns_) | set(pre.categorical_columns or [])
    dtypes = {c: "string" if c in categorical else "float32" for c in inputs}
    used = [c for c in inputs if c in set(pre.numeric_columns_) | set(pre.categorical_columns_)]
    categories = {}
    if pre.encoder_ is not None:
        for c, values in zip(pre.categorical_columns_, pre.encoder_.categories_, strict=True):
            categories[c] = [str(v) for v in values]
    return FeatureSchema(inputs, dtypes, used, categories, output)


def feature_stats(reference: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std of the reference rows, accumulated in float64 over row chunks."""
    reference = np.asarray(reference)
    if reference.ndim != 2 or reference.shape[1] != n_features or len(reference) == 0:
        raise NetadInputError(
            f"reference: expected a non-empty table with {n_features} features, got shape {reference.shape}"
        )
    total = np.zeros(n_features)
    squares = np.zeros(n_features)
    for start in range(0, len(reference), 65_536):
        block = reference[start : start + 65_536].astype(np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    mean = total / len(reference)
    variance = np.maximum(squares / len(reference) - np.square(mean), 0.0)
    return mean, np.sqrt(variance)


def score_quantiles(scores: np.ndarray, n: int = 101) -> np.ndarray:
    """``n`` evenly spaced quantiles (min to max) of the finite ``scores``, float64: a compact score distribution."""
    finite = np.asarray(scores, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if len(finite) == 0:
        raise NetadInputError("score reference: no finite score")
    return np.quantile(finite, np.linspace(0.0, 1.0, n))
