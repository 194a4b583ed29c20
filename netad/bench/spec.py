"""What one benchmark job is: :class:`netad.pipeline.Job`, a flat, serialisable description any backend can run."""

from __future__ import annotations

from netad.pipeline import Job

__all__ = ["Job"]
