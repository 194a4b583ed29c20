"""What labels a detector learns from: the supervision kinds shared by protocols and detectors.

A neutral module (it imports nothing from netad) so that both the split protocols and the detector contract can
name the kinds without importing each other.
"""

from __future__ import annotations

from enum import Enum


class Supervision(str, Enum):
    """The labels a detector's ``fit(X, y)`` uses; the value is the name used everywhere (CLI, config, peers)."""

    UNSUPERVISED = "unsupervised"  # y ignored: fit on normal (or contaminated) rows
    SEMI_SUPERVISED = "semi-supervised"  # y = 1 marks known anomalies, 0 normal or unlabelled
    WEAKLY_SUPERVISED = "weakly-supervised"  # y = 1 marks a few labelled anomalies, 0 unlabelled
    SUPERVISED = "supervised"  # y holds both classes


SUPERVISION_KINDS = tuple(kind.value for kind in Supervision)

LABEL_MEANING = {
    Supervision.SEMI_SUPERVISED.value: "0 = normal or unlabelled, 1 = known anomaly",
    Supervision.WEAKLY_SUPERVISED.value: "0 = unlabelled, 1 = labelled anomaly",
    Supervision.SUPERVISED.value: "0 = normal, 1 = attack, both present",
}
