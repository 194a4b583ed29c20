"""The dagmm protocol (DAGMM on KDDCup99): KDD "normal" is the anomaly; a 50/50 seeded split of all rows, train =
the training half's KDD attack rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols.sampling import Cut, stratified_split

_DAGMM_DATASETS = ("kddcup99", "kddcup99-dagmm")


def dagmm_cut(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> Cut:
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
    train, validation = stratified_split(majority, ds.attack_category, opts["val_fraction"], rng)
    unused = minority
    if opts["val_attacks"]:
        unused, extra = stratified_split(minority, ds.attack_category, opts["val_fraction"], rng)
        validation = np.concatenate([validation, extra])
    return Cut(
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
