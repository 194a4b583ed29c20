"""The binary formats of a model directory, none of which can hold code: safetensors (arrays, tensors, network
weights) and skops (scikit-learn estimators, rebuilt only from an allow-list of scikit-learn/numpy classes)."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from netad.errors import NetadInputError
from netad.persist.layout import MAX_SAFETENSORS_HEADER

TRUSTED_TYPE_PACKAGES = ("sklearn", "numpy")
"""skops may rebuild classes from these packages only (checked one by one, never ``trusted=True``)."""

MAX_SKOPS_UNCOMPRESSED = 8 << 30
"""A skops archive that would inflate beyond this (a zip bomb) is refused before it is unpacked."""


def safetensors_bytes(arrays: Mapping[str, np.ndarray], what: str) -> bytes:
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata={"netad": what})


def check_safetensors(path: Path) -> None:
    """A clear error for a file that is not safetensors (e.g. a pickle renamed), before parsing it."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(9)
    header_length = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if len(head) < 9 or not 2 <= header_length <= min(size - 8, MAX_SAFETENSORS_HEADER) or head[8:9] != b"{":
        raise NetadInputError(f"{path}: not a safetensors file (bad header); refusing to read it")


def load_safetensors(path: Path, framework: str = "numpy") -> dict[str, Any]:
    check_safetensors(path)
    try:
        if framework == "pt":
            from safetensors.torch import load_file

            return load_file(path, device="cpu")
        from safetensors.numpy import load_file

        return load_file(path)
    except Exception as exc:  # safetensors raises its own error types for malformed content
        raise NetadInputError(f"{path}: unreadable safetensors file ({exc})") from None


def module_bytes(module: Any) -> bytes:
    from safetensors.torch import save

    state = module.state_dict()
    # clone: tied parameters share storage, which safetensors refuses; values are what matters here
    return save({k: v.detach().cpu().clone().contiguous() for k, v in state.items()})


def trusted_type(name: str) -> bool:
    """Whether skops may rebuild ``name``: a class (not a function) defined in scikit-learn or numpy."""
    module_name, _, attribute = name.rpartition(".")
    if module_name.split(".")[0] not in TRUSTED_TYPE_PACKAGES or not attribute:
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    return isinstance(getattr(module, attribute, None), type)


def skops_io() -> Any:
    """:mod:`skops.io`, imported without importing torch.

    At import skops walks every scikit-learn submodule, and scikit-learn's array-API shim for torch imports
    torch (seconds and ~250 MB, for nothing when the model is a scikit-learn one). The shim is hidden during
    that import only (``pkgutil.walk_packages`` skips a module that fails to import); it stays importable later.
    """
    if "skops.io" not in sys.modules and "torch" not in sys.modules:
        shim = "sklearn.externals.array_api_compat.torch"
        hidden = shim not in sys.modules
        if hidden:
            sys.modules[shim] = None  # type: ignore[assignment]
        try:
            import skops.io  # noqa: F401
        finally:
            if hidden and sys.modules.get(shim, False) is None:
                del sys.modules[shim]
    import skops.io as sio

    return sio


def load_skops(path: Path) -> Any:
    sio = skops_io()

    if not zipfile.is_zipfile(path):
        raise NetadInputError(f"{path}: not a skops file (not a zip archive); refusing to read it")
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise NetadInputError(f"{path}: unreadable skops file ({exc})") from None
    if inflated > MAX_SKOPS_UNCOMPRESSED:
        raise NetadInputError(
            f"{path}: would unpack to {inflated:,} bytes (at most {MAX_SKOPS_UNCOMPRESSED:,}); refusing to read it"
        )
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise NetadInputError(f"{path}: unreadable skops file ({exc})") from None
    refused = [t for t in untrusted if not trusted_type(t)]
    if refused:
        raise NetadInputError(
            f"{path}: contains types outside the allow-list (scikit-learn/numpy classes): {refused}; refusing to load"
        )
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise NetadInputError(f"{path}: unreadable skops file ({exc})") from None
