"""Host windows: the rules fire at their documented thresholds and not below, once per cooldown, and the state
stays within its caps however many hosts and flows pass."""

from __future__ import annotations

import numpy as np
import pytest

from netad.watch.hosts import HostRules, HostWindows, failed_connections


def feed(windows, src, dst, port, start, failed=None, flagged=None):  # noqa: ANN001, ANN201
    n = len(start)
    failed = np.zeros(n, bool) if failed is None else np.asarray(failed)
    flagged = np.zeros(n, bool) if flagged is None else np.asarray(flagged)
    as_array = lambda v: np.asarray(v if isinstance(v, list | np.ndarray) else [v] * n)  # noqa: E731
    return windows.update(as_array(src), as_array(dst), as_array(port), np.asarray(start, float), failed,
                          np.full(n, 100), flagged)  # fmt: skip


def test_failed_ports_fire_a_port_scan_at_the_threshold_and_not_one_below():
    rules = HostRules()
    below = HostWindows(rules)
    n = rules.port_scan_ports
    assert feed(below, "a", "b", list(range(n - 1)), np.arange(n - 1) * 0.1, failed=np.ones(n - 1, bool)) == []
    at = HostWindows(rules)
    alerts = feed(at, "a", "b", list(range(n)), np.arange(n) * 0.1, failed=np.ones(n, bool))
    assert [(a.host, a.rule, a.value) for a in alerts] == [("a", "port_scan", n)]
    assert alerts[0].windows["60s"]["dest_ports"] == n and alerts[0].windows["1s"]["flows"] == 10


def test_successful_connections_to_many_ports_are_not_a_scan():
    windows = HostWindows()
    assert feed(windows, "a", "b", list(range(100)), np.arange(100) * 0.1) == []


def test_ports_spread_beyond_the_window_are_not_counted_together():
    windows = HostWindows()
    alerts = feed(windows, "a", "b", list(range(40)), np.arange(40) * 10.0, failed=np.ones(40, bool))
    assert alerts == []  # 40 ports over 400 s: at most 6 in any 60 s


def test_repeated_connections_name_the_service_and_repeat_only_after_the_cooldown():
    windows = HostWindows(HostRules(cooldown=60))
    first = feed(windows, "a", "s", 22, np.arange(30) * 0.5)
    assert [(a.rule, a.target) for a in first] == [("repeated_connections", {"dest_ip": "s", "dest_port": 22})]
    assert feed(windows, "a", "s", 22, 15 + np.arange(30) * 0.5) == []  # within the cooldown
    later = feed(windows, "a", "s", 22, 100 + np.arange(30) * 0.5)
    assert [a.rule for a in later] == ["repeated_connections"]


def test_flagged_share_needs_enough_flows():
    windows = HostWindows()
    assert feed(windows, "a", list("bcdefghi"), 443, np.arange(8.0), flagged=np.ones(8, bool)) == []
    alerts = feed(windows, "a", list("jklm"), 443, 8 + np.arange(4.0), flagged=np.ones(4, bool))
    assert [(a.rule, a.value) for a in alerts] == [("flagged_flows", pytest.approx(1.0))]


def test_state_stays_within_its_caps():
    windows = HostWindows(HostRules(max_hosts=10, max_flows_per_host=50))
    hosts = [f"10.0.{i // 256}.{i % 256}" for i in range(1000)]
    feed(windows, hosts, "s", 80, np.zeros(1000))
    feed(windows, "busy", "s", list(range(500)), np.linspace(0, 1, 500))
    assert windows.n_hosts == 10 and windows.evicted_hosts == 991
    assert max(len(h.flows) for h in windows._hosts.values()) == 50


def test_failed_connection_means_tcp_syn_without_payload_and_without_reply_or_with_reset():
    proto = np.array([6, 6, 6, 6, 17])
    syn = np.array([1, 1, 1, 1, 0])
    rst = np.array([0, 1, 0, 1, 0])
    replies = np.array([0, 1, 2, 3, 0])
    payload = np.array([0, 0, 0, 10, 0])
    assert failed_connections(proto, syn, rst, replies, payload).tolist() == [True, True, False, False, False]
