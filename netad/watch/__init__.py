"""``netad watch``: live traffic or captures -> flows -> scores, host rules and drift -> EVE-style JSON lines.

- :mod:`netad.watch.stream`: the loop (NFStream reader thread, micro-batches, stop on signals);
- :mod:`netad.watch.scoring`: NFStream columns -> the model's columns -> scores and top features;
- :mod:`netad.watch.hosts`: per-source sliding windows and scan / brute-force rules;
- :mod:`netad.watch.drift`: score PSI and feature shift per window;
- :mod:`netad.watch.adapt`: opt-in refits on recent normal-looking flows when drift fires;
- :mod:`netad.watch.eve`: the records (schema: ``eve_anomaly.schema.json``); :mod:`netad.watch.sinks`: outputs.

>>> stats = watch("models/iforest", [RotatingFileSink("alerts.jsonl")], pcaps=["capture.pcap"])  # doctest: +SKIP
"""

from netad.watch.adapt import AdaptSettings
from netad.watch.drift import DriftSettings
from netad.watch.hosts import HostRules
from netad.watch.sinks import RotatingFileSink, StreamSink
from netad.watch.stream import WatchSettings, WatchStats, watch

__all__ = [
    "AdaptSettings",
    "DriftSettings",
    "HostRules",
    "RotatingFileSink",
    "StreamSink",
    "WatchSettings",
    "WatchStats",
    "watch",
]
