"""Microsecond packet times: read from the pcap records (microsecond and nanosecond pcaps), found by IP bytes past
records NFStream never meters; pcapng falls back to NFStream's milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

scapy = pytest.importorskip("scapy.all")

from netad.flows.clock import PcapClock, microsecond_clock_supported  # noqa: E402

T0 = 1_700_000_000


def _packets() -> list:
    out = []
    for i, us in enumerate((0, 1, 999, 1_000, 123_457)):
        packet = scapy.Ether() / scapy.IP(src="10.0.0.1", dst="10.0.0.2", id=i) / scapy.UDP(sport=5000, dport=53)
        packet.time = scapy.EDecimal(T0) + scapy.EDecimal(us) / 1_000_000
        out.append(packet)
    arp = scapy.Ether() / scapy.ARP()
    arp.time = T0
    return [arp, *out]  # a record NFStream skips (not IP) comes first


@pytest.mark.parametrize("nano", [False, True])
def test_each_packet_gets_its_records_microsecond_time(tmp_path: Path, nano: bool):
    packets = _packets()
    path = tmp_path / "c.pcap"
    scapy.wrpcap(str(path), packets, nano=nano)
    assert microsecond_clock_supported(path)
    clock = PcapClock(path)
    times = [clock.time_us(bytes(p[scapy.IP]), 0) for p in packets[1:]]
    clock.close()
    assert times == [T0 * 1_000_000 + us for us in (0, 1, 999, 1_000, 123_457)]
    assert (clock.hits, clock.misses) == (5, 0)


def test_a_packet_not_in_the_file_keeps_the_millisecond_time(tmp_path: Path):
    path = tmp_path / "c.pcap"
    scapy.wrpcap(str(path), _packets())
    clock = PcapClock(path)
    stranger = bytes(scapy.IP(src="192.0.2.1", dst="192.0.2.2", id=77) / scapy.TCP())
    assert clock.time_us(stranger, 1_234) == 1_234_000 and clock.misses == 1
    clock.close()


def test_pcapng_is_not_read_by_the_clock(tmp_path: Path):
    path = tmp_path / "c.pcapng"
    scapy.wrpcapng(str(path), _packets())
    assert not microsecond_clock_supported(path)
