"""The model directory: file names, limits, the integrity checks made before anything is parsed, and the writes.

Every file is written atomically (:mod:`netad.files`); ``model.json`` last, so an interrupted save is never loaded.
Every file read is first checked to be a regular file inside the directory (no link, nothing outside) and, except
``model.json``, to have the sha256 that ``model.json`` records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from netad.errors import NetadInputError
from netad.files import regular_file_inside, write_bytes

logger = logging.getLogger(__name__)

FORMAT = "netad-model"
FORMAT_VERSION = 2
"""1: preprocessor encoder saved as its categories (rebuilt by a fit); 2: every fitted attribute saved as data."""
MODEL_FILE = "model.json"
PREPROCESSOR_JSON = "preprocessor.json"
PREPROCESSOR_ARRAYS = "preprocessor.safetensors"
DETECTOR_JSON = "detector.json"
DETECTOR_ARRAYS = "detector.safetensors"
WEIGHTS = "weights.safetensors"
FEATURE_STATS = "feature_stats.safetensors"
SKOPS_SUFFIX = ".skops"
MODEL_FILES = (
    MODEL_FILE,
    PREPROCESSOR_JSON,
    PREPROCESSOR_ARRAYS,
    DETECTOR_JSON,
    DETECTOR_ARRAYS,
    WEIGHTS,
    FEATURE_STATS,
)
"""The files a model may have besides ``<attribute>.skops``: what ``--overwrite`` clears."""

MAX_JSON_BYTES = 256 << 20
MAX_JSON_DEPTH = 64
"""Model JSON is a few levels deep; a file nested deeper is refused before Python recursion is involved."""
MAX_SAFETENSORS_HEADER = 100 << 20
MAX_FEATURES = 1 << 20
"""Upper bound on features in and out of a model: a tampered count must not size an allocation."""


def check_target(directory: Path, overwrite: bool) -> bool:
    """Whether ``directory`` holds files; raises when it does and ``overwrite`` is off."""
    if directory.exists() and not directory.is_dir():
        raise NetadInputError(f"{directory}: exists and is not a directory")
    occupied = directory.is_dir() and any(directory.iterdir())
    if occupied and not overwrite:
        raise NetadInputError(f"{directory}: directory is not empty; pass overwrite=True (--overwrite) to replace")
    return occupied


def prepare_directory(directory: Path, overwrite: bool) -> None:
    """Create ``directory``, or with ``overwrite`` remove the files a model keeps there: the standard names, any
    ``*.skops`` and whatever the previous ``model.json`` listed (links are removed themselves, never followed)."""
    if check_target(directory, overwrite):
        stale = {*MODEL_FILES, *(p.name for p in directory.glob("*" + SKOPS_SUFFIX))}
        previous = directory / MODEL_FILE
        if previous.is_file() and not previous.is_symlink():
            try:
                stale |= {name for name in read_json(previous).get("files", {}) if isinstance(name, str)}
            except NetadInputError:
                pass
        for name in stale:
            path = directory / name
            if Path(name).name == name and (path.is_symlink() or path.is_file()):
                path.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def write_file(directory: Path, name: str, data: bytes, *, overwrite: bool) -> str:
    """Write ``directory/name`` atomically (never through a link); returns its sha256."""
    write_bytes(directory / name, data, overwrite=overwrite, what="model file")
    return hashlib.sha256(data).hexdigest()


def model_file(directory: Path, name: str) -> Path:
    """``directory/name`` after checking it is a regular file inside the directory (before any read)."""
    return regular_file_inside(directory, name)


def read_model_json(directory: Path) -> dict[str, Any]:
    path = directory / MODEL_FILE
    if not path.is_file() and not path.is_symlink():
        raise NetadInputError(f"{path}: missing; {directory} is not a saved netad model (or the save was interrupted)")
    model = read_json(model_file(directory, MODEL_FILE))
    if model.get("format") != FORMAT:
        raise NetadInputError(f"{path}: not a netad model file (format {model.get('format')!r})")
    version = model.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise NetadInputError(f"{path}: bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise NetadInputError(
            f"{path}: written by a newer netad (model format {version}, this netad reads up to {FORMAT_VERSION}); "
            "upgrade netad"
        )
    saved = model.get("versions") or {}
    if isinstance(saved, dict):
        here = library_versions("torch" in saved)
        differ = {k: (v, here.get(k)) for k, v in saved.items() if k in here and here[k] != v and k != "python"}
        if differ:
            logger.warning(
                "%s was saved with other library versions (%s); scores may differ slightly",
                directory,
                ", ".join(f"{k} {a} -> {b}" for k, (a, b) in differ.items()),
            )
    return model


def verified_files(directory: Path, model: Mapping[str, Any]) -> dict[str, str]:
    """The files listed in model.json, each a regular file inside the directory with its recorded sha256."""
    files = require(model, "files", dict, MODEL_FILE)
    for name, digest in files.items():
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..", MODEL_FILE):
            raise NetadInputError(f"{directory / MODEL_FILE}: bad file name {name!r} in 'files'")
        path = directory / name
        if not path.is_file() and not path.is_symlink():
            raise NetadInputError(f"{path}: missing (listed in {MODEL_FILE}); the model directory is incomplete")
        path = model_file(directory, name)  # a link or a file outside is refused before it is read or hashed
        if sha256(path) != digest:
            raise NetadInputError(
                f"{path}: sha256 does not match the one recorded in {MODEL_FILE}; the file was modified or "
                "corrupted after saving"
            )
    if DETECTOR_JSON not in files:
        raise NetadInputError(f"{directory / MODEL_FILE}: does not list {DETECTOR_JSON}; not a complete model")
    unlisted = sorted(p.name for p in directory.iterdir() if p.name not in files and p.name != MODEL_FILE)
    if unlisted:
        logger.warning("%s: ignoring files that are not part of the model: %s", directory, ", ".join(unlisted))
    return dict(files)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a model file: size checked before parsing, nesting depth after (a file nested deeper
    than Python's recursion limit is refused by the parser itself)."""
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise NetadInputError(f"{path}: too large for a model description ({size:,} bytes)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        raise NetadInputError(f"{path}: JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise NetadInputError(f"{path}: not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise NetadInputError(f"{path}: expected a JSON object")
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise NetadInputError(f"{path}: JSON nested {depth:,} levels deep (at most {MAX_JSON_DEPTH}); not a model file")
    return data


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (iterative: no recursion on hostile input)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def require(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise NetadInputError(f"{where}: missing key {key!r}")
    if not isinstance(data[key], kind):
        raise NetadInputError(f"{where}: {key!r} should be a {kind.__name__}, got {type(data[key]).__name__}")
    return data[key]


def netad_version() -> str:
    from netad import __version__

    return __version__


def library_versions(with_torch: bool) -> dict[str, str]:
    import sklearn

    versions = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__}
    if with_torch:
        import torch

        versions["torch"] = torch.__version__
    return versions


def dump_json(data: Any) -> bytes:
    return (json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()
