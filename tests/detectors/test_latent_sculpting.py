"""Latent sculpting on a real zero-shot split: web attacks seen in training, Bot held out to the test set.

Data: the CIC-IDS-2017 Thursday-morning (web attacks) and Friday-morning (Bot) subsets in ../shared/data.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from netad.datasets import load
from netad.detectors import make
from netad.detectors.latent_sculpting import SCORE_VARIANTS, SCORES, VARIANTS, LatentSculpting, ScoreVariant
from netad.detectors.latent_sculpting.scores import needed_parts
from netad.errors import NetadInputError
from netad.persist import load_detector, save_detector
from netad.preprocess import FlowPreprocessor
from netad.protocols import make_split

pytestmark = pytest.mark.needs_data("cicids2017")

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


def test_auto_score_is_the_variant_best_on_the_internal_validation_set_held_out_from_both_stages(zero_shot) -> None:
    split, pre, detector, X_test = zero_shot
    rows = detector.stage1_rows_
    for part in ("benign", "attack"):  # validation_fraction (0.1) of each class of the stage-1 rows
        assert rows[f"validation_{part}"] == round(0.1 * rows[part])
    # stage 1 trained on the rest: the trainer validated on exactly the held-out rows
    assert len(detector.history_["val_loss"]) == FAST["epochs"]
    assert set(detector.validation_auroc_) == set(VARIANTS)
    assert VARIANTS[:4] == ("two-stage", "density", "distance", "margin")  # auto's tie order of the first four
    assert detector.auto_score_ == max(detector.validation_auroc_, key=detector.validation_auroc_.get)
    np.testing.assert_array_equal(
        clone_with_score(detector, "auto").decision_function(X_test[:400]),
        clone_with_score(detector, detector.auto_score_).decision_function(X_test[:400]),
    )
    unvalidated = LatentSculpting(**{**FAST, "score": "auto", "validation_fraction": 0.0})
    unvalidated.fit(pre.transform(split.train.features.iloc[:3000]), split.train.label[:3000])
    assert unvalidated.auto_score_ == "two-stage" and unvalidated.validation_auroc_ == {}
    assert unvalidated.stage1_rows_["validation_benign"] == unvalidated.stage1_rows_["validation_attack"] == 0


def test_score_variants_match_each_score_setting_and_a_reference_computed_from_the_latents(zero_shot) -> None:
    _, _, detector, X_test = zero_shot
    X = X_test[:700]
    variants = detector.score_variants(X)
    for name, scores in variants.items():  # one encoder pass gives what each setting of ``score`` gives
        assert scores.dtype == np.float64
        np.testing.assert_array_equal(clone_with_score(detector, name).decision_function(X), scores)
    z = detector.embed(X).astype(np.float64)  # the same quantities written out from the latent codes
    to_benign = ((z - detector.benign_centroid_) ** 2).sum(axis=1)
    margin = to_benign - ((z - detector.attack_centroid_) ** 2).sum(axis=1)
    with torch.inference_mode():
        nll = detector.module_.flow.nll(torch.from_numpy(z.astype(np.float32))).double().numpy()
    two_stage = (
        (margin > detector.stage1_margin_) + 0.5 + np.arctan((nll - detector.nll_median_) / detector.nll_scale_) / np.pi
    )
    np.testing.assert_allclose(variants["distance"], to_benign, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(variants["margin"], margin, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(variants["density"], nll, rtol=1e-4, atol=1e-4)
    near_cut = np.abs(margin - detector.stage1_margin_) < 1e-3  # float32 rounding may flip a flag exactly there
    np.testing.assert_allclose(variants["two-stage"][~near_cut], two_stage[~near_cut], rtol=1e-5, atol=1e-5)
    # knn: brute-force mean Euclidean distance to the k nearest reference latents
    ref = detector.knn_reference_.astype(np.float64)
    dist = np.sqrt(((z[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2))
    knn = np.sort(dist, axis=1)[:, : detector.knn_k].mean(axis=1)
    np.testing.assert_allclose(variants["knn"], knn, rtol=1e-4, atol=1e-5)
    two_stage_knn = (
        (margin > detector.stage1_margin_) + 0.5 + np.arctan((knn - detector.knn_median_) / detector.knn_scale_) / np.pi
    )
    np.testing.assert_allclose(variants["two-stage-knn"][~near_cut], two_stage_knn[~near_cut], rtol=1e-5, atol=1e-5)


def test_knn_reference_is_a_capped_seeded_sample_of_benign_training_latents(zero_shot) -> None:
    split, pre, detector, X_test = zero_shot
    X_fit, y_fit = split.fit_data(detector.supervision)
    ref = detector.knn_reference_
    assert ref.shape == (detector.flow_rows_, FAST["latent_dim"]) and ref.dtype == np.float32  # under the 50k cap
    from sklearn.neighbors import NearestNeighbors

    benign = detector.embed(pre.transform(X_fit[y_fit == 0]))
    attack = detector.embed(pre.transform(X_fit[y_fit == 1]))
    assert NearestNeighbors(n_neighbors=1).fit(benign).kneighbors(ref)[0].max() < 1e-5  # every one a benign latent
    assert NearestNeighbors(n_neighbors=1).fit(attack).kneighbors(ref)[0].min() > 0  # none a known attack's
    # the squash of two-stage-knn is centred on benign training rows' leave-one-out distances
    assert 0 < detector.knn_median_ and 0 < detector.knn_scale_
    small = dict(FAST, max_flow_rows=600, knn_max_rows=200, knn_k=3)
    X, y = pre.transform(split.train.features.iloc[:3000]), split.train.label[:3000]
    first, second = LatentSculpting(**small).fit(X, y), LatentSculpting(**small).fit(X, y)
    assert first.knn_reference_.shape == (200, FAST["latent_dim"])
    np.testing.assert_array_equal(first.knn_reference_, second.knn_reference_)  # seeded
    with pytest.raises(NetadInputError, match="knn_k"):
        LatentSculpting(**dict(small, knn_k=200)).fit(X, y)


def test_knn_score_ranks_the_unseen_family_above_held_out_benign_traffic(zero_shot) -> None:
    split, _, detector, X_test = zero_shot
    view = split.unseen_mask("test") | (split.test.label == 0)
    scores = clone_with_score(detector, "knn").decision_function(X_test[view])
    assert roc_auc_score(split.test.label[view], scores) > 0.6  # never trained on Bot, yet well above chance


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
    for score in ("two-stage", "two-stage-knn"):  # the seed's rule and netad's default
        scores = clone_with_score(detector, score).decision_function(X_test)
        if flagged.any():  # both put every stage-1 flag above every row judged by the second stage
            assert scores[flagged].min() > scores[~flagged].max(), score
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
    save_detector(detector, tmp_path / "ls")
    again = load_detector(tmp_path / "ls", LatentSculpting)
    assert again.auto_score_ == detector.auto_score_
    assert again.validation_auroc_ == pytest.approx(detector.validation_auroc_)
    np.testing.assert_array_equal(again.decision_function(X_test[:500]), detector.decision_function(X_test[:500]))
    np.testing.assert_array_equal(again.knn_reference_, detector.knn_reference_)
    before, after = detector.score_variants(X_test[:500]), again.score_variants(X_test[:500])
    for name in VARIANTS:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


def test_fit_without_known_attacks_is_refused_with_a_hint(zero_shot) -> None:
    split, pre, _, _ = zero_shot
    X = pre.transform(split.train.features.iloc[:200])
    with pytest.raises(NetadInputError, match="known attack"):
        LatentSculpting(**FAST).fit(X, np.zeros(len(X), dtype=np.int8))
    with pytest.raises(NetadInputError, match="separation"):
        LatentSculpting(**{**FAST, "separation": "cosine"}).fit(X, (np.arange(len(X)) % 2).astype(np.int8))


def test_a_percentile_threshold_within_stage_one_budget_is_named_as_leaving_stage_two_nothing() -> None:
    from netad import thresholds

    detector = LatentSculpting(stage1_fpr=0.01)  # the default score, two-stage-knn
    message = detector.threshold_conflict(thresholds.resolve("p99"))
    assert message is not None and "stage 2 cannot flag unseen families" in message and "p99" in message
    assert detector.threshold_conflict(thresholds.resolve("p95")) is None  # 5% > the 1% stage 1 uses
    assert detector.threshold_conflict(thresholds.resolve("best-f1")) is None
    assert LatentSculpting(stage1_fpr=0.01, score="knn").threshold_conflict(thresholds.resolve("p99")) is None


def test_score_variants_come_from_the_registry_in_its_order_and_read_only_the_parts_they_need() -> None:
    assert tuple(SCORE_VARIANTS) == VARIANTS and SCORES == ("auto", *VARIANTS)
    assert needed_parts(["distance", "margin"]) == set()  # no flow or kNN pass for centroid-only scores
    assert needed_parts(["two-stage"]) == {"nll"} and needed_parts(["knn", "density"]) == {"knn", "nll"}


def test_a_new_score_variant_is_one_registry_entry(zero_shot, monkeypatch) -> None:
    _, _, detector, X_test = zero_shot
    X = X_test[:300]
    variant = ScoreVariant(("knn",), lambda d, parts: parts["knn"] - parts["distance"])
    monkeypatch.setitem(SCORE_VARIANTS, "knn-minus-distance", variant)
    scores = detector._variant_scores(X, ("knn-minus-distance",))["knn-minus-distance"]
    reference = detector.score_variants(X)
    np.testing.assert_array_equal(scores, reference["knn"] - reference["distance"])
