"""Detector names -> classes, imported lazily so listing detectors never imports torch."""

from __future__ import annotations

import importlib
from typing import Any

from netad.errors import NetadInputError

# name -> (module, class, one-line description)
_DETECTORS: dict[str, tuple[str, str, str]] = {}


def register(name: str, module: str, class_name: str, description: str) -> None:
    """Add a detector to the registry (names are lower-case with hyphens)."""
    _DETECTORS[name] = (module, class_name, description)


def available() -> dict[str, str]:
    """Registered detector names and their descriptions."""
    return {name: spec[2] for name, spec in sorted(_DETECTORS.items())}


def is_known(name: str) -> bool:
    """Whether ``name`` is a registered detector or addresses a peer library (``pyod:ECOD``, ``deepod:DevNet``)."""
    from netad.detectors.peers import is_peer_name

    return name in _DETECTORS or is_peer_name(name)


def get_class(name: str) -> type:
    """The detector class registered under ``name`` (``PeerDetector`` for ``pyod:``/``deepod:`` names)."""
    from netad.detectors.peers import is_peer_name

    if is_peer_name(name):
        from netad.detectors.peers import PeerDetector, resolve, split_name

        resolve(*split_name(name))  # fails early, naming the pip command, when the library is missing
        return PeerDetector
    if name not in _DETECTORS:
        raise NetadInputError(f"unknown detector {name!r}; available: {', '.join(sorted(_DETECTORS))}")
    module, class_name, _ = _DETECTORS[name]
    return getattr(importlib.import_module(module), class_name)


def make(name: str, **params: Any) -> Any:
    """A new detector by registered name, e.g. ``make("iforest", n_estimators=200, random_state=0)``.

    ``pyod:MODEL`` and ``deepod:MODEL`` build a :class:`netad.detectors.peers.PeerDetector`; parameters other
    than ``threshold``, ``random_state`` and ``n_threads`` go to the peer class.
    """
    from netad.detectors.peers import is_peer_name

    if is_peer_name(name):
        from netad.detectors.peers import make_peer

        return make_peer(name, **params)
    cls = get_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise NetadInputError(f"detector {name!r}: {exc}") from None
