"""The dashboard in headless Chromium: the page loads, the threshold slider's numbers are netad.metrics on the
served score sample, figures follow the slider, the leaderboard selects jobs. One browser for the module."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from netad.dashboard import data

METRICS = ("precision", "recall", "f1", "f2", "accuracy")


@pytest.fixture(scope="module")
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    outside: list[str] = []
    opened.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    opened.goto(server.url)
    opened.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    opened.problems, opened.outside = problems, outside
    yield opened
    context.close()


@pytest.fixture(scope="module")
def payloads(run_dir, second_run_dir, max_points):
    """What the server computes, computed here: the reference for the page's numbers."""
    runs = [data.load_run(run_dir), data.load_run(second_run_dir)]

    @functools.cache
    def payload(run: int, key: str) -> dict:
        return data.job_payload(runs[run], key, max_points, run_id=run)

    return payload


def shown(page) -> dict[str, float]:
    """The page's live numbers (full precision, from data-value attributes)."""
    values = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[id^="metric-"], [id^="cm-"]')]
                 .map((e) => [e.id.replace(/^(metric|cm)-/, ''), Number(e.dataset.value)]))"""
    )
    return values


def selected(page) -> tuple[int, str]:
    run, key = page.eval_on_selector("#job", "e => e.value").split("|")
    return int(run), key


def assert_agrees_with_netad_metrics(page, payloads) -> dict[str, float]:
    numbers = shown(page)
    expected = data.sample_metrics(payloads(*selected(page))["sample"], numbers["threshold"])
    for name in ("tp", "fp", "tn", "fn"):
        assert numbers[name] == expected[name], name
    for name in METRICS:
        assert math.isclose(numbers[name], expected[name], rel_tol=0, abs_tol=1e-12), name
    return numbers


def test_page_loads_offline_without_errors_and_lists_the_leaderboard(page, run_dir):
    assert page.problems == [] and page.outside == []
    summary = pd.read_csv(run_dir / "summary.csv")
    assert page.locator("#leaderboard tbody tr").count() == 2 * len(summary)
    assert page.locator("#leaderboard-plot .main-svg").count() > 0
    for plot in ("histogram", "roc", "pr", "categories"):
        assert page.locator(f"#{plot}-plot .main-svg").count() > 0, plot
    assert page.inner_text("#status").startswith("nsl-kdd-sample")


def test_slider_numbers_change_and_agree_with_netad_metrics(page, payloads):
    slider = page.locator("#threshold-slider")
    top = int(slider.get_attribute("max"))
    assert top > 100
    seen = []
    for position in (top // 10, top // 2, (9 * top) // 10):
        slider.fill(str(position))
        seen.append(assert_agrees_with_netad_metrics(page, payloads))
    thresholds = [s["threshold"] for s in seen]
    flagged = [s["flagged"] for s in seen]
    assert thresholds == sorted(thresholds) and len(set(thresholds)) == 3
    assert flagged == sorted(flagged, reverse=True) and len(set(flagged)) == 3  # a higher threshold flags fewer
    before = shown(page)["threshold"]
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert shown(page)["threshold"] < before
    assert_agrees_with_netad_metrics(page, payloads)


def test_live_metrics_equal_netad_metrics_across_the_whole_slider_range(page, payloads):
    stops = page.evaluate("state.candidates")
    picked = stops[:: max(1, len(stops) // 30)] + [stops[-1], stops[0] - 1.0]
    computed = page.evaluate("(thresholds) => thresholds.map(metricsAt)", picked)
    sample = payloads(*selected(page))["sample"]
    for threshold, live in zip(picked, computed, strict=True):
        expected = data.sample_metrics(sample, threshold)
        assert [live[k] for k in ("tp", "fp", "tn", "fn")] == [expected[k] for k in ("tp", "fp", "tn", "fn")]
        for name in METRICS:
            assert math.isclose(live[name], expected[name], rel_tol=0, abs_tol=1e-12), (threshold, name)


def test_typed_threshold_and_strategy_buttons_use_exact_values(page, payloads, run_dir):
    page.fill("#threshold-input", "0.5")
    page.press("#threshold-input", "Enter")
    assert shown(page)["threshold"] == 0.5
    assert_agrees_with_netad_metrics(page, payloads)
    results = pd.read_csv(run_dir / "results.csv")
    run, key = selected(page)
    job = payloads(run, key)
    row = results[(results["detector"] == job["detector"]) & (results["seed"] == job["seed"])]
    for strategy, threshold in zip(row["threshold_strategy"], row["threshold"], strict=True):
        page.click(f'#strategy-buttons button[data-strategy="{strategy}"]')
        assert shown(page)["threshold"] == threshold
        assert_agrees_with_netad_metrics(page, payloads)


def test_histogram_line_and_curve_markers_follow_the_slider(page):
    page.locator("#threshold-slider").fill("1234")
    page.wait_for_timeout(100)  # the figures move on the next animation frame
    numbers = shown(page)
    moved = page.evaluate(
        """() => ({
            line: document.getElementById('histogram-plot').layout.shapes[0].x0,
            logX: document.getElementById('histogram-plot').layout.meta.log_x,
            roc: document.getElementById('roc-plot').data.at(-1),
            pr: document.getElementById('pr-plot').data.at(-1),
        })"""
    )
    threshold = numbers["threshold"]
    assert moved["line"] == pytest.approx(math.log10(threshold) if moved["logX"] else threshold)
    assert moved["roc"]["x"][0] == pytest.approx(numbers["fpr"]) and moved["roc"]["y"][0] == pytest.approx(
        numbers["recall"])  # fmt: skip
    assert moved["pr"]["x"][0] == pytest.approx(numbers["recall"])
    assert moved["pr"]["y"][0] == pytest.approx(numbers["precision"])


def test_leaderboard_row_opens_that_model_with_its_shap_features(page, payloads, tmp_path):
    row = page.locator("#leaderboard tbody tr", has_text="pca").first
    run = int(row.get_attribute("data-run"))
    row.click()
    page.wait_for_function("document.body.dataset.jobReady.includes('pca')", timeout=30_000)
    assert selected(page)[0] == run and "pca" in page.inner_text("#status")
    assert page.locator("#shap-plot .main-svg").count() > 0
    assert "src_bytes" in page.inner_text("#shap-plot")
    assert_agrees_with_netad_metrics(page, payloads)
    rates = page.evaluate("document.getElementById('categories-plot').data[0].x")
    assert any(r is not None and 0 < r <= 1 for r in rates)
    assert page.problems == []


def test_screenshot_of_the_dashboard(page, tmp_path):
    path = _screenshot_dir(tmp_path) / "dashboard.png"
    page.locator("#threshold-slider").fill("2000")
    page.wait_for_timeout(200)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000  # a rendered page, not a blank one


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and (
        b["y"] < a["y"] + a["height"])  # fmt: skip


def test_the_mode_bar_covers_no_title_and_no_metric_button(page, tmp_path):
    """Hovered (so Plotly shows it), each figure's mode bar lies above its title and the leaderboard's buttons."""
    for plot in ("leaderboard", "histogram", "roc", "pr", "categories", "shap"):
        figure = page.locator(f"#{plot}-plot")
        figure.hover()
        modebar = figure.locator(".modebar").bounding_box()
        assert modebar is not None and modebar["width"] > 0, plot
        title = figure.locator(".gtitle").bounding_box()
        assert title is not None and title["width"] > 0, plot
        assert not _overlap(modebar, title), (plot, modebar, title)
        for button in figure.locator(".updatemenu-button").all():
            assert not _overlap(modebar, button.bounding_box()), (plot, modebar)
    assert page.locator("#leaderboard-plot .updatemenu-button").count() == 5  # F1 .. AUPRC
    page.locator("#roc-plot").hover()
    page.locator("#roc-plot").screenshot(path=str(_screenshot_dir(tmp_path) / "dashboard-roc-hovered.png"))


def _screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $NETAD_SCREENSHOT_DIR (kept as test artifacts) or the test's temporary folder."""
    folder = Path(os.environ.get("NETAD_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_leaderboard_axis_names_the_metric_its_buttons_show(page):
    def axis_title() -> str:
        return page.evaluate("document.getElementById('leaderboard-plot').layout.yaxis.title.text")

    assert axis_title().startswith("F1")
    for label in ("AUROC", "precision", "F1"):
        page.locator("#leaderboard-plot .updatemenu-button", has_text=label).first.click()
        page.wait_for_function(
            f"document.getElementById('leaderboard-plot').layout.yaxis.title.text.startsWith('{label}')"
        )
        assert page.locator("#leaderboard-plot .ytitle").text_content().startswith(label)


def test_threshold_box_shows_six_significant_digits_and_keeps_the_exact_value(page, payloads):
    page.locator("#threshold-slider").fill("1500")
    typed = page.input_value("#threshold-input")
    exact = shown(page)["threshold"]
    assert len(typed.replace("-", "").replace(".", "").lstrip("0")) <= 6
    assert float(typed) == pytest.approx(exact, rel=1e-5)
    assert_agrees_with_netad_metrics(page, payloads)  # the live numbers use the exact stop, not the rounded text


def test_category_chart_is_compact_with_its_legend_on_top(page):
    figure = page.evaluate(
        """() => { const e = document.getElementById('categories-plot');
                   return {bars: e.data[0].y.length, groups: e.layout.meta.groups, height: e.layout.height}; }"""
    )
    assert figure["bars"] == len(figure["groups"]) <= 17  # normal + 15 largest attack categories + the rest
    assert sum(len(g) for g in figure["groups"]) == len(set(sum(figure["groups"], [])))  # each category once
    box = page.locator("#categories-plot").bounding_box()
    assert box["height"] < 600
    legend = page.locator("#categories-plot .legend").bounding_box()
    plot_area = page.locator("#categories-plot .nsewdrag").first.bounding_box()
    assert legend["y"] + legend["height"] <= plot_area["y"] + 1  # above the bars, not far below them
