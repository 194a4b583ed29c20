"""What the service answers when it refuses a request: an HTTP status and a FastAPI-style ``detail``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SHOWN_ROWS = 20
"""At most this many offending row numbers are listed per column in a 422 response."""


class RequestProblem(Exception):
    """A request the service refuses: HTTP status and a FastAPI-style ``detail`` list (or one sentence)."""

    def __init__(self, status: int, detail: list[dict[str, Any]] | str) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail


def problem(loc: Sequence[Any], kind: str, msg: str, **extra: Any) -> dict[str, Any]:
    """One entry of a 422 ``detail`` list: where (``loc``), what kind, a sentence, and extra fields."""
    return {"loc": list(loc), "type": kind, "msg": msg, **extra}


def shown(rows: np.ndarray | Sequence[int]) -> list[int]:
    """The first :data:`SHOWN_ROWS` row numbers, as plain ints."""
    return [int(r) for r in list(rows[:SHOWN_ROWS])]
