"""How train, validation and test are cut from a Dataset: the evaluation protocols of the field, seeded.

Every protocol returns a :class:`Split` whose parts never share a row, and says what a detector may fit on
(:meth:`Split.fit_data`, chosen by the detector's ``supervision``): test labels never reach fitting.

>>> split = make_split(dataset, "zero-shot", seed=0, unseen=["Bot"])      # doctest: +SKIP
>>> X_fit, y_fit = split.fit_data("unsupervised")                          # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netad.datasets.base import NORMAL_CATEGORY, Dataset
from netad.errors import NetadInputError
from netad.supervision import SUPERVISION_KINDS

logger = logging.getLogger(__name__)

_PROTOCOLS: dict[str, str] = {
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
_OPTIONS: dict[str, dict[str, Any]] = {
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

# the seed's CIC-IDS-2017 zero-shot hold-out, each family with its spellings (official files; improved
# CIC-IDS-2017); the DoS families need the Wednesday capture
_CICIDS_SEED_UNSEEN: tuple[tuple[str, ...], ...] = (
    ("DoS slowloris",),
    ("DoS Slowhttptest",),
    ("Bot", "Botnet"),
    ("Infiltration",),
)
_CICIDS_FALLBACK_UNSEEN = [("Bot", "Botnet"), ("Infiltration",)]

# named option sets (``preset=NAME``): a published split, with every option it fixes
_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "zero-shot": {
        # Latent Sculpting (Chhetri, Thapa & Chen 2025): DoS Slowloris, DoS Slowhttptest, Bot(net) and
        # Infiltration unseen; every other attack family seen; benign and seen attacks split 80/20 into
        # train+validation / test (then 20% of the rest for validation), stratified by family; thresholds
        # P99/P97/P95 come from the validation benign rows (``-t p99,p97,p95``)
        "latent-sculpting": {
            "unseen": _CICIDS_SEED_UNSEEN,
            "benign_test_fraction": 0.2,
            "seen_test_fraction": 0.2,
            "val_fraction": 0.2,
            "val_attacks": True,
        },
    },
}
_DAGMM_DATASETS = ("kddcup99", "kddcup99-dagmm")


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
        unseen = {_norm(c) for c in self.info.get("unseen_categories", [])}
        return _category_mask(getattr(self, part).attack_category, unseen)


def available() -> dict[str, str]:
    """Protocol name -> one-line description."""
    return dict(_PROTOCOLS)


def make_split(
    dataset: Dataset, protocol: str = "novelty", seed: int = 0, max_train: int | None = None, **options: Any
) -> Split:
    """Cut ``dataset`` into train/validation/test by ``protocol``, deterministically for ``seed``.

    ``max_train`` caps the rows a detector fits (the normal training rows where label-free detectors fit those;
    see ``_cap_training_rows``) with a seeded subsample stratified by attack category. Protocol options: see
    ``available()`` and the module's ``_OPTIONS``.
    """
    if protocol not in _PROTOCOLS:
        raise NetadInputError(f"unknown protocol {protocol!r}; available: {', '.join(_PROTOCOLS)}")
    unknown = sorted(set(options) - set(_OPTIONS[protocol]))
    if unknown:
        raise NetadInputError(
            f"protocol {protocol!r} has no option {unknown}; its options are {sorted(_OPTIONS[protocol])}"
        )
    if max_train is not None and max_train < 1:
        raise NetadInputError(f"max_train must be a positive number of rows, got {max_train}")
    opts = {**_OPTIONS[protocol], **_preset(protocol, options), **options}
    for name in ("val_fraction", "test_fraction", "benign_test_fraction", "seen_test_fraction"):
        value = opts.get(name)
        if value is not None and not 0 <= value < 1:
            raise NetadInputError(f"option {name} must be in [0, 1), got {value}")
    if dataset.n_rows == 0:
        raise NetadInputError(f"dataset {dataset.name!r} has no rows")

    rng = np.random.default_rng(seed)
    cut = _BUILDERS[protocol](dataset, rng, opts)
    label = cut.label if cut.label is not None else np.asarray(dataset.label, dtype=np.int8)
    cut.train, cut.validation, cut.test = (
        np.sort(np.asarray(r, dtype=np.int64)) for r in (cut.train, cut.validation, cut.test)
    )

    if max_train is not None:
        _cap_training_rows(cut, dataset, label, int(max_train), rng)

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
    return {name: dict(values) for name, values in _PRESETS.get(protocol, {}).items()}


def _preset(protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options fixed by ``options['preset']`` (empty without one); a preset's ``unseen`` cannot be overridden,
    since then the split would no longer be the published one."""
    name = options.get("preset")
    if name is None:
        return {}
    known = _PRESETS.get(protocol, {})
    if name not in known:
        raise NetadInputError(f"protocol {protocol!r} has no preset {name!r}; presets: {', '.join(known) or 'none'}")
    fixed = dict(known[name])
    if "unseen" in options and "unseen" in fixed:
        raise NetadInputError(
            f"preset={name!r} fixes the option(s) ['unseen']; drop them, or drop the preset to choose your own"
        )
    return fixed


# -- protocol builders: each returns row positions, never DataFrames ----------------------------------
@dataclass
class _Cut:
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


def _novelty(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> _Cut:
    pool, test, val_fraction, notes = _training_partition(ds, rng, opts)
    train, validation = _carve_validation(ds, pool, val_fraction, opts["val_attacks"], rng)
    if opts.get("test_attack_fraction") is not None:
        # the same rare-attack mix in validation, so that a threshold tuned there (best-f1) transfers to test
        test = _thin_test_attacks(ds, test, float(opts["test_attack_fraction"]), rng, notes)
        if opts["val_attacks"]:
            validation = _thin_test_attacks(ds, validation, float(opts["test_attack_fraction"]), rng, notes)
    opts["val_fraction"] = val_fraction
    if not (ds.label[train] == 0).any():
        raise NetadInputError(f"novelty split of {ds.name!r}: the training partition has no normal rows")
    return _Cut(train, validation, test, notes=notes)


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
    kept = _cap(attack, ds.attack_category, max(wanted, 1), rng)
    notes.append(
        f"attacks thinned to {len(kept):,} of {len(attack):,} (stratified by category) so that attacks are "
        f"{len(kept) / (len(kept) + len(normal)):.2%} of {len(kept) + len(normal):,} rows (test, then validation)"
    )
    return np.sort(np.concatenate([normal, kept]))


def _weak(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> _Cut:
    ratio = opts["labelled_ratio"]
    if not 0 < ratio <= 1:
        raise NetadInputError(f"option labelled_ratio must be in (0, 1], got {ratio}")
    cut = _novelty(ds, rng, opts)
    cut.unsupervised_rows = "all"

    def known(train: np.ndarray, label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Labels the detector sees in train; also marks the validation attacks thresholds may see (one budget)."""
        attacks = np.flatnonzero(label[train] == 1)
        if len(attacks) == 0:
            raise NetadInputError(f"weak split of {ds.name!r}: the training rows hold no attacks to label")
        val_attacks = np.flatnonzero(label[cut.validation] == 1)
        n_train, n_val = _label_budget(ratio, len(attacks), len(val_attacks))
        out = np.zeros(len(train), dtype=np.int8)
        out[rng.choice(attacks, size=n_train, replace=False)] = 1
        cut.validation_known = np.zeros(len(cut.validation), dtype=np.int8)
        cut.validation_known[rng.choice(val_attacks, size=n_val, replace=False)] = 1
        cut.info["labelled_attacks"] = {"count": n_train, "of": int(len(attacks)), "ratio": ratio}
        cut.info["label_budget"] = {
            "labelled_attacks": n_train + n_val,
            "attacks": int(len(attacks) + len(val_attacks)),
            "ratio": ratio,
            "train": {"labelled_attacks": n_train, "attacks": int(len(attacks))},
            "validation": {"labelled_attacks": n_val, "attacks": int(len(val_attacks))},
            "counts": "every attack label visible to fitting, thresholds and model selection (train + validation)",
        }
        return out

    cut.known = known
    cut.notes.append(
        "train is contaminated: its attacks stay in, only labelled_ratio of them are known; validation shows "
        "thresholds and selection the same ratio of its attacks labelled, the rest unlabelled"
    )
    return cut


def _label_budget(ratio: float, n_train_attacks: int, n_val_attacks: int) -> tuple[int, int]:
    """(train, validation) labelled attacks: floor(ratio * all attacks) in all (at least one, in train), shared in
    proportion to each side's attacks, so the total never exceeds ceil(ratio * attacks)."""
    total = n_train_attacks + n_val_attacks
    budget = max(1, int(np.floor(ratio * total + 1e-9)))
    n_val = min(n_val_attacks, int(np.floor(budget * n_val_attacks / total)))
    n_train = min(n_train_attacks, budget - n_val)
    if n_train < 1:  # the detector needs one labelled anomaly to learn from
        n_train, n_val = 1, min(n_val, budget - 1)
    return n_train, n_val


def _kdd_8000_2000(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> _Cut:
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
    train, validation = _carve_validation(ds, rest, opts["val_fraction"], opts["val_attacks"], rng)
    notes = []
    if ds.official_split is not None:
        notes.append("test sampled from the whole dataset (official train and test files together)")
    if not ds.name.startswith(("kddcup99", "nsl-kdd")):
        notes.append(f"protocol defined on KDDCup99; applied to {ds.name!r} as is")
    return _Cut(
        train,
        validation,
        test,
        notes=notes,
        differs_from_seed="same test sizes as the reference; its sampled rows are not published, so rows differ",
    )


def _dagmm(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> _Cut:
    if ds.name not in _DAGMM_DATASETS:
        raise NetadInputError(
            f"the dagmm protocol is defined on KDDCup99 ({', '.join(_DAGMM_DATASETS)}), not {ds.name!r}; "
            "use novelty or kdd-8000-2000"
        )
    # KDD "normal" is the minority and the anomaly here: flip so label 1 = KDD-normal rows
    label = (1 - np.asarray(ds.label, dtype=np.int8)).astype(np.int8)
    order = rng.permutation(ds.n_rows)
    half = ds.n_rows // 2
    train_half, test = order[:half], order[half:]
    majority, minority = train_half[label[train_half] == 0], train_half[label[train_half] == 1]
    if len(majority) == 0:
        raise NetadInputError(f"dagmm split of {ds.name!r}: no KDD attack rows to train on")
    train, validation = _stratified_split(majority, ds.attack_category, opts["val_fraction"], rng)
    unused = minority
    if opts["val_attacks"]:
        unused, extra = _stratified_split(minority, ds.attack_category, opts["val_fraction"], rng)
        validation = np.concatenate([validation, extra])
    return _Cut(
        train,
        validation,
        test,
        label=label,
        known=lambda train, label, rng: np.zeros(len(train), dtype=np.int8),
        unsupervised_rows="all",
        info={
            "relabelled": "label 1 = KDD 'normal' rows (the anomaly in DAGMM); attack_category unchanged",
            "unused_training_half_anomalies": int(len(unused)),
        },
        notes=[
            "50/50 random split of all rows; train = training half's KDD attacks only (label 0)",
            "DAGMM reports precision/recall/F1 with the threshold at the 80th percentile of energy "
            "(20% of the data assumed anomalous)",
        ],
        differs_from_seed="the reference code draws its own np.random permutation; proportions match, rows differ",
    )


def _zero_shot(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> _Cut:
    present = {_norm(c): str(c) for c in _factorize(ds.attack_category)[0]}
    attacks_present = sorted(name for key, name in present.items() if key != NORMAL_CATEGORY)
    notes: list[str] = []
    differs = ""
    requested = opts["unseen"]
    seed_names = [" / ".join(spellings) for spellings in _CICIDS_SEED_UNSEEN]
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
        found = [_spelling(spellings, present) for spellings in _CICIDS_SEED_UNSEEN]
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
    missing = [c for c in requested if _norm(c) not in present]
    if missing:
        raise NetadInputError(
            f"zero-shot on {ds.name!r}: unseen categories {missing} are not in the dataset; "
            f"attack categories present: {attacks_present}"
        )
    unseen_keys = {_norm(c) for c in requested}
    if NORMAL_CATEGORY in unseen_keys:
        raise NetadInputError("zero-shot: the normal category cannot be unseen; list attack categories only")
    unseen_names = sorted(present[k] for k in unseen_keys)
    seen_names = [c for c in attacks_present if _norm(c) not in unseen_keys]

    is_unseen = _category_mask(ds.attack_category, unseen_keys)
    normal = np.flatnonzero((ds.label == 0) & ~is_unseen)
    if len(normal) == 0:
        raise NetadInputError(f"zero-shot on {ds.name!r}: the dataset has no normal rows")
    seen_attack = np.flatnonzero((ds.label == 1) & ~is_unseen)
    normal_keep, normal_test = _stratified_split(normal, ds.attack_category, opts["benign_test_fraction"], rng)
    seen_keep, seen_test = _stratified_split(seen_attack, ds.attack_category, opts["seen_test_fraction"], rng)
    test = np.concatenate([np.flatnonzero(is_unseen), normal_test, seen_test])
    pool = np.concatenate([normal_keep, seen_keep])
    train, validation = _carve_validation(ds, pool, opts["val_fraction"], opts["val_attacks"], rng)
    if ds.official_split is not None:
        notes.append("official split ignored: zero-shot cuts its own test set from all rows")
    return _Cut(
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


_BUILDERS: dict[str, Callable[[Dataset, np.random.Generator, dict[str, Any]], _Cut]] = {
    "novelty": _novelty,
    "weak": _weak,
    "kdd-8000-2000": _kdd_8000_2000,
    "dagmm": _dagmm,
    "zero-shot": _zero_shot,
}


# -- shared pieces ---------------------------------------------------------------------------------------
def _training_partition(
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
    pool, test = _stratified_split(np.arange(ds.n_rows), ds.attack_category, test_fraction, rng)
    if len(test) == 0:
        raise NetadInputError(f"{ds.name!r} has no official test rows and test_fraction={test_fraction} leaves none")
    share_train = (1 - test_fraction) * (1 - val_fraction)
    notes.append(
        f"no official test file: seeded stratified {share_train:.0%}/{(1 - test_fraction) * val_fraction:.0%}/"
        f"{test_fraction:.0%} train/validation/test split by attack_category"
    )
    return pool, test, val_fraction, notes


def _carve_validation(
    ds: Dataset, pool: np.ndarray, fraction: float, with_attacks: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation): ``fraction`` of the pool, stratified by category; normals only if not with_attacks."""
    if with_attacks:
        return _stratified_split(pool, ds.attack_category, fraction, rng)
    normal = ds.label[pool] == 0
    keep, validation = _stratified_split(pool[normal], ds.attack_category, fraction, rng)
    return np.sort(np.concatenate([keep, pool[~normal]])), validation


def _cap_training_rows(cut: _Cut, ds: Dataset, label: np.ndarray, max_train: int, rng: np.random.Generator) -> None:
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
        kept_attacks = _cap(attacks, ds.attack_category, max(n_attacks, 1), rng) if len(attacks) else attacks
        cut.train = np.sort(np.concatenate([_cap(cut.train[normal], ds.attack_category, max_train, rng), kept_attacks]))
        applies = "the normal training rows (what label-free detectors fit); train attacks thinned by the same fraction"
        detail = {"normal_rows_before": n_normal, "normal_rows_after": int(max_train),
                  "attack_rows_before": int(len(attacks)), "attack_rows_after": int(len(kept_attacks))}  # fmt: skip
    else:
        if before <= max_train:
            return
        cut.train = _cap(cut.train, ds.attack_category, max_train, rng)
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


def _stratified_split(
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
    codes = _factorize(np.asarray(strata)[rows])[1]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def _cap(rows: np.ndarray, strata: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
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


def _part(ds: Dataset, rows: np.ndarray, label: np.ndarray) -> Part:
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    return Part(
        features=ds.features.iloc[rows].reset_index(drop=True),
        label=label[rows].astype(np.int8),
        attack_category=np.asarray(ds.attack_category)[rows],
        rows=rows,
    )


def _balance(part: Part) -> dict[str, Any]:
    values, codes = _factorize(part.attack_category)
    counts = np.bincount(codes, minlength=len(values))
    order = np.argsort(-counts, kind="stable")
    return {
        "label_0": int((part.label == 0).sum()),
        "label_1": int((part.label == 1).sum()),
        "categories": {str(values[i]): int(counts[i]) for i in order},
    }


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values as str, code per row): hash-based, no fixed-width string copy of big arrays."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)
    return np.asarray([str(u) for u in uniques], dtype=object), codes


def _category_mask(categories: np.ndarray, keys: set[str]) -> np.ndarray:
    """Boolean per row: its category, compared case- and space-insensitively, is one of ``keys``."""
    values, codes = _factorize(categories)
    hit = np.array([_norm(v) in keys for v in values], dtype=bool)
    return hit[codes] if len(codes) else np.zeros(0, dtype=bool)


def _spelling(spellings: tuple[str, ...], present: dict[str, str]) -> str | None:
    """The dataset's own spelling of the first of ``spellings`` it holds (case/space-insensitive), else None."""
    return next((present[_norm(name)] for name in spellings if _norm(name) in present), None)


def _norm(name: Any) -> str:
    return " ".join(str(name).split()).casefold()


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
