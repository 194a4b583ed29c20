"""The novelty protocol: train on the training partition (official train file, else a seeded stratified split),
validation carved from it, test = the official test file or the held-out rows; optionally rare test attacks."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols.sampling import Cut, capped_sample, carve_validation, training_partition


def novelty_cut(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> Cut:
    pool, test, val_fraction, notes = training_partition(ds, rng, opts)
    train, validation = carve_validation(ds, pool, val_fraction, opts["val_attacks"], rng)
    if opts.get("test_attack_fraction") is not None:
        # the same rare-attack mix in validation, so that a threshold tuned there (best-f1) transfers to test
        test = _thin_test_attacks(ds, test, float(opts["test_attack_fraction"]), rng, notes)
        if opts["val_attacks"]:
            validation = _thin_test_attacks(ds, validation, float(opts["test_attack_fraction"]), rng, notes)
    opts["val_fraction"] = val_fraction
    if not (ds.label[train] == 0).any():
        raise NetadInputError(f"novelty split of {ds.name!r}: the training partition has no normal rows")
    return Cut(train, validation, test, notes=notes)


def _thin_test_attacks(
    ds: Dataset, test: np.ndarray, fraction: float, rng: np.random.Generator, notes: list[str]
) -> np.ndarray:
    """Keep every normal and a stratified sample of attacks so attacks are ``fraction`` of the part's rows.

    Reproduces test sets with rare attacks (e.g. the UNSW-NB15 AE seed's ~2.2%); attacks left out are unused.
    """
    if not 0 < fraction < 1:
        raise NetadInputError(f"option test_attack_fraction must be in (0, 1), got {fraction}")
    normal, attack = test[ds.label[test] == 0], test[ds.label[test] == 1]
    wanted = int(round(fraction / (1 - fraction) * len(normal)))
    if wanted >= len(attack):
        notes.append(
            f"test_attack_fraction={fraction}: only {len(attack):,} test attacks for {len(normal):,} normals; kept all"
        )
        return test
    kept = capped_sample(attack, ds.attack_category, max(wanted, 1), rng)
    notes.append(
        f"attacks thinned to {len(kept):,} of {len(attack):,} (stratified by category) so that attacks are "
        f"{len(kept) / (len(kept) + len(normal)):.2%} of {len(kept) + len(normal):,} rows (test, then validation)"
    )
    return np.sort(np.concatenate([normal, kept]))
