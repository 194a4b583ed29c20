"""Deep-embedding-clustering pieces: Student-t soft assignment to prototypes, DEC's target and KL loss, and a
k-means initialisation whose number of clusters is chosen by silhouette among clusterings without tiny clusters.

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
    smallest_shares: dict[int, float] = field(default_factory=dict)  # k -> share of rows in its smallest cluster


MIN_CLUSTER_SHARE = 0.02
"""Default smallest share of the rows a k-means cluster must hold for its k to be eligible (see init_prototypes)."""


def check_min_cluster_share(value: float) -> float:
    """``value`` as a float, or an error: a size floor must lie in [0, 0.5) (no k >= 2 could pass 0.5)."""
    if not 0.0 <= float(value) < 0.5:
        raise NetadInputError(f"min_cluster_share must lie in [0, 0.5), got {value!r}")
    return float(value)


def init_prototypes(
    Z: np.ndarray,
    n_prototypes: int | None = None,
    *,
    k_range: tuple[int, int] = (2, 10),
    max_rows: int = 3000,
    min_cluster_share: float = MIN_CLUSTER_SHARE,
    random_state: int | None = None,
) -> PrototypeInit:
    """k-means centres of the L2-normalised embeddings ``Z``, as unit vectors.

    With ``n_prototypes`` None the number is chosen in ``k_range`` (inclusive): among the k whose k-means
    clusters all hold at least ``min_cluster_share`` of the rows, the one with the highest silhouette score
    (Euclidean, on a seeded subsample of at most ``max_rows`` rows); if no k qualifies, one prototype.

    Why the size floor: the official rule (best silhouette, no floor) keeps rewarding splits that peel off
    tiny, tight groups. Flow tables are made of such groups (one-hot ``conn_state``/``history``/``service``
    give many exact duplicates: the 1,225 unlabelled rows of an IoT-23 subset hold ~270 distinct rows and ~90
    distinct codes), so the silhouette climbs to the top of the range (k = 10) on every IoT-23 subset, and
    de-duplicating the codes does not stop it. A normal prototype should stand for a sizeable share of the
    traffic; a group of a few percent of *contaminated* training rows may as well be an attack family (it
    becomes a "normal" prototype, and the contrastive loss then fights the clustering loss).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    check_min_cluster_share(min_cluster_share)
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
    shares: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    for k in range(low, high + 1):
        model = fit(k)
        shares[k] = float(np.bincount(model.labels_, minlength=k).min() / len(Z))
        labels = model.labels_[rows]
        silhouettes[k] = float(silhouette_score(Z[rows], labels)) if len(np.unique(labels)) > 1 else -1.0
        models[k] = model
    eligible = [k for k in silhouettes if shares[k] >= float(min_cluster_share)]
    summary = {k: (round(silhouettes[k], 3), round(shares[k], 3)) for k in silhouettes}
    if not eligible:
        logger.info("prototypes: every k splits off a cluster under %.0f%% of the rows %s: one prototype",
                    100 * float(min_cluster_share), summary)  # fmt: skip
        return PrototypeInit(_unit(fit(1).cluster_centers_), 1, silhouettes, shares)
    best = max(eligible, key=lambda k: (silhouettes[k], -k))
    logger.info("prototypes: k=%d by silhouette among clusters >= %.0f%% of rows (silhouette, smallest share) %s",
                best, 100 * float(min_cluster_share), summary)  # fmt: skip
    return PrototypeInit(_unit(models[best].cluster_centers_), best, silhouettes, shares)


def _unit(centers: np.ndarray) -> np.ndarray:
    return (centers / np.maximum(np.linalg.norm(centers, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def normalise(z: torch.Tensor) -> torch.Tensor:
    """Rows projected on the unit sphere (where MNPWAD compares embeddings with prototypes)."""
    return F.normalize(z, dim=1)
