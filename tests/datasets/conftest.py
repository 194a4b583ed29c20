"""Fixtures for the dataset tests: real rows of the shared files, rewritten with the quirks of the originals."""

from __future__ import annotations

import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

# The official MachineLearningCVE header: leading spaces, and "Fwd Header Length" twice.
OFFICIAL_CIC_HEADER = (
    " Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets,"
    " Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean,"
    " Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean,"
    " Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max,"
    " Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total,"
    " Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags,"
    " Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length,"
    " Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count,"
    " SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count,"
    " ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size,"
    " Fwd Header Length,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk,"
    " Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets,"
    " Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd,"
    " min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max,"
    " Idle Min, Label"
).split(",")


def read_lines(path: Path, n: int | None = None) -> list[bytes]:
    """The first ``n`` lines (all if None) of an xz file, without line endings."""
    with lzma.open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.rstrip(b"\r") for line in (lines if n is None else lines[:n])]


@pytest.fixture(scope="session")
def cic_rows(shared_data: Path) -> list[list[bytes]]:
    """60 real Tuesday rows (20 per label), as the 78 cells of the shared MachineLearningCVE subset."""
    lines = read_lines(shared_data / "cicids2017" / "Tuesday_Working_balanced.csv.xz")
    picked: dict[bytes, list[list[bytes]]] = {}
    for line in lines[1:]:
        cells = line.split(b",")
        bucket = picked.setdefault(cells[-1], [])
        if len(bucket) < 20:
            bucket.append(cells)
    return [row for rows in picked.values() for row in rows]


@pytest.fixture
def official_cic_csv(tmp_path: Path, cic_rows: list[list[bytes]]) -> Callable[..., Path]:
    """Write real rows in the official layout (spaces in the header, duplicated Fwd Header Length).

    ``edits`` maps (row, stripped column name) -> raw cell bytes; ``labels`` replaces the first labels;
    ``blank_rows`` appends lines of bare commas, as in some official files.
    """

    def write(
        name: str = "Tuesday-WorkingHours.pcap_ISCX.csv",
        edits: dict[tuple[int, str], bytes] | None = None,
        labels: list[bytes] | None = None,
        blank_rows: int = 0,
    ) -> Path:
        names = [h.strip() for h in OFFICIAL_CIC_HEADER]
        dup = names.index("Fwd Header Length", 40)
        out = [",".join(OFFICIAL_CIC_HEADER).encode()]
        for i, cells in enumerate(cic_rows):
            cells = list(cells)
            cells.insert(dup, cells[names.index("Fwd Header Length")])
            if labels is not None and i < len(labels):
                cells[-1] = labels[i]
            for (row, column), value in (edits or {}).items():
                if row == i:
                    cells[names.index(column)] = value
            out.append(b",".join(cells))
        out += [b"," * (len(names) - 1)] * blank_rows
        path = tmp_path / name
        path.write_bytes(b"\r\n".join(out) + b"\r\n")
        return path

    return write
