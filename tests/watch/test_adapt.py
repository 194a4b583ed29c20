"""--adapt: when drift fires, the detector is refitted on unflagged recent flows, saved as a new version that loads
through the safe loader, and the records that follow name it; flagged rows never enter the reservoir."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from netad.errors import NetadInputError
from netad.persist import load_model
from netad.watch import AdaptSettings, DriftSettings, RotatingFileSink, WatchSettings, watch
from netad.watch.adapt import Adapter

pytestmark = pytest.mark.needs_data("cicids2017", "pcaps")


def test_drift_refits_a_new_version_that_later_records_name(iforest_model, captures, tmp_path, validate_records):
    versions = tmp_path / "versions"
    versions.mkdir()
    out = tmp_path / "alerts.jsonl"
    # the IRC capture spans a day at a few flows a minute: 4-hour windows hold a few hundred flows each
    drift = DriftSettings(window_seconds=4 * 3600, min_flows=50)
    settings = WatchSettings(drift=drift, adapt=AdaptSettings(versions, min_rows=200))
    stats = watch(iforest_model, [RotatingFileSink(out)], pcaps=[captures / "CTU-IoT-Malware-Capture-34-1_irc.pcap"],
                  settings=settings)  # fmt: skip
    records = validate_records(out)
    assert stats.models, "no drift window led to a refit"
    first = load_model(stats.models[0])
    assert first.path.name == "iforest-adapt-1"
    assert first.metadata["adapted"]["rows"] >= 200
    assert (
        first.metadata["adapted"]["parent_sha256"]
        == hashlib.sha256((iforest_model / "model.json").read_bytes()).hexdigest()
    )
    named = [r.get("anomaly") or r["drift"] for r in records]  # every record names the model that made it
    assert named[0]["model"] == "iforest"
    sha = hashlib.sha256((first.path / "model.json").read_bytes()).hexdigest()
    adapted = [n for n in named if n["model"] == "iforest-adapt-1"]
    assert adapted and all(n["model_sha256"] == sha for n in adapted)


def test_flagged_rows_never_enter_the_reservoir_and_bad_folders_are_refused(iforest_model, tmp_path):
    model = load_model(iforest_model)
    adapter = Adapter(model, AdaptSettings(tmp_path, reservoir_rows=100, min_rows=10))
    n = len(model.schema.output_features)
    X = np.vstack([np.zeros((300, n), np.float32), np.ones((300, n), np.float32)])
    adapter.add(X, np.r_[np.zeros(300, bool), np.ones(300, bool)])
    assert adapter.size == 100 and adapter.seen == 300 and not adapter.rows.any()
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    with pytest.raises(NetadInputError, match="not a directory"):
        Adapter(model, AdaptSettings(link))
