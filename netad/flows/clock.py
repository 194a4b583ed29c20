"""Microsecond packet times for the metering plugin, read from the capture file itself.

NFStream hands a plugin each packet's time in whole milliseconds (``packet.time``, a ``uint64`` of ms in its C
packet struct) and no pcap record header, while CICFlowMeter's durations and inter-arrival times are microseconds.
:class:`PcapClock` reads the same classic pcap file alongside NFStream, in record order, and finds each packet the
plugin sees by its IP bytes (NFStream skips non-IP records and packets a BPF filter drops: the clock skips them
too), giving the record's own timestamp. Packets it cannot place (pcapng, a live interface, a record not found
within :data:`LOOKAHEAD` records) keep NFStream's millisecond time; :attr:`PcapClock.misses` counts them.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

LOOKAHEAD = 4096
"""Records searched ahead for a packet before giving up on it (it then keeps NFStream's millisecond time)."""
_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1),
    b"\x4d\x3c\xb2\xa1": ("<", 1000),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1000),
}
_KEY_BYTES = 48
"""How many leading IP bytes identify a packet (the IP header with its ID and checksum, and the TCP/UDP header)."""


def microsecond_clock_supported(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a classic pcap file (the format :class:`PcapClock` reads; pcapng is not)."""
    with open(path, "rb") as f:
        return f.read(4) in _MAGIC


class PcapClock:
    """Sequential reader of a classic pcap file answering "when, in microseconds, was this packet captured?"."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.misses = 0
        self.hits = 0
        self._file: BinaryIO | None = None
        self._pending: list[tuple[int, bytes]] = []  # records read ahead but not yet matched

    def _open(self) -> BinaryIO:
        f = open(self.path, "rb")  # noqa: SIM115 (kept open across calls, closed by close())
        header = f.read(24)
        endian, self._divisor = _MAGIC[header[:4]]
        self._record = struct.Struct(endian + "IIII")
        self._file = f
        return f

    def _next_record(self) -> tuple[int, bytes] | None:
        f = self._file or self._open()
        head = f.read(16)
        if len(head) < 16:
            return None
        seconds, fraction, captured, _ = self._record.unpack(head)
        data = f.read(captured)
        return seconds * 1_000_000 + fraction // self._divisor, data

    def time_us(self, ip_packet: bytes, time_ms: int) -> int:
        """The capture time (us since the epoch) of the packet whose IP bytes are ``ip_packet``; else ms * 1000."""
        key = ip_packet[:_KEY_BYTES]
        for i, (stamp, data) in enumerate(self._pending):
            if key in data:
                del self._pending[: i + 1]
                self.hits += 1
                return stamp
        while len(self._pending) < LOOKAHEAD:
            record = self._next_record()
            if record is None:
                break
            if key in record[1]:
                self._pending.clear()  # records before it were never metered (non-IP, filtered)
                self.hits += 1
                return record[0]
            self._pending.append(record)
        self.misses += 1
        return int(time_ms) * 1000

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
