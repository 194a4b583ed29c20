"""Metered flows -> a flow table in a layout (the one public mapping; ``netad flows`` and ``netad watch`` use it)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from netad.errors import NetadInputError
from netad.flows.features import flow_quantities
from netad.flows.layouts import IDENTIFIER_QUANTITIES, STATUS_ABSENT, Layout, get_layout

_TEXT_IDENTIFIERS = ("flow_id", "src_ip", "dst_ip", "timestamp")


def flow_table(
    nf: pd.DataFrame, layout: str | Layout = "cicids2017", *, fill_missing: float | None = None
) -> pd.DataFrame:
    """Map metered flows (:func:`netad.flows.meter`, or a frame of NFStream flows with the CIC plugin) to ``layout``.

    Columns: the layout's identifiers, then its feature columns in the published order; rows sorted by first
    packet time. Columns the meter does not compute (bulk features) are left out, or written with
    ``fill_missing`` when it is given.
    """
    layout = get_layout(layout)
    if fill_missing is not None and not math.isfinite(float(fill_missing)):
        raise NetadInputError(f"fill_missing must be a finite number, got {fill_missing!r}")
    keep = [c for c in layout.columns if c.status != STATUS_ABSENT or fill_missing is not None]
    if len(nf) == 0:
        out = pd.DataFrame(
            {
                name: pd.Series(dtype="object" if q in _TEXT_IDENTIFIERS else "int64")
                for name, q in zip(layout.identifiers, IDENTIFIER_QUANTITIES, strict=True)
            }
        )
        for c in keep:
            out[c.name] = pd.Series(dtype="float64")
        return out
    q = flow_quantities(nf)
    data = {name: q[quantity] for name, quantity in zip(layout.identifiers, IDENTIFIER_QUANTITIES, strict=True)}
    for c in keep:
        if c.status == STATUS_ABSENT:
            data[c.name] = np.full(len(nf), float(fill_missing))
        else:
            data[c.name] = np.asarray(q[c.quantity], dtype=np.float64)
    return pd.DataFrame(data)


def cic_flow_table(nf: pd.DataFrame, *, fill_missing: float | None = None) -> pd.DataFrame:
    """:func:`flow_table` in the official CIC-IDS-2017 layout (the layout of ``netad flows`` before layouts)."""
    return flow_table(nf, "cicids2017", fill_missing=fill_missing)
