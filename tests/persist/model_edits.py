"""Edits a tampered model directory is made of, for the persist tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def copy_model(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def rewrite_listed_hash(model_dir: Path, file_name: str) -> None:
    """What an attacker able to edit model.json would do: record the sha256 of the replaced file."""
    model = json.loads((model_dir / "model.json").read_text())
    model["files"][file_name] = hashlib.sha256((model_dir / file_name).read_bytes()).hexdigest()
    (model_dir / "model.json").write_text(json.dumps(model))


def edit_model_json(model_dir: Path, edit) -> None:
    model = json.loads((model_dir / "model.json").read_text())
    edit(model)
    (model_dir / "model.json").write_text(json.dumps(model))
