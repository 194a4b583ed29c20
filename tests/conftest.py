"""Shared fixtures: the real data in ../shared/data (NETAD_DATA) and a private cache per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NETAD_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The directory of real datasets (xz files as shipped); tests needing it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def _netad_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point NETAD_DATA at the shared data and NETAD_CACHE at a fresh folder, for every test."""
    cache = tmp_path_factory.mktemp("netad-cache")
    old = {k: os.environ.get(k) for k in ("NETAD_DATA", "NETAD_CACHE")}
    if SHARED_DATA.is_dir():
        os.environ["NETAD_DATA"] = str(SHARED_DATA)
    os.environ["NETAD_CACHE"] = str(cache)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def shared_bench_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small benchmark run per test session, shared read-only (copy it before changing it): iforest and pca
    on the NSL-KDD sample shipped with netad, seeds 0 and 1, p99 and best-f1 thresholds."""
    from netad.bench import run

    out = tmp_path_factory.getbasetemp() / "shared-bench-nsl-kdd-sample-iforest-pca"
    result = run("nsl-kdd-sample", "iforest,pca", seeds=[0, 1], threshold="p99,best-f1", out=out,
                 max_train=3000, n_jobs=1, overwrite=True)  # fmt: skip
    assert not result.errors
    return out
