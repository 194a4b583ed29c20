"""The weak protocol: novelty's parts, but the training partition keeps its attacks and only ``labelled_ratio`` of
them are known; one label budget covers fitting, thresholds and model selection (``split.info['label_budget']``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols.novelty import novelty_cut
from netad.protocols.sampling import Cut


def weak_cut(ds: Dataset, rng: np.random.Generator, opts: dict[str, Any]) -> Cut:
    ratio = opts["labelled_ratio"]
    if not 0 < ratio <= 1:
        raise NetadInputError(f"option labelled_ratio must be in (0, 1], got {ratio}")
    cut = novelty_cut(ds, rng, opts)
    cut.unsupervised_rows = "all"

    def known(train: np.ndarray, label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Labels the detector sees in train; also marks the validation attacks thresholds may see (one budget)."""
        attacks = np.flatnonzero(label[train] == 1)
        if len(attacks) == 0:
            raise NetadInputError(f"weak split of {ds.name!r}: the training rows hold no attacks to label")
        val_attacks = np.flatnonzero(label[cut.validation] == 1)
        n_train, n_val = label_budget(ratio, len(attacks), len(val_attacks))
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


def label_budget(ratio: float, n_train_attacks: int, n_val_attacks: int) -> tuple[int, int]:
    """(train, validation) labelled attacks: floor(ratio * all attacks) in all (at least one, in train), shared in
    proportion to each side's attacks, so the total never exceeds ceil(ratio * attacks)."""
    total = n_train_attacks + n_val_attacks
    budget = max(1, int(np.floor(ratio * total + 1e-9)))
    n_val = min(n_val_attacks, int(np.floor(budget * n_val_attacks / total)))
    n_train = min(n_train_attacks, budget - n_val)
    if n_train < 1:  # the detector needs one labelled anomaly to learn from
        n_train, n_val = 1, min(n_val, budget - 1)
    return n_train, n_val
