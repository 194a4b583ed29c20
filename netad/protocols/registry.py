"""The protocols by name: their descriptions, options and presets, and ``make_split``, which validates the options,
runs the protocol's builder and turns its row positions into a :class:`netad.protocols.split.Split`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols.dagmm import dagmm_cut
from netad.protocols.kdd import kdd_8000_2000_cut
from netad.protocols.novelty import novelty_cut
from netad.protocols.sampling import Cut, cap_training_rows, factorize
from netad.protocols.split import Part, Split
from netad.protocols.weak import weak_cut
from netad.protocols.zero_shot import CICIDS_SEED_UNSEEN, zero_shot_cut

logger = logging.getLogger(__name__)


PROTOCOLS: dict[str, str] = {
    "novelty": "train on the training partition (official train file, else a seeded stratified 60/20/20 split); "
    "unsupervised detectors see its normal rows only; validation = 20% of it (normals and attacks); "
    "test = official test file or the held-out part",
    "kdd-8000-2000": "Cloudera's KDD protocol: test = 8,000 normal + 2,000 attack rows sampled from the whole "
    "dataset; the rest gives train (normals for unsupervised detectors) and validation",
    "dagmm": "DAGMM on KDDCup99: KDD 'normal' is the anomaly (label 1); 50/50 seeded split of all rows; train = "
    "the training half's KDD attack rows; validation = 10% of them plus 10% of the training half's KDD-normal rows "
    "(labelled anomalies, for best-f1; val_attacks=false leaves them out); test = the other half",
    "zero-shot": "chosen attack categories (option unseen, or preset=latent-sculpting) appear only in test, with "
    "held-out benign rows and a share of the seen attacks; train/validation from the rest",
    "weak": "contaminated training partition (normals + attacks) where only labelled_ratio (1%) of the attacks "
    "are known; validation rows as in novelty but with the same ratio of its attacks labelled (one label budget "
    "for fit, thresholds and selection: split info 'label_budget'); test as in novelty",
}


# options each protocol accepts, with their defaults (None = decided from the data)
OPTIONS: dict[str, dict[str, Any]] = {
    "novelty": {"val_fraction": None, "val_attacks": True, "test_fraction": 0.2, "test_attack_fraction": None},
    "weak": {
        "val_fraction": None,
        "val_attacks": True,
        "test_fraction": 0.2,
        "test_attack_fraction": None,
        "labelled_ratio": 0.01,
    },
    "kdd-8000-2000": {"sizes": (8000, 2000), "val_fraction": 0.2, "val_attacks": True},
    "dagmm": {"val_fraction": 0.1, "val_attacks": True},
    "zero-shot": {
        "preset": None,
        "unseen": None,
        "benign_test_fraction": 0.2,
        "seen_test_fraction": 0.2,
        "val_fraction": 0.2,
        "val_attacks": True,
    },
}


# named option sets (``preset=NAME``): a published split, with every option it fixes
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "zero-shot": {
        # Latent Sculpting (Chhetri, Thapa & Chen 2025): DoS Slowloris, DoS Slowhttptest, Bot(net) and
        # Infiltration unseen; every other attack family seen; benign and seen attacks split 80/20 into
        # train+validation / test (then 20% of the rest for validation), stratified by family; thresholds
        # P99/P97/P95 come from the validation benign rows (``-t p99,p97,p95``)
        "latent-sculpting": {
            "unseen": CICIDS_SEED_UNSEEN,
            "benign_test_fraction": 0.2,
            "seen_test_fraction": 0.2,
            "val_fraction": 0.2,
            "val_attacks": True,
        },
    },
}


BUILDERS: dict[str, Callable[[Dataset, np.random.Generator, dict[str, Any]], Cut]] = {
    "novelty": novelty_cut,
    "weak": weak_cut,
    "kdd-8000-2000": kdd_8000_2000_cut,
    "dagmm": dagmm_cut,
    "zero-shot": zero_shot_cut,
}


def available() -> dict[str, str]:
    """Protocol name -> one-line description."""
    return dict(PROTOCOLS)


def default_options(protocol: str) -> dict[str, Any]:
    """The options ``protocol`` accepts, with their defaults (None = decided from the data)."""
    if protocol not in PROTOCOLS:
        raise NetadInputError(f"unknown protocol {protocol!r}; available: {', '.join(PROTOCOLS)}")
    return dict(OPTIONS[protocol])


def make_split(
    dataset: Dataset, protocol: str = "novelty", seed: int = 0, max_train: int | None = None, **options: Any
) -> Split:
    """Cut ``dataset`` into train/validation/test by ``protocol``, deterministically for ``seed``.

    ``max_train`` caps the rows a detector fits (the normal training rows where label-free detectors fit those;
    see ``cap_training_rows``) with a seeded subsample stratified by attack category. Protocol options: see
    ``available()`` and ``default_options(protocol)``.
    """
    if protocol not in PROTOCOLS:
        raise NetadInputError(f"unknown protocol {protocol!r}; available: {', '.join(PROTOCOLS)}")
    unknown = sorted(set(options) - set(OPTIONS[protocol]))
    if unknown:
        raise NetadInputError(
            f"protocol {protocol!r} has no option {unknown}; its options are {sorted(OPTIONS[protocol])}"
        )
    if max_train is not None and max_train < 1:
        raise NetadInputError(f"max_train must be a positive number of rows, got {max_train}")
    opts = {**OPTIONS[protocol], **_preset(protocol, options), **options}
    for name in ("val_fraction", "test_fraction", "benign_test_fraction", "seen_test_fraction"):
        value = opts.get(name)
        if value is not None and not 0 <= value < 1:
            raise NetadInputError(f"option {name} must be in [0, 1), got {value}")
    if dataset.n_rows == 0:
        raise NetadInputError(f"dataset {dataset.name!r} has no rows")

    rng = np.random.default_rng(seed)
    cut = BUILDERS[protocol](dataset, rng, opts)
    label = cut.label if cut.label is not None else np.asarray(dataset.label, dtype=np.int8)
    cut.train, cut.validation, cut.test = (
        np.sort(np.asarray(r, dtype=np.int64)) for r in (cut.train, cut.validation, cut.test)
    )

    if max_train is not None:
        cap_training_rows(cut, dataset, label, int(max_train), rng)

    known = label[cut.train].copy() if cut.known is None else cut.known(cut.train, label, rng)
    train = _part(dataset, cut.train, label)
    validation = _part(dataset, cut.validation, label)
    test = _part(dataset, cut.test, label)
    if not (known == 0).any():
        raise NetadInputError(f"protocol {protocol!r} on {dataset.name!r}: no normal rows left in train")

    info: dict[str, Any] = {
        "protocol": protocol,
        "seed": int(seed),
        "dataset": dataset.name,
        "options": _json_ready({**opts, "max_train": max_train}),
        "sizes": {"train": len(train), "validation": len(validation), "test": len(test)},
        "class_balance": {
            name: _balance(p) for name, p in (("train", train), ("validation", validation), ("test", test))
        },
        "known_labels": {"label_1": int(known.sum()), "label_0_or_unlabelled": int((known == 0).sum())},
        "unsupervised_fit_rows": cut.unsupervised_rows,
        **cut.info,
        "notes": cut.notes,
    }
    if cut.differs_from_seed:
        info["differs_from_seed"] = cut.differs_from_seed
    for note in cut.notes:
        logger.info("%s split of %s: %s", protocol, dataset.name, note)
    return Split(
        protocol=protocol,
        seed=int(seed),
        train=train,
        validation=validation,
        test=test,
        known_label=known.astype(np.int8),
        info=info,
        unsupervised_rows=cut.unsupervised_rows,
        validation_known=cut.validation_known,
    )


def presets(protocol: str) -> dict[str, dict[str, Any]]:
    """The named option sets of ``protocol`` (``preset=NAME``) and the options each fixes."""
    return {name: dict(values) for name, values in PRESETS.get(protocol, {}).items()}


def _preset(protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options fixed by ``options['preset']`` (empty without one); a preset's ``unseen`` cannot be overridden,
    since then the split would no longer be the published one."""
    name = options.get("preset")
    if name is None:
        return {}
    known = PRESETS.get(protocol, {})
    if name not in known:
        raise NetadInputError(f"protocol {protocol!r} has no preset {name!r}; presets: {', '.join(known) or 'none'}")
    fixed = dict(known[name])
    if "unseen" in options and "unseen" in fixed:
        raise NetadInputError(
            f"preset={name!r} fixes the option(s) ['unseen']; drop them, or drop the preset to choose your own"
        )
    return fixed


def _part(ds: Dataset, rows: np.ndarray, label: np.ndarray) -> Part:
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    return Part(
        features=ds.features.iloc[rows].reset_index(drop=True),
        label=label[rows].astype(np.int8),
        attack_category=np.asarray(ds.attack_category)[rows],
        rows=rows,
    )


def _balance(part: Part) -> dict[str, Any]:
    values, codes = factorize(part.attack_category)
    counts = np.bincount(codes, minlength=len(values))
    order = np.argsort(-counts, kind="stable")
    return {
        "label_0": int((part.label == 0).sum()),
        "label_1": int((part.label == 1).sum()),
        "categories": {str(values[i]): int(counts[i]) for i in order},
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
