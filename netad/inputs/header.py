"""The header line of a CSV flow file: column names as the loaders and ``netad score`` see them.

Names are stripped of spaces, quotes and a UTF-8 byte-order mark. A name given twice (the official CIC-IDS-2017
files carry ``Fwd Header Length`` twice) is read as ``name.1`` as pandas does, and always reported in the notes.
"""

from __future__ import annotations

import logging
import os

from netad.errors import NetadInputError
from netad.inputs.opening import InputFile, read_head

logger = logging.getLogger(__name__)


def decode_text(raw: bytes) -> str:
    """UTF-8 (BOM removed), falling back to cp1252 for the Windows-encoded bytes some datasets carry."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def header_names(path: InputFile | str | os.PathLike, *, delimiter: str = ",") -> tuple[list[str], list[str]]:
    """Column names from the first line, and notes on every change made to them (spaces, BOM, duplicates)."""
    where = path.name if isinstance(path, InputFile) else str(path)
    short = where.rsplit("/", 1)[-1]
    head = read_head(path, 1)
    if not head or not head[0].strip():
        raise NetadInputError(f"{where}: file is empty (no header line)")
    raw = [decode_text(c) for c in head[0].split(delimiter.encode())]
    names = [c.strip().strip('"').strip().lstrip("\ufeff") for c in raw]
    notes = []
    if head[0].startswith(b"\xef\xbb\xbf"):
        notes.append(f"{short}: UTF-8 byte-order mark removed from the first column name")
    if any(r != n for r, n in zip(raw, names, strict=True) if not r.startswith("\ufeff")):
        notes.append(f"{short}: leading/trailing spaces removed from column names")
    names, renamed = dedupe(names)
    for original, new, first, again in renamed:
        note = (
            f"{short}: column name {original!r} appears twice (columns #{first + 1} and #{again + 1}); "
            f"the second is read as {new!r}"
        )
        notes.append(note)
        logger.warning("%s", note)
    return names, notes


def dedupe(names: list[str]) -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Names with repeats renamed ``name.1``, ``name.2`` (as pandas), and (name, new name, first position,
    repeat position) for each rename."""
    out = list(names)
    first: dict[str, int] = {}
    used = set(names)
    renamed = []
    for i, name in enumerate(names):
        if name not in first:
            first[name] = i
            continue
        k = 1
        while f"{name}.{k}" in used:
            k += 1
        out[i] = f"{name}.{k}"
        used.add(out[i])
        renamed.append((name, out[i], first[name], i))
    return out, renamed
