"""The service's scores are `netad score`'s for the same rows (pca, iforest), alone or scored in one batch."""

from __future__ import annotations

import time

import numpy as np
import pytest

from netad.persist import load_model
from netad.score import read_scores, score_file
from netad.serve import ScoringService
from netad.serve.scoring import ScoreJob

RTOL = 1e-6  # float32 features, float64 scores: the same arithmetic, up to BLAS blocking


@pytest.mark.parametrize("which", ["model_dir", "pca_dir"])
def test_service_scores_equal_netad_score_on_the_same_rows(which, request, rows, to_records, tmp_path):
    model_dir = request.getfixturevalue(which)
    service = ScoringService(load_model(model_dir))
    validated = service.validate_records(to_records(rows))
    served = service.score_batch([ScoreJob(validated, 0, time.perf_counter())])[0]
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    score_file(model_dir, path, tmp_path / "scores.parquet")
    reference = read_scores(tmp_path / "scores.parquet")
    np.testing.assert_allclose(served["scores"], reference["score"], rtol=RTOL)
    assert served["is_attack"] == reference["is_attack"].astype(bool).tolist()


def test_rows_scored_in_one_batch_get_the_scores_they_get_alone(pca_dir, rows, to_records):
    service = ScoringService(load_model(pca_dir))
    records = to_records(rows.iloc[:12])
    alone = [service.score_batch([ScoreJob(service.validate_records([r]), 0, 0.0)])[0]["scores"][0] for r in records]
    jobs = [ScoreJob(service.validate_records(records[i : i + 3]), 2 if i == 3 else 0, 0.0) for i in range(0, 12, 3)]
    together = service.score_batch(jobs)
    assert [r["n_rows"] for r in together] == [3, 3, 3, 3]
    np.testing.assert_allclose([s for r in together for s in r["scores"]], alone, rtol=RTOL)
    assert together[1]["explanations"] is not None and len(together[1]["explanations"][0]) == 2
    assert together[0]["explanations"] is None
    # the jobs keep their validated rows (the preprocessor works on a copy): scoring again gives the same
    np.testing.assert_allclose(service.score_batch(jobs)[0]["scores"], together[0]["scores"], rtol=RTOL)


def test_a_model_that_cleans_non_finite_values_scores_them_as_netad_score_does(rows, to_records, tmp_path):
    """Missing and infinite numbers: 422 for a model without a policy, filled, scored and marked with one."""
    from typer.testing import CliRunner

    from netad.cli import app

    model_dir = tmp_path / "clip"
    args = ["train", "-d", "nsl-kdd-sample", "-m", "pca", "--max-train", "3000", "-o", str(model_dir), "-q"]
    trained = CliRunner().invoke(app, [*args, "--preprocess-option", "non_finite=clip"])
    assert trained.exit_code == 0, trained.output
    sample = rows.iloc[:20].copy()
    sample["src_bytes"] = sample["src_bytes"].astype(float)
    sample.loc[sample.index[[2, 7]], "src_bytes"] = [np.nan, np.inf]
    service = ScoringService(load_model(model_dir))
    records = to_records(sample)  # NaN and Infinity become JSON null
    served = service.score_batch([ScoreJob(service.validate_records(records), 0, time.perf_counter())])[0]
    assert served["n_non_finite"] == 2 and served["non_finite_rows"] == [2, 7]
    path = tmp_path / "rows.csv"
    sample.to_csv(path, index=False)
    score_file(model_dir, path, tmp_path / "scores.parquet")
    reference = read_scores(tmp_path / "scores.parquet")
    # JSON has no Infinity: the service saw null (NaN) on row 7, netad score saw inf: compare the other rows
    same = np.ones(len(sample), dtype=bool)
    same[7] = False
    np.testing.assert_allclose(np.asarray(served["scores"])[same], reference["score"][same], rtol=RTOL)
