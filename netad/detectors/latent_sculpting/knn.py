"""The ``knn`` scores of latent sculpting: mean distance to the nearest benign training latents."""

from __future__ import annotations

import numpy as np
import torch

from netad.detectors.latent_sculpting.density import median_and_spread
from netad.errors import NetadInputError
from netad.nn import thread_limit

LEAVE_ONE_OUT_ROWS = 5000
"""Reference rows whose leave-one-out distances set the location and scale of the ``two-stage-knn`` squash."""


def knn_tables(reference: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference latents in float64 and their squared norms: computed once per scoring call."""
    ref = torch.as_tensor(reference, device=device).double()
    return ref, ref.square().sum(dim=1)


def knn_mean(
    z: torch.Tensor, k: int, tables: tuple[torch.Tensor, torch.Tensor], drop_first: bool = False
) -> torch.Tensor:
    """Mean Euclidean distance of each row of ``z`` to its ``k`` nearest reference latents (float64: the
    benign latents are a tight cluster, so the distances are small next to the latents' norms).

    ``|z|^2 + |r|^2 - 2 z.r`` in one ``addmm`` plus in-place updates: no (rows x references) temporaries
    beyond the one distance matrix (the elementwise version cost ~2.5x the matrix product itself)."""
    ref, ref_sq = tables
    zd = z.double()
    sq = torch.addmm(ref_sq.unsqueeze(0), zd, ref.T, beta=1.0, alpha=-2.0)
    sq.add_(zd.square().sum(dim=1, keepdim=True)).clamp_min_(0.0)
    nearest = torch.topk(sq, k, dim=1, largest=False).values  # ascending
    if drop_first:
        nearest = nearest[:, 1:]
    return nearest.sqrt().mean(dim=1)


def fit_knn_reference(
    z_benign: np.ndarray, rng: np.random.Generator, k: int, max_rows: int | None, n_threads: int | None
) -> tuple[np.ndarray, float, float]:
    """``(reference, median, spread)``: a seeded sample of at most ``max_rows`` benign latents, and the location and
    scale of their leave-one-out ``k``-NN distances (which squash the distances for ``two-stage-knn``)."""
    rows = np.arange(len(z_benign))
    if max_rows is not None and len(rows) > int(max_rows):
        rows = np.sort(rng.choice(rows, size=int(max_rows), replace=False))
    reference = np.ascontiguousarray(z_benign[rows], dtype=np.float32)
    if k >= len(reference):
        raise NetadInputError(f"knn_k ({k}) must be below the number of benign reference latents ({len(reference)})")
    # leave-one-out distances of (up to 5000) reference rows: k + 1 neighbours, the first being the row itself
    probe = np.sort(rng.choice(len(rows), size=min(len(rows), LEAVE_ONE_OUT_ROWS), replace=False))
    ref = torch.as_tensor(reference)
    with thread_limit(n_threads), torch.inference_mode():
        tables = knn_tables(reference, ref.device)
        dist = torch.cat([knn_mean(ref[probe[i : i + 512]], k + 1, tables, drop_first=True)
                          for i in range(0, len(probe), 512)]).double().numpy()  # fmt: skip
    median, spread = median_and_spread(dist, 1e-12)
    return reference, median, spread
