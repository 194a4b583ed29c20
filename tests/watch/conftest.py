"""What the watch tests share: a small iforest model on the CIC-IDS-2017 layout, the shared captures decompressed,
a synthetic SYN scan among normal sessions, and the schema check every record goes through."""

from __future__ import annotations

import json
import lzma
import shutil
from pathlib import Path

import pytest

pytest.importorskip("nfstream")
jsonschema = pytest.importorskip("jsonschema")

T0 = 1_700_000_000
SCANNER, SERVER = "10.0.0.66", "10.0.0.5"
CLIENTS = ("10.0.0.11", "10.0.0.12", "10.0.0.13")
OPEN_PORTS = (22, 80)


@pytest.fixture(scope="session")
def iforest_model(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """An iforest trained on 5,000 CIC-IDS-2017 benign rows (the layout `netad flows` writes)."""
    from netad.bench.spec import Job
    from netad.pipeline import train_model

    directory = tmp_path_factory.mktemp("watch-model") / "iforest"
    train_model(Job("cicids2017", "novelty", "iforest", 0, max_train=5000, save_scores=False), directory)
    return directory


@pytest.fixture(scope="session")
def captures(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The shared captures, decompressed into a temporary folder."""
    folder = tmp_path_factory.mktemp("captures")
    for packed in (shared_data / "pcaps").glob("*.pcap.xz"):
        with lzma.open(packed) as source, open(folder / packed.name.removesuffix(".xz"), "wb") as target:
            shutil.copyfileobj(source, target)
    return folder


@pytest.fixture(scope="session")
def syn_scan_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-port SYN scan of SERVER (28 closed ports answer RST, 2 open ones SYN-ACK, then the scanner's RST)
    over 3 s, amid normal traffic in the same minute: three clients' HTTP sessions and DNS queries. Only a file:
    nothing is sent."""
    scapy = pytest.importorskip("scapy.all")
    packets = []

    def add(ms: float, src: str, dst: str, layer4) -> None:  # noqa: ANN001 - a scapy layer
        packet = scapy.Ether() / scapy.IP(src=src, dst=dst) / layer4
        packet.time = T0 + ms / 1000
        packets.append(packet)

    for i, port in enumerate(range(1, 31)):
        port = {5: OPEN_PORTS[0], 17: OPEN_PORTS[1]}.get(i, 1000 + port)
        ms, sport = 1000 + 100 * i, 40000 + i
        add(ms, SCANNER, SERVER, scapy.TCP(sport=sport, dport=port, flags="S", seq=1))
        if port in OPEN_PORTS:
            add(ms + 1, SERVER, SCANNER, scapy.TCP(sport=port, dport=sport, flags="SA", seq=7, ack=2))
            add(ms + 2, SCANNER, SERVER, scapy.TCP(sport=sport, dport=port, flags="R", seq=2))
        else:
            add(ms + 1, SERVER, SCANNER, scapy.TCP(sport=port, dport=sport, flags="RA", ack=2))
    for c, client in enumerate(CLIENTS):
        for k in range(6):  # an HTTP session every ~9 s per client
            ms, sport = 500 + 9000 * k + 300 * c, 50000 + 10 * k + c
            tcp = dict(sport=sport, dport=80)
            back = dict(sport=80, dport=sport)
            add(ms, client, SERVER, scapy.TCP(**tcp, flags="S"))
            add(ms + 1, SERVER, client, scapy.TCP(**back, flags="SA"))
            add(ms + 2, client, SERVER, scapy.TCP(**tcp, flags="A"))
            add(ms + 3, client, SERVER, scapy.TCP(**tcp, flags="PA") / scapy.Raw(b"GET / HTTP/1.1\r\nHost: s\r\n\r\n"))
            add(
                ms + 8,
                SERVER,
                client,
                scapy.TCP(**back, flags="PA") / scapy.Raw(b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 900),
            )
            add(ms + 9, client, SERVER, scapy.TCP(**tcp, flags="FA"))
            add(ms + 10, SERVER, client, scapy.TCP(**back, flags="FA"))
            add(ms + 11, client, SERVER, scapy.TCP(**tcp, flags="A"))
            add(
                ms + 50,
                client,
                "10.0.0.53",
                scapy.UDP(sport=sport, dport=53) / scapy.DNS(qd=scapy.DNSQR(qname="a.example")),
            )
            add(ms + 52, "10.0.0.53", client, scapy.UDP(sport=53, dport=sport) / scapy.Raw(b"r" * 60))
    packets.sort(key=lambda p: p.time)
    path = tmp_path_factory.mktemp("syn-scan") / "syn-scan.pcap"
    scapy.wrpcap(str(path), packets)
    return path


@pytest.fixture(scope="session")
def validate_records():
    """``validate_records(path or lines)``: every record of a JSON-lines file (or list of lines), each checked
    against the package's schema."""
    from netad.watch.eve import schema

    validator = jsonschema.Draft202012Validator(schema())

    def validate(path_or_lines) -> list[dict]:  # noqa: ANN001 - a Path or lines of text
        lines = path_or_lines.read_text().splitlines() if isinstance(path_or_lines, Path) else path_or_lines
        records = [json.loads(line) for line in lines if line.strip()]
        for record in records:
            validator.validate(record)
        return records

    return validate
