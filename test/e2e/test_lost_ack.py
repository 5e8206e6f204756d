"""A lost final ACK (docs/syncookies.md, "A lost final ACK"): a Linux client connects to a service
that speaks first (the sample plugin's greeting, as an SMTP or SSH server sends its banner) while
an nftables rule in the client's namespace drops the first ACK-only segment of each connection to
that port on its way out. That segment is always the handshake's final ACK: the client sends
nothing else before it.

- syn_cookies.mode auto (the default): the SYN left a backlog entry, so rampart sends the SYN-ACK
  again at the initial RTO (tcp_syn_ack_retransmits; a second SYN-ACK with the same ISN on the
  tap). Linux answers it with an ACK, the connection opens, and the greeting reaches the client,
  which has sent nothing.
- syn_cookies.mode always: nothing was kept and nothing is sent again. The client believes it is
  connected; rampart has no connection, and the greeting does not come. The client's first data
  segment carries the cookie and opens the connection: the greeting arrives then, followed by
  the client's data upper-cased.
"""

from __future__ import annotations

import socket
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

PORT = 2525
GREETING = b"220 rampart ready\r\n"
# rampart's SYN-ACK retransmission comes at the initial RTO (tcp.rto_initial_ms, 1 s by default).
GREETING_WAIT = 5.0
# In mode always, how long the greeting must stay away: three initial RTOs.
SILENCE = 3.0


def config(mode: str) -> dict[str, object]:
    return {
        "listeners": [{"port": PORT, "app": "plugin", "plugin": str(h.sample_plugin_path()),
                       "args": {"greeting": GREETING.decode()}}],
        "tcp": {"syn_cookies": {"mode": mode}},
    }


def drop_first_ack_rules(engine_ip: str, port: int = PORT) -> str:
    """An nftables table for the namespace: the first segment carrying ACK alone (no SYN, FIN, RST
    or PSH) of each client address and port towards rampart's `port` is dropped, the rest pass. The
    set remembers the flows already hit, so exactly one segment per connection is lost."""
    match = f"ip daddr {engine_ip} tcp dport {port} tcp flags == ack"
    return f"""table inet lost_ack {{
  set hit {{
    type ipv4_addr . inet_service
    flags dynamic
  }}
  chain output {{
    type filter hook output priority 0; policy accept;
    {match} ip saddr . tcp sport @hit accept
    {match} add @hit {{ ip saddr . tcp sport }} counter drop
  }}
}}
"""


class LostFinalAck(h.EngineTests):
    """One engine per mode (the subclasses); the rule is installed in its namespace."""

    MODE = ""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        rules = cls.engine.workdir / "lost_ack.nft"
        rules.write_text(drop_first_ack_rules(cls.engine.engine_ip))
        cls.engine.ns_run(["nft", "-f", str(rules)])

    def dropped_acks(self) -> int:
        """Packets the rule dropped so far (its counter)."""
        listing = self.engine.ns_run(["nft", "list", "chain", "inet", "lost_ack", "output"]).stdout
        for line in listing.splitlines():
            if "counter packets" in line:
                return int(line.split("counter packets")[1].split()[0])
        raise AssertionError(f"no counter in the rule:\n{listing}")

    def connect_losing_the_ack(self, cap: t.Capture, wait: float) -> tuple[socket.socket, bytes, list[tuple[str, TCP]]]:
        """A Linux connect(), which returns once the SYN-ACK has come and the final ACK has left
        (and been dropped: checked), then whatever the client receives within `wait` without
        sending anything. Returns the socket, those bytes and the connection's segments so far."""
        dropped_before = self.dropped_acks()
        with h.in_netns(self.engine.netns):
            sock = socket.create_connection((self.engine.engine_ip, PORT), timeout=5)
        received = self.receive(sock, len(GREETING), wait)
        frames = self.flow(cap, sock.getsockname()[1])
        self.assertEqual(self.dropped_acks() - dropped_before, 1, "the rule did not drop the final ACK")
        return sock, received, frames

    def flow(self, cap: t.Capture, client_port: int) -> list[tuple[str, TCP]]:
        """The connection's segments the tap carried so far, in order, as ("out" | "in", TCP):
        "out" from the client, "in" from rampart."""
        frames: list[tuple[str, TCP]] = []

        def collect(packet: Ether, outgoing: bool) -> bool:
            if t.is_tcp(packet, sport=client_port, dport=PORT) or t.is_tcp(packet, sport=PORT, dport=client_port):
                frames.append(("out" if outgoing else "in", packet[TCP]))
            return False

        cap.next(collect, timeout=0.5)
        return frames

    def receive(self, sock: socket.socket, size: int, timeout: float) -> bytes:
        """Up to `size` bytes, whatever has arrived within `timeout`."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < size and time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = sock.recv(size - len(data))
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data

    def end(self, sock: socket.socket) -> None:
        sock.close()
        t.wait_counters(self.engine, lambda c: c["tcp_connections_active"] == 0, 10, "connection closed")
        self.assert_pool_idle(f"mode {self.MODE}")


class AutoRetransmitsTheSynAck(LostFinalAck):
    MODE = "auto"
    ENGINE_CONFIG = config(MODE)

    def test_greeting_reaches_a_client_whose_final_ack_was_lost(self) -> None:
        before = self.engine.counters("/rampart/stats")
        with t.Capture(self.engine) as cap:
            sock, greeting, frames = self.connect_losing_the_ack(cap, GREETING_WAIT)
        self.assertEqual(greeting, GREETING, "the greeting did not reach the client (it sent nothing)")
        # On the tap: SYN, SYN-ACK, the same SYN-ACK again (the dropped ACK never reached it), the
        # client's ACK of the retransmission, then the greeting.
        control = [(way, str(seg.flags)) for way, seg in frames if not bytes(seg.payload)]
        self.assertEqual(control[:4], [("out", "S"), ("in", "SA"), ("in", "SA"), ("out", "A")], frames)
        syn_acks = [seg for way, seg in frames if way == "in" and str(seg.flags) == "SA"]
        self.assertEqual(syn_acks[0].seq, syn_acks[1].seq, "the retransmitted SYN-ACK has another ISN")
        self.assertEqual(syn_acks[0].ack, syn_acks[1].ack)
        data = [seg for way, seg in frames if way == "in" and bytes(seg.payload)]
        self.assertEqual(bytes(data[0].payload), GREETING)
        after = self.engine.counters("/rampart/stats")
        self.assertEqual(t.delta(after, before, "tcp_syn_backlog_used", "tcp_syn_ack_retransmits",
                                 "tcp_syncookies_sent", "tcp_connections_opened"),
                         {"tcp_syn_backlog_used": 1, "tcp_syn_ack_retransmits": 1, "tcp_syncookies_sent": 0,
                          "tcp_connections_opened": 1})
        self.end(sock)


class AlwaysWaitsForTheClientsData(LostFinalAck):
    MODE = "always"
    ENGINE_CONFIG = config(MODE)

    def test_no_connection_until_the_client_sends(self) -> None:
        before = self.engine.counters("/rampart/stats")
        with t.Capture(self.engine) as cap:
            sock, silent, frames = self.connect_losing_the_ack(cap, SILENCE)
            self.assertEqual(silent, b"", "a greeting came although rampart never saw the final ACK")
            # One SYN-ACK and nothing after it: a cookie SYN-ACK leaves nothing to retransmit.
            self.assertEqual([(way, str(seg.flags)) for way, seg in frames], [("out", "S"), ("in", "SA")])
            middle = self.engine.counters("/rampart/stats")
            self.assertEqual(t.delta(middle, before, "tcp_syncookies_sent", "tcp_syn_ack_retransmits",
                                     "tcp_connections_opened", "tcp_connections_active"),
                             {"tcp_syncookies_sent": 1, "tcp_syn_ack_retransmits": 0, "tcp_connections_opened": 0,
                              "tcp_connections_active": 0})
            # The client speaks: its segment returns the cookie and opens the connection.
            sock.sendall(b"helo\r\n")
            reply = self.receive(sock, len(GREETING) + 6, GREETING_WAIT)
        self.assertEqual(reply, GREETING + b"HELO\r\n")
        after = self.engine.counters("/rampart/stats")
        self.assertEqual(t.delta(after, before, "tcp_syncookies_validated", "tcp_connections_opened"),
                         {"tcp_syncookies_validated": 1, "tcp_connections_opened": 1})
        self.end(sock)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
