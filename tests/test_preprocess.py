"""FlowPreprocessor on real data: fitted on train only, unseen categories harmless, bad input named."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from netad.datasets.base import Dataset
from netad.errors import NetadInputError
from netad.preprocess import FlowPreprocessor
from netad.protocols import Split, make_split

pytestmark = pytest.mark.needs_data("nsl-kdd", "cicids2017")


@pytest.fixture(scope="module")
def nsl(shared_dataset) -> Dataset:
    return shared_dataset("nsl-kdd")


@pytest.fixture(scope="module")
def nsl_split(nsl) -> Split:
    return make_split(nsl, "novelty", seed=0)


@pytest.fixture(scope="module")
def fitted(nsl, nsl_split) -> FlowPreprocessor:
    return FlowPreprocessor.for_dataset(nsl).fit(nsl_split.train.features)


def test_scaler_statistics_are_those_of_the_train_part(nsl_split, fitted) -> None:
    train, test = nsl_split.train.features, nsl_split.test.features
    numeric = fitted.numeric_columns_
    train_mean = train[numeric].to_numpy(np.float64).mean(axis=0)
    train_std = train[numeric].to_numpy(np.float64).std(axis=0)
    np.testing.assert_allclose(fitted.scaler_.mean_, train_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted.scaler_.scale_, train_std, rtol=1e-4)
    # the test part has other statistics, so fitting on it (or on everything) would show
    test_mean = test[numeric].to_numpy(np.float64).mean(axis=0)
    assert np.abs(test_mean - train_mean).max() > 1e-3 * np.abs(train_mean).max()
    X = fitted.transform(train)
    np.testing.assert_allclose(X[:, : len(numeric)].mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(X[:, : len(numeric)].std(axis=0), 1, atol=1e-3)


def test_transform_returns_float32_c_contiguous_with_named_columns(nsl, nsl_split, fitted) -> None:
    X = fitted.transform(nsl_split.test.features)
    assert X.dtype == np.float32 and X.flags.c_contiguous
    names = fitted.get_feature_names_out()
    assert X.shape == (len(nsl_split.test), len(names)) == (len(nsl_split.test), fitted.n_features_out_)
    assert np.isfinite(X).all()
    # one-hot: exactly one 1 per categorical column for categories seen at fit
    for column in fitted.categorical_columns_:
        block = X[:, [i for i, n in enumerate(names) if n.startswith(column + "_")]]
        seen = nsl_split.test.features[column].isin(
            fitted.encoder_.categories_[fitted.categorical_columns_.index(column)]
        )
        assert np.array_equal(block.sum(axis=1), seen.to_numpy().astype(np.float32))
    assert set(fitted.categorical_columns_) <= set(nsl.categorical_columns)


def test_unseen_category_at_transform_gives_zeros_is_flagged_and_counted(nsl_split, caplog) -> None:
    train = nsl_split.train.features
    services = train["service"].value_counts()
    held_out = services.index[len(services) // 2]  # a mid-frequency service, absent at fit
    fit_rows = train[train["service"] != held_out]
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"]).fit(fit_rows)
    with caplog.at_level(logging.INFO, logger="netad.preprocess"):
        X = pre.transform(train)
    names = list(pre.get_feature_names_out())
    service_block = X[:, [i for i, n in enumerate(names) if n.startswith("service_") and "<unknown>" not in n]]
    unseen = (train["service"] == held_out).to_numpy()
    assert unseen.sum() == services[held_out]
    assert (service_block[unseen] == 0).all() and (service_block[~unseen].sum(axis=1) == 1).all()
    indicator = X[:, names.index("service_<unknown>")]
    assert np.array_equal(indicator == 1, unseen)
    assert not X[:, names.index("flag_<unknown>")].any()
    no_indicator = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], unknown_indicator=False)
    assert "service_<unknown>" not in no_indicator.fit(fit_rows).get_feature_names_out()
    assert pre.unknown_category_counts(train) == {"service": int(services[held_out])}
    assert "service" in caplog.text and f"{int(services[held_out]):,}" in caplog.text


def test_constant_and_duplicate_columns_found_in_train_are_dropped_and_recorded(nsl_split) -> None:
    train = nsl_split.train.features.copy()
    train["src_bytes_copy"] = train["src_bytes"]
    train["service_copy"] = train["service"]
    train["one_protocol"] = "tcp"
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag", "service_copy", "one_protocol"])
    pre.fit(train)
    constant = [c for c in train.columns if train[c].nunique() == 1]
    assert constant and sorted(pre.dropped_constant_) == sorted(constant)
    assert pre.dropped_duplicate_["src_bytes_copy"] == "src_bytes"
    assert pre.dropped_duplicate_["service_copy"] == "service"
    names = set(pre.get_feature_names_out())
    assert not names & set(constant) and "src_bytes_copy" not in names
    assert not any(n.startswith(("service_copy_", "one_protocol_")) for n in names)
    kept = FlowPreprocessor(drop_constant=False, drop_duplicate_columns=False).fit(train)
    assert kept.n_features_out_ > pre.n_features_out_ and not kept.dropped_constant_


def test_duplicate_columns_of_cicids2017_are_found(shared_dataset) -> None:
    dataset = shared_dataset("cicids2017")
    frame = dataset.features.iloc[:20_000]
    pre = FlowPreprocessor.for_dataset(dataset).fit(frame)
    numeric = [c for c in frame.columns if c not in dataset.categorical_columns]
    values = {c: frame[c].to_numpy() for c in numeric}
    nonconstant = [c for c in numeric if values[c].min() != values[c].max()]
    expected = {}  # column -> the first earlier column with identical values
    for i, column in enumerate(nonconstant):
        twin = next((e for e in nonconstant[:i] if np.array_equal(values[e], values[column])), None)
        if twin is not None:
            expected[column] = twin
    assert expected, "CIC-IDS-2017 is known to repeat columns (e.g. the subflow counts)"
    assert pre.dropped_duplicate_ == expected
    assert sorted(pre.dropped_constant_) == sorted(set(numeric) - set(nonconstant))


def test_signed_log1p_applies_to_nonnegative_columns_and_is_safe_for_negatives(nsl_split) -> None:
    train = nsl_split.train.features
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], scaler=None, log1p=True)
    X = pre.fit_transform(train)
    j = list(pre.get_feature_names_out()).index("src_bytes")
    np.testing.assert_allclose(X[:, j], np.log1p(train["src_bytes"].to_numpy(np.float64)), rtol=1e-5)
    assert set(pre.log1p_columns_) == set(pre.numeric_columns_)  # KDD numerics are all >= 0
    frame = pd.DataFrame({"delta": np.array([-100.0, -1.0, 0.0, 1.0, 100.0], dtype=np.float32)})
    out = FlowPreprocessor(scaler=None, log1p=True).fit_transform(frame)
    np.testing.assert_allclose(out[:, 0], frame["delta"])  # a column with negatives is left alone by True
    out = FlowPreprocessor(scaler=None, log1p=["delta"]).fit_transform(frame)
    np.testing.assert_allclose(out[:, 0], np.sign(frame["delta"]) * np.log1p(np.abs(frame["delta"])), rtol=1e-6)


@pytest.mark.parametrize("scaler", ["minmax", "robust", None, "none"])
def test_other_scalers_fit_on_train(nsl_split, scaler) -> None:
    train = nsl_split.train.features
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], scaler=scaler)
    X = pre.fit_transform(train)[:, : len(pre.numeric_columns_)]
    raw = train[pre.numeric_columns_].to_numpy(np.float64)
    if scaler == "minmax":
        np.testing.assert_allclose(X.min(axis=0), 0, atol=1e-6)
        np.testing.assert_allclose(X.max(axis=0), 1, atol=1e-5)
    elif scaler == "robust":
        np.testing.assert_allclose(pre.scaler_.center_, np.median(raw, axis=0), rtol=1e-5)
    else:
        assert pre.scaler_ is None and np.allclose(X, raw)


def test_max_categories_caps_the_one_hot_columns(nsl_split) -> None:
    train = nsl_split.train.features
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], max_categories=5).fit(train)
    names = pre.get_feature_names_out()
    assert train["service"].nunique() > 5
    assert sum(n.startswith("service_") and "<unknown>" not in n for n in names) == 5
    assert pre.transform(train.iloc[:1000]).shape[1] == len(names)


@pytest.mark.parametrize("options", [{}, {"max_categories": 5}, {"log1p": True, "scaler": "robust"}])
def test_transform_arrays_gives_what_transform_gives_without_a_table(nsl_split, options) -> None:
    # the service's path: arrays in the fitted column order, one-hot by dictionary lookup
    categorical = ["protocol_type", "service", "flag"]
    pre = FlowPreprocessor(categorical_columns=categorical, **options).fit(nsl_split.train.features.iloc[:20_000])
    test = nsl_split.test.features.iloc[:5_000].copy()
    test.loc[test.index[::50], "service"] = "never-seen"
    values = test[pre.categorical_columns_].astype(str).to_numpy(dtype=object)
    assert pre.unknown_category_counts(test)["service"] == 100
    numeric = test[pre.numeric_columns_].to_numpy(dtype=np.float32)
    np.testing.assert_allclose(pre.transform_arrays(numeric, values), pre.transform(test), rtol=1e-6, atol=1e-6)
    n_unknown = len(pre.unknown_indicator_columns_)
    np.testing.assert_array_equal(pre.encode_categories(values)[:, :-n_unknown], pre.encoder_.transform(values))


def test_default_categorical_columns_are_the_non_numeric_ones(nsl, nsl_split) -> None:
    pre = FlowPreprocessor().fit(nsl_split.train.features.iloc[:5000])
    assert set(pre.categorical_columns_) <= set(nsl.categorical_columns)
    assert set(nsl.categorical_columns) - set(pre.categorical_columns_) <= set(pre.dropped_constant_)
    twin = clone(pre)
    assert twin.get_params() == pre.get_params() and not hasattr(twin, "scaler_")


def test_missing_column_error_names_it(nsl_split, fitted) -> None:
    with pytest.raises(NetadInputError, match="'dst_bytes'") as err:
        fitted.transform(nsl_split.test.features.drop(columns=["dst_bytes", "flag"]))
    assert "'flag'" in str(err.value)


def test_nan_and_inf_errors_name_the_column_and_count(nsl, nsl_split, fitted) -> None:
    test = nsl_split.test.features.iloc[:100].copy()
    test.loc[test.index[:3], "src_bytes"] = np.nan
    test.loc[test.index[5:7], "count"] = np.inf
    with pytest.raises(NetadInputError, match="NaN/Inf") as err:
        fitted.transform(test)
    assert "'src_bytes': 3" in str(err.value) and "'count': 2" in str(err.value)
    with pytest.raises(NetadInputError, match="'src_bytes': 3"):
        FlowPreprocessor.for_dataset(nsl).fit(test)


def test_non_numeric_values_in_a_numeric_column_are_named(nsl_split, fitted) -> None:
    test = nsl_split.test.features.iloc[:100].copy()
    test["duration"] = test["duration"].astype(str)
    test.loc[test.index[:4], "duration"] = "Infinity?"
    with pytest.raises(NetadInputError, match="'duration' has 4 non-numeric values"):
        fitted.transform(test)
    numbers_as_text = nsl_split.test.features.iloc[:100].copy()
    numbers_as_text["duration"] = numbers_as_text["duration"].astype(str)
    np.testing.assert_array_equal(
        fitted.transform(numbers_as_text), fitted.transform(nsl_split.test.features.iloc[:100])
    )


def test_transform_before_fit_and_non_frames_are_refused(nsl_split, fitted) -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FlowPreprocessor().transform(nsl_split.test.features)
    with pytest.raises(NetadInputError, match="DataFrame"):
        fitted.transform(nsl_split.test.features.to_numpy())
    with pytest.raises(NetadInputError, match="scaler"):
        FlowPreprocessor(scaler="zscore").fit(nsl_split.train.features)


def test_results_do_not_depend_on_the_chunk_size(nsl, nsl_split, fitted, monkeypatch) -> None:
    import netad.preprocess

    train, test = nsl_split.train.features, nsl_split.test.features
    whole = fitted.transform(test)
    monkeypatch.setattr(netad.preprocess, "_CHUNK_ROWS", 999)  # many chunks, the last one short
    chunked = FlowPreprocessor.for_dataset(nsl, log1p=True).fit(train)
    reference = FlowPreprocessor.for_dataset(nsl, log1p=True)
    monkeypatch.setattr(netad.preprocess, "_CHUNK_ROWS", 1 << 30)
    reference.fit(train)
    np.testing.assert_allclose(chunked.scaler_.mean_, reference.scaler_.mean_, rtol=1e-6)
    np.testing.assert_allclose(chunked.scaler_.var_, reference.scaler_.var_, rtol=1e-5)
    monkeypatch.setattr(netad.preprocess, "_CHUNK_ROWS", 999)
    np.testing.assert_allclose(fitted.transform(test), whole, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(chunked.transform(test), reference.transform(test), rtol=1e-5, atol=1e-5)


def test_for_dataset_applies_the_datasets_registered_defaults_and_explicit_options_win() -> None:
    # kdd_cup.npz is already one-hot / min-max scaled by the DAGMM code: no second scaling unless asked
    features = pd.DataFrame({"x000": np.array([0.0, 1.0, 0.5], dtype=np.float32)})
    label = np.array([1, 0, 1], dtype=np.int8)
    category = np.array(["attack", "normal", "attack"], dtype=object)
    dagmm_npz = Dataset("kddcup99-dagmm", features, label, category)
    assert FlowPreprocessor.for_dataset(dagmm_npz).scaler is None
    assert FlowPreprocessor.for_dataset(dagmm_npz, scaler="standard").scaler == "standard"
    other = Dataset("csv:flows.csv", features, label, category)
    assert FlowPreprocessor.for_dataset(other).scaler == "standard"


@pytest.mark.parametrize("policy", ["clip", "zero"])
def test_non_finite_values_are_filled_with_the_fitted_values(nsl_split, policy) -> None:
    train = nsl_split.train.features
    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], log1p=True, non_finite=policy)
    pre.fit(train)
    j = pre.numeric_columns_.index("src_bytes")
    expected_max = float(train["src_bytes"].max()) if policy == "clip" else 0.0
    assert pre.posinf_fill_[j] == pytest.approx(expected_max) and pre.nan_fill_[j] == 0
    test = nsl_split.test.features.iloc[:50].copy()
    dirty = test.copy()
    dirty.loc[dirty.index[[3, 7, 9]], "src_bytes"] = [np.inf, np.nan, -np.inf]
    by_hand = test.copy()
    by_hand.loc[by_hand.index[[3, 7, 9]], "src_bytes"] = [pre.posinf_fill_[j], 0.0, pre.neginf_fill_[j]]
    np.testing.assert_array_equal(pre.transform(dirty), pre.transform(by_hand))
    rows, counts = pre.non_finite_counts(dirty)
    assert counts == {"src_bytes": 3} and np.flatnonzero(rows).tolist() == [3, 7, 9]


def test_the_fill_values_survive_save_and_load(nsl_split, tmp_path) -> None:
    from netad.detectors import get_class
    from netad.persist import load_model, save_model

    pre = FlowPreprocessor(categorical_columns=["protocol_type", "service", "flag"], non_finite="clip")
    X = pre.fit_transform(nsl_split.train.features)
    detector = get_class("pca")(n_components=5).fit(X)
    loaded = load_model(save_model(tmp_path / "m", pre, detector)).preprocessor
    assert loaded.non_finite == "clip"
    for name in ("posinf_fill_", "neginf_fill_", "nan_fill_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(pre, name))
    dirty = nsl_split.test.features.iloc[:20].copy()
    dirty.loc[dirty.index[0], "dst_bytes"] = np.inf
    np.testing.assert_array_equal(loaded.transform(dirty), pre.transform(dirty))


def test_an_unknown_non_finite_policy_is_refused(nsl_split) -> None:
    with pytest.raises(NetadInputError, match="non_finite='drop' is not one of error, clip, zero"):
        FlowPreprocessor(non_finite="drop").fit(nsl_split.train.features.iloc[:100])
