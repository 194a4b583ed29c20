"""A data frame as a Markdown table, for the result files the benchmark scripts write."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def markdown_table(frame: pd.DataFrame, cell: Callable[[object], str] = str) -> str:
    """``| a | b |`` header, ``|---|---|`` rule and one line per row, each value written by ``cell``."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
