#!/usr/bin/python3
"""rampart restarts between a client's SYN-ACK and its ACK (docs/operations.md, "rampart itself
restarts"). Cookie keys derive from a master secret file, the mode is auto (the default), so each
SYN below the threshold takes a backlog entry whose ISS is a SYN cookie (docs/syncookies.md,
"Backlog entries").

Crafted clients (scapy on an AF_PACKET socket in the engine's namespace, from an address the
namespace's kernel does not own, so that it stays out of the handshakes) send their SYNs; the
engine answers from its backlog. The test stops the engine with SIGTERM -- what a service
manager's restart sends, and the harder case: SIGKILL sends nothing at all, while the stop after
SIGTERM resets what is left in the table but the backlog entries whose ISS is a cookie -- and
starts it again with the same config. Then each client sends its ACK with an HTTP request:

  * same secret, a client with Timestamps (window scale and SACK too) and one with only an MSS:
    the engine sent them no RST at its stop, and after it their ACKs open connections from the
    cookie (tcp_syncookies_validated, tcp_syncookies_entry_lost) and the requests are answered;
  * same secret, a client without Timestamps offering window scale: its entry's ISS is not a
    cookie (a cookie cannot carry the window scale the SYN-ACK granted), so the stop resets it
    and after it the ACK gets a RST;
  * another secret (the control that shows the test can fail): the ACK of a Timestamps client
    gets a RST (tcp_cookie_bad_hash).
"""

from __future__ import annotations

import re
import secrets
import sys
import unittest
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

PORT = 80
SPOOFED_IP = "10.77.0.66"
REQUEST = b"GET / HTTP/1.1\r\nHost: rampart\r\n\r\n"
WITH_TIMESTAMPS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]
MSS_ONLY = [("MSS", 1460)]
NO_TIMESTAMPS_WSCALE = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b"")]


@dataclass
class Handshake:
    """A crafted client's half of a handshake: its port and ISN, and the SYN-ACK it received."""

    sport: int
    isn: int
    timestamps: bool
    syn_ack: TCP | None = None


def final_counter(output: str, name: str) -> int:
    """The engine's final counter `name` (it logs them all on exit)."""
    found = re.findall(rf"\b{name} (\d+)$", output, re.MULTILINE)
    if not found:
        raise AssertionError(f"no final {name} in the engine's output:\n{output[-3000:]}")
    return int(found[-1])


class RestartBetweenSynAckAndAck(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = h.Engine(config={"tcp": {"syn_cookies": {"mode": "auto"}}})
        self.addCleanup(self.engine.close)
        self.secret = self.engine.workdir / "cookie-master"
        self.write_secret()
        self.engine.config["tcp"]["syn_cookies"]["master_secret_file"] = str(self.secret)
        self.engine.start()

    def write_secret(self) -> None:
        self.secret.write_text(secrets.token_hex(32) + "\n")
        self.secret.chmod(0o600)

    # -- a crafted client -----------------------------------------------------------------------

    def frame(self, hs: Handshake, flags: str, seq: int, ack: int, options: list, payload: bytes = b"") -> bytes:
        # Asked each time: the engine's port and the namespace's end of the tap are new after a
        # restart.
        engine_mac = self.engine.neighbour_mac(self.engine.engine_ip)
        return bytes(Ether(dst=engine_mac, src=self.engine.peer_mac())
                     / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                     / TCP(sport=hs.sport, dport=PORT, flags=flags, seq=seq, ack=ack, window=502,
                           options=options)
                     / payload)

    def reply(self, cap: t.Capture, hs: Handshake, wanted: str, timeout: float = 3.0) -> TCP | None:
        """The engine's next segment to hs whose flags include every letter of `wanted`."""
        def match(p: Ether, outgoing: bool) -> bool:
            return (not outgoing and t.is_tcp(p, src=self.engine.engine_ip, dst=SPOOFED_IP, sport=PORT, dport=hs.sport)
                    and all(flag in str(p[TCP].flags) for flag in wanted))
        got = cap.next(match, timeout)
        return Ether(got[0])[TCP] if got else None

    def send_syn(self, cap: t.Capture, sport: int, options: list) -> Handshake:
        hs = Handshake(sport, secrets.randbelow(2**32), any(name == "Timestamp" for name, _ in options))
        cap.send(self.frame(hs, "S", hs.isn, 0, options))
        hs.syn_ack = self.reply(cap, hs, "SA")
        self.assertIsNotNone(hs.syn_ack, f"no SYN-ACK for the SYN from port {sport}")
        return hs

    def send_ack_with_request(self, cap: t.Capture, hs: Handshake) -> None:
        options = []
        if hs.timestamps:
            tsval = dict(hs.syn_ack.options)["Timestamp"][0]
            options = [("NOP", None), ("NOP", None), ("Timestamp", (1001, tsval))]
        cap.send(self.frame(hs, "PA", hs.isn + 1, (hs.syn_ack.seq + 1) % 2**32, options, REQUEST))

    # -- the steps ----------------------------------------------------------------------------

    def stop_engine(self) -> str:
        """SIGTERM (drain_timeout_seconds is 0 in the harness: the engine stops at once); the
        first process's output, which ends with its final counters."""
        self.assertEqual(self.engine.stop(), 0)
        return self.engine.output()

    def test_handshakes_in_flight_complete_after_a_restart_with_the_same_secret(self) -> None:
        with t.Capture(self.engine) as cap:
            survivors = [self.send_syn(cap, 41001, WITH_TIMESTAMPS), self.send_syn(cap, 41002, MSS_ONLY)]
            windows = self.send_syn(cap, 41003, NO_TIMESTAMPS_WSCALE)
        self.assertIsNotNone(dict(windows.syn_ack.options).get("WScale"), "the backlog granted no window scale")
        counters = self.engine.counters()
        self.assertEqual((counters["tcp_syn_backlog_used"], counters["tcp_syncookies_sent"]), (3, 0),
                         "the SYNs were not answered from the backlog")

        output = self.stop_engine()
        # The stop reset only the entry whose ISS is not a cookie.
        self.assertEqual(final_counter(output, "tcp_rst_sent"), 1)
        self.engine.restart()

        with t.Capture(self.engine) as cap:
            for hs in survivors:
                self.send_ack_with_request(cap, hs)
                answer = self.reply(cap, hs, "")
                while answer is not None and not bytes(answer.payload) and "R" not in str(answer.flags):
                    answer = self.reply(cap, hs, "")  # an ACK before the response
                self.assertIsNotNone(answer, f"no response to port {hs.sport}'s request after the restart")
                self.assertNotIn("R", str(answer.flags), f"port {hs.sport} was reset after the restart")
                self.assertTrue(bytes(answer.payload).startswith(b"HTTP/1.1 200"), bytes(answer.payload)[:80])
            self.send_ack_with_request(cap, windows)
            reset = self.reply(cap, windows, "R")
            self.assertIsNotNone(reset, "the client without timestamps got no RST after the restart")
        counters = self.engine.counters()
        names = ("tcp_syncookies_validated", "tcp_syncookies_entry_lost", "tcp_connections_opened")
        self.assertEqual({name: counters[name] for name in names},
                         {"tcp_syncookies_validated": 2, "tcp_syncookies_entry_lost": 2,
                          "tcp_connections_opened": 2})
        # Its ISN is no cookie: refused as bad_hash, expired or future, whichever its time bits say.
        self.assertEqual(sum(counters[f"tcp_cookie_{reason}"] for reason in ("bad_hash", "expired", "future")), 1)

    def test_another_secret_refuses_the_handshake(self) -> None:
        with t.Capture(self.engine) as cap:
            hs = self.send_syn(cap, 42001, WITH_TIMESTAMPS)
        self.stop_engine()
        self.write_secret()
        self.engine.restart()
        with t.Capture(self.engine) as cap:
            self.send_ack_with_request(cap, hs)
            reset = self.reply(cap, hs, "R")
        self.assertIsNotNone(reset, "the ACK was not refused under another secret")
        self.assertEqual(reset.seq, (hs.syn_ack.seq + 1) % 2**32)  # RFC 9293 §3.10.7.2: <SEQ=SEG.ACK>
        counters = self.engine.counters()
        self.assertEqual((counters["tcp_cookie_bad_hash"], counters["tcp_connections_opened"]), (1, 0))


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
