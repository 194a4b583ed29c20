"""Host-level detection: per source address, sliding windows over its recent flows and documented scan rules.

Per-flow scoring cannot see a port scan or a password guesser: each of their flows is small and ordinary. Here
each source address keeps its recent flows (start time, destination, port, failed?, bytes, flagged by the flow
model?) and, after every batch, the hosts that sent new flows get window statistics at several spans
(:attr:`HostRules.spans`, 1 s / 10 s / 60 s by default, in traffic time): flows, distinct destination ports and
hosts, failed-connection share, bytes, flagged-flow share.

The detector is **rules with thresholds**, as Zeek's scan detector (``scan.zeek``: 15 ports or 25 hosts of
unsuccessful connections) and its SSH guesser limit (30), not a trained model: the one training set with addresses
and timestamps (the improved CIC-IDS-2017 sample) holds a random 5,000-row sample of benign flows spread over
4.3 days (a median 142 s between two flows of a host), so its benign windows are hundreds of times emptier than
real traffic and a detector fitted there would call every busy host anomalous. The rules, over
:attr:`HostRules.span` seconds:

- ``port_scan``: failed connections to at least ``port_scan_ports`` distinct destination ports;
- ``address_scan``: failed connections to at least ``address_scan_hosts`` distinct destination hosts;
- ``repeated_connections``: at least ``repeated_connections`` flows to one destination address and port
  (password guessing, slow HTTP floods);
- ``flagged_flows``: at least ``flagged_min_flows`` flows of which a share ``flagged_share`` or more were
  flagged by the flow model.

A failed connection is a TCP flow with a SYN, no payload either way, and either no reply or a RST (a SYN scan's
probes, a refused connection). An alert repeats for a host and rule at most once per ``cooldown`` seconds.

Memory is bounded: at most ``max_flows_per_host`` recent flows per host (the oldest dropped first) and
``max_hosts`` hosts (the least recently seen evicted first, counted in :attr:`HostWindows.evicted_hosts`).
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RULES = ("port_scan", "address_scan", "repeated_connections", "flagged_flows")


@dataclass(frozen=True)
class HostRules:
    """Window spans and rule thresholds of :class:`HostWindows` (see the module docstring)."""

    spans: tuple[float, ...] = (1.0, 10.0, 60.0)
    span: float = 60.0
    port_scan_ports: int = 15
    address_scan_hosts: int = 25
    repeated_connections: int = 30
    flagged_min_flows: int = 10
    flagged_share: float = 0.5
    cooldown: float = 60.0
    max_hosts: int = 100_000
    max_flows_per_host: int = 10_000

    def __post_init__(self) -> None:
        if not self.spans or min(self.spans) <= 0 or self.span <= 0:
            raise ValueError(f"window spans must be positive seconds, got {self.spans} and {self.span}")
        if self.max_hosts < 1 or self.max_flows_per_host < 1:
            raise ValueError("max_hosts and max_flows_per_host must be >= 1")

    def thresholds(self) -> dict[str, float]:
        return {
            "port_scan": self.port_scan_ports,
            "address_scan": self.address_scan_hosts,
            "repeated_connections": self.repeated_connections,
            "flagged_flows": self.flagged_share,
        }


@dataclass
class HostAlert:
    """One rule fired for one source address at traffic time ``time`` (seconds since the epoch)."""

    host: str
    time: float
    rule: str
    value: float
    threshold: float
    windows: dict[str, dict[str, float]]
    target: dict[str, Any] = field(default_factory=dict)
    """The destination the rule points at (``repeated_connections``: address and port)."""


@dataclass
class _Host:
    flows: deque
    last_alert: dict[str, float] = field(default_factory=dict)


class HostWindows:
    """Recent flows per source address and the rules of the module docstring, fed batch by batch."""

    def __init__(self, rules: HostRules | None = None) -> None:
        self.rules = rules or HostRules()
        self._hosts: OrderedDict[str, _Host] = OrderedDict()
        self.evicted_hosts = 0
        self._horizon = max(max(self.rules.spans), self.rules.span)

    @property
    def n_hosts(self) -> int:
        return len(self._hosts)

    def update(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        dst_port: np.ndarray,
        start: np.ndarray,
        failed: np.ndarray,
        n_bytes: np.ndarray,
        flagged: np.ndarray,
    ) -> list[HostAlert]:
        """Add a batch of flows (one array entry per flow; ``start`` in seconds) and return the rules that fire."""
        touched: dict[str, None] = {}
        for row in zip(src.tolist(), start.tolist(), dst.tolist(), dst_port.tolist(), failed.tolist(),
                       n_bytes.tolist(), flagged.tolist(), strict=True):  # fmt: skip
            host = self._hosts.get(row[0])
            if host is None:
                host = self._hosts[row[0]] = _Host(deque(maxlen=self.rules.max_flows_per_host))
                while len(self._hosts) > self.rules.max_hosts:
                    evicted, _ = self._hosts.popitem(last=False)
                    touched.pop(evicted, None)
                    self.evicted_hosts += 1
            else:
                self._hosts.move_to_end(row[0])
            host.flows.append(row[1:])
            touched[row[0]] = None
        alerts: list[HostAlert] = []
        for name in touched:
            alerts += self._evaluate(name, self._hosts[name])
        return alerts

    def _evaluate(self, name: str, host: _Host) -> list[HostAlert]:
        flows = host.flows
        now = max(f[0] for f in flows)
        while flows and flows[0][0] < now - self._horizon:  # flows arrive in about start order
            flows.popleft()
        start = np.fromiter((f[0] for f in flows), np.float64, len(flows))
        windows = {f"{s:g}s": self._window_stats(flows, start > now - s) for s in self.rules.spans}
        inside = [f for f, keep in zip(flows, start > now - self.rules.span, strict=True) if keep]
        failed = [f for f in inside if f[3]]
        values: dict[str, float] = {
            "port_scan": len({f[2] for f in failed}),
            "address_scan": len({f[1] for f in failed}),
        }
        services = Counter((f[1], f[2]) for f in inside)
        (target, repeats), = services.most_common(1) or [((None, None), 0)]  # fmt: skip
        values["repeated_connections"] = repeats
        n_flagged = sum(1 for f in inside if f[5])
        share = n_flagged / len(inside) if inside else 0.0
        values["flagged_flows"] = share if len(inside) >= self.rules.flagged_min_flows else 0.0
        alerts = []
        for rule, threshold in self.rules.thresholds().items():
            if values[rule] < threshold or now - host.last_alert.get(rule, -np.inf) < self.rules.cooldown:
                continue
            host.last_alert[rule] = now
            where = {"dest_ip": target[0], "dest_port": int(target[1])} if rule == "repeated_connections" else {}
            alerts.append(HostAlert(name, now, rule, float(values[rule]), float(threshold), windows, where))
        return alerts

    @staticmethod
    def _window_stats(flows: deque, mask: np.ndarray) -> dict[str, float]:
        inside = [f for f, keep in zip(flows, mask, strict=True) if keep]
        n = len(inside)
        return {
            "flows": n,
            "dest_ports": len({f[2] for f in inside}),
            "dest_hosts": len({f[1] for f in inside}),
            "failed_share": sum(1 for f in inside if f[3]) / n if n else 0.0,
            "bytes": int(sum(f[4] for f in inside)),
            "flagged_share": sum(1 for f in inside if f[5]) / n if n else 0.0,
        }


def failed_connections(protocol: np.ndarray, syn: np.ndarray, rst: np.ndarray, replies: np.ndarray,
                       payload: np.ndarray) -> np.ndarray:  # fmt: skip
    """TCP flows with a SYN, no payload either way, and no reply or a RST (see the module docstring)."""
    return (protocol == 6) & (syn > 0) & (payload == 0) & ((replies == 0) | (rst > 0))
