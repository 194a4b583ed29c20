"""Latent sculpting on a real zero-shot split: web attacks seen in training, Bot held out to the test set.

Data: the CIC-IDS-2017 Thursday-morning (web attacks) and Friday-morning (Bot) subsets in ../shared/data.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from netad.datasets import load
from netad.detectors import make
from netad.detectors.latent_sculpting import LatentSculpting
from netad.errors import NetadInputError
from netad.preprocess import FlowPreprocessor
from netad.protocols import make_split

FAST = {
    "conv_channels": (8, 8, 8),
    "d_model": 16,
    "n_heads": 2,
    "n_layers": 1,
    "dim_feedforward": 32,
    "latent_dim": 8,
    "epochs": 3,
    "batch_size": 128,
    "lr": 1e-3,
    "flow_blocks": 2,
    "flow_hidden": (32,),
    "flow_epochs": 3,
    "flow_lr": 1e-3,
    "max_flow_rows": 3000,
    "n_threads": 1,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def zero_shot(shared_data):
    ds = load("cicids2017", files=["web_attacks_balanced*", "web_attacks_Bot*"])
    split = make_split(ds, "zero-shot", seed=0, unseen=["Bot"])
    X_fit, y_fit = split.fit_data("semi-supervised")
    pre = FlowPreprocessor.for_dataset(ds).fit(X_fit)
    detector = LatentSculpting(**FAST).fit(pre.transform(X_fit), y_fit)
    return split, pre, detector, pre.transform(split.test.features)


def test_zero_shot_split_keeps_the_unseen_family_out_of_what_the_detector_fits_on(zero_shot) -> None:
    split, _, detector, _ = zero_shot
    X_fit, y_fit = split.fit_data(detector.supervision)
    assert len(X_fit) == len(split.train)
    assert "Bot" not in set(split.train.attack_category) | set(split.validation.attack_category)
    assert (split.test.attack_category == "Bot").sum() > 1000
    np.testing.assert_array_equal(y_fit, split.train.label)  # every seen attack is labelled
    assert detector.stage1_rows_["attack"] == int(y_fit.sum())
    assert detector.stage1_rows_["benign"] == detector.stage1_rows_["attack"]  # stage1_benign_ratio=1
    assert detector.flow_rows_ == FAST["max_flow_rows"]


def test_sculpted_distance_ranks_known_attacks_above_held_out_benign_traffic(zero_shot) -> None:
    split, _, detector, X_test = zero_shot
    known = ~split.unseen_mask("test")
    for score in ("distance", "margin"):
        scores = clone_with_score(detector, score).decision_function(X_test)
        assert roc_auc_score(split.test.label[known], scores[known]) > 0.85, score


def test_stage1_flag_is_calibrated_on_benign_training_rows_and_ranks_above_the_flow(zero_shot) -> None:
    split, _, detector, X_test = zero_shot
    assert detector.stage1_benign_flag_rate_ == pytest.approx(detector.stage1_fpr, abs=0.005)
    _, flagged = detector.stage_scores(X_test)
    assert flagged[split.test.label == 0].mean() < 5 * detector.stage1_fpr
    scores = detector.decision_function(X_test)
    if flagged.any():  # the two-stage score puts every stage-1 flag above every flow-judged row
        assert scores[flagged].min() > scores[~flagged].max()
    seed_rule = clone_with_score(detector, "two-stage")
    seed_rule.stage1_margin_ = 0.0  # stage1_fpr=None: the seed's plain nearest-centroid rule
    assert seed_rule.stage_scores(X_test)[1].mean() >= flagged.mean()


def clone_with_score(detector: LatentSculpting, score: str) -> LatentSculpting:
    """The fitted detector with another ``score`` (a scoring-time choice: no refit)."""
    twin = make("latent-sculpting", **{**detector.get_params(), "score": score})
    twin.__dict__.update({k: v for k, v in vars(detector).items() if k.endswith("_")})
    return twin


def test_density_score_is_the_flow_negative_log_likelihood(zero_shot) -> None:
    _, _, detector, X_test = zero_shot
    nll, _ = detector.stage_scores(X_test[:300])
    np.testing.assert_allclose(clone_with_score(detector, "density").decision_function(X_test[:300]), nll, rtol=1e-6)


def test_embed_returns_latent_codes_and_the_benign_cluster_is_tighter_than_the_gap(zero_shot) -> None:
    split, _, detector, X_test = zero_shot
    z = detector.embed(X_test)
    assert z.shape == (len(X_test), FAST["latent_dim"]) and z.dtype == np.float32
    normal = z[split.test.label == 0]
    spread = np.sqrt(((normal - detector.benign_centroid_) ** 2).sum(axis=1)).mean()
    gap = np.sqrt(((detector.attack_centroid_ - detector.benign_centroid_) ** 2).sum())
    assert spread < gap


def test_saved_detector_scores_identically(zero_shot, tmp_path) -> None:
    _, _, detector, X_test = zero_shot
    detector.save(tmp_path / "ls")
    again = LatentSculpting.load(tmp_path / "ls")
    np.testing.assert_array_equal(again.decision_function(X_test[:500]), detector.decision_function(X_test[:500]))


def test_fit_without_known_attacks_is_refused_with_a_hint(zero_shot) -> None:
    split, pre, _, _ = zero_shot
    X = pre.transform(split.train.features.iloc[:200])
    with pytest.raises(NetadInputError, match="known attack"):
        LatentSculpting(**FAST).fit(X, np.zeros(len(X), dtype=np.int8))
    with pytest.raises(NetadInputError, match="separation"):
        LatentSculpting(**{**FAST, "separation": "cosine"}).fit(X, (np.arange(len(X)) % 2).astype(np.int8))
