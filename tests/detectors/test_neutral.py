"""NeuTraL AD on real UNSW-NB15 flows (novelty protocol: fit on normal traffic, test on held-out normals + attacks):
the contrastive loss is the paper's, it falls in training, the learned transformations stay distinct, attacks rank
high, and scoring is deterministic."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from netad.detectors import make
from netad.detectors.neutral import NeuTraL, deterministic_contrastive_loss
from netad.errors import NetadInputError
from netad.nn.transforms import LearnableTransforms

pytestmark = pytest.mark.needs_data("unsw-nb15")

FAST = {"epochs": 5, "batch_size": 128, "n_threads": 1}


@pytest.fixture(scope="module")
def unsw(unsw_novelty_sample):
    """3,000 training normals and a 1,500 + 1,500 test sample of one seeded UNSW-NB15 novelty split."""
    return unsw_novelty_sample(3000, 1500, log1p=False)


@pytest.fixture(scope="module")
def fitted(unsw):
    """The default NeuTraL (11 residual transformations), fewer epochs, on the training sample."""
    return NeuTraL(**FAST, random_state=0).fit(unsw[0])


def naive_dcl(z: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 2 of Qiu et al. (2021), written out with loops, divided by K log K."""
    z = torch.nn.functional.normalize(z, dim=-1)
    n, n_views, _ = z.shape
    n_transforms = n_views - 1

    def h(a: torch.Tensor, b: torch.Tensor) -> float:
        return math.exp(float(a @ b) / temperature)

    out = torch.zeros(n, dtype=torch.float64)
    for i in range(n):
        for k in range(1, n_views):
            positive = h(z[i, k], z[i, 0])
            negatives = sum(h(z[i, k], z[i, j]) for j in range(1, n_views) if j != k)
            out[i] -= math.log(positive / (positive + negatives))
    return out / (n_transforms * math.log(n_transforms))


def test_contrastive_loss_is_the_papers_per_row_loss():
    z = torch.randn(20, 6, 8, generator=torch.Generator().manual_seed(0))
    fast = deterministic_contrastive_loss(z, 0.1)
    assert fast.shape == (20,)
    np.testing.assert_allclose(fast.double().numpy(), naive_dcl(z, 0.1).numpy(), rtol=1e-4)


def test_transformation_types_follow_their_formulas():
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(1))
    residual = LearnableTransforms(5, 3, (4,), "residual")
    masks = residual.masks(x)
    assert masks.shape == (3, 7, 5)
    torch.testing.assert_close(residual(x), (masks + x).transpose(0, 1))
    for kind, formula in (("mul", lambda m: torch.sigmoid(m) * x), ("forward", lambda m: m)):
        module = LearnableTransforms(5, 3, (4,), kind)
        module.load_state_dict(residual.state_dict())
        torch.testing.assert_close(module(x), formula(masks).transpose(0, 1))


def test_contrastive_loss_falls_during_training(fitted):
    loss = fitted.history_["train_loss"]
    assert len(loss) == fitted.n_epochs_ == FAST["epochs"]
    assert loss[-1] < 0.8 * loss[0], loss


def test_transformations_stay_distinct_from_the_row_and_from_each_other(fitted, unsw):
    x = torch.from_numpy(unsw[1][unsw[2] == 0][:500])
    with torch.no_grad():
        views = fitted.module_.transforms(x)  # (n, K, d)
        z = torch.nn.functional.normalize(fitted.module_(x), dim=-1)  # (n, K+1, rep)
    scale = x.norm(dim=1).mean()
    moved = (views - x.unsqueeze(1)).norm(dim=2).mean(dim=0) / scale  # per transformation
    apart = torch.cdist(views, views).mean(dim=0) / scale  # (K, K): mean distance between two views of a row
    off_diagonal = ~torch.eye(fitted.n_transforms, dtype=torch.bool)
    # measured on seeds 0-2: untrained 0.21 / 0.29-0.30 / 0.97, after 5 epochs 0.58-0.65 / 0.87-0.94 / 0.14-0.15
    assert moved.min() > 0.4, f"a transformation stays near the identity: {moved}"
    assert apart[off_diagonal].min() > 0.5, "two transformations collapsed onto each other"
    # in the embedding the views are pushed apart: no two transformed views point the same way
    cosine = torch.einsum("nkd,nld->nkl", z[:, 1:], z[:, 1:]).mean(dim=0)
    assert cosine[off_diagonal].max() < 0.5, cosine


def test_neutral_ranks_attacks_above_held_out_normal_traffic(fitted, unsw):
    _, X_test, y_test = unsw
    auroc = roc_auc_score(y_test, fitted.decision_function(X_test))
    assert auroc > 0.8, f"AUROC {auroc:.3f}"  # measured 0.858-0.870 over seeds 0-2; untrained 0.41-0.63
    # p99 is set at fit on 300 held-out training rows (10%), so it promises ~1% of *unseen* normals flagged,
    # within the sampling error of a 99th percentile of 300 rows (+-0.6 points): measured 0.53% on these test
    # normals (the old threshold on the fitted rows' own scores flagged 1.33%)
    flagged = fitted.predict(X_test[y_test == 0]).mean()
    assert 0.002 <= flagged <= 0.02, "p99 threshold flags about 1% of unseen normal traffic"


def test_scores_are_deterministic_for_a_seed_and_independent_of_the_batch(fitted, unsw):
    X_train, X_test = unsw[0][:1000], unsw[1]
    a = NeuTraL(**{**FAST, "epochs": 1}, random_state=3).fit(X_train).decision_function(X_test)
    b = NeuTraL(**{**FAST, "epochs": 1}, random_state=3).fit(X_train).decision_function(X_test)
    c = NeuTraL(**{**FAST, "epochs": 1}, random_state=4).fit(X_train).decision_function(X_test)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    full = fitted.decision_function(X_test)
    np.testing.assert_allclose(fitted.decision_function(X_test[::7]), full[::7], rtol=1e-5)


@pytest.mark.parametrize("kind", ["multiplicative", "feedforward"])
def test_other_transformation_types_train_and_score(kind, unsw):
    X_train, X_test, y_test = unsw
    detector = make("neutral", transform_type=kind, **{**FAST, "epochs": 1}, random_state=0).fit(X_train[:1500])
    scores = detector.decision_function(X_test)
    assert np.isfinite(scores).all()
    assert roc_auc_score(y_test, scores) > 0.6


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"n_transforms": 1}, "n_transforms"),
        ({"transform_type": "rotate"}, "transform_type"),
        ({"temperature": 0}, "temperature"),
        ({"hidden": (0,)}, "hidden"),
        ({"activation": "swish"}, "activation"),
        ({"negative_slope": -0.1}, "negative_slope"),
    ],
)
def test_bad_parameters_are_rejected_by_name(params, named, unsw):
    with pytest.raises(NetadInputError, match=named):
        NeuTraL(**FAST, **params).fit(unsw[0][:100])


@pytest.mark.slow
def test_defaults_on_the_leaderboard_unsw_split_rank_attacks_as_well_as_deepods_neutral():
    """The leaderboard's cut (novelty, max_train 20,000, seed 0): DeepOD's NeuTraL scores 0.889 +/- 0.005 there
    (benchmarks/results/leaderboard.md, 3 seeds); the defaults must land within its spread or above."""
    from netad.datasets import load
    from netad.preprocess import FlowPreprocessor
    from netad.protocols import make_split

    dataset = load("unsw-nb15")
    # the leaderboard capped the 49,397-row training partition at 20,000 rows, which left 8,989 normals to fit;
    # --max-train now caps the rows a detector fits, so the same fit size is max_train=8,989
    split = make_split(dataset, "novelty", seed=0, max_train=8_989)
    train, _ = split.fit_data("unsupervised")
    pre = FlowPreprocessor.for_dataset(dataset).fit(train)
    detector = NeuTraL(n_threads=1, random_state=0)
    detector.calibration_share = 0.0  # as the leaderboard fits (netad.pipeline.fit_job): every training row
    detector.fit(pre.transform(train))
    auroc = roc_auc_score(split.test.label, detector.decision_function(pre.transform(split.test.features)))
    assert auroc > 0.88, f"AUROC {auroc:.3f}"  # measured 0.896 (seed 0)


def test_network_and_loss_match_deepods_neutral_given_the_same_weights():
    """Same architecture as DeepOD 0.4.1's TabNeutralADNet + DCL: copy its weights, get its embeddings and loss."""
    neutral = pytest.importorskip("deepod.models.tabular.neutral")
    theirs = neutral.TabNeutralADNet(
        n_features=9, n_trans=5, trans_type="residual", enc_hidden_dims="100,50", trans_hidden_dims=50,
        rep_dim=128, activation="LeakyReLU", bias=False, device="cpu",
    )  # fmt: skip
    ours = NeuTraL(n_transforms=5)._build(9)
    with torch.no_grad():
        for layer in range(2):
            ours.transforms.weights[layer].copy_(torch.stack([t.network[layer].linear.weight.T for t in theirs.trans]))
        encoder = [m for m in ours.encoder if isinstance(m, torch.nn.Linear)]
        for mine, block in zip(encoder, theirs.enc.network, strict=True):
            mine.weight.copy_(block.linear.weight)
        x = torch.randn(32, 9)
        torch.testing.assert_close(ours(x), theirs(x))
        torch.testing.assert_close(
            deterministic_contrastive_loss(ours(x), 0.1), neutral.DCL(0.1, reduction="none")(theirs(x))
        )
