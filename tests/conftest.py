"""Shared fixtures: the real data of ../shared/data (or $NETAD_DATA), seen through a view of pinned files only.

Tests never depend on what else lies in the shared folder: the session builds a private folder holding exactly the
files of ``PINNED`` whose sha256 matches, and points ``NETAD_DATA`` at it. A test (or module) declares the data it
needs with ``@pytest.mark.needs_data("unsw-nb15", ...)`` (a key of ``DATASETS`` or a path of ``PINNED``); when a
file is missing it is skipped naming the file, or fails when ``NETAD_REQUIRE_DATA=1`` (as in CI).
"""

from __future__ import annotations

import functools
import hashlib
import lzma
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_DATA = Path(os.environ.get("NETAD_DATA") or REPO.parent / "shared" / "data").expanduser()
REQUIRE_DATA = os.environ.get("NETAD_REQUIRE_DATA") == "1"

# path under the data folder -> sha256 of the uncompressed file (sha256sum format; as in ../shared/data/MANIFEST.md)
PINNED = dict(line.split()[::-1] for line in (REPO / "tests" / "shared_data.sha256").read_text().splitlines() if line)


# what a dataset name in ``needs_data`` stands for: the files its loader reads in the pinned view
DATASETS = {
    "nsl-kdd": ["nsl-kdd/KDDTrain+.txt.xz", "nsl-kdd/KDDTest+.txt.xz"],
    "nsl-kdd-21": ["nsl-kdd/KDDTrain+.txt.xz", "nsl-kdd/KDDTest-21.txt.xz"],
    "unsw-nb15": ["unsw-nb15/UNSW_NB15_training-set.csv.xz"],
    "cicids2017": [p for p in PINNED if p.startswith("cicids2017/")],
    "cicids2017-improved": [p for p in PINNED if p.startswith("cicids2017-improved/")],
    "kddcup99": ["kddcup99/kddcup.data_10_percent.xz"],
    "kddcup99-dagmm": ["kddcup99/kdd_cup.npz"],
    # the loaders read every capture of a folder: the view holds only capture 34-1, the one the tests count
    "iot23": ["iot23/CTU-IoT-Malware-Capture-34-1.conn.log.labeled.xz"],
    # a lab slowloris capture and CICFlowMeter-V4's own flow table for it (the flow-by-flow reference)
    "slowloris": ["pcaps/slowloris.pcap.xz", "pcaps/slowloris.cicflowmeter.csv.xz"],
    # real captures (decompress into a temporary folder to read them)
    "pcaps": [p for p in PINNED if p.startswith("pcaps/") and p.endswith(".pcap.xz")],
}
IN_VIEW = [p for p in PINNED if not p.startswith("iot23/") or p in DATASETS["iot23"]]


def sha256_uncompressed(path: Path) -> str:
    digest = hashlib.sha256()
    with lzma.open(path, "rb") if path.suffix == ".xz" else path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def build_view(view: Path) -> dict[str, str]:
    """Copy each pinned file whose sha256 matches into ``view``; return {path: why it is unusable}."""
    problems = {}
    for relative in PINNED:
        source = SOURCE_DATA / relative
        if not source.is_file():
            problems[relative] = f"{source} is missing"
            continue
        found = sha256_uncompressed(source)
        if found != PINNED[relative]:
            problems[relative] = f"{source} has sha256 {found[:16]}…, the tests pin {PINNED[relative][:16]}…"
            continue
        if relative not in IN_VIEW:
            continue
        target = view / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)  # a copy, not a link: no test can change the shared file through it
    return problems


_VIEW: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_data(*names): the shared data files a test reads (see tests/conftest.py)")


def pytest_sessionstart(session: pytest.Session) -> None:
    view = Path(tempfile.mkdtemp(prefix="netad-data-view-"))
    _VIEW.update(path=view, problems=build_view(view))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "path" in _VIEW:
        shutil.rmtree(_VIEW["path"], ignore_errors=True)


def files_needed(names: tuple[str, ...]) -> list[str]:
    needed = []
    for name in names:
        if name in DATASETS:
            needed += DATASETS[name]
        elif name in PINNED:
            needed.append(name)
        else:
            raise pytest.UsageError(f"needs_data({name!r}): not a dataset of DATASETS nor a file of PINNED")
    return needed


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of the test runs: skip naming the missing files, or fail when NETAD_REQUIRE_DATA=1."""
    names = tuple(name for marker in item.iter_markers("needs_data") for name in marker.args)
    problems = _VIEW["problems"]
    missing = [problems[f] for f in dict.fromkeys(files_needed(names)) if f in problems]
    if not missing:
        return
    reason = "shared data unusable: " + "; ".join(missing) + " (set NETAD_DATA to the folder of ../shared/data)"
    if REQUIRE_DATA:
        pytest.fail(reason + " [NETAD_REQUIRE_DATA=1]", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The pinned view of the real datasets (xz files as shipped). Declare what you read with ``needs_data``."""
    return _VIEW["path"]


@pytest.fixture(scope="session")
def shared_dataset(shared_data: Path) -> Callable[[str], Any]:
    """``netad.datasets.load`` of the pinned view, each dataset loaded once per session whichever module asks
    (treat the result as read-only)."""
    from netad.datasets import load

    return functools.cache(load)


@pytest.fixture(scope="session", autouse=True)
def _netad_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point NETAD_DATA at the pinned view and NETAD_CACHE at a fresh folder, for every test."""
    cache = tmp_path_factory.mktemp("netad-cache")
    old = {k: os.environ.get(k) for k in ("NETAD_DATA", "NETAD_CACHE")}
    os.environ["NETAD_DATA"] = str(_VIEW["path"])
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


@pytest.fixture(scope="session")
def cicids_improved():
    """The improved CIC-IDS-2017 sample of the pinned view (16 files, 43,419 rows), loaded once per session;
    tests using it declare ``needs_data("cicids2017-improved")``."""
    from netad.datasets import load

    return load("cicids2017-improved")
