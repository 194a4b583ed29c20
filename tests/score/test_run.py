"""Batch scoring: streamed chunks give the in-memory scores; bad inputs are errors that name columns and counts.

Data: real NSL-KDD rows (the bundled sample) and UNSW-NB15 rows written to temporary CSV/parquet files.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from netad.cli import app
from netad.datasets import load
from netad.detectors import get_class
from netad.errors import NetadInputError
from netad.persist import load_model, save_model
from netad.preprocess import FlowPreprocessor
from netad.score import read_scores, score_file

pytestmark = pytest.mark.needs_data("unsw-nb15")

N_TRAIN, N_INPUT = 1500, 3000
FAST = {"iforest": {"n_estimators": 50}, "pca": {"n_components": 10}, "autoencoder": {"epochs": 2, "n_threads": 1}}
runner = CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("score")


@pytest.fixture(scope="module")
def nsl():
    return load("nsl-kdd-sample")


@pytest.fixture(scope="module")
def flows(nsl) -> pd.DataFrame:
    """Rows to score (normal and attacks, after the training rows), with the label as an extra column."""
    rows = np.random.default_rng(1).choice(np.arange(N_TRAIN, nsl.n_rows), N_INPUT, replace=False)
    frame = nsl.features.iloc[np.sort(rows)].reset_index(drop=True)
    frame["Label"] = nsl.attack_category[np.sort(rows)]
    return frame


@pytest.fixture(scope="module")
def models(nsl, workdir) -> dict[str, Path]:
    train = nsl.features.iloc[np.flatnonzero(nsl.label[:N_TRAIN] == 0)]
    preprocessor = FlowPreprocessor.for_dataset(nsl).fit(train)
    X = preprocessor.transform(train)
    out = {}
    for name, params in FAST.items():
        detector = get_class(name)(random_state=0, **params).fit(X)
        out[name] = save_model(workdir / name, preprocessor, detector, reference=X)
    return out


def in_memory_scores(model_dir: Path, frame: pd.DataFrame) -> np.ndarray:
    model = load_model(model_dir)
    return model.detector.decision_function(model.preprocessor.transform(frame[model.schema.input_columns]))


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)  # pandas compresses .gz/.xz by extension
    return path


@pytest.mark.parametrize("name", sorted(FAST))
@pytest.mark.parametrize("suffix", [".csv", ".csv.xz", ".parquet"])
def test_streamed_scores_equal_the_in_memory_decision_function(name, suffix, models, flows, tmp_path):
    path = write(flows, tmp_path / f"flows{suffix}")
    report = score_file(models[name], path, tmp_path / "scores.parquet", chunk_rows=700)
    scores = read_scores(tmp_path / "scores.parquet")
    expected = in_memory_scores(models[name], flows)
    assert report.rows_read == report.rows_scored == len(flows) and report.chunks == 5
    np.testing.assert_array_equal(scores["row"], np.arange(len(flows)))
    # Chunks of 700 rows vs one block: float32 products that BLAS blocks differently per shape (AVX2 vs AVX-512
    # kernels) agree to a few float32 ulps, so compare with rtol 1e-6 (~8 ulps) instead of bit for bit.
    np.testing.assert_allclose(scores["score"], expected, rtol=1e-6, atol=1e-7)
    threshold = load_model(models[name]).detector.threshold_
    np.testing.assert_array_equal(scores["is_attack"], (scores["score"] > threshold).astype(np.int8))
    assert report.rows_flagged == int(scores["is_attack"].sum()) > 0


@pytest.mark.parametrize("name", ["iforest", "autoencoder"])
def test_chunk_size_does_not_change_the_output(name, models, flows, tmp_path):
    path = write(flows, tmp_path / "flows.csv")
    for chunk_rows in (1000, 100_000):
        score_file(models[name], path, tmp_path / f"{chunk_rows}.parquet", chunk_rows=chunk_rows, top_features=3,
                   n_threads=1)  # fmt: skip
    small, large = read_scores(tmp_path / "1000.parquet"), read_scores(tmp_path / "100000.parquet")
    # another chunk size is another BLAS block shape: scores agree to float32 rounding (rtol 1e-6), the rest exactly
    pd.testing.assert_frame_equal(small, large, check_exact=False, rtol=1e-6, atol=1e-7)


def test_sequence_windows_carry_their_context_across_chunks(nsl, flows, workdir, tmp_path):
    train = nsl.features.iloc[:600]
    preprocessor = FlowPreprocessor.for_dataset(nsl).fit(train)
    seq2seq = get_class("seq2seq")
    params = {"mode": "window", "window": 4, "hidden_size": 8, "epochs": 1, "n_threads": 1, "random_state": 0}
    params = {k: v for k, v in params.items() if k in inspect.signature(seq2seq.__init__).parameters}
    detector = seq2seq(**params).fit(preprocessor.transform(train))
    model = save_model(workdir / "seq2seq-window", preprocessor, detector)
    path = write(flows.iloc[:500], tmp_path / "flows.csv")
    score_file(model, path, tmp_path / "chunked.parquet", chunk_rows=7)
    np.testing.assert_allclose(
        read_scores(tmp_path / "chunked.parquet")["score"],
        in_memory_scores(model, flows.iloc[:500]),
        rtol=1e-5,
        atol=1e-7,
    )


def test_the_file_is_read_in_batches_of_at_most_chunk_rows(models, flows, tmp_path, monkeypatch):
    seen_rows: list[int] = []
    transform = FlowPreprocessor.transform

    def spy_transform(self, X):
        seen_rows.append(len(X))
        return transform(self, X)

    batch_sizes: list[int] = []
    iter_batches = pq.ParquetFile.iter_batches

    def spy_iter_batches(self, batch_size=65536, **kwargs):
        batch_sizes.append(batch_size)
        return iter_batches(self, batch_size=batch_size, **kwargs)

    def no_whole_file_read(*args, **kwargs):
        raise AssertionError("the whole CSV must never be read at once")

    monkeypatch.setattr(FlowPreprocessor, "transform", spy_transform)
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy_iter_batches)
    monkeypatch.setattr(pacsv, "read_csv", no_whole_file_read)
    monkeypatch.setattr(pq, "read_table", no_whole_file_read)
    for suffix in (".csv", ".parquet"):
        score_file(models["pca"], write(flows, tmp_path / f"f{suffix}"), tmp_path / f"{suffix}.parquet", chunk_rows=400)
    assert max(seen_rows) <= 400 and sum(seen_rows) == 2 * len(flows)
    assert batch_sizes and max(batch_sizes) <= 400


def test_reconstruction_models_rank_features_by_squared_residual(models, flows, tmp_path):
    path = write(flows, tmp_path / "flows.parquet")
    report = score_file(models["pca"], path, tmp_path / "s.parquet", top_features=2, keep_columns=["Label"])
    scores = read_scores(tmp_path / "s.parquet")
    model = load_model(models["pca"])
    X = model.preprocessor.transform(flows[model.schema.input_columns])
    residual = np.square(X - model.detector.model_.inverse_transform(model.detector.model_.transform(X)))
    names = np.asarray(model.schema.output_features)
    assert report.attribution == "reconstruction"
    np.testing.assert_array_equal(scores["top_feature_1"], names[residual.argmax(axis=1)])
    assert (scores["top_value_1"] >= scores["top_value_2"]).all()
    np.testing.assert_array_equal(scores["Label"], flows["Label"])
    assert report.ignored_columns == []


def test_other_models_rank_features_by_deviation_from_training(models, flows, tmp_path):
    path = write(flows, tmp_path / "flows.csv")
    report = score_file(models["iforest"], path, tmp_path / "s.parquet", top_features=1)
    scores = read_scores(tmp_path / "s.parquet")
    assert report.attribution == "deviation"
    # flows of a service never seen in the normal training rows are flagged by their unknown-service column
    unseen = ~flows["service"].isin(load_model(models["iforest"]).schema.categories["service"])
    assert unseen.any()
    assert (scores.loc[unseen, "top_feature_1"] == "service_<unknown>").mean() > 0.5


def test_missing_model_columns_are_named(models, flows, tmp_path):
    path = write(flows.drop(columns=["flag", "src_bytes"]), tmp_path / "flows.csv")
    with pytest.raises(NetadInputError, match=r"missing 2 column\(s\).*'flag', 'src_bytes'"):
        score_file(models["iforest"], path, tmp_path / "s.parquet")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_text_in_a_numeric_column_is_an_error_with_column_and_count(suffix, models, flows, tmp_path):
    bad = flows.copy()
    bad["src_bytes"] = bad["src_bytes"].astype(str)
    bad.loc[[10, 2500], "src_bytes"] = ["abc", "n/d"]
    path = write(bad, tmp_path / f"flows{suffix}")
    with pytest.raises(NetadInputError, match=r"'src_bytes': 2 row\(s\) \(e\.g\. 'abc' on data row 10"):
        score_file(models["iforest"], path, tmp_path / "s.parquet", chunk_rows=1000)
    assert not (tmp_path / "s.parquet").exists() and not (tmp_path / "s.parquet.partial").exists()


def test_nan_and_inf_are_errors_with_counts_per_column(models, flows, tmp_path):
    bad = flows.copy()
    bad.loc[[5, 7, 2900], "dst_bytes"] = [np.nan, np.inf, -np.inf]
    bad.loc[2999, "count"] = np.nan
    path = write(bad, tmp_path / "flows.csv")
    with pytest.raises(NetadInputError, match=r"'dst_bytes': 3, 'count': 1 \(first on data row 5, line 7\)"):
        score_file(models["iforest"], path, tmp_path / "s.parquet", chunk_rows=1000)
    assert not (tmp_path / "s.parquet").exists()


def test_skipping_bad_rows_reports_them_per_column(models, flows, tmp_path):
    bad = flows.copy()
    bad.loc[[5, 7], "dst_bytes"] = [np.nan, np.inf]
    bad.loc[[7, 2000], "count"] = np.nan
    path = write(bad, tmp_path / "flows.parquet")
    report = score_file(models["iforest"], path, tmp_path / "s.parquet", chunk_rows=1000, on_bad_rows="skip")
    scores = read_scores(tmp_path / "s.parquet")
    assert report.rows_skipped == 3 and report.skipped_by_column == {"dst_bytes": 2, "count": 2}
    assert report.rows_scored == len(scores) == len(flows) - 3
    assert not {5, 7, 2000} & set(scores["row"])
    kept = scores["row"].to_numpy()
    np.testing.assert_array_equal(scores["score"], in_memory_scores(models["iforest"], flows.iloc[kept]))


def test_extra_columns_are_ignored_and_names_normalised_like_the_loaders(models, flows, tmp_path):
    frame = flows.rename(columns={"duration": "\ufeff duration", "service": " service "}).assign(Extra=1)
    path = write(frame, tmp_path / "flows.csv")
    report = score_file(models["iforest"], path, tmp_path / "s.parquet")
    assert report.ignored_columns == ["Label", "Extra"]
    np.testing.assert_array_equal(
        read_scores(tmp_path / "s.parquet")["score"], in_memory_scores(models["iforest"], flows)
    )


def test_an_existing_output_is_not_overwritten_unless_asked(models, flows, tmp_path):
    path = write(flows.iloc[:100], tmp_path / "flows.csv")
    (tmp_path / "s.parquet").write_bytes(b"keep me")
    with pytest.raises(NetadInputError, match="exists; pass --overwrite"):
        score_file(models["iforest"], path, tmp_path / "s.parquet")
    assert (tmp_path / "s.parquet").read_bytes() == b"keep me"
    score_file(models["iforest"], path, tmp_path / "s.parquet", overwrite=True)
    assert len(read_scores(tmp_path / "s.parquet")) == 100


def test_unsw_flows_score_with_a_model_trained_by_the_cli(shared_data, tmp_path):
    model = tmp_path / "model"
    result = runner.invoke(
        app, ["train", "-d", "unsw-nb15", "-m", "pca", "--max-train", "3000", "--param", "n_components=8",
              "-t", "p99", "-o", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.stdout
    raw = pd.read_csv(shared_data / "unsw-nb15" / "UNSW_NB15_training-set.csv.xz")  # file order: grouped
    raw = raw.iloc[np.sort(np.random.default_rng(0).choice(len(raw), 5000, replace=False))]
    path = write(raw, tmp_path / "unsw.csv.gz")
    out = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", str(model), str(path), "-o", str(out), "--chunk-rows", "1500",
                                 "--keep-columns", "attack_cat", "--top-features", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ignored 2 column(s)" in result.stderr and "id, label" in result.stderr
    scores = read_scores(out)
    assert len(scores) == 5000 and {"top_feature_1", "attack_cat"} <= set(scores.columns)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(raw["label"], scores["score"]) > 0.65  # the full-file AUROC of this model is ~0.74
    again = runner.invoke(app, ["score", str(model), str(path), "-o", str(out)])
    assert again.exit_code == 2 and "exists; pass --overwrite" in again.stderr
    retrain = runner.invoke(app, ["train", "-d", "unsw-nb15", "-m", "pca", "-o", str(model)])
    assert retrain.exit_code == 2 and "not empty" in retrain.stderr
