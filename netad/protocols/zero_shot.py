"""The zero-shot protocol: chosen attack categories (``unseen``, or the Latent Sculpting seed's CIC-IDS-2017 preset)
appear only in test, next to held-out benign rows and a share of the seen attacks."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.datasets.base import NORMAL_CATEGORY, Dataset
from netad.errors import NetadInputError
from netad.protocols.sampling import Cut, carve_validation, category_mask, factorize, norm_category, stratified_split

# the seed's CIC-IDS-2017 zero-shot hold-out, each family with its spellings (official files; improved
# CIC-IDS-2017); the DoS families need the Wednesday capture
CICIDS_SEED_UNSEEN: tuple[tuple[str, ...], ...] = (
    ("DoS slowloris",),
    ("DoS Slowhttptest",),
    ("Bot", "Botnet"),
    ("Infiltration",),
)


_CICIDS_FALLBACK_UNSEEN = [("Bot", "Botnet"), ("Infiltration",)]


def zero_shot_cut(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> Cut:
    present = {norm_category(c): str(c) for c in factorize(ds.attack_category)[0]}
    attacks_present = sorted(name for key, name in present.items() if key != NORMAL_CATEGORY)
    notes: list[str] = []
    differs = ""
    requested = opts["unseen"]
    seed_names = [" / ".join(spellings) for spellings in CICIDS_SEED_UNSEEN]
    if opts.get("preset") is not None:
        found = [_spelling(spellings, present) for spellings in opts["unseen"]]
        absent = [name for name, hit in zip(seed_names, found, strict=True) if hit is None]
        if absent:
            raise NetadInputError(
                f"zero-shot preset={opts['preset']!r} on {ds.name!r}: the seed's unseen famil(ies) {absent} are not "
                f"in the data (attack categories present: {attacks_present}); the shared CIC-IDS-2017 subsets lack "
                "the Wednesday DoS captures: use the dataset cicids2017-improved, or pass unseen=[...] without preset"
            )
        requested = [hit for hit in found if hit is not None]
        opts["unseen"] = list(requested)
        notes.append(
            f"preset={opts['preset']!r}: the Latent Sculpting seed's split (unseen {requested}; benign and seen "
            "attacks 80/20 train+validation/test, validation 20% of the rest, stratified by family)"
        )
        differs = (
            "thresholds are percentiles of validation benign rows (the seed took them on its training benign rows)"
        )
    elif requested is None:
        if not ds.name.startswith("cicids2017"):
            raise NetadInputError(
                f"zero-shot on {ds.name!r} needs option unseen=[...]; attack categories present: {attacks_present}"
            )
        found = [_spelling(spellings, present) for spellings in CICIDS_SEED_UNSEEN]
        if all(hit is not None for hit in found):
            requested = found
        else:
            requested = [hit for hit in (_spelling(s, present) for s in _CICIDS_FALLBACK_UNSEEN) if hit is not None]
            if not requested:
                raise NetadInputError(
                    f"zero-shot on {ds.name!r}: none of the default unseen categories {seed_names} is "
                    f"present; pass unseen=[...] from {attacks_present}"
                )
            differs = (
                f"the seed held out {seed_names}; DoS slowloris/Slowhttptest (Wednesday file) are "
                f"absent here, so only {requested} are unseen"
            )
        opts["unseen"] = list(requested)
    elif isinstance(requested, str):
        requested = [requested]
    missing = [c for c in requested if norm_category(c) not in present]
    if missing:
        raise NetadInputError(
            f"zero-shot on {ds.name!r}: unseen categories {missing} are not in the dataset; "
            f"attack categories present: {attacks_present}"
        )
    unseen_keys = {norm_category(c) for c in requested}
    if NORMAL_CATEGORY in unseen_keys:
        raise NetadInputError("zero-shot: the normal category cannot be unseen; list attack categories only")
    unseen_names = sorted(present[k] for k in unseen_keys)
    seen_names = [c for c in attacks_present if norm_category(c) not in unseen_keys]

    is_unseen = category_mask(ds.attack_category, unseen_keys)
    normal = np.flatnonzero((ds.label == 0) & ~is_unseen)
    if len(normal) == 0:
        raise NetadInputError(f"zero-shot on {ds.name!r}: the dataset has no normal rows")
    seen_attack = np.flatnonzero((ds.label == 1) & ~is_unseen)
    normal_keep, normal_test = stratified_split(normal, ds.attack_category, opts["benign_test_fraction"], rng)
    seen_keep, seen_test = stratified_split(seen_attack, ds.attack_category, opts["seen_test_fraction"], rng)
    test = np.concatenate([np.flatnonzero(is_unseen), normal_test, seen_test])
    pool = np.concatenate([normal_keep, seen_keep])
    train, validation = carve_validation(ds, pool, opts["val_fraction"], opts["val_attacks"], rng)
    if ds.official_split is not None:
        notes.append("official split ignored: zero-shot cuts its own test set from all rows")
    return Cut(
        train,
        validation,
        test,
        info={
            "unseen_categories": unseen_names,
            "seen_categories": seen_names,
            "test_unseen_rows": int(is_unseen.sum()),
            "test_seen_attack_rows": int(len(seen_test)),
            "test_normal_rows": int(len(normal_test)),
        },
        notes=notes,
        differs_from_seed=differs,
    )


def _spelling(spellings: tuple[str, ...], present: dict[str, str]) -> str | None:
    """The dataset's own spelling of the first of ``spellings`` it holds (case/space-insensitive), else None."""
    return next((present[norm_category(name)] for name in spellings if norm_category(name) in present), None)
