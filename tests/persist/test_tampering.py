"""A tampered model directory is refused with one clear line before it can make netad read outside the directory,
recurse without bound or size an allocation: links, deep JSON, huge numbers, thread counts, network shapes."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from model_edits import copy_model, edit_model_json, rewrite_listed_hash
from typer.testing import CliRunner

from netad.cli import app
from netad.errors import NetadInputError
from netad.persist import layout, load_model

runner = CliRunner()


@pytest.fixture
def no_hashing_of(monkeypatch):
    """Fails the test if the loader hashes (reads) the named path."""
    hashed: list[Path] = []
    real = layout.sha256

    def spy(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(layout, "sha256", spy)
    return hashed


@pytest.mark.parametrize("name", ["detector.json", "preprocessor.safetensors"])
def test_a_model_file_linked_outside_is_refused_before_it_is_read(name, saved_autoencoder, tmp_path, no_hashing_of):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    outside = tmp_path / "outside" / name
    outside.parent.mkdir()
    outside.write_bytes((model / name).read_bytes())  # same bytes and hash: only the link gives it away
    (model / name).unlink()
    (model / name).symlink_to(outside)
    with pytest.raises(NetadInputError, match=f"{name} is a symbolic link"):
        load_model(model)
    assert all(p.name != name for p in no_hashing_of)


def test_model_json_itself_as_a_link_is_refused(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((model / "model.json").read_bytes())
    (model / "model.json").unlink()
    (model / "model.json").symlink_to(outside)
    with pytest.raises(NetadInputError, match="model.json is a symbolic link"):
        load_model(model)


def test_a_detector_json_nested_100k_levels_is_one_line_at_the_command_line(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    (model / "detector.json").write_text('{"attributes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    rewrite_listed_hash(model, "detector.json")
    with pytest.raises(NetadInputError, match="detector.json: JSON nested"):
        load_model(model)
    flows = tmp_path / "flows.csv"
    flows.write_text("a\n1\n")
    result = runner.invoke(app, ["score", str(model), str(flows), "-o", str(tmp_path / "out.parquet")])
    assert result.exit_code == 2, result.output
    assert "JSON nested" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, RecursionError)


def test_json_a_little_deeper_than_a_model_needs_is_refused(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    edit_model_json(model, lambda m: m["metadata"].update(deep=json.loads("[" * 200 + "]" * 200)))
    with pytest.raises(NetadInputError, match=r"model.json: JSON nested 20\d levels deep \(at most 64\)"):
        load_model(model)


def test_threads_asked_beyond_the_machine_are_capped_with_a_warning(saved_autoencoder, tmp_path, caplog, nsl_rows):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    edit_model_json(model, lambda m: m["detector"]["params"].update(n_threads=10**9))
    with caplog.at_level(logging.WARNING, logger="netad.persist"):
        loaded = load_model(model)
    assert loaded.detector.n_threads == (os.cpu_count() or 1)
    assert "n_threads=1000000000 is not a usable thread count here" in caplog.text
    reference = load_model(saved_autoencoder)
    X = reference.preprocessor.transform(nsl_rows[1])
    np.testing.assert_array_equal(loaded.detector.decision_function(X), reference.detector.decision_function(X))


def test_scikit_learn_jobs_are_capped_too(saved_iforest, tmp_path):
    model = copy_model(saved_iforest, tmp_path / "m")
    edit_model_json(model, lambda m: m["detector"]["params"].update(n_jobs=10**9))
    assert load_model(model).detector.n_jobs == (os.cpu_count() or 1)
    edit_model_json(model, lambda m: m["detector"]["params"].update(n_jobs="all"))
    with pytest.raises(NetadInputError, match="n_jobs must be a whole number"):
        load_model(model)


def test_an_integer_of_400_digits_is_refused(saved_iforest, tmp_path):
    model = copy_model(saved_iforest, tmp_path / "m")
    edit_model_json(model, lambda m: m["detector"]["params"].update(n_estimators=10**400))
    with pytest.raises(NetadInputError, match="integer out of range"):
        load_model(model)


def test_a_network_edited_to_be_huge_is_refused_before_it_is_allocated(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    # 10**6 x 10**6 float32 weights would be 4 TB: checked on torch's meta device, never allocated
    edit_model_json(model, lambda m: m["detector"]["params"].update(hidden={"__tuple__": [10**6, 10**6]}))
    with pytest.raises(NetadInputError, match="weights do not fit the network the saved parameters describe"):
        load_model(model)


def test_a_feature_count_edited_to_be_huge_is_refused(saved_autoencoder, tmp_path):
    model = copy_model(saved_autoencoder, tmp_path / "m")
    state = json.loads((model / "detector.json").read_text())
    state["attributes"]["n_features_in_"] = 10**12
    (model / "detector.json").write_text(json.dumps(state))
    rewrite_listed_hash(model, "detector.json")
    with pytest.raises(NetadInputError, match="n_features_in_ 1000000000000 is not a feature count"):
        load_model(model)


def test_train_overwrite_replaces_a_planted_link_and_never_writes_through_it(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "detector.json").symlink_to(victim)
    args = ["train", "-d", "nsl-kdd-sample", "-m", "pca", "--max-train", "1000", "-o", str(out), "-q"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "not empty" in refused.output
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not (out / "detector.json").is_symlink()  # the link was replaced by the model's own file
    load_model(out)


def test_metadata_too_deep_to_load_is_refused_when_saving(fitted_preprocessor, nsl_rows, tmp_path):
    from netad.detectors import get_class
    from netad.persist import save_model

    detector = get_class("pca")(random_state=0).fit(fitted_preprocessor.transform(nsl_rows[0]))
    deep: list = []
    for _ in range(70):
        deep = [deep]
    with pytest.raises(NetadInputError, match="cannot save the metadata: nested deeper than"):
        save_model(tmp_path / "m", fitted_preprocessor, detector, {"deep": deep})
    assert not (tmp_path / "m").exists()
    save_model(tmp_path / "m", fitted_preprocessor, detector, {"fine": [[[[1]]]]})
    assert load_model(tmp_path / "m").metadata == {"fine": [[[[1]]]]}
