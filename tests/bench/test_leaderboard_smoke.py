"""The leaderboard benchmark in its tiny CI mode: netad and peer detectors in one report, on real NSL-KDD rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("pyod")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "leaderboard.py"


def _leaderboard_module():
    spec = importlib.util.spec_from_file_location("netad_benchmark_leaderboard", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_leaderboard_ranks_netad_and_peers_with_mean_and_std_over_seeds(tmp_path):
    leaderboard = _leaderboard_module()
    out = tmp_path / "leaderboard.md"
    assert leaderboard.main(["--smoke", "--out", str(out), "--work", str(tmp_path / "work")]) == 0
    text = out.read_text()
    assert "## nsl-kdd-sample" in text and "Failed jobs" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and " ± " in line]
    detectors = {line.split("|")[2].strip().strip("*") for line in rows}
    assert detectors == {"pca", "pyod:ECOD"}
    for line in rows:
        auroc = float(line.split("|")[5].split("±")[0])
        assert 0.6 < auroc <= 1.0  # real attacks score above real normal traffic for both
        assert line.split("|")[4].strip() == "2"  # both seeds
    assert "torch 2.13.0" in text and "pyod " in text and "deepod " in text
    assert "netad against the best peer" in text
    # a re-run resumes from the job log: nothing is refitted, the report is the same
    assert leaderboard.main(["--smoke", "--out", str(out), "--work", str(tmp_path / "work")]) == 0
    assert [line for line in out.read_text().splitlines() if line.startswith("| ") and " ± " in line] == rows


def test_neutral_rows_say_they_were_measured_with_the_current_leaky_relu_slope():
    """The leaderboard marks every `neutral` row with the slope it was measured with (changed after test figures
    had been seen, issue #14); the mark must match the detector's default and appear on every row of the report."""
    from netad.detectors import make

    leaderboard = _leaderboard_module()
    mark, note = leaderboard.ROW_NOTES["neutral"]
    assert f"slope {make('neutral').negative_slope}" in mark
    text = (SCRIPT.parents[0] / "results" / "leaderboard.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "**neutral**" in line]
    assert len(rows) == 4  # one per dataset table
    assert all(f"**neutral**{mark} |" in line for line in rows)
    assert text.count(f"neutral{mark} 0.") == 2  # the netad-against-the-best-peer rows it leads
    assert f"- {note}" in text
