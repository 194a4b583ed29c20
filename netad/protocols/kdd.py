"""The kdd-8000-2000 protocol (Cloudera's KDD split): a test set of 8,000 normal and 2,000 attack rows sampled
from the whole dataset; the rest gives train and validation."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols.sampling import Cut, carve_validation


def kdd_8000_2000_cut(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> Cut:
    n_normal, n_attack = (int(s) for s in opts["sizes"])
    normal, attack = np.flatnonzero(ds.label == 0), np.flatnonzero(ds.label == 1)
    if len(normal) <= n_normal or len(attack) < n_attack:
        raise NetadInputError(
            f"kdd-8000-2000 on {ds.name!r}: needs more than {n_normal:,} normal and {n_attack:,} attack rows, "
            f"found {len(normal):,} and {len(attack):,}; pass sizes=(normal, attack)"
        )
    test = np.concatenate([rng.choice(normal, n_normal, replace=False), rng.choice(attack, n_attack, replace=False)])
    in_test = np.zeros(ds.n_rows, dtype=bool)
    in_test[test] = True
    rest = np.flatnonzero(~in_test)
    train, validation = carve_validation(ds, rest, opts["val_fraction"], opts["val_attacks"], rng)
    notes = []
    if ds.official_split is not None:
        notes.append("test sampled from the whole dataset (official train and test files together)")
    if not ds.name.startswith(("kddcup99", "nsl-kdd")):
        notes.append(f"protocol defined on KDDCup99; applied to {ds.name!r} as is")
    return Cut(
        train,
        validation,
        test,
        notes=notes,
        differs_from_seed="same test sizes as the reference; its sampled rows are not published, so rows differ",
    )
