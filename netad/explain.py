"""SHAP explanations of any netad detector's anomaly score: which features made a flow look anomalous.

The explained function is ``detector.decision_function`` on the preprocessed feature matrix, against a
background sample of training normals, so a feature's SHAP value is its share of (score - mean background
score). Explainers (``method``):

- ``permutation`` (the default for more than 10 features): shap's PermutationExplainer, model-agnostic,
  exactly additive per row (sum of SHAP values + base value = score), antithetic permutations;
- ``exact``: shap's ExactExplainer, 2^p evaluations (the default for at most 10 features);
- ``kernel``: KernelExplainer with a k-means summary of the background (slower; for comparisons).

Tree explainers do not apply to anomaly scores in general, and gradient explainers for the torch detectors
would need their private scoring graph and are not additive for reconstruction errors; the permutation
explainer needs neither and is fast enough on CPU for the alerts an analyst reads, so it is used for every
detector (timing: benchmarks/results/design_notes.md). One-hot columns can be summed back to their source column
(``service_http`` ... -> ``service``).

Needs the extra: ``pip install "netad[explain]"``.

>>> from netad.bench import Job                                                             # doctest: +SKIP
>>> result = explain_alerts(Job("unsw-nb15", "novelty", "autoencoder", 0), out_dir="xai")   # doctest: +SKIP
>>> result.explanation.mean_abs().head()                                                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.files import atomic_path, check_output, write_text
from netad.viz.shap import PLOT_KINDS, summary_plot

log = logging.getLogger(__name__)

OUTPUT_FILES = {
    "summary_plot": "shap_summary.png",
    "mean_abs_shap": "mean_abs_shap.csv",
    "alerts_json": "alerts.json",
    "alerts_csv": "alerts_top_features.csv",
    "shap_values": "shap_values.csv",
}
"""What ``explain_alerts`` writes into ``out_dir``."""

METHODS = ("auto", "permutation", "exact", "kernel")
_EXACT_MAX_FEATURES = 10


def _shap() -> Any:
    try:
        import shap
    except ImportError:
        raise ImportError('SHAP explanations need the explain extra: pip install "netad[explain]"') from None
    return shap


@dataclass
class Explanation:
    """SHAP values of anomaly scores: one row per explained flow, one column per feature."""

    values: np.ndarray  # (n, p)
    base_values: np.ndarray  # (n,): expected score over the background
    data: np.ndarray  # (n, p): the feature values explained (NaN for grouped one-hot columns)
    feature_names: list[str]
    scores: np.ndarray  # (n,): the detector's score of each row
    method: str
    groups: dict[str, list[str]] = field(default_factory=dict)  # grouped feature -> its original columns

    def additivity_gap(self) -> np.ndarray:
        """Per row, |sum of SHAP values + base value - score| (0 up to float error for permutation/exact)."""
        return np.abs(self.values.sum(axis=1) + self.base_values - self.scores)

    def aggregate(self, source_of: Mapping[str, str]) -> Explanation:
        """Sum the SHAP values of columns sharing a source column (``source_of``: feature -> source).

        Features missing from ``source_of`` keep their own name. The data of a merged group is NaN.
        """
        sources = [source_of.get(name, name) for name in self.feature_names]
        order = list(dict.fromkeys(sources))
        members: dict[str, list[int]] = {s: [] for s in order}
        for j, s in enumerate(sources):
            members[s].append(j)
        values = np.column_stack([self.values[:, idx].sum(axis=1) for idx in members.values()])
        nan = np.full(len(self.data), np.nan)
        kept = {s: len(idx) == 1 and self.feature_names[idx[0]] == s for s, idx in members.items()}
        data = np.column_stack([self.data[:, idx[0]] if kept[s] else nan for s, idx in members.items()])
        groups = {s: [self.feature_names[j] for j in idx] for s, idx in members.items() if len(idx) > 1}
        return replace(self, values=values, data=data, feature_names=order, groups=groups)

    def mean_abs(self) -> pd.DataFrame:
        """Features ranked by mean |SHAP| (global importance), with the signed mean too."""
        table = pd.DataFrame(
            {
                "feature": self.feature_names,
                "mean_abs_shap": np.abs(self.values).mean(axis=0),
                "mean_shap": self.values.mean(axis=0),
            }
        ).sort_values("mean_abs_shap", ascending=False, kind="stable")
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        return table.reset_index(drop=True)

    def top_features(self, k: int = 5) -> list[list[tuple[str, float]]]:
        """Per row, the ``k`` features that pushed the score up most (largest SHAP values first)."""
        order = np.argsort(-self.values, axis=1, kind="stable")[:, :k]
        return [[(self.feature_names[j], float(self.values[i, j])) for j in row] for i, row in enumerate(order)]

    def to_shap(self) -> Any:
        """The same values as a ``shap.Explanation`` (for shap's own plots)."""
        return _shap().Explanation(
            values=self.values, base_values=self.base_values, data=self.data, feature_names=self.feature_names
        )


def one_hot_sources(preprocessor: Any) -> dict[str, str]:
    """Output column -> source column of a fitted ``FlowPreprocessor`` (``service_http`` -> ``service``)."""
    names = [str(n) for n in preprocessor.get_feature_names_out()]
    categorical = sorted(getattr(preprocessor, "categorical_columns_", []), key=len, reverse=True)
    numeric = set(getattr(preprocessor, "numeric_columns_", []))
    sources = {}
    for name in names:
        if name in numeric:
            sources[name] = name
            continue
        owner = next((c for c in categorical if name.startswith(f"{c}_")), name)  # longest matching prefix
        sources[name] = owner
    return sources


def explain_scores(
    detector: Any,
    X: np.ndarray,
    background: np.ndarray,
    feature_names: Sequence[str] | None = None,
    method: str = "auto",
    n_background: int = 100,
    max_evals: int | None = None,
    random_state: int | None = 0,
) -> Explanation:
    """SHAP values of ``detector.decision_function`` for the rows of ``X`` (preprocessed features).

    ``background``: rows standing for normal traffic (e.g. training normals); at most ``n_background`` of
    them are used (a seeded sample; for ``kernel`` a k-means summary). ``max_evals``: model evaluations per
    row for ``permutation`` (default: enough for at least two antithetic permutations, and at least 500).
    """
    shap = _shap()
    X = np.ascontiguousarray(X, dtype=np.float32)
    background = np.ascontiguousarray(background, dtype=np.float32)
    if X.ndim != 2 or background.ndim != 2 or X.shape[1] != background.shape[1]:
        raise NetadInputError(
            f"X {X.shape} and background {background.shape} must be 2-D with the same number of features"
        )
    if len(X) == 0 or len(background) == 0:
        raise NetadInputError("nothing to explain: X or background has no rows")
    n_features = X.shape[1]
    names = [str(n) for n in feature_names] if feature_names is not None else [f"x{j}" for j in range(n_features)]
    if len(names) != n_features:
        raise NetadInputError(f"{len(names)} feature names for {n_features} features")
    if method not in METHODS:
        raise NetadInputError(f"unknown SHAP method {method!r}; use one of {', '.join(METHODS)}")
    if method == "auto":
        method = "exact" if n_features <= _EXACT_MAX_FEATURES else "permutation"
    rng = np.random.default_rng(random_state)
    if len(background) > n_background:
        background = background[np.sort(rng.choice(len(background), n_background, replace=False))]

    def score(rows: np.ndarray) -> np.ndarray:
        return np.asarray(detector.decision_function(np.asarray(rows, dtype=np.float32)), dtype=np.float64)

    scores = score(X)
    if method == "kernel":
        summary = shap.kmeans(background, min(10, len(background)))
        explainer = shap.KernelExplainer(score, summary, seed=random_state)
        values = np.asarray(explainer.shap_values(X, silent=True), dtype=np.float64).reshape(len(X), n_features)
        base = np.full(len(X), float(np.ravel(explainer.expected_value)[0]))
    else:
        masker = shap.maskers.Independent(background, max_samples=len(background))
        if method == "exact":
            result = shap.explainers.ExactExplainer(score, masker)(X)
        else:
            evals = max_evals or max(500, 2 * (2 * n_features + 1))
            if evals < 2 * n_features + 1:
                raise NetadInputError(f"max_evals={evals} is below 2 x features + 1 = {2 * n_features + 1}")
            explainer = shap.PermutationExplainer(score, masker, seed=random_state)
            result = _explain_in_chunks(lambda rows: explainer(rows, max_evals=evals, silent=True), X)
        values = np.asarray(result.values, dtype=np.float64)
        base = np.broadcast_to(np.asarray(result.base_values, dtype=np.float64), (len(X),)).copy()
    return Explanation(values, base, X.astype(np.float64), names, scores, method)


SHAP_CHUNK_ROWS = 10
"""Rows per permutation-explainer call, so long explanations report progress between calls."""


@dataclass
class _Values:
    values: np.ndarray
    base_values: np.ndarray


def _explain_in_chunks(explain: Any, X: np.ndarray) -> _Values:
    """``explain(X)`` run on ``SHAP_CHUNK_ROWS`` rows at a time with a progress line after each chunk.

    The same numbers as one call: shap's permutation explainer seeds numpy once, at construction, and then
    draws each row's permutations in turn, so row order (kept here) fixes every draw.
    """
    from netad.progress import phase

    values, base = [], []
    for start in range(0, len(X), SHAP_CHUNK_ROWS):
        rows = X[start : start + SHAP_CHUNK_ROWS]
        part = explain(rows)
        values.append(np.asarray(part.values, dtype=np.float64))
        base.append(np.broadcast_to(np.asarray(part.base_values, dtype=np.float64), (len(rows),)))
        if len(X) > SHAP_CHUNK_ROWS:
            phase(f"SHAP: {min(start + SHAP_CHUNK_ROWS, len(X))}/{len(X)} rows explained")
    return _Values(np.concatenate(values), np.concatenate(base))


def alert_table(
    explanation: Explanation,
    k: int = 5,
    rows: pd.DataFrame | None = None,
    raw: pd.DataFrame | None = None,
    source_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Long table of each explained row's top-``k`` features: one line per (row, feature).

    ``rows``: per-row facts to repeat (e.g. ``row``, ``score``, ``label``, ``attack_category``); ``raw``: the
    original (unscaled) table of those rows, to show each feature's raw value; ``source_of`` maps a feature to
    its raw column (one-hot columns -> categorical column).
    """
    records = []
    for i, top in enumerate(explanation.top_features(k)):
        facts = {} if rows is None else rows.iloc[i].to_dict()
        for position, (feature, value) in enumerate(top, start=1):
            column = (source_of or {}).get(feature, feature)
            raw_value = raw.iloc[i][column] if raw is not None and column in raw.columns else None
            records.append({
                "alert": i + 1, **facts, "position": position, "feature": feature, "shap": value,
                "value": raw_value.item() if hasattr(raw_value, "item") else raw_value,
            })  # fmt: skip
    return pd.DataFrame(records)


@dataclass
class AlertExplanation:
    """Explanations of a fitted job's top test alerts, and the files written."""

    explanation: Explanation
    alerts: pd.DataFrame  # one row per alert: row, score, label, attack_category
    top: pd.DataFrame  # alert_table(...)
    threshold: float
    threshold_strategy: str
    files: dict[str, Path]


def explain_alerts(
    job: Any,
    n_alerts: int = 50,
    threshold: str = "p99",
    method: str = "auto",
    n_background: int = 100,
    max_evals: int | None = None,
    group_categories: bool = True,
    top_k: int = 5,
    plot: str = "bar",
    out_dir: str | Path | None = None,
    fitted: Any = None,
    overwrite: bool = False,
) -> AlertExplanation:
    """Fit ``job`` (a :class:`netad.bench.Job`) as the benchmark does, flag test rows with the threshold chosen
    on validation, and explain the ``n_alerts`` highest-scoring alerts against training normals.

    Writes to ``out_dir`` (if given): ``shap_summary.png``, ``mean_abs_shap.csv``, ``alerts.json``,
    ``alerts_top_features.csv`` and ``shap_values.csv`` (each atomically, never through a link; an existing file
    of that name is replaced only with ``overwrite``, checked before any work). ``fitted``: a ``fit_job(job)``
    result to reuse.
    """
    from netad import thresholds
    from netad.pipeline import choose_threshold, fit_job, fit_scores
    from netad.progress import phase

    if n_alerts < 1:
        raise NetadInputError(f"n_alerts must be >= 1, got {n_alerts}")
    if plot not in PLOT_KINDS:
        raise NetadInputError(f"unknown plot kind {plot!r}; use one of {', '.join(PLOT_KINDS)}")
    _shap()  # fail before fitting when the extra is missing
    if out_dir is not None and Path(out_dir).is_dir():  # a new folder is made when writing
        for name in OUTPUT_FILES.values():
            check_output(Path(out_dir) / name, overwrite=overwrite, what="explanation file")
    fitted = fitted if fitted is not None else fit_job(job)
    split, pre, detector = fitted.split, fitted.preprocessor, fitted.detector
    phase("scoring the validation and test rows")
    X_test = pre.transform(split.test.features)
    test_scores = np.asarray(detector.decision_function(X_test))
    strategy = thresholds.resolve(threshold)
    validation_scores = np.asarray(detector.decision_function(pre.transform(split.validation.features)))
    train_scores = fit_scores(fitted) if getattr(strategy, "needs_train_scores", False) else None
    strategy, cut, _ = choose_threshold(strategy, split, validation_scores, test_scores, train_scores)
    flagged = np.flatnonzero(test_scores > cut)
    if len(flagged) == 0:
        raise NetadInputError(f"no test row scores above the {strategy.name} threshold {cut:.4g}; nothing to explain")
    chosen = flagged[np.argsort(-test_scores[flagged], kind="stable")[:n_alerts]]
    if len(chosen) < n_alerts:
        log.info("only %d test rows are alerts under %s; explaining all of them", len(chosen), strategy.name)

    fit_frame, fit_labels = split.fit_data(detector.supervision)
    normal = np.arange(len(fit_frame)) if fit_labels is None else np.flatnonzero(np.asarray(fit_labels) == 0)
    rng = np.random.default_rng(job.seed)
    sample = np.sort(rng.choice(normal, min(len(normal), n_background), replace=False))
    background = pre.transform(fit_frame.iloc[sample])

    names = [str(n) for n in pre.get_feature_names_out()]
    phase(
        f"SHAP ({method}) of the {len(chosen)} top alerts against {len(background)} training normals "
        f"({X_test.shape[1]} features)"
    )
    explanation = explain_scores(detector, X_test[chosen], background, names, method, n_background, max_evals,
                                 random_state=job.seed)  # fmt: skip
    sources = one_hot_sources(pre)
    if group_categories:
        explanation = explanation.aggregate(sources)
    alerts = pd.DataFrame({
        "row": split.test.rows[chosen].astype(np.int64),
        "score": test_scores[chosen].astype(float),
        "label": split.test.label[chosen].astype(int),
        "attack_category": np.asarray(split.test.attack_category)[chosen].astype(str),
    })  # fmt: skip
    raw = split.test.features.iloc[chosen].reset_index(drop=True)
    top = alert_table(explanation, top_k, alerts, raw, sources)
    files: dict[str, Path] = {}
    if out_dir is not None:
        phase(f"writing the summary plot and tables to {out_dir}")
        context = {
            "dataset": job.dataset,
            "protocol": job.protocol,
            "detector": job.detector,
            "params": job.params,
            "preprocess": job.preprocess,
            "seed": job.seed,
            "threshold_strategy": strategy.name,
            "threshold": float(cut),
            "n_test_alerts": int(len(flagged)),
        }
        files = _write(explanation, alerts, top, raw, sources, Path(out_dir), plot, top_k, context, overwrite)
    return AlertExplanation(explanation, alerts, top, float(cut), strategy.name, files)


def _write(
    explanation: Explanation,
    alerts: pd.DataFrame,
    top: pd.DataFrame,
    raw: pd.DataFrame,
    sources: Mapping[str, str],
    out_dir: Path,
    plot: str,
    top_k: int,
    context: dict[str, Any],
    overwrite: bool,
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {key: out_dir / name for key, name in OUTPUT_FILES.items()}
    summary_plot(explanation, files["summary_plot"], plot, overwrite=overwrite)
    values = pd.DataFrame(explanation.values, columns=explanation.feature_names)
    tables = {
        "mean_abs_shap": explanation.mean_abs(),
        "alerts_csv": top,
        "shap_values": pd.concat([alerts.reset_index(drop=True), values.add_prefix("shap:")], axis=1),
    }
    for key, table in tables.items():
        with atomic_path(files[key], overwrite=overwrite, what="explanation table") as temporary:
            table.to_csv(temporary, index=False)
    records = []
    for i, (facts, row_top) in enumerate(zip(alerts.to_dict("records"), explanation.top_features(top_k), strict=True)):
        features = []
        for feature, value in row_top:
            column = sources.get(feature, feature)
            raw_value = raw.iloc[i][column] if column in raw.columns else None
            features.append({"feature": feature, "shap": value,
                             "value": raw_value.item() if hasattr(raw_value, "item") else raw_value})  # fmt: skip
        records.append({"alert": i + 1, **facts, "base_value": float(explanation.base_values[i]),
                        "top_features": features})  # fmt: skip
    document = {**context, "method": explanation.method, "grouped_columns": explanation.groups,
                "n_alerts": len(records), "alerts": records}  # fmt: skip
    write_text(files["alerts_json"], json.dumps(document, indent=2, default=_json_default), overwrite=overwrite)
    return files


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    return str(value)


__all__ = [
    "AlertExplanation",
    "Explanation",
    "alert_table",
    "explain_alerts",
    "explain_scores",
    "one_hot_sources",
    "summary_plot",
]
