#!/usr/bin/python3
"""The Prometheus endpoint (stats.metrics_listen) and the periodic stats line.

Two worker lcores; curl scrapes http://127.0.0.1:<port>/metrics on loopback. Debian's
prometheus_client parser reads the text, so it is checked against an independent reader of the
exposition format. Every event counter, every drop reason and every driver counter must be there,
with HELP and TYPE, one sample per worker lcore, and the values must agree with telemetry.
Clients trickling their requests hold up neither scrapes nor the control thread's duties.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import frames  # noqa: E402
import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

WORKERS = ("1", "2")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def macro_body(header: str, macro: str) -> str:
    text = (REPO / header).read_text()
    body = text[text.index(f"#define {macro}(X)"):]
    return body[:body.index("\n\n")]


def names_in(header: str, macro: str) -> list[str]:
    """The X-macro names of one list in a header (the test's own reading of the source)."""
    return re.findall(r"X\((\w+),", macro_body(header, macro))


def gauges_in(header: str, macro: str) -> set[str]:
    """The entries whose description starts "gauge:" (counters.hh's convention)."""
    return set(re.findall(r'X\((\w+),\s*"gauge:', macro_body(header, macro)))


class Metrics(unittest.TestCase):
    engine: h.Engine
    port: int

    @classmethod
    def setUpClass(cls) -> None:
        cls.port = free_port()
        cls.engine = h.Engine(lcores="0@0,1@1,2@1", config={
            "stats": {"interval_seconds": 1, "metrics_listen": f"127.0.0.1:{cls.port}"}})
        cls.engine.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    def curl(self, *args: str) -> tuple[str, str]:
        """(status line and headers, body) of one request."""
        result = h.run(["curl", "-sS", "--max-time", "10", "-D", "-", *args,
                        f"http://127.0.0.1:{self.port}/metrics"])
        head, _, body = result.stdout.partition("\n\n")  # text mode: CRLF arrives as \n
        return head, body

    def scrape(self) -> dict[str, object]:
        head, body = self.curl()
        self.assertTrue(head.startswith("HTTP/1.1 200 OK"), head)
        self.assertIn("Content-Type: text/plain; version=0.0.4; charset=utf-8", head)
        self.assertRegex(body, r"^# HELP ")
        return {family.name: family for family in text_string_to_metric_families(body)}

    def test_1_every_counter_is_exported_per_lcore_with_help_and_type(self) -> None:
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 3))
        families = self.scrape()
        counters = names_in("lib/stats/include/stats/counters.hh", "RAMPART_EVENT_COUNTERS")
        gauges = gauges_in("lib/stats/include/stats/counters.hh", "RAMPART_EVENT_COUNTERS")
        self.assertIn("tcp_connections_active", counters)
        self.assertLessEqual({"tcp_connections_active", "tcp_time_wait_active", "tcp_ooo_buffers_held"}, gauges)
        for name in counters:
            family = families.get(f"rampart_{name}")
            self.assertIsNotNone(family, f"rampart_{name} missing")
            self.assertEqual(family.type, "gauge" if name in gauges else "counter")
            self.assertTrue(family.documentation, f"rampart_{name} has no HELP")
            self.assertEqual(sorted(s.labels["lcore"] for s in family.samples), list(WORKERS), name)
        drops = families["rampart_drops"]
        self.assertEqual(drops.type, "counter")
        reasons = names_in("lib/stats/include/stats/drop_reason.hh", "RAMPART_DROP_REASONS")
        self.assertEqual(set(frames.drop_reason_names()), set(reasons))
        for lcore in WORKERS:
            seen = {s.labels["reason"] for s in drops.samples if s.labels["lcore"] == lcore}
            self.assertEqual(seen, set(reasons), f"lcore {lcore}")
        for name in ("ipackets", "opackets", "imissed", "ierrors", "rx_nombuf", "oerrors"):
            family = families[f"rampart_port_{name}"]
            self.assertEqual(family.type, "counter")
            self.assertEqual([s.labels["port"] for s in family.samples], ["net_tap0"])

    def test_2_values_agree_with_telemetry(self) -> None:
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 5))
        telemetry = self.engine.counters()
        families = self.scrape()

        def total(name: str) -> int:
            return int(sum(s.value for s in families[name].samples))

        self.assertEqual(total("rampart_icmp_echo_replied"), telemetry["icmp_echo_replied"])
        self.assertGreaterEqual(telemetry["icmp_echo_replied"], 5)
        self.assertEqual(total("rampart_port_ipackets"), telemetry["port.ipackets"])
        self.assertEqual(total("rampart_drops"), telemetry["dropped"])

    def test_3_other_paths_and_methods(self) -> None:
        result = h.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        f"http://127.0.0.1:{self.port}/"])
        self.assertEqual(result.stdout, "404")
        result = h.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        f"http://127.0.0.1:{self.port}/metrics"])
        self.assertEqual(result.stdout, "405")
        head, body = self.curl("-I")
        self.assertTrue(head.startswith("HTTP/1.1 200 OK"), head)
        self.assertEqual(body.strip(), "", "HEAD has no body")
        self.assertRegex(head, r"Content-Length: [1-9]")

    def test_4_periodic_line_has_a_timestamp_and_deltas(self) -> None:
        line = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ rampart: stats \+\d+\.\ds: rx \+(\d+) pkt "
                          r"\(\d+ pps\) tx \+\d+ pkt \(\d+ pps\) consumed \+\d+ dropped \+\d+ .*"
                          r"port: imissed \+\d+ ierrors \+\d+ rx_nombuf \+\d+ oerrors \+\d+; connections 0")
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 3))
        lines = h.wait_for(lambda: len(line.findall(self.engine.output())) >= 3 and line.findall(
            self.engine.output()), 10, "three periodic lines")
        received = sum(int(n) for n in lines)
        # Deltas: the lines add up to what arrived since start (totals would add up to more).
        self.assertLessEqual(received, self.engine.counters()["rx_packets"])

    def test_5_listener_counters_move_and_are_scraped(self) -> None:
        before = self.engine.telemetry("/rampart/listeners")
        self.assertEqual(set(before), {"80", "7", "9"}, before)  # config/default.yaml's listeners
        self.assertEqual(before["7"]["app"], "echo")
        sock, _ = t.timed_connect(self.engine.netns, self.engine.engine_ip, 7)
        with sock:
            sock.sendall(b"z" * 500)
            got = b""
            while len(got) < 500:
                got += sock.recv(500 - len(got))
            h.wait_for(lambda: self.engine.telemetry("/rampart/listeners,7")["7"]["active"] == 1, 10,
                       "the connection active on listener 7")
        h.wait_for(lambda: self.engine.telemetry("/rampart/listeners,7")["7"]["active"] == 0, 10,
                   "the connection gone")
        after = self.engine.telemetry("/rampart/listeners")
        self.assertEqual(set(self.engine.telemetry("/rampart/listeners,7")), {"7"})
        echo, web = after["7"], after["80"]
        self.assertEqual(echo["accepted"] - before["7"]["accepted"], 1)
        self.assertEqual(echo["bytes_in"] - before["7"]["bytes_in"], 500)
        self.assertEqual(echo["bytes_out"] - before["7"]["bytes_out"], 500)
        self.assertEqual(echo["refused"], 0)
        self.assertEqual(web, before["80"], "another port's counters do not move")
        families = self.scrape()
        for name in ("accepted", "refused", "bytes_in", "bytes_out", "active"):
            family = families[f"rampart_listener_{name}"]
            self.assertEqual(family.type, "gauge" if name == "active" else "counter")
            self.assertEqual({(s.labels["lcore"], s.labels["listener"]) for s in family.samples},
                             {(lcore, port) for lcore in WORKERS for port in ("80", "7", "9")})
            scraped = int(sum(s.value for s in family.samples if s.labels["listener"] == "7"))
            self.assertEqual(scraped, echo[name], name)

    def test_6_engine_families_and_version(self) -> None:
        families = self.scrape()
        build = families["rampart_build_info"].samples
        self.assertEqual(len(build), 1)
        version = h.run_binary(["--version"]).stdout.strip()
        labels = build[0].labels
        self.assertEqual(version, f"rampart {labels['version']} (commit {labels['commit']}) {labels['dpdk']}")
        self.assertRegex(version, r"^rampart \d+\.\d+\.\d+ \(commit \S+\) DPDK \d+\.\d+")
        self.assertEqual(build[0].value, 1)
        uptime = families["rampart_uptime_seconds"].samples[0].value
        time.sleep(1.1)
        self.assertGreaterEqual(self.scrape()["rampart_uptime_seconds"].samples[0].value, uptime + 1)
        link = self.engine.telemetry("/rampart/port")["link"]  # what telemetry says, metrics say
        self.assertEqual([(s.labels["port"], s.value) for s in families["rampart_link_up"].samples],
                         {"up": [("net_tap0", 1)], "down": [("net_tap0", 0)], "unknown": []}[link])
        self.assertEqual(families["rampart_draining"].samples[0].value, 0)
        port = self.engine.telemetry("/rampart/port")
        self.assertEqual(families["rampart_mbufs_total"].samples[0].value, port["mbufs_total"])
        self.assertGreater(families["rampart_mbufs_in_use"].samples[0].value, 0)  # the RX rings' at least
        self.assertEqual([(s.labels["mode"], s.value) for s in families["rampart_syn_cookie_mode"].samples],
                         [("auto", 1)])  # the default mode
        self.assertEqual(families["rampart_syn_cookie_auto_threshold"].samples[0].value, 768)
        for name in ("rampart_build_info", "rampart_uptime_seconds", "rampart_link_up", "rampart_draining",
                     "rampart_mbufs_in_use", "rampart_mbufs_total", "rampart_syn_cookie_mode",
                     "rampart_syn_cookie_auto_threshold"):
            self.assertEqual(families[name].type, "gauge", name)
            self.assertTrue(families[name].documentation, name)

    def test_7_trickling_clients_delay_no_control_duty(self) -> None:
        """Clients that send their request one byte a second, more of them than the endpoint
        serves at once: a scrape, telemetry, SIGHUP and the stop are still answered promptly.
        (Served one at a time on the control thread, each trickler would hold it for its whole
        request budget, 500 ms of every 100 ms tick, and a scrape would wait behind all of them.)"""
        request = b"GET /metrics HTTP/1.1\r\n\r\n"
        stop = threading.Event()

        def trickle() -> None:
            with socket.create_connection(("127.0.0.1", self.port)) as sock:
                for byte in request:
                    if stop.wait(1.0):
                        return
                    with contextlib.suppress(OSError):  # closed once its budget is spent: fine
                        sock.send(bytes([byte]))

        threads = [threading.Thread(target=trickle) for _ in range(12)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)  # every trickler connected and into its request
            started = time.monotonic()
            self.assertTrue(self.scrape())
            self.assertLess(time.monotonic() - started, 1.0, "a scrape waited behind the tricklers")

            started = time.monotonic()
            self.engine.telemetry("/rampart/stats")
            self.assertLess(time.monotonic() - started, 1.0, "telemetry waited behind the tricklers")

            for reload in range(1, 4):  # a tick is 100 ms: each reload is seen within about that
                started = time.monotonic()
                self.engine.process.send_signal(signal.SIGHUP)
                h.wait_for(lambda: self.engine.output().count("SIGHUP: ") >= reload, 5, "the SIGHUP line", 0.01)
                self.assertLess(time.monotonic() - started, 0.4, f"SIGHUP {reload} waited behind the tricklers")

            started = time.monotonic()
            self.assertEqual(self.engine.stop(), 0)  # the drain (drain_timeout_seconds 0: at once)
            self.assertLess(time.monotonic() - started, 3.0, "the stop waited behind the tricklers")
        finally:
            stop.set()
            for thread in threads:
                thread.join()


class SynCookieSwitch(h.EngineTests):
    """auto mode with a threshold of 2: crafted SYNs from an address nobody answers for (so no
    RST clears their entries) fill one worker's backlog, which switches it to cookies; RSTs at
    RCV.NXT clear the entries, which switches it back. Each switch is a log line; the gauges and
    the counter follow."""

    ENGINE_CONFIG = {"tcp": {"syn_cookies": {"mode": "auto", "auto_threshold": 2, "backlog_per_lcore": 8}}}
    SOURCE = "10.77.0.50"

    def segment(self, sport: int, flags: str, seq: int) -> bytes:
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether
        return bytes(Ether(src=self.peer_mac, dst=self.engine_mac) / IP(src=self.SOURCE, dst=self.engine.engine_ip) /
                     TCP(sport=sport, dport=80, flags=flags, seq=seq, window=64240))

    def test_the_switch_to_cookies_and_back_is_logged_and_counted(self) -> None:
        switch_on = "SYN cookies on for 1 of 1 worker(s): their SYN backlog reached tcp.syn_cookies.auto_threshold"
        switch_off = "SYN cookies off: every worker's SYN backlog is below tcp.syn_cookies.auto_threshold"
        self.assertNotIn(switch_on, self.engine.output())
        before = self.engine.counters()
        self.assertEqual((before["tcp_syncookies_in_force"], before["tcp_syn_backlog_active"]), (0, 0))
        with t.Capture(self.engine) as capture:
            for sport in (41000, 41001):
                capture.send(self.segment(sport, "S", 1000))
            t.wait_counters(self.engine, lambda c: c["tcp_syncookies_in_force"] == 1, 5, "cookies in force")
            h.wait_for(lambda: switch_on in self.engine.output(), 5, "the switch-on line")
            capture.send(self.segment(41002, "S", 1000))  # past the threshold: a cookie
            t.wait_counters(self.engine, lambda c: c["tcp_syncookies_sent"] == before["tcp_syncookies_sent"] + 1, 5,
                            "a cookie for the third SYN")
            after_on = self.engine.counters()
            self.assertEqual(after_on["tcp_syn_backlog_active"], 2)
            self.assertEqual(after_on["tcp_syncookies_switched_on"] - before["tcp_syncookies_switched_on"], 1)
            self.assertNotIn(switch_off, self.engine.output())
            for sport in (41000, 41001):  # RFC 9293 §3.10.7.4: a RST at RCV.NXT ends SYN-RECEIVED
                capture.send(self.segment(sport, "R", 1001))
            t.wait_counters(self.engine, lambda c: c["tcp_syn_backlog_active"] == 0, 5, "the backlog emptied")
        self.assertEqual(self.engine.counters()["tcp_syncookies_in_force"], 0)
        h.wait_for(lambda: switch_off in self.engine.output(), 5, "the switch-off line")


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
