"""Deep-embedding-clustering pieces: Student-t soft assignment to prototypes, DEC's target and KL loss, and a
k-means initialisation whose number of clusters can be chosen by silhouette.

Used by MNPWAD (``netad.detectors.mnpwad``) to learn several normal prototypes on the unit sphere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from netad.errors import NetadInputError

logger = logging.getLogger(__name__)


def student_t_similarity(z: torch.Tensor, prototypes: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Unnormalised Student-t kernel ``(1 + |z - mu|^2 / alpha)^(-(alpha + 1) / 2)`` (rows x prototypes).

    DEC (Xie et al. 2016, eq. 1) before its row normalisation; values lie in (0, 1], 1 = on the prototype.
    """
    distance = torch.cdist(z, prototypes).square()
    return (1.0 + distance / alpha).pow(-(alpha + 1.0) / 2.0)


def soft_assignment(similarity: torch.Tensor) -> torch.Tensor:
    """Row-normalised similarities: DEC's soft cluster assignment ``q``."""
    return similarity / similarity.sum(dim=1, keepdim=True)


def dec_target(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target ``p`` (eq. 3): ``q^2 / cluster frequency``, row-normalised, without gradient."""
    with torch.no_grad():
        weight = q.square() / q.sum(dim=0, keepdim=True)
        return weight / weight.sum(dim=1, keepdim=True)


def dec_kl(q: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``KL(p || q)`` summed over prototypes, averaged over rows (optionally weighted per row)."""
    p = dec_target(q)
    per_row = (p * (p.clamp_min(1e-12).log() - q.clamp_min(1e-12).log())).sum(dim=1)
    if weights is None:
        return per_row.mean()
    return (per_row * weights).sum() / weights.sum().clamp_min(1e-12)


@dataclass
class PrototypeInit:
    """Initial prototypes from k-means and how their number was chosen."""

    centers: np.ndarray  # (n_prototypes, dim), unit rows
    n_prototypes: int
    silhouettes: dict[int, float] = field(default_factory=dict)  # k -> silhouette (empty when k was given)


def init_prototypes(
    Z: np.ndarray,
    n_prototypes: int | None = None,
    *,
    k_range: tuple[int, int] = (2, 10),
    max_rows: int = 3000,
    random_state: int | None = None,
) -> PrototypeInit:
    """k-means centres of the L2-normalised embeddings ``Z``, as unit vectors.

    With ``n_prototypes`` None the number is the k in ``k_range`` (inclusive) with the highest silhouette
    score (Euclidean, on a seeded subsample of at most ``max_rows`` rows), as in the official MNPWAD code.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    Z = np.asarray(Z, dtype=np.float64)
    Z = Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**31 - 1))
    n_distinct = len(np.unique(np.round(Z, 6), axis=0))

    def fit(k: int) -> KMeans:
        return KMeans(n_clusters=k, n_init=3, random_state=seed).fit(Z)

    if n_prototypes is not None:
        k = int(n_prototypes)
        if k < 1:
            raise NetadInputError(f"n_prototypes must be >= 1 or None, got {n_prototypes!r}")
        if k > n_distinct:
            raise NetadInputError(f"n_prototypes={k} but the embeddings hold only {n_distinct} distinct rows")
        return PrototypeInit(_unit(fit(k).cluster_centers_), k)

    low, high = int(k_range[0]), min(int(k_range[1]), n_distinct - 1)
    if high < low:
        logger.info("too few distinct embeddings (%d) to choose k by silhouette: one prototype", n_distinct)
        return PrototypeInit(_unit(fit(1).cluster_centers_), 1)
    rows = rng.choice(len(Z), size=min(max_rows, len(Z)), replace=False)
    silhouettes: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    for k in range(low, high + 1):
        model = fit(k)
        labels = model.predict(Z[rows])
        silhouettes[k] = float(silhouette_score(Z[rows], labels)) if len(np.unique(labels)) > 1 else -1.0
        models[k] = model
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    logger.info("prototypes: k=%d by silhouette %s", best, {k: round(v, 3) for k, v in silhouettes.items()})
    return PrototypeInit(_unit(models[best].cluster_centers_), best, silhouettes)


def _unit(centers: np.ndarray) -> np.ndarray:
    return (centers / np.maximum(np.linalg.norm(centers, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def normalise(z: torch.Tensor) -> torch.Tensor:
    """Rows projected on the unit sphere (where MNPWAD compares embeddings with prototypes)."""
    return F.normalize(z, dim=1)
