"""DEC-style prototype pieces: Student-t similarity, sharpened target, KL, and the silhouette rule for k."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from netad.errors import NetadInputError
from netad.nn.prototypes import dec_kl, dec_target, init_prototypes, soft_assignment, student_t_similarity


def test_similarity_is_one_on_a_prototype_and_falls_with_distance():
    prototypes = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    sim = student_t_similarity(z, prototypes)
    assert sim[0, 0] == pytest.approx(1.0) and sim[2, 1] == pytest.approx(1.0)
    assert sim[0, 0] > sim[1, 0] > sim[2, 0]


def test_dec_target_sharpens_soft_assignments_and_kl_vanishes_on_hard_ones():
    q = soft_assignment(student_t_similarity(torch.randn(64, 4, generator=torch.Generator().manual_seed(0)),
                                             torch.eye(4)))  # fmt: skip
    p = dec_target(q)
    assert torch.allclose(p.sum(dim=1), torch.ones(64))
    assert (p.max(dim=1).values >= q.max(dim=1).values - 1e-6).all()
    assert float(dec_kl(q)) > 0
    hard = torch.eye(4).repeat(8, 1) * 0.999 + 0.00025
    assert float(dec_kl(hard)) < 1e-3


def _directions(n_groups: int, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(8, 8)))[0][:n_groups]
    return np.vstack([c + 0.05 * rng.normal(size=(rows, 8)) for c in centres])


def test_silhouette_rule_finds_the_number_of_groups():
    with threadpool_limits(1):
        init = init_prototypes(_directions(4, 60, 0), k_range=(2, 6), random_state=0)
    assert init.n_prototypes == 4
    assert set(init.silhouettes) == set(range(2, 7))
    assert np.allclose(np.linalg.norm(init.centers, axis=1), 1.0, atol=1e-5)


def test_given_number_of_prototypes_is_used_and_validated():
    assert init_prototypes(_directions(3, 50, 1), 2, random_state=0).centers.shape == (2, 8)
    with pytest.raises(NetadInputError, match="n_prototypes"):
        init_prototypes(_directions(3, 50, 1), 0)
