"""The NFStream plugin that computes, packet by packet, what CICFlowMeter reports and NFStream does not.

NFStream meters the counts, byte statistics and flag counters; this plugin adds header bytes, IP bytes, TCP windows
(first forward, first and last backward), data packets forward, the first packet's payload and flags, ICMP type/code,
and every time-based statistic (durations, inter-arrival times, active/idle periods) from the capture's own
microsecond timestamps (:class:`netad.flows.clock.PcapClock`) when the source is a classic pcap file, else from
NFStream's milliseconds. It also ends a TCP flow on a FIN, with the FIN packet in it, as CICFlowMeter does.
The results land in ``flow.udps.cic_*`` and so in NFStream's ``udps.cic_*`` columns.
"""

from __future__ import annotations

import math
from typing import Any

from netad.flows.clock import PcapClock

ACTIVITY_TIMEOUT_US = 5_000_000
"""CICFlowMeter's activity timeout: a gap longer than this between packets ends an active period (an idle one)."""


class RunningStats:
    """Count, sum, mean, sample std, max and min of a stream (Welford), as Apache Commons' SummaryStatistics."""

    __slots__ = ("n", "total", "mean", "m2", "max", "min")

    def __init__(self) -> None:
        self.n, self.total, self.mean, self.m2 = 0, 0.0, 0.0, 0.0
        self.max, self.min = -math.inf, math.inf

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        delta = value - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (value - self.mean)
        self.max, self.min = max(self.max, value), min(self.min, value)

    def summary(self) -> tuple[float, float, float, float, float]:
        """(sum, mean, sample std, max, min); all 0 with no values, std 0 with one."""
        if self.n == 0:
            return 0.0, 0.0, 0.0, 0.0, 0.0
        std = math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0
        return self.total, self.mean, std, self.max, self.min


def tcp_window(packet: Any) -> int:
    """The TCP window of a packet (its raw IP bytes), -1 when it is not TCP or too short."""
    if packet.protocol != 6:
        return -1
    offset = _l4_offset(packet)
    data = packet.ip_packet
    if offset is None or len(data) < offset + 16:
        return -1
    return int.from_bytes(data[offset + 14 : offset + 16], "big")


def icmp_type_code(packet: Any) -> tuple[int, int]:
    """(type, code) of an ICMP/ICMPv6 packet, (-1, -1) for anything else."""
    if packet.protocol not in (1, 58):
        return -1, -1
    offset = _l4_offset(packet)
    data = packet.ip_packet
    if offset is None or len(data) < offset + 2:
        return -1, -1
    return data[offset], data[offset + 1]


def _l4_offset(packet: Any) -> int | None:
    data = packet.ip_packet
    if packet.ip_version == 4 and data:
        return (data[0] & 0x0F) * 4
    if packet.ip_version == 6:
        return 40  # extension headers before TCP are not followed
    return None


_TIMED = ("flow_iat", "fwd_iat", "bwd_iat", "active", "idle", "idle_v4")


def cic_plugin(nfstream: Any, pcap: str | None, *, fin_ends_flow: bool = True) -> Any:
    """The plugin instance (its class is built here: NFStream is an optional dependency, imported by the caller).

    ``pcap``: the classic pcap file being metered, for microsecond times (None: NFStream's milliseconds).
    """

    class CICExtras(nfstream.NFPlugin):
        def on_init(self, packet: Any, flow: Any) -> None:
            if self.pcap and self.clock is None:
                self.clock = PcapClock(self.pcap)
            now = self._now(packet)
            u = flow.udps
            header = packet.transport_size - packet.payload_size
            u.cic_first_payload = packet.payload_size
            u.cic_first_psh, u.cic_first_urg = int(bool(packet.psh)), int(bool(packet.urg))
            u.cic_first_syn = int(bool(packet.syn))
            u.cic_fwd_header, u.cic_bwd_header, u.cic_min_fwd_header = header, 0, header
            u.cic_fwd_ip_bytes, u.cic_bwd_ip_bytes = packet.ip_size, 0
            u.cic_act_data_fwd = int(packet.payload_size > 0)
            u.cic_init_win_fwd, u.cic_init_win_bwd, u.cic_last_win_bwd = tcp_window(packet), -1, -1
            u.cic_icmp_type, u.cic_icmp_code = icmp_type_code(packet)
            u.cic_first_us = u.cic_last_us = u.cic_fwd_last_us = now
            u.cic_bwd_last_us = -1
            u.cic_active_start = u.cic_active_end = u.cic_v4_end = now
            u.cic_stats = {name: RunningStats() for name in _TIMED}

        def on_update(self, packet: Any, flow: Any) -> None:
            now = self._now(packet)
            u = flow.udps
            stats = u.cic_stats
            header = packet.transport_size - packet.payload_size
            if packet.direction == 0:
                u.cic_fwd_header += header
                u.cic_fwd_ip_bytes += packet.ip_size
                u.cic_min_fwd_header = min(u.cic_min_fwd_header, header)
                u.cic_act_data_fwd += int(packet.payload_size > 0)
                stats["fwd_iat"].add(now - u.cic_fwd_last_us)
                u.cic_fwd_last_us = now
            else:
                window = tcp_window(packet)
                if u.cic_bwd_last_us < 0:  # the first backward packet
                    u.cic_init_win_bwd = window
                else:
                    stats["bwd_iat"].add(now - u.cic_bwd_last_us)
                u.cic_last_win_bwd = window
                u.cic_bwd_header += header
                u.cic_bwd_ip_bytes += packet.ip_size
                u.cic_bwd_last_us = now
            iat = now - u.cic_last_us
            stats["flow_iat"].add(iat)
            u.cic_last_us = now
            ends = self.fin_ends_flow and packet.fin and packet.protocol == 6
            # CICFlowMeter-V4 (FlowGenerator.addPacket + BasicFlow.detectUpdateSubflows) overwrites the end of the
            # active period with the inter-arrival time, so from the third packet on each idle value it records is
            # (packet time - previous inter-arrival time), an epoch-sized number; the FIN packet records none
            if not ends and now - u.cic_v4_end > ACTIVITY_TIMEOUT_US:
                stats["idle_v4"].add(now - u.cic_v4_end)
            u.cic_v4_end = iat
            # CICFlowMeter's updateActiveIdleTime; the last active period is not closed at expiry (as in the CSVs)
            if now - u.cic_active_end > ACTIVITY_TIMEOUT_US:
                if u.cic_active_end > u.cic_active_start:
                    stats["active"].add(u.cic_active_end - u.cic_active_start)
                stats["idle"].add(now - u.cic_active_end)
                u.cic_active_start = u.cic_active_end = now
            else:
                u.cic_active_end = now
            if ends:
                flow.expiration_id = -1  # NFStream's custom expiry: the FIN packet is the flow's last

        def on_expire(self, flow: Any) -> None:
            u = flow.udps
            for name, stats in u.cic_stats.items():
                for stat, value in zip(("sum", "mean", "std", "max", "min"), stats.summary(), strict=True):
                    setattr(u, f"cic_{name}_{stat}", value)
            u.cic_duration_us = u.cic_last_us - u.cic_first_us
            del u.cic_stats, u.cic_active_start, u.cic_active_end, u.cic_v4_end, u.cic_fwd_last_us, u.cic_bwd_last_us

        def cleanup(self) -> None:
            if self.clock is not None:
                self.clock.close()

        def _now(self, packet: Any) -> int:
            if self.clock is None:
                return int(packet.time) * 1000
            return self.clock.time_us(packet.ip_packet, packet.time)

    return CICExtras(pcap=pcap, clock=None, fin_ends_flow=fin_ends_flow)
