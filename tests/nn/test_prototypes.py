"""DEC-style prototype pieces: Student-t similarity, sharpened target, KL, and the rule for the number of prototypes
(silhouette among clusterings without tiny clusters)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from netad.errors import NetadInputError
from netad.nn.prototypes import (
    MIN_CLUSTER_SHARE,
    dec_kl,
    dec_target,
    init_prototypes,
    soft_assignment,
    student_t_similarity,
)

pytestmark = pytest.mark.needs_data("iot23")


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
    assert set(init.silhouettes) == set(range(2, 7)) == set(init.smallest_shares)
    assert np.allclose(np.linalg.norm(init.centers, axis=1), 1.0, atol=1e-5)


def _groups_with_specks(seed: int) -> np.ndarray:
    """Three big groups (700 rows each) plus six tight specks of 6 exact duplicates, like one-hot flow codes."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.normal(size=(9, 9)))[0]
    big = [d + 0.08 * rng.normal(size=(700, 9)) for d in directions[:3]]
    specks = [np.repeat(d[None], 6, axis=0) for d in directions[3:]]
    return rng.permutation(np.vstack(big + specks))


def test_size_floor_ignores_tiny_tight_groups_that_the_silhouette_alone_rewards():
    Z = _groups_with_specks(0)
    with threadpool_limits(1):
        plain = init_prototypes(Z, min_cluster_share=0.0, random_state=0)
        floored = init_prototypes(Z, random_state=0)
    assert plain.n_prototypes > 3  # the official rule splits off the specks
    assert floored.n_prototypes == 3
    assert floored.smallest_shares[3] >= MIN_CLUSTER_SHARE > min(floored.smallest_shares.values())
    assert floored.silhouettes == plain.silhouettes  # same clusterings, only the choice differs


def test_real_flow_codes_no_longer_hit_the_top_of_the_range(shared_data):
    """IoT-23 benign + PortScan flows, one-hot encoded and unit-normalised (the raw table, no encoder): the
    plain silhouette climbs to k = 10; the size floor keeps every prototype's cluster >= 2% of the rows."""
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor

    dataset = load("iot23-portscan", attack_fraction=0.2)
    rows = np.sort(np.random.default_rng(0).choice(dataset.n_rows, 1200, replace=False))
    frame = dataset.features.iloc[rows].reset_index(drop=True)
    Z = FlowPreprocessor.for_dataset(dataset).fit_transform(frame)
    with threadpool_limits(1):
        plain = init_prototypes(Z, min_cluster_share=0.0, random_state=0)
        floored = init_prototypes(Z, random_state=0)
    assert plain.n_prototypes == 10
    assert 2 <= floored.n_prototypes < 10
    assert floored.smallest_shares[floored.n_prototypes] >= MIN_CLUSTER_SHARE


def test_one_prototype_when_every_split_peels_off_a_tiny_group():
    rng = np.random.default_rng(3)
    Z = np.vstack([np.eye(6)[0] + 0.01 * rng.normal(size=(400, 6)), np.repeat(np.eye(6)[1:3], 3, axis=0)])
    with threadpool_limits(1):
        init = init_prototypes(Z, k_range=(2, 4), random_state=0)
    assert init.n_prototypes == 1 and init.centers.shape == (1, 6)
    with pytest.raises(NetadInputError, match="min_cluster_share"):
        init_prototypes(Z, min_cluster_share=0.6)


def test_given_number_of_prototypes_is_used_and_validated():
    assert init_prototypes(_directions(3, 50, 1), 2, random_state=0).centers.shape == (2, 8)
    with pytest.raises(NetadInputError, match="n_prototypes"):
        init_prototypes(_directions(3, 50, 1), 0)
