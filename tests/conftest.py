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


# MANIFEST.md, cicids2017-improved/: the class-wise sample, file -> sha256 of the uncompressed CSV
CICIDS2017_IMPROVED_SHA256 = {
    "BENIGN_5000.csv.xz": "4eb03c14763fe5ff4f58e713e39ad930cfdec264e8d5262b4acd6df3227298ae",
    "Botnet_736.csv.xz": "55b49f70d1d7df13644a3d5f01abb742e35cda5d952ee43c737eaa38a1a6ea79",
    "DDoS_5000.csv.xz": "36eb4d2851997237b4b13e9f4c8175563d5236c784dcf7247b7b46b08dc62815",
    "DoS_GoldenEye_5000.csv.xz": "cb6f7b734168b643153cd45ce7f552e8b073b5b8a744c1a2a02763212d2cec6c",
    "DoS_Hulk_5000.csv.xz": "64789076d2559ce1e4bead0fcbe2b806de2b3c5cd97771705295cafd3ed0cfb7",
    "DoS_Slowhttptest_1740.csv.xz": "4159ba005254aa8b0a0c04b47844f2221369279eedf19308fa9875cc075f3534",
    "DoS_Slowloris_3859.csv.xz": "8114bfec656df7e8c4b9d539640ad3b01ad50794a2faa9fb0ccf5884ca03f157",
    "FTP-Patator_3972.csv.xz": "73355b1584316393ec7b367407db0e2914d18692eff3bd7b9cc91ed89daa8145",
    "Heartbleed_11.csv.xz": "bf610cc626325778dda3e54b431cc60142f6b8bffedb1f9b8a7f9481a673ea55",
    "Infiltration_-_Portscan_5000.csv.xz": "1a7a6a0906995f2eb6f2ea951b3d4ee024010e9e15783efb0a19c3c04876308d",
    "Infiltration_36.csv.xz": "3cd57b9cd7a7a9f7fa98f2c4d2147febafe551cc9d9b86a949a6947cda576beb",
    "Portscan_5000.csv.xz": "022a5885f6704f8c4ab0ef888b31e5ee1aef46b6c64fe6b3c039e51f93f31c96",
    "SSH-Patator_2961.csv.xz": "07319168e4435ea24439f64ece1dcf64ad1c2c58cce9e062e9cba757aea94709",
    "Web_Attack_-_Brute_Force_73.csv.xz": "d244df46f686a48ded36b0328ad14e80beee1c5560fede0e3f07cea02ee030d9",
    "Web_Attack_-_SQL_Injection_13.csv.xz": "aca6ed973bf1ace011a44ddfc3914393895828666314a018e7581e27343be1e0",
    "Web_Attack_-_XSS_18.csv.xz": "51ffc2d6d24497e11768b2b80beca3a15353d76c3e28f5c98affc24e8affb94e",
}


@pytest.fixture(scope="session")
def improved_files(shared_data: Path):
    """``pick(names=None)``: the named files of the improved CIC-IDS-2017 sample (all 16 by default) as a
    ``files=`` option, each checked against its MANIFEST sha256, so a test never reads whatever else is there."""
    import hashlib
    import lzma

    checked: set[str] = set()

    def pick(names: list[str] | None = None) -> list[str]:
        names = list(CICIDS2017_IMPROVED_SHA256) if names is None else list(names)
        for name in names:
            path = shared_data / "cicids2017-improved" / name
            if not path.is_file():
                pytest.skip(f"real data file not found: {path}")
            if name not in checked:
                digest = hashlib.sha256(lzma.decompress(path.read_bytes())).hexdigest()
                assert digest == CICIDS2017_IMPROVED_SHA256[name], f"{path}: sha256 {digest} is not the MANIFEST's"
                checked.add(name)
        return names

    return pick


@pytest.fixture(scope="session")
def cicids_improved(improved_files):
    """The whole improved CIC-IDS-2017 sample (16 pinned files, 43,419 rows), loaded once per session."""
    from netad.datasets import load

    return load("cicids2017-improved", files=improved_files())
