"""The fair UNSW-NB15 benchmark's tuning budget: every classical detector gets as many configurations as the AE."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def fair():
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling unsw_nb15.py
    try:
        spec = importlib.util.spec_from_file_location("netad_benchmark_unsw_fair", BENCHMARKS / "unsw_nb15_fair.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_ae_budget_counts_its_distinct_tuning_settings(fair):
    budget, runs = fair.ae_budget()
    assert runs == 37  # rounds 1-3 of unsw_nb15.tuning_variants, as in its report's tuning table
    assert budget == 34  # two round-2 and one round-3 variant repeat an earlier setting
    assert len(fair.ae_tuning_auroc()) == runs


@pytest.mark.parametrize("detector", ["iforest", "ocsvm", "lof", "elliptic", "pca"])
def test_every_classical_detector_gets_the_ae_budget_of_distinct_buildable_configurations(fair, detector):
    from netad.detectors import make
    from netad.preprocess import FlowPreprocessor

    budget = fair.ae_budget()[0]
    configs = fair.classical_configurations(detector, budget)
    assert len(configs) == budget
    assert configs[0]["params"] == {} and configs[0]["preprocess"] == fair.BASE_PREPROCESS
    keys = {json.dumps([c["params"], c["preprocess"]], sort_keys=True, default=str) for c in configs}
    assert len(keys) == budget  # no configuration counted twice
    assert len({c["name"] for c in configs}) == budget
    for config in configs:
        make(detector, **config["params"])  # every parameter is one the detector takes
        FlowPreprocessor(**config["preprocess"])
    assert configs == fair.classical_configurations(detector, budget)  # seeded: the same draw every time
