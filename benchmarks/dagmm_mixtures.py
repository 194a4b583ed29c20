"""DAGMM checkpoint study: which scoring mixture and training length rank well, judged on validation rows only.

    python benchmarks/dagmm_mixtures.py [--seeds 0,1,2] [--epochs 0,1,3,5]

For each split seed of the ``dagmm`` protocol on ``kddcup99-dagmm`` (no scaler, as the dataset registers), DAGMM is
trained with three losses (the paper's with a k=4 estimation network; the same with k=1; reconstruction only) and
at each checkpoint the latents z = [code, relative distance, cosine] of 50,000 training rows, the validation rows
and the test rows are kept. Offline, five scoring mixtures are compared: the estimation network's moments
(``network``, the paper's) and Gaussian mixtures fitted by EM on the training latents with k = 1..4 (3 restarts).
Validation AUROC/AUPRC decide (validation = 10% of the training half's KDD attacks + 10% of its KDD-normal rows);
the test columns are written for the record only. Writes benchmarks/results/kdd_family_dagmm_mixtures.json, which
``benchmarks/kdd_family.py`` summarises in section 1c.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "kdd_family_dagmm_mixtures.json"
TRAININGS = {
    "paper loss (lambda_energy 0.1, k=4 network)": {},
    "paper loss with k=1 network": {"n_components": 1},
    "reconstruction only (lambda_energy=lambda_cov=0)": {"lambda_energy": 0.0, "lambda_cov": 0.0},
}
MIXTURE_ROWS = 50_000


def checkpoints(seed: int, params: dict[str, Any], epochs: list[int]) -> dict[str, np.ndarray]:
    """Latents (train subsample, validation, test) and the network mixture's energies at each checkpoint."""
    from netad.datasets import load
    from netad.detectors.dagmm import DAGMM
    from netad.nn import predict_batches
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load("kddcup99-dagmm")
    split = make_split(dataset, "dagmm", seed=seed)
    frame, _ = split.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset).fit(frame)
    X = pre.transform(frame)
    sub = X[np.sort(np.random.default_rng(0).choice(len(X), MIXTURE_ROWS, replace=False))]
    X_val, X_test = pre.transform(split.validation.features), pre.transform(split.test.features)
    out: dict[str, np.ndarray] = {"y_val": split.validation.label, "y_test": split.test.label}

    class Checkpointed(DAGMM):
        def _on_epoch_start(self, epoch: int) -> None:
            if epoch == 0 and 0 in epochs:
                self._keep(0)

        def _on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
            if epoch + 1 in epochs:
                self._keep(epoch + 1)
            return None

        def _keep(self, epoch: int) -> None:
            def latents(A: np.ndarray) -> np.ndarray:
                return predict_batches(lambda xb: self.module_(xb)[1], A, module=self.module_, batch_size=16384)

            out[f"z_train_{epoch}"], out[f"z_val_{epoch}"], out[f"z_test_{epoch}"] = (
                latents(sub),
                latents(X_val),
                latents(X_test),
            )
            self._estimate_mixture(sub)
            out[f"network_val_{epoch}"], out[f"network_test_{epoch}"] = self._score(X_val), self._score(X_test)

    settings = {"epochs": max(epochs), "mixture": "network", "n_threads": 1, "random_state": seed, **params}
    Checkpointed(**settings).fit(X)
    return out


def compare(seed: int, training: str, kept: dict[str, np.ndarray], epochs: list[int]) -> list[dict[str, Any]]:
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.mixture import GaussianMixture

    from netad.metrics import binary_metrics
    from netad.thresholds import best_f1_threshold

    y_val, y_test = kept["y_val"], kept["y_test"]
    rows = []
    for epoch in epochs:
        if f"z_train_{epoch}" not in kept:
            continue
        z_train, z_val, z_test = (kept[f"z_{part}_{epoch}"].astype(np.float64) for part in ("train", "val", "test"))
        candidates = {"network": (kept[f"network_val_{epoch}"], kept[f"network_test_{epoch}"])}
        for k in (1, 2, 3, 4):
            gmm = GaussianMixture(k, n_init=3, random_state=0).fit(z_train)
            candidates[f"em-k{k}"] = (-gmm.score_samples(z_val), -gmm.score_samples(z_test))
        for name, (val, test) in candidates.items():
            threshold = best_f1_threshold(val, y_val)
            rows.append(
                {
                    "training": training,
                    "seed": seed,
                    "epochs": epoch,
                    "mixture": name,
                    "val_auroc": float(roc_auc_score(y_val, val)),
                    "val_auprc": float(average_precision_score(y_val, val)),
                    "test_auroc": float(roc_auc_score(y_test, test)),
                    "test_auprc": float(average_precision_score(y_test, test)),
                    "test_f1_bestf1_val": binary_metrics(y_test, test, threshold)["f1"],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", default="0,1,3,5")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    os.environ.setdefault("NETAD_DATA", str(HERE.parent.parent / "shared" / "data"))
    epochs = sorted(int(e) for e in args.epochs.split(","))
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for training, params in TRAININGS.items():
            rows += compare(seed, training, checkpoints(seed, params, epochs), epochs)
    OUT.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
