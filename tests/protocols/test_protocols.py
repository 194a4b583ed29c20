"""Split protocols on real data: no leakage, test labels never reach fitting, deterministic per seed."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.protocols import Split, available, make_split

pytestmark = pytest.mark.needs_data(
    "nsl-kdd", "kddcup99", "cicids2017", "unsw-nb15", "kddcup99-dagmm", "cicids2017-improved"
)


@pytest.fixture(scope="module")
def nsl(shared_dataset) -> Dataset:
    return shared_dataset("nsl-kdd")


@pytest.fixture(scope="module")
def kdd(shared_dataset) -> Dataset:
    return shared_dataset("kddcup99")


@pytest.fixture(scope="module")
def cicids(shared_dataset) -> Dataset:
    return shared_dataset("cicids2017")


# (dataset fixture, protocol, options) covering every protocol
CASES = [
    ("nsl", "novelty", {}),
    ("nsl", "weak", {}),
    ("nsl", "kdd-8000-2000", {}),
    ("kdd", "kdd-8000-2000", {}),
    ("kdd", "dagmm", {}),
    ("nsl", "zero-shot", {"unseen": ["satan", "SMURF"]}),
    ("cicids", "zero-shot", {}),
]
IDS = [f"{p}-{d}" for d, p, _ in CASES]


_SPLITS: dict[str, Split] = {}


def _split(request, fixture: str, protocol: str, options: dict, seed: int = 0) -> tuple[Dataset, Split]:
    """The split for these arguments, made once per test session (splits are only read by the tests)."""
    dataset = request.getfixturevalue(fixture)
    key = json.dumps([fixture, protocol, options, seed], sort_keys=True)
    if key not in _SPLITS:
        _SPLITS[key] = make_split(dataset, protocol, seed=seed, **options)
    return dataset, _SPLITS[key]


def test_available_lists_every_protocol_with_a_description() -> None:
    protocols = available()
    assert {"novelty", "kdd-8000-2000", "dagmm", "zero-shot", "weak"} <= set(protocols)
    assert all(isinstance(d, str) and len(d) > 20 for d in protocols.values())


@pytest.mark.parametrize(("fixture", "protocol", "options"), CASES, ids=IDS)
def test_split_parts_share_no_row_and_match_the_dataset(request, fixture, protocol, options) -> None:
    dataset, split = _split(request, fixture, protocol, options)
    train, val, test = split.train.rows, split.validation.rows, split.test.rows
    assert len(train) and len(val) and len(test)
    assert not np.intersect1d(train, test).size
    assert not np.intersect1d(val, test).size
    assert not np.intersect1d(train, val).size
    for part in (split.train, split.validation, split.test):
        assert part.rows.dtype == np.int64 and part.label.dtype == np.int8
        assert np.all(np.diff(part.rows) > 0) and part.rows[-1] < dataset.n_rows
        # provenance: the part's features and categories are the dataset's rows at those positions
        assert len(part.features) == len(part.rows)
        pick = [0, len(part.rows) // 2, len(part.rows) - 1]
        expected = dataset.features.iloc[part.rows[pick]].reset_index(drop=True)
        assert part.features.iloc[pick].reset_index(drop=True).equals(expected)
        assert np.array_equal(part.attack_category, np.asarray(dataset.attack_category)[part.rows])
    assert split.known_label.dtype == np.int8 and len(split.known_label) == len(train)
    json.dumps(split.info)  # JSON-ready
    assert split.info["sizes"] == {"train": len(train), "validation": len(val), "test": len(test)}


@pytest.mark.parametrize(("fixture", "protocol", "options"), CASES, ids=IDS)
@pytest.mark.parametrize("supervision", ["unsupervised", "semi-supervised", "weakly-supervised", "supervised"])
def test_fit_data_holds_only_train_rows_and_known_labels(request, fixture, protocol, options, supervision) -> None:
    _, split = _split(request, fixture, protocol, options)
    if protocol == "dagmm" and supervision == "supervised":
        with pytest.raises(NetadInputError, match="one class"):
            split.fit_data(supervision)
        return
    X, y = split.fit_data(supervision)
    if supervision == "unsupervised":
        assert y is None
        if protocol in ("weak", "dagmm"):
            assert X.equals(split.train.features)
        else:  # novelty-style: the train rows known to be normal, which here are all the normal ones
            normal = np.flatnonzero(split.train.label == 0)
            assert len(X) == len(normal)
            assert X.equals(split.train.features.iloc[normal].reset_index(drop=True))
    else:
        assert X.equals(split.train.features)
        assert np.array_equal(y, split.known_label)
        assert not np.shares_memory(y, split.known_label)


def test_weak_keeps_one_label_budget_for_train_and_validation(nsl) -> None:
    split = make_split(nsl, "weak", seed=3, labelled_ratio=0.02)
    attacks = split.train.label == 1
    assert attacks.sum() > 1000  # contaminated: the attacks of the training partition stay in train
    assert np.all(split.train.label[split.known_label == 1] == 1)  # a known label is a true attack
    X, y = split.fit_data("unsupervised")
    assert y is None and len(X) == len(split.train)
    # validation: thresholds and selection see the same ratio of its attacks labelled, every other row unlabelled
    seen = split.validation_labels()
    assert np.all(split.validation.label[seen == 1] == 1)
    val_attacks = int((split.validation.label == 1).sum())
    assert 0 < seen.sum() <= np.ceil(0.02 * val_attacks) and (seen == 0).sum() > (split.validation.label == 0).sum()
    budget = split.info["label_budget"]
    all_attacks = int(attacks.sum()) + val_attacks
    assert budget["attacks"] == all_attacks and budget["ratio"] == 0.02
    assert budget["labelled_attacks"] == int(split.known_label.sum() + seen.sum()) <= np.ceil(0.02 * all_attacks)
    assert split.known_label.sum() >= round(0.02 * attacks.sum()) - 1  # train keeps (about) its share
    tiny = make_split(nsl, "weak", seed=3, labelled_ratio=1e-9)
    assert tiny.known_label.sum() == 1 and tiny.validation_labels().sum() == 0
    assert tiny.info["label_budget"]["labelled_attacks"] == 1


def test_novelty_thresholds_see_every_validation_label(nsl) -> None:
    split = make_split(nsl, "novelty", seed=0)
    np.testing.assert_array_equal(split.validation_labels(), split.validation.label)
    assert "label_budget" not in split.info


def test_zero_shot_keeps_unseen_categories_out_of_train_and_validation(nsl) -> None:
    split = make_split(nsl, "zero-shot", seed=0, unseen=["Satan", " guess_passwd "])
    assert sorted(split.info["unseen_categories"]) == ["guess_passwd", "satan"]
    unseen_rows = np.flatnonzero(np.isin(nsl.attack_category, ["satan", "guess_passwd"]))
    for part in (split.train, split.validation):
        assert not np.isin(part.attack_category, ["satan", "guess_passwd"]).any()
    assert np.isin(unseen_rows, split.test.rows).all()  # every unseen row is in test
    assert split.unseen_mask().sum() == len(unseen_rows)
    # the test set also holds benign and seen attacks, for the "known attacks" evaluation
    test_cats = set(split.test.attack_category[~split.unseen_mask()])
    assert "normal" in test_cats and len(test_cats) > 5
    normal_total = int((nsl.label == 0).sum())
    assert split.info["test_normal_rows"] == pytest.approx(0.2 * normal_total, abs=50)


def test_zero_shot_cicids_defaults_hold_out_bot_and_infiltration_and_say_it_differs(cicids) -> None:
    split = make_split(cicids, "zero-shot", seed=0)
    unseen = split.info["unseen_categories"]
    categories = {c.casefold() for c in np.unique(cicids.attack_category)}
    if {"dos slowloris", "dos slowhttptest"} <= categories:
        assert len(unseen) == 4 and "differs_from_seed" not in split.info
    else:
        assert {c.casefold() for c in unseen} == {"bot", "infiltration"}
        assert "Bot" in split.info["differs_from_seed"] or "bot" in split.info["differs_from_seed"]
    mask = split.unseen_mask()
    assert mask.any() and not split.unseen_mask("train").any() and not split.unseen_mask("validation").any()


def test_zero_shot_unknown_category_error_lists_the_categories_present(nsl) -> None:
    with pytest.raises(NetadInputError, match="not in the dataset") as err:
        make_split(nsl, "zero-shot", unseen=["Bot"])
    assert "neptune" in str(err.value)
    with pytest.raises(NetadInputError, match="unseen"):
        make_split(nsl, "zero-shot")


@pytest.mark.parametrize(("fixture", "protocol", "options"), CASES, ids=IDS)
def test_same_seed_gives_same_rows_and_another_seed_other_rows(request, fixture, protocol, options) -> None:
    dataset = request.getfixturevalue(fixture)
    a, b, c = (make_split(dataset, protocol, seed=seed, **options) for seed in (7, 7, 8))
    for name in ("train", "validation", "test"):
        assert np.array_equal(getattr(a, name).rows, getattr(b, name).rows)
    assert np.array_equal(a.known_label, b.known_label)
    assert not np.array_equal(a.train.rows, c.train.rows)
    assert not np.array_equal(a.validation.rows, c.validation.rows)
    if protocol not in ("novelty", "weak"):  # those keep the official test file
        assert not np.array_equal(a.test.rows, c.test.rows)


@pytest.mark.parametrize("fixture", ["kdd", "nsl"])
def test_kdd_8000_2000_test_holds_exactly_8000_normal_and_2000_attack_rows(request, fixture) -> None:
    dataset = request.getfixturevalue(fixture)
    split = make_split(dataset, "kdd-8000-2000", seed=1)
    assert (split.test.label == 0).sum() == 8000 and (split.test.label == 1).sum() == 2000
    # the rest of the dataset is train + validation
    assert len(split.train) + len(split.validation) + 10_000 == dataset.n_rows
    small = make_split(dataset, "kdd-8000-2000", seed=1, sizes=(300, 100))
    assert (small.test.label == 0).sum() == 300 and (small.test.label == 1).sum() == 100
    if dataset.official_split is not None:
        assert any("whole dataset" in n for n in split.info["notes"])


def test_dagmm_treats_kdd_normal_as_the_anomaly(kdd) -> None:
    split = make_split(kdd, "dagmm", seed=0)
    kdd_normal = np.asarray(kdd.attack_category) == "normal"
    # label 1 = KDD-normal rows, in every part; train holds none of them
    for part in (split.train, split.validation, split.test):
        assert np.array_equal(part.label == 1, kdd_normal[part.rows])
    assert (split.train.label == 0).all()
    assert len(split.test) == kdd.n_rows - kdd.n_rows // 2
    # a random half: about half of the KDD-normal rows land in test
    assert split.test.label.sum() == pytest.approx(kdd_normal.sum() / 2, rel=0.02)
    # validation = 10% of the training half's majority rows + 10% of its KDD-normal rows (labelled anomalies, so
    # best-f1 works by default); none of them is a test row
    val_majority = (split.validation.label == 0).sum()
    assert val_majority == pytest.approx(0.1 * (len(split.train) + val_majority), rel=0.01)
    assert split.validation.label.sum() == pytest.approx(0.1 * kdd_normal.sum() / 2, rel=0.05)
    assert not set(split.validation.rows) & set(split.test.rows)
    without = make_split(kdd, "dagmm", seed=0, val_attacks=False)
    assert (without.validation.label == 0).all() and np.array_equal(without.train.rows, split.train.rows)


def test_dagmm_refuses_non_kdd_data(nsl) -> None:
    with pytest.raises(NetadInputError, match="KDDCup99"):
        make_split(nsl, "dagmm")


def test_dagmm_also_runs_on_the_dagmm_preprocessed_file(shared_dataset) -> None:
    dataset = shared_dataset("kddcup99-dagmm")
    split = make_split(dataset, "dagmm", seed=0)
    assert (split.train.label == 0).all()
    # label 1 in the split = label 0 (KDD normal) in the dataset
    assert np.array_equal(split.test.label, 1 - np.asarray(dataset.label)[split.test.rows])
    assert split.test.label.sum() == pytest.approx((dataset.label == 0).sum() / 2, rel=0.02)


def test_max_train_caps_the_normal_rows_label_free_detectors_fit_and_keeps_every_category(nsl) -> None:
    full = make_split(nsl, "novelty", seed=0)
    capped = make_split(nsl, "novelty", seed=0, max_train=3000)
    fit_rows, _ = capped.fit_data("unsupervised")
    assert len(fit_rows) == 3000  # what an unsupervised detector fits, not the whole partition
    assert np.isin(capped.train.rows, full.train.rows).all()
    full_cats, full_counts = np.unique(full.train.attack_category, return_counts=True)
    cats, counts = np.unique(capped.train.attack_category, return_counts=True)
    assert np.array_equal(cats, full_cats)  # every category kept, even those with a handful of rows
    n_normal = int((full.train.label == 0).sum())
    expected = np.maximum(full_counts * 3000 / n_normal, 1)  # attacks thinned by the normals' fraction
    big = full_counts > 1000
    assert np.all(np.abs(counts[big] - expected[big]) <= 0.01 * expected[big] + 2)
    info = capped.info["max_train"]
    assert info["rows_before"] == len(full.train) and info["normal_rows_before"] == n_normal
    assert info["normal_rows_after"] == 3000 and "normal training rows" in info["applies_to"]
    # validation and test are untouched by the cap
    assert np.array_equal(capped.test.rows, full.test.rows)
    weak = make_split(nsl, "weak", seed=0, max_train=3000)  # every training row is fitted there: all are capped
    assert len(weak.train) == 3000 and "every training row" in weak.info["max_train"]["applies_to"]


def test_novelty_uses_the_official_test_file_and_a_mixed_validation(nsl) -> None:
    split = make_split(nsl, "novelty", seed=0)
    assert (np.asarray(nsl.official_split)[split.test.rows] == "test").all()
    assert (np.asarray(nsl.official_split)[split.train.rows] == "train").all()
    assert (split.validation.label == 0).any() and (split.validation.label == 1).any()
    n_train_partition = int((np.asarray(nsl.official_split) == "train").sum())
    assert len(split.validation) == pytest.approx(0.2 * n_train_partition, rel=0.01)
    only_normal = make_split(nsl, "novelty", seed=0, val_attacks=False)
    assert (only_normal.validation.label == 0).all()
    assert (only_normal.train.label == 1).sum() == (nsl.label[only_normal.train.rows] == 1).sum() > 0


def test_novelty_without_an_official_split_cuts_a_stratified_60_20_20(nsl) -> None:
    dataset = dataclasses.replace(nsl, official_split=None)
    split = make_split(dataset, "novelty", seed=0)
    n = dataset.n_rows
    assert len(split.test) == pytest.approx(0.2 * n, rel=0.01)
    assert len(split.validation) == pytest.approx(0.2 * n, rel=0.01)
    assert any("60%/20%/20%" in note for note in split.info["notes"])
    # stratified: each large category is split in the same proportions
    for cat in ("neptune", "normal"):
        total = (np.asarray(dataset.attack_category) == cat).sum()
        assert (split.test.attack_category == cat).sum() == pytest.approx(0.2 * total, abs=2)


def test_unknown_protocol_and_option_errors_list_what_is_accepted(nsl) -> None:
    with pytest.raises(NetadInputError, match="novelty") as err:
        make_split(nsl, "oneclass")
    assert "zero-shot" in str(err.value)
    with pytest.raises(NetadInputError, match="labelled_ratio"):
        make_split(nsl, "weak", labeled_ratio=0.1)
    with pytest.raises(NetadInputError, match="supervision"):
        make_split(nsl, "novelty").fit_data("self-supervised")


def test_novelty_test_attack_fraction_thins_attacks_and_keeps_every_normal(shared_dataset):
    dataset = shared_dataset("unsw-nb15")
    full = make_split(dataset, "novelty", seed=0)
    thin = make_split(dataset, "novelty", seed=0, test_attack_fraction=0.022)
    assert np.array_equal(full.test.rows[full.test.label == 0], thin.test.rows[thin.test.label == 0])
    assert thin.test.label.mean() == pytest.approx(0.022, abs=0.002)
    assert thin.validation.label.mean() == pytest.approx(0.022, abs=0.004)
    assert set(thin.test.rows) <= set(full.test.rows)
    assert not set(thin.test.rows) & set(thin.train.rows)
    # every attack family is still represented
    assert set(thin.test.attack_category) == set(full.test.attack_category)


# -- the Latent Sculpting seed's split as a preset --------------------------------------------------------------
SEED_UNSEEN = ["Botnet", "DoS Slowhttptest", "DoS Slowloris", "Infiltration"]


def test_latent_sculpting_preset_holds_out_the_seeds_four_families(cicids_improved) -> None:
    ds = cicids_improved
    split = make_split(ds, "zero-shot", seed=0, preset="latent-sculpting")
    assert split.info["unseen_categories"] == SEED_UNSEEN
    assert split.info["options"]["preset"] == "latent-sculpting"
    unseen_rows = np.flatnonzero(np.isin(ds.attack_category, SEED_UNSEEN))
    assert len(unseen_rows) == 736 + 1_740 + 3_859 + 36
    # unseen rows never reach training or validation, and all of them are in test
    assert not np.isin(unseen_rows, split.train.rows).any()
    assert not np.isin(unseen_rows, split.validation.rows).any()
    assert np.isin(unseen_rows, split.test.rows).all()
    assert not split.unseen_mask("train").any() and not split.unseen_mask("validation").any()
    X_fit, y_fit = split.fit_data("semi-supervised")
    assert len(X_fit) == len(split.train) and not np.isin(split.train.attack_category, SEED_UNSEEN).any()
    # every other family is seen: in train, validation and test, "Infiltration - Portscan" among them
    seen = set(np.unique(ds.attack_category)) - set(SEED_UNSEEN) - {"normal"}
    assert set(split.info["seen_categories"]) == seen and "Infiltration - Portscan" in seen
    for part in (split.train, split.validation, split.test):
        assert seen <= set(part.attack_category) and (part.label == 0).any()
    # benign 64/16/20 (test 20%, validation 20% of the rest), as the seed's 80/20 with a validation share
    normal = np.array([(p.label == 0).sum() for p in (split.train, split.validation, split.test)])
    np.testing.assert_allclose(normal / 5_000, [0.64, 0.16, 0.20], atol=0.001)  # rounding of one stratum


def test_latent_sculpting_preset_is_seeded_and_fixes_its_unseen_families(cicids_improved, nsl) -> None:
    a = make_split(cicids_improved, "zero-shot", seed=3, preset="latent-sculpting")
    b = make_split(cicids_improved, "zero-shot", seed=3, preset="latent-sculpting")
    c = make_split(cicids_improved, "zero-shot", seed=4, preset="latent-sculpting")
    np.testing.assert_array_equal(a.train.rows, b.train.rows)
    np.testing.assert_array_equal(a.test.rows, b.test.rows)
    assert not np.array_equal(a.test.rows, c.test.rows)
    # without options, zero-shot on this dataset holds out the same families
    assert make_split(cicids_improved, "zero-shot", seed=0).info["unseen_categories"] == SEED_UNSEEN
    with pytest.raises(NetadInputError, match=r"preset='latent-sculpting' fixes the option\(s\) \['unseen'\]"):
        make_split(cicids_improved, "zero-shot", preset="latent-sculpting", unseen=["Botnet"])
    with pytest.raises(NetadInputError, match="has no preset 'paper'; presets: latent-sculpting"):
        make_split(cicids_improved, "zero-shot", preset="paper")
    with pytest.raises(NetadInputError, match="not in the data.*cicids2017-improved"):
        make_split(nsl, "zero-shot", preset="latent-sculpting")
