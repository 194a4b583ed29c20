"""Fixtures of the dashboard tests: a small real benchmark run (with a SHAP output), a served dashboard and
one headless Chromium (Debian's package, driven by Playwright) reused by every browser test of a module."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

MAX_POINTS = 3000  # below the test set's size, so the served sample really is a sample


def chromium_path() -> str | None:
    """Debian's chromium (installed by `make test` when missing); None when absent."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def skip_or_fail(reason: str) -> None:
    """Skip a browser test with ``reason``, or fail when NETAD_REQUIRE_BROWSER=1 (CI on a machine with chromium)."""
    if os.environ.get("NETAD_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def write_shap_output(folder: Path, dataset: str, detector: str, seed: int, features: dict[str, float]) -> Path:
    """A `netad explain` output folder (alerts.json context + mean_abs_shap.csv), as netad.explain writes them."""
    from netad.explain import Explanation

    names = list(features)
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=(4, len(names)))
    values = signs * np.array([features[n] for n in names])
    explanation = Explanation(values, np.zeros(4), values.copy(), names, values.sum(axis=1), "permutation")
    folder.mkdir(parents=True)
    explanation.mean_abs().to_csv(folder / "mean_abs_shap.csv", index=False)
    context = {"dataset": dataset, "protocol": "novelty", "detector": detector, "seed": seed, "alerts": [],
               "threshold_strategy": "p99", "threshold": 1.0, "method": "permutation", "n_alerts": 4}  # fmt: skip
    (folder / "alerts.json").write_text(json.dumps(context))
    return folder


@pytest.fixture(scope="session")
def max_points() -> int:
    return MAX_POINTS


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory, shared_bench_run: Path) -> Path:
    """iforest and pca on the NSL-KDD sample shipped with netad, seeds 0 and 1, p99 and best-f1 thresholds, with
    a SHAP output for pca (seed 0)."""
    out = tmp_path_factory.mktemp("dashboard") / "bench"
    shutil.copytree(shared_bench_run, out)
    write_shap_output(out / "explain-pca", "nsl-kdd-sample", "pca", 0,
                      {"src_bytes": 0.9, "dst_host_srv_count": 0.5, "count": 0.2, "service": 0.1})  # fmt: skip
    return out


@pytest.fixture(scope="session")
def second_run_dir(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``run_dir`` under another name: the dashboard must keep two runs apart."""
    out = tmp_path_factory.mktemp("dashboard2") / "bench-copy"
    shutil.copytree(run_dir, out)
    return out


@pytest.fixture(scope="module")
def server(run_dir: Path, second_run_dir: Path):
    from netad.dashboard.server import make_server

    served = make_server([run_dir, second_run_dir], port=0, max_points=MAX_POINTS)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (Playwright with the system browser: no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('browser tests need playwright: pip install -e ".[dev]"')
    executable = chromium_path()
    if executable is None:
        skip_or_fail("browser tests need Debian's chromium: `make test` installs it as root (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()
