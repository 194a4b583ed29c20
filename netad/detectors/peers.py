"""Peer detectors: any PyOD or DeepOD model run under netad's contract, so benchmarks compare like with like.

``make("pyod:ECOD")`` or ``make("deepod:DevNet", epochs=10)`` returns a :class:`PeerDetector`. It fits the peer on
netad's preprocessed float32 arrays, uses the peer's own outlier score (higher = more anomalous, as in netad) and
sets ``threshold_`` with netad's threshold strategies, so ``netad bench`` splits, preprocesses, thresholds and
scores a peer exactly as it does a netad detector.

Install: ``pip install "netad[peers]"`` (PyOD and DeepOD's runtime dependencies), then DeepOD itself without its
dependency pins, which ask for torch < 1.13.1: ``pip install --no-deps deepod==0.4.1``.

What the adapter sets, unless the caller passes the parameter (``--param deepod:DevNet.epochs=100``):

- seeds: the job's ``random_state`` goes to the peer's ``random_state`` (or ``random_seed``);
- threads: torch (and BLAS, through threadpoolctl) use ``n_threads`` threads (default 1) during fit and scoring;
- CPU and quiet: ``device="cpu"``, ``verbose=0`` where the peer takes them; anything a peer still prints, and
  the warnings it raises, go to the debug log;
- ``FAST_DEFAULTS`` below: fewer epochs than the libraries' defaults for DeepOD models and PyOD's DeepSVDD
  (100 -> 20), so a 3-seed leaderboard over four datasets fits a CPU budget. Pass ``epochs`` to restore them.

Supervision comes from the peer: DeepOD's DevNet, DeepSAD, PReNet, FeaWAD and RoSAS and PyOD's DevNet are
weakly-supervised (``fit(X, y)``, y = 1 marks the few known anomalies, 0 = unlabelled); PyOD's XGBOD is
supervised; every other peer is unsupervised. Peers cannot be saved: their state is arbitrary Python objects that
only pickle can write, and netad never writes or reads pickle (``save`` raises).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import logging
import random
import re
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from netad.detectors.base import BaseDetector
from netad.errors import NetadInputError

logger = logging.getLogger(__name__)

LIBRARIES = ("pyod", "deepod")
INSTALL_HINT = {
    "pyod": 'pip install "netad[peers]"',
    "deepod": 'pip install "netad[peers]" && pip install --no-deps deepod==0.4.1',
}

WEAKLY_SUPERVISED = {
    "deepod": {"DevNet", "DeepSAD", "PReNet", "FeaWAD", "RoSAS"},
    "pyod": {"DevNet"},
}
SUPERVISED = {"pyod": {"XGBOD"}, "deepod": set()}

FAST_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("pyod", "DeepSVDD"): {"epochs": 20},
    **{
        ("deepod", name): {"epochs": 20}
        for name in (
            "DeepSVDD",
            "DeepSAD",
            "DevNet",
            "PReNet",
            "FeaWAD",
            "RoSAS",
            "RCA",
            "RDP",
            "REPEN",
            "GOAD",
            "ICL",
            "NeuTraL",
            "SLAD",
            "DeepIsolationForest",
        )  # fmt: skip
    },
}
"""(library, model) -> parameters netad sets unless the caller gives them (documented above)."""

ALIASES = {("deepod", "DIF"): "DeepIsolationForest"}
"""Short names users type -> the class name in the library."""

_OWN_PARAMS = ("threshold", "random_state", "n_threads")


def is_peer_name(name: str) -> bool:
    """Whether ``name`` addresses a peer library (``pyod:...`` or ``deepod:...``)."""
    prefix, sep, _ = name.partition(":")
    return bool(sep) and prefix.lower() in LIBRARIES


def split_name(name: str) -> tuple[str, str]:
    """``"pyod:ECOD"`` -> ``("pyod", "ECOD")``; an unknown prefix or empty model is an error."""
    prefix, sep, model = name.partition(":")
    library = prefix.lower()
    if not sep or library not in LIBRARIES or not model.strip():
        raise NetadInputError(f"peer detector {name!r}: expected pyod:MODEL or deepod:MODEL, e.g. pyod:ECOD")
    return library, model.strip()


def _require(library: str) -> Any:
    """Import the peer library, or raise an error naming the pip command that installs it."""
    try:
        return importlib.import_module(library)
    except ImportError as exc:
        raise NetadInputError(
            f"peer detectors '{library}:...' need {library}, which is not installed ({exc}); install it with: "
            f"{INSTALL_HINT[library]}"
        ) from None


@lru_cache(maxsize=1)
def _pyod_index() -> dict[str, str]:
    """PyOD class name -> module, read from the source files (importing every model would pull optional extras)."""
    _require("pyod")
    spec = importlib.util.find_spec("pyod.models")
    index: dict[str, str] = {}
    for folder in spec.submodule_search_locations or []:
        for path in sorted(Path(folder).glob("*.py")):
            if path.stem.startswith("_") or path.stem in ("base", "base_dl", "sklearn_base", "combination"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in re.finditer(r"^class (\w+)\((?:BaseDetector|BaseDeepLearningDetector)\b", text, re.M):
                index.setdefault(match.group(1), f"pyod.models.{path.stem}")
    return index


def _deepod_names() -> list[str]:
    tabular = importlib.import_module("deepod.models.tabular")
    return sorted(getattr(tabular, "__all__", []))


def available_peers(library: str | None = None) -> dict[str, str]:
    """Installed peer detectors, ``"pyod:ECOD"`` -> supervision; a library that is not installed is skipped."""
    found: dict[str, str] = {}
    for lib in [library] if library else LIBRARIES:
        if importlib.util.find_spec(lib) is None:
            continue
        names = sorted(_pyod_index()) if lib == "pyod" else _deepod_names()
        for name in names:
            found[f"{lib}:{name}"] = peer_supervision(lib, name)
    return found


def resolve(library: str, model: str) -> type:
    """The peer class for ``model`` (case-insensitive; ``deepod:DIF`` = DeepIsolationForest)."""
    _require(library)
    model = ALIASES.get((library, model), ALIASES.get((library, model.upper()), model))
    if library == "pyod":
        index = _pyod_index()
        names = list(index)
    else:
        names = _deepod_names()
    exact = {n.lower(): n for n in names}
    name = model if model in names else exact.get(model.lower())
    if name is None:
        raise NetadInputError(
            f"{library} has no detector {model!r}; available: {', '.join(names)} (see `netad detectors --peers`)"
        )
    if library == "pyod":
        try:
            module = importlib.import_module(_pyod_index()[name])
        except ImportError as exc:
            raise NetadInputError(f"pyod:{name} needs an optional dependency of PyOD that is missing: {exc}") from None
        return getattr(module, name)
    return getattr(importlib.import_module("deepod.models.tabular"), name)


def peer_supervision(library: str, model: str) -> str:
    """netad's supervision kind for a peer model name."""
    model = ALIASES.get((library, model), model)
    if model in WEAKLY_SUPERVISED.get(library, ()):
        return "weakly-supervised"
    if model in SUPERVISED.get(library, ()):
        return "supervised"
    return "unsupervised"


NON_TABLE_INPUT = (
    ("pyod.models.pyg_", "graph"),
    ("pyod.models.ts_", "time-series"),
    ("pyod.models.audio", "audio"),
    ("pyod.models.embedding", "text/image embedding"),
)
"""PyOD module prefixes of models that do not take a feature table, and the input they need instead."""


def peer_input(name: str) -> str:
    """``"table"`` when peer ``name`` (``pyod:ECOD``) takes a feature table like netad's flows; otherwise the input
    it needs (``"graph"``, ``"time-series"``, ``"audio"``, ``"text/image embedding"``). Read from PyOD's module
    names, without importing the model."""
    library, model = split_name(name)
    if library != "pyod":
        return "table"  # DeepOD's peers are its tabular models (deepod.models.tabular)
    module = _pyod_index().get(model, "")
    return next((kind for prefix, kind in NON_TABLE_INPUT if module.startswith(prefix)), "table")


def make_peer(name: str, **params: Any) -> PeerDetector:
    """A :class:`PeerDetector` for ``name``: netad's own options stay on it, everything else goes to the peer.

    The peer class and its parameter names are checked here, so a typo fails before any job runs.
    """
    library, model = split_name(name)
    cls = resolve(library, model)
    kind = peer_input(f"{library}:{cls.__name__}")
    if kind != "table":
        raise NetadInputError(
            f"{name} takes {kind} input, not a flow table; `netad detectors --peers` lists the peers netad can run"
        )
    own = {key: params.pop(key) for key in _OWN_PARAMS if key in params}
    accepted = _init_parameters(cls)
    unknown = [key for key in params if key not in accepted]
    if unknown:
        raise NetadInputError(
            f"detector {name!r}: {cls.__name__} takes no parameter(s) {unknown}; it takes {sorted(accepted)}"
        )
    return PeerDetector(library=library, model=cls.__name__, params=params or None, **own)


def accepted_parameters(name: str) -> set[str]:
    """Every parameter ``make(name, ...)`` accepts for a peer: the adapter's own and the peer class's."""
    return set(_OWN_PARAMS) | _init_parameters(resolve(*split_name(name)))


def _init_parameters(cls: type) -> set[str]:
    signature = inspect.signature(cls.__init__)
    return {p.name for p in signature.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD}


@contextlib.contextmanager
def _quiet_and_local(n_threads: int | None) -> Iterator[None]:
    """Limit torch/BLAS threads, keep the caller's global RNGs (DeepOD reseeds them) and catch peer prints."""
    import torch
    from threadpoolctl import threadpool_limits

    from netad.nn import thread_limit

    # DeepOD seeds numpy's and Python's global generators: save and restore them around the peer
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    captured = io.StringIO()
    limits = threadpool_limits(limits=int(n_threads)) if n_threads else contextlib.nullcontext()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with thread_limit(n_threads), limits, torch.random.fork_rng(devices=[]):
                with contextlib.redirect_stdout(captured):
                    yield
        finally:
            np.random.set_state(numpy_state)  # noqa: NPY002
            random.setstate(python_state)
    if captured.getvalue().strip():
        logger.debug("peer output:\n%s", captured.getvalue().strip())
    for warning in caught:
        logger.debug("peer warning: %s: %s", warning.category.__name__, warning.message)


class PeerDetector(BaseDetector):
    """A PyOD or DeepOD detector behind netad's contract (see the module docstring).

    Parameters
    ----------
    library
        ``"pyod"`` or ``"deepod"``.
    model
        The peer's class name, e.g. ``"ECOD"``, ``"AutoEncoder"``, ``"DevNet"``.
    params
        Parameters of the peer class (on top of the adapter's defaults).
    threshold
        netad threshold strategy for ``threshold_`` (the peer's own contamination threshold is not used).
    random_state
        Seed passed to the peer.
    n_threads
        torch and BLAS threads during fit and scoring (None leaves the process setting).
    """

    def __init__(
        self,
        library: str = "pyod",
        model: str = "ECOD",
        params: dict[str, Any] | None = None,
        threshold: Any = "p99",
        random_state: int | None = None,
        n_threads: int | None = 1,
    ) -> None:
        self.library = library
        self.model = model
        self.params = params
        self.threshold = threshold
        self.random_state = random_state
        self.n_threads = n_threads

    @property
    def supervision(self) -> str:  # type: ignore[override]
        """Set by the peer model: weakly-supervised DeepOD models need y (see the module docstring)."""
        return peer_supervision(self.library, self.model)

    @property
    def name(self) -> str:
        """The name this detector is made from, e.g. ``"pyod:ECOD"``."""
        return f"{self.library}:{self.model}"

    def peer_params(self, n_features: int) -> dict[str, Any]:
        """The keyword arguments the peer class is built with: adapter defaults, then the caller's ``params``."""
        cls = resolve(self.library, self.model)
        accepted = _init_parameters(cls)
        chosen: dict[str, Any] = {}
        for key, value in (("device", "cpu"), ("verbose", 0), ("n_features", n_features)):
            if key in accepted:
                chosen[key] = value
        chosen.update(FAST_DEFAULTS.get((self.library, cls.__name__), {}))
        for key in ("random_state", "random_seed"):
            if key in accepted and self.random_state is not None:
                chosen[key] = int(self.random_state)
                break
        chosen.update(self.params or {})
        return {key: value for key, value in chosen.items() if key in accepted}

    def _fit(self, X: np.ndarray, y: np.ndarray | None) -> None:
        cls = resolve(self.library, self.model)
        with _quiet_and_local(self.n_threads):
            peer = cls(**self.peer_params(X.shape[1]))
            if y is None:
                peer.fit(X)
            else:
                peer.fit(X, y.astype(np.int64))
        self.peer_ = peer

    def _score(self, X: np.ndarray) -> np.ndarray:
        with _quiet_and_local(self.n_threads):
            scores = self.peer_.decision_function(X)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(scores) != len(X):
            raise RuntimeError(f"{self.name} returned {len(scores)} scores for {len(X)} rows")
        return scores

    def _save_refusal(self) -> str | None:
        """Peers cannot be saved: their fitted state is arbitrary objects that only pickle writes."""
        return (
            f"cannot save {self.name}: peer detectors (PyOD/DeepOD) hold state that only pickle can write, and netad "
            "never writes pickle; refit it from its parameters, or save a netad detector"
        )
