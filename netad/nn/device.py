"""Where and how torch runs: device choice, CPU thread limits, local seeding and determinism.

Every setting here is scoped: it is applied for the duration of a ``with`` block and restored afterwards, so a
detector's ``fit`` never changes the caller's global torch state (threads, RNG, deterministic mode).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from netad.errors import NetadInputError


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (or None) -> CUDA when available, else CPU; anything else is checked and returned."""
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise NetadInputError(f"device {device!r} is not a torch device ({exc}); use 'auto', 'cpu' or 'cuda'") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise NetadInputError(f"device {device!r} asked for, but CUDA is not available here; use 'auto' or 'cpu'")
    return resolved


@contextlib.contextmanager
def thread_limit(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n_threads)`` (None = leave torch's setting alone)."""
    if n_threads is None:
        yield
        return
    if int(n_threads) < 1:
        raise NetadInputError(f"n_threads must be a positive integer or None, got {n_threads!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def seeded(random_state: int | None, device: torch.device, salt: int = 0) -> Iterator[None]:
    """Seed torch's default generators for the block only (weight init, dropout), then restore them.

    Uses ``torch.random.fork_rng`` so the caller's global RNG state is untouched; with ``random_state=None``
    the block draws from the global generators as usual. ``salt`` gives separate streams for separate
    stages (weight init, training, Monte-Carlo scoring) under one ``random_state``. Deterministic algorithms
    are switched on where the backend supports them (``warn_only``: an op without a deterministic kernel
    warns instead of failing).
    """
    if random_state is None:
        yield
        return
    devices = [device] if device.type == "cuda" else []
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_cudnn = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    with torch.random.fork_rng(devices=devices, device_type=device.type if devices else "cuda"):
        torch.manual_seed(_mix(random_state, salt))
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn_only)
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = previous_cudnn


def _mix(random_state: int, salt: int) -> int:
    """One 63-bit seed per (random_state, stage) pair."""
    return (int(random_state) * 1_000_003 + int(salt)) % (2**63)


def generator(random_state: int | None, salt: int = 0) -> torch.Generator:
    """A local CPU ``torch.Generator`` for shuffling: seeded from ``random_state`` (+ ``salt``), else fresh."""
    g = torch.Generator(device="cpu")
    if random_state is None:
        g.seed()
    else:
        g.manual_seed(_mix(random_state, salt))
    return g
