"""`netad report`: one self-contained HTML file per run (no network request), with every detector's rows,
that Chromium opens without errors; an existing file is kept unless --overwrite."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netad.cli import app


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, shared_bench_run: Path) -> Path:
    """iforest and pca on the NSL-KDD sample shipped with netad, plus a `netad explain`-style SHAP output."""
    from matplotlib.image import imsave

    from netad.explain import Explanation

    out = tmp_path_factory.mktemp("report") / "bench"
    shutil.copytree(shared_bench_run, out)
    shap_dir = out / "explain-iforest"
    shap_dir.mkdir()
    values = np.array([[0.8, -0.1, 0.3], [0.6, 0.2, -0.1]])
    Explanation(values, np.zeros(2), values, ["src_bytes", "count", "service"], values.sum(axis=1), "permutation") \
        .mean_abs().to_csv(shap_dir / "mean_abs_shap.csv", index=False)  # fmt: skip
    (shap_dir / "alerts.json").write_text(json.dumps({
        "dataset": "nsl-kdd-sample", "protocol": "novelty", "detector": "iforest", "seed": 0, "method": "permutation",
        "threshold_strategy": "p99", "threshold": 0.5, "n_alerts": 2, "alerts": [],
    }))  # fmt: skip
    imsave(shap_dir / "shap_summary.png", np.linspace(0, 1, 64).reshape(8, 8))
    return out


@pytest.fixture(scope="module")
def report(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-out") / "report.html"
    result = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained(report: Path):
    text = report.read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text)
    assert tags, "no tag found"
    for tag in tags:
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", tag), tag
    assert "Plotly.newPlot" in text and 'src="data:image/png;base64,' in text


def test_report_holds_every_detector_row_and_the_config(report: Path, run_dir: Path):
    text = report.read_text(encoding="utf-8")
    summary = pd.read_csv(run_dir / "summary.csv")
    for row in summary.itertuples():
        assert f'<td class="text">{row.detector}</td>' in text
        assert f"{row.f1_mean:.3f} ± {row.f1_std:.3f}" in text
    results = pd.read_csv(run_dir / "results.csv")
    for value in results["threshold"]:
        assert f"{value:.6g}" in text
    per_category = pd.read_csv(run_dir / "per_category.csv")
    assert all(category in text for category in per_category["attack_category"].unique())
    config = json.loads((run_dir / "config.json").read_text())
    assert config["datasets"]["nsl-kdd-sample"]["version"] in text
    assert "src_bytes" in text  # SHAP section


def test_report_keeps_an_existing_file_unless_overwrite(report: Path, run_dir: Path):
    before = report.stat().st_mtime_ns
    refused = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(report)])
    assert refused.exit_code == 2 and "--overwrite" in " ".join(refused.output.split())
    assert report.stat().st_mtime_ns == before
    replaced = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(report), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def test_report_never_writes_through_a_link_even_with_overwrite(run_dir: Path, tmp_path: Path):
    victim = tmp_path / "victim.html"
    victim.write_text("precious")
    link = tmp_path / "linked.html"
    link.symlink_to(victim)
    result = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(link), "--overwrite"])
    assert result.exit_code == 2 and "symbolic link" in " ".join(result.output.split())
    assert victim.read_text() == "precious"


def test_report_of_a_directory_that_is_not_a_run_is_refused(tmp_path: Path):
    result = CliRunner().invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "not a benchmark run directory" in " ".join(result.output.split())
    assert not (tmp_path / "r.html").exists()


def skip_or_fail(reason: str) -> None:
    """Skip a browser test, or fail when NETAD_REQUIRE_BROWSER=1 (as in tests/dashboard/conftest.py)."""
    if os.environ.get("NETAD_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def test_report_opens_in_headless_chromium_offline_without_console_errors(report: Path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('browser tests need playwright: pip install -e ".[dev]"')
    executable = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if executable is None:
        skip_or_fail("browser tests need Debian's chromium: `make test` installs it as root (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            figures = page.locator(".plotly-graph-div")
            assert figures.count() >= 4
            page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
            assert page.locator(".plotly-graph-div .main-svg").count() >= figures.count()
            assert problems == []
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
            _check_layout(page)
        finally:
            browser.close()


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and (
        b["y"] < a["y"] + a["height"])  # fmt: skip


def _check_layout(page) -> None:
    """The visual defects of issue #20: a page of reasonable length (no heatmap repeated as a long table), tables
    across the page, no mode bar over a title or the metric buttons. Saves screenshots (NETAD_SCREENSHOT_DIR)."""
    folder = Path(os.environ.get("NETAD_SCREENSHOT_DIR", "")) if os.environ.get("NETAD_SCREENSHOT_DIR") else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "report.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4500, height  # two detectors x two thresholds: was > 6,000 px
    assert page.locator("details table").count() >= 1 and page.locator("details[open]").count() == 0
    body_width = page.evaluate("document.body.clientWidth")
    for table in page.locator("section > .wrap > table").all():
        assert table.bounding_box()["width"] > 0.8 * body_width - 60
    for figure in page.locator(".plotly-graph-div").all():
        figure.scroll_into_view_if_needed()
        figure.hover()
        modebar = figure.locator(".modebar").bounding_box()
        title = figure.locator(".gtitle")
        if modebar is None or title.count() == 0 or not title.text_content():
            continue
        assert not _overlap(modebar, title.bounding_box()), title.text_content()
        for button in figure.locator(".updatemenu-button").all():
            assert not _overlap(modebar, button.bounding_box())
    if folder is not None:
        page.locator(".plotly-graph-div").nth(1).screenshot(path=str(folder / "report-figure-hovered.png"))
