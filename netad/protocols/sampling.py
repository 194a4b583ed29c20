"""Row-position helpers every protocol cuts with: the builders' result (``Cut``), seeded stratified splits and
subsamples, the training partition and its validation carve, the ``max_train`` cap, and category matching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netad.datasets.base import Dataset
from netad.errors import NetadInputError


@dataclass
class Cut:
    """What a protocol builder returns: row positions (never DataFrames) and what the split records about them."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    label: np.ndarray | None = None  # relabelled ground truth for the whole dataset (dagmm), else the dataset's
    known: Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray] | None = None
    unsupervised_rows: str = "normal"
    info: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    differs_from_seed: str = ""
    validation_known: np.ndarray | None = None  # set by ``known`` under a label budget (weak)


def training_partition(
    ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, float, list[str]]:
    """(training-partition rows, test rows, validation fraction of the partition, notes)."""
    notes: list[str] = []
    if ds.official_split is not None:
        split = np.asarray(ds.official_split).astype(str)
        pool, test = np.flatnonzero(split == "train"), np.flatnonzero(split == "test")
        if len(pool) and len(test):
            other = len(split) - len(pool) - len(test)
            if other:
                notes.append(f"{other:,} rows of official partitions other than train/test are not used")
            val_fraction = 0.2 if opts["val_fraction"] is None else opts["val_fraction"]
            return pool, test, val_fraction, notes
        notes.append(f"official_split holds {sorted(set(split.tolist()))} only, not both train and test")
    test_fraction = opts["test_fraction"]
    val_fraction = opts["val_fraction"]
    if val_fraction is None:  # 20% of all rows, as a fraction of what is left after the test cut
        val_fraction = min(0.2 / (1 - test_fraction), 0.5) if test_fraction < 1 else 0.2
    pool, test = stratified_split(np.arange(ds.n_rows), ds.attack_category, test_fraction, rng)
    if len(test) == 0:
        raise NetadInputError(f"{ds.name!r} has no official test rows and test_fraction={test_fraction} leaves none")
    share_train = (1 - test_fraction) * (1 - val_fraction)
    notes.append(
        f"no official test file: seeded stratified {share_train:.0%}/{(1 - test_fraction) * val_fraction:.0%}/"
        f"{test_fraction:.0%} train/validation/test split by attack_category"
    )
    return pool, test, val_fraction, notes


def carve_validation(
    ds: Dataset, pool: np.ndarray, fraction: float, with_attacks: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation): ``fraction`` of the pool, stratified by category; normals only if not with_attacks."""
    if with_attacks:
        return stratified_split(pool, ds.attack_category, fraction, rng)
    normal = ds.label[pool] == 0
    keep, validation = stratified_split(pool[normal], ds.attack_category, fraction, rng)
    return np.sort(np.concatenate([keep, pool[~normal]])), validation


def cap_training_rows(cut: Cut, ds: Dataset, label: np.ndarray, max_train: int, rng: np.random.Generator) -> None:
    """Cap what a detector fits at ``max_train`` rows, recorded in ``cut.info['max_train']``.

    Where label-free detectors fit the normal training rows (novelty, zero-shot, ...), the cap applies to those,
    and the training attacks are thinned by the same fraction (so label-using detectors keep the partition's mix).
    Where every training row is fitted (weak), the whole partition is capped. Seeded, stratified by
    attack_category, at least one row per category.
    """
    before = len(cut.train)
    if cut.unsupervised_rows == "normal":
        normal = label[cut.train] == 0
        n_normal = int(normal.sum())
        if n_normal <= max_train:
            return
        attacks = cut.train[~normal]
        n_attacks = int(np.floor(len(attacks) * max_train / n_normal + 0.5))
        kept_attacks = capped_sample(attacks, ds.attack_category, max(n_attacks, 1), rng) if len(attacks) else attacks
        cut.train = np.sort(
            np.concatenate([capped_sample(cut.train[normal], ds.attack_category, max_train, rng), kept_attacks])
        )
        applies = "the normal training rows (what label-free detectors fit); train attacks thinned by the same fraction"
        detail = {"normal_rows_before": n_normal, "normal_rows_after": int(max_train),
                  "attack_rows_before": int(len(attacks)), "attack_rows_after": int(len(kept_attacks))}  # fmt: skip
    else:
        if before <= max_train:
            return
        cut.train = capped_sample(cut.train, ds.attack_category, max_train, rng)
        applies = "every training row (all of them are fitted under this protocol)"
        detail = {}
        if len(cut.train) > max_train:
            cut.notes.append(
                f"max_train={max_train} is below the number of attack categories in train; kept one row of each "
                f"({len(cut.train)} rows)"
            )
    cut.info["max_train"] = {
        "cap": max_train,
        "applies_to": applies,
        "rows_before": int(before),
        "rows_after": int(len(cut.train)),
        **detail,
        "how": "seeded subsample stratified by attack_category, at least one row per category",
    }


def stratified_split(
    rows: np.ndarray, strata: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, taken): ``fraction`` of each stratum's rows taken at random.

    A stratum of n >= 2 rows gives at least one row to each side when 0 < fraction < 1; a single row stays kept.
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    if len(rows) == 0 or fraction <= 0:
        return rows, np.empty(0, dtype=np.int64)
    taken = np.zeros(len(rows), dtype=bool)
    for group in _groups(rows, strata):
        n = len(group)
        m = int(np.floor(fraction * n + 0.5))
        if 0 < fraction < 1 and n >= 2:
            m = min(max(m, 1), n - 1)
        if m:
            taken[rng.choice(group, size=m, replace=False)] = True
    return rows[~taken], rows[taken]


def _groups(rows: np.ndarray, strata: np.ndarray) -> list[np.ndarray]:
    """Positions into the sorted ``rows`` of each stratum (categories in sorted order, positions ascending).

    A fixed order, so the random draws that follow depend on the seed only.
    """
    codes = factorize(np.asarray(strata)[rows])[1]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def capped_sample(rows: np.ndarray, strata: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded subsample of ``cap`` rows stratified by category, each category keeping at least one row."""
    rows = np.sort(rows)
    groups = _groups(rows, strata)
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    quota = counts * cap / counts.sum()
    take = np.minimum(np.maximum(np.floor(quota).astype(np.int64), 1), counts)
    remainder = quota - np.floor(quota)
    for i in np.argsort(-remainder, kind="stable"):  # largest remainders first
        if take.sum() >= cap:
            break
        if take[i] < counts[i]:
            take[i] += 1
    while take.sum() > cap and (take > 1).any():  # the at-least-one rule overshot: trim the largest
        take[np.argmax(take)] -= 1
    chosen = [rng.choice(g, size=k, replace=False) for g, k in zip(groups, take, strict=True)]
    return rows[np.sort(np.concatenate(chosen))]


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values as str, code per row): hash-based, no fixed-width string copy of big arrays."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)
    return np.asarray([str(u) for u in uniques], dtype=object), codes


def category_mask(categories: np.ndarray, keys: set[str]) -> np.ndarray:
    """Boolean per row: its category, compared case- and space-insensitively, is one of ``keys``."""
    values, codes = factorize(categories)
    hit = np.array([norm_category(v) in keys for v in values], dtype=bool)
    return hit[codes] if len(codes) else np.zeros(0, dtype=bool)


def norm_category(name: Any) -> str:
    return " ".join(str(name).split()).casefold()
