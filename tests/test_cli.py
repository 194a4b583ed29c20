"""The netad command: leaderboard and run directory on success, one-line errors and exit code 2 on bad input."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.cli import app

pytestmark = pytest.mark.needs_data("unsw-nb15", "nsl-kdd", "kddcup99", "cicids2017", "iot23")

runner = CliRunner()


def test_bench_prints_a_leaderboard_and_writes_the_run_directory(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["bench", "-d", "nsl-kdd-sample", "-m", "iforest,pca", "--seeds", "0,1", "--max-train", "2000",
              "-o", str(out), "-j", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "iforest" in result.stdout and "±" in result.stdout
    assert len(pd.read_csv(out / "results.csv")) == 4


def test_bench_on_a_user_csv_with_label_column_and_normal_label(tmp_path, shared_data):
    frame = pd.read_csv(shared_data / "unsw-nb15" / "UNSW_NB15_training-set.csv.xz", nrows=4000)
    path = tmp_path / "flows.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(
        app, ["bench", "-d", f"csv:{path}", "--label-column", "attack_cat", "--normal-label", "Normal",
              "--drop-columns", "id,label", "-m", "iforest", "--seeds", "0", "-o", str(tmp_path / "run"), "-j", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    results = pd.read_csv(tmp_path / "run" / "results.csv")
    assert results["auroc"].iloc[0] > 0.6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "-d", "nosuch-dataset", "-m", "iforest"], "nosuch-dataset"),
        (["bench", "-d", "nsl-kdd-sample", "-m", "nosuch"], "unknown detector"),
        (
            ["bench", "-d", "csv:/nonexistent/flows.csv", "--label-column", "y", "--normal-label", "0"],
            "flows.csv",
        ),
        (["bench", "-d", "nsl-kdd-sample", "--seeds", "a,b"], "--seeds"),
        (["bench", "-d", "nsl-kdd-sample", "--param", "iforest"], "KEY=VALUE"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bench_csv_missing_label_column_names_the_column(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,b,c\n1,2,x\n3,4,y\n")
    result = runner.invoke(
        app,
        ["bench", "-d", f"csv:{path}", "--label-column", "verdict", "--normal-label", "ok", "-m", "iforest"],
    )
    assert result.exit_code == 2
    assert "verdict" in result.output and "flows.csv" in result.output


def test_datasets_and_detectors_list_everything():
    listed = runner.invoke(app, ["detectors"])
    assert listed.exit_code == 0
    for name in ("iforest", "ocsvm", "lof", "elliptic", "pca", "mlp"):
        assert name in listed.stdout
    found = runner.invoke(app, ["datasets"])
    assert found.exit_code == 0, found.output
    for name in ("nsl-kdd", "unsw-nb15", "kddcup99", "cicids2017", "iot23"):
        assert name in found.stdout


def test_help_does_not_import_torch():
    code = (
        "import sys\nfrom netad.cli import app\n"
        "try:\n    app(['bench', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip().endswith("NO-TORCH")


def test_bench_plots_writes_one_figure_per_job(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["bench", "-d", "nsl-kdd-sample", "-m", "pca", "--seeds", "0", "--max-train", "1000", "-o", str(out),
              "-j", "1", "--plots"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(out.rglob("*.png"))) == 1


def test_bench_takes_threshold_strategies_repeated_or_comma_separated(tmp_path):
    args = ["bench", "-d", "nsl-kdd-sample", "-m", "pca", "--seeds", "0", "--max-train", "800", "--no-scores"]
    repeated = runner.invoke(app, [*args, "-t", "p99", "-t", "best-f1,p95", "-o", str(tmp_path / "a")])
    assert repeated.exit_code == 0, repeated.output
    strategies = pd.read_csv(tmp_path / "a" / "results.csv")["threshold_strategy"].tolist()
    assert strategies == ["p99", "best-f1", "p95"]  # every -t counts, not only the last one


def test_version_flag_prints_the_version():
    from netad import __version__

    for args in (["--version"], ["version"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and result.stdout.strip() == __version__


def test_unknown_detector_suggests_the_closest_name():
    result = runner.invoke(app, ["bench", "-d", "nsl-kdd-sample", "-m", "iforst"])
    assert result.exit_code == 2
    assert "did you mean 'iforest'?" in " ".join(result.output.split())


def test_bench_reports_one_job_in_the_singular_and_each_finished_job(tmp_path):
    result = runner.invoke(
        app, ["bench", "-d", "nsl-kdd-sample", "-m", "pca", "--seeds", "0", "--max-train", "500", "-o",
              str(tmp_path / "run"), "-j", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "running 1 job (" in result.stderr and "1 jobs" not in result.stderr
    assert "[1/1] pca · nsl-kdd-sample · seed 0: F1 " in result.stderr and "(p99), fit " in result.stderr
    quiet = runner.invoke(
        app, ["bench", "-d", "nsl-kdd-sample", "-m", "pca", "--seeds", "0", "--max-train", "500", "-o",
              str(tmp_path / "quiet"), "-j", "1", "--quiet"],
    )  # fmt: skip
    assert quiet.exit_code == 0 and "running" not in quiet.stderr and "[1/1]" not in quiet.stderr


def test_messages_are_not_read_as_rich_markup():
    result = runner.invoke(app, ["bench", "-d", "nsl-kdd-sample", "--seeds", "1,[audio]"])
    assert result.exit_code == 2 and "[audio]" in result.output


HELP_COMMANDS = ("bench", "sweep", "train", "explain", "latent-plot", "score", "detectors", "serve", "report")


@pytest.mark.parametrize("command", HELP_COMMANDS)
def test_help_at_80_columns_keeps_option_names_whole_and_shows_no_bool_type(command):
    result = subprocess.run(
        [sys.executable, "-m", "netad.cli", command, "--help"], capture_output=True, text=True, check=True,
        env={**__import__("os").environ, "COLUMNS": "80", "TERM": "dumb"},
    )  # fmt: skip
    assert "…" not in result.stdout and "<bool>" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "--help" in result.stdout


def test_bench_dataset_help_lists_every_registered_dataset():
    from netad.cli import DATASET_NAMES
    from netad.datasets.registry import specs

    assert set(DATASET_NAMES) == set(specs()) - {"csv"}
    result = runner.invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.stdout.replace("│", " ").split())
    for name in DATASET_NAMES:
        assert f" {name}," in text


def test_detectors_peers_lists_flow_table_models_only_unless_all():
    pytest.importorskip("pyod")
    from netad.detectors.peers import available_peers, peer_input

    default = runner.invoke(app, ["detectors", "--peers"])
    assert default.exit_code == 0, default.output
    everything = runner.invoke(app, ["detectors", "--peers", "--all"])
    assert everything.exit_code == 0, everything.output
    for name in ("pyod:ECOD", "pyod:IForest", "pyod:XGBOD"):
        assert name in default.stdout
    assert "peer, supervised" in default.stdout and "peer, unsupervised" in default.stdout
    for name, kind in (("pyod:AudioAE", "audio"), ("pyod:DOMINANT", "graph"), ("pyod:KShape", "time-series")):
        assert peer_input(name) == kind
        assert name not in default.stdout and name in everything.stdout
    hidden = sum(peer_input(n) != "table" for n in available_peers())
    assert f"{hidden} peer model" in default.stderr
    refused = runner.invoke(app, ["bench", "-d", "nsl-kdd-sample", "-m", "pyod:AudioAE"])
    assert refused.exit_code == 2 and "audio input, not a flow table" in " ".join(refused.output.split())


@pytest.mark.needs_data("cicids2017-improved")
def test_bench_zero_shot_with_the_latent_sculpting_preset_writes_the_seeds_figures(tmp_path):
    import json

    files = ["BENIGN_5000.csv.xz", "Botnet_736.csv.xz", "Infiltration_36.csv.xz", "DoS_Slowloris_3859.csv.xz",
             "DoS_Slowhttptest_1740.csv.xz", "FTP-Patator_3972.csv.xz"]  # fmt: skip
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["bench", "-d", "cicids2017-improved", "--dataset-option", f"files={json.dumps(files)}", "-p",
              "zero-shot", "--protocol-option", "preset=latent-sculpting", "-m", "iforest", "--seeds", "0",
              "-t", "p95", "-o", str(out), "-j", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out / "results.csv").iloc[0]
    for column in ("zero_shot_auroc", "zero_shot_balanced_f1", "known_balanced_f1"):
        assert 0 <= row[column] <= 1
    assert row["zero_shot_auroc"] > 0.7  # iforest ranks the slow DoS and Infiltration flows above benign ones
    split = next(iter(json.loads((out / "config.json").read_text())["splits"].values()))
    assert split["unseen_categories"] == ["Botnet", "DoS Slowhttptest", "DoS Slowloris", "Infiltration"]
    assert split["seen_categories"] == ["FTP-Patator"]
