"""The preprocessor is saved as its fitted attributes and rebuilt without refitting; any fitted attribute persists;
models saved in format 1 (before this layout) still load and score bit-identically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from model_edits import copy_model, rewrite_listed_hash

from netad.errors import NetadInputError
from netad.persist import load_model, save_model
from netad.score import read_scores, score_file

DATA = Path(__file__).parent / "data"


def test_a_format_1_model_scores_exactly_as_the_code_that_saved_it(tmp_path):
    """format1_pca was saved and its 200 flows scored by netad at commit 8e26f54 (format 1; the encoder was
    rebuilt by a fit then); the scores must not move by one bit."""
    model = shutil.copytree(DATA / "format1_pca", tmp_path / "model")
    assert json.loads((model / "model.json").read_text())["format_version"] == 1
    score_file(model, DATA / "format1_flows.csv", tmp_path / "scores.parquet")
    scores = read_scores(tmp_path / "scores.parquet")["score"].to_numpy()
    np.testing.assert_array_equal(scores, np.load(DATA / "format1_pca_scores.npy"))


def test_loading_refits_nothing(saved_autoencoder, monkeypatch, nsl_rows, fitted_preprocessor):
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def refuse(*args, **kwargs):
        raise AssertionError("a saved preprocessor was refitted on load")

    for cls in (OneHotEncoder, StandardScaler):
        monkeypatch.setattr(cls, "fit", refuse)
        monkeypatch.setattr(cls, "partial_fit", refuse, raising=False)
    loaded = load_model(saved_autoencoder).preprocessor
    np.testing.assert_array_equal(loaded.transform(nsl_rows[1]), fitted_preprocessor.transform(nsl_rows[1]))


def test_a_fitted_attribute_added_to_the_preprocessor_persists_unchanged(fitted_preprocessor, nsl_rows, tmp_path):
    from netad.detectors import get_class

    pre = type(fitted_preprocessor)(**fitted_preprocessor.get_params()).fit(nsl_rows[0])
    # the kind of state a cleaning policy adds: per-column ranges (arrays) and plain settings
    pre.clean_low_ = np.array([-1.5, 0.0, np.inf], dtype=np.float64)
    pre.clean_columns_ = np.array(["a", "b", "c"], dtype=object)
    pre.clean_policy_ = {"inf": "clip", "counts": (3, 0)}
    detector = get_class("pca")(random_state=0).fit(pre.transform(nsl_rows[0]))
    loaded = load_model(save_model(tmp_path / "m", pre, detector)).preprocessor
    np.testing.assert_array_equal(loaded.clean_low_, pre.clean_low_)
    assert loaded.clean_low_.dtype == np.float64
    assert loaded.clean_columns_.tolist() == ["a", "b", "c"]
    assert loaded.clean_policy_ == {"inf": "clip", "counts": (3, 0)}


def test_a_class_outside_the_allow_list_is_refused(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    state = json.loads((model / "preprocessor.json").read_text())
    state["fitted"]["encoder_"]["__estimator__"] = "sklearn.pipeline.Pipeline"
    (model / "preprocessor.json").write_text(json.dumps(state))
    rewrite_listed_hash(model, "preprocessor.json")
    with pytest.raises(NetadInputError, match="encoder_ is a 'sklearn.pipeline.Pipeline', not an allowed class"):
        load_model(model)


def test_dunder_attributes_cannot_be_set(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    state = json.loads((model / "preprocessor.json").read_text())
    state["fitted"]["__class__"] = "x"
    (model / "preprocessor.json").write_text(json.dumps(state))
    rewrite_listed_hash(model, "preprocessor.json")
    with pytest.raises(NetadInputError, match="'__class__' is not an attribute name"):
        load_model(model)
