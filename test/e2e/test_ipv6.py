#!/usr/bin/python3
"""IPv6 against Linux as the peer: the port with `port.ipv6` answers ping -6 and Neighbor
Discovery, announces itself, and drops malformed IPv6 with a named reason.

- Linux's `ping -6` to the global address and to the link-local one (derived from the MAC, as
  /rampart/port reports it) gets every reply, and the engine's echo counter moves by exactly
  the requests sent;
- Linux's neighbour table learns the port's MAC for both addresses (the engine answered its
  Neighbor Solicitations);
- the start-up announcement sent a DAD probe and an unsolicited Neighbor Advertisement for each
  address, beside the gratuitous ARP;
- a burst of malformed IPv6 frames (bad lengths, extension-header chains, routing type 0,
  fragments, bad Neighbor Solicitations, a bad ICMPv6 checksum) is dropped with exactly the
  expected per-reason deltas while a ping -6 keeps getting every reply; an echo request in an
  atomic fragment (RFC 8021) is answered;
- over net_af_packet on a veth pair, where the peer sees the engine from its first frame: the
  DAD probes and unsolicited advertisements arrive byte for byte as RFC 4861/4862 say, and
  ping -6 is answered.
"""

from __future__ import annotations

import re
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import frames  # noqa: E402
import rampart_harness as h  # noqa: E402
import test_streams_af_packet as afp  # noqa: E402

ENGINE_IPV6 = "fd77::2"
PEER_IPV6 = "fd77::1"
PREFIX = 64
REPEAT = 3  # each bad frame is sent this many times: a counter that moves once per burst fails
ECHO_REPLIED = "icmpv6_echo_replied"


def ping6_command(address: str, count: int) -> list[str]:
    """h.ping_command over IPv6 (the same waiting rules)."""
    command = h.ping_command(address, count)
    return [command[0], "-6", *command[1:]]


def neighbour_entry(run: object, address: str, interface: str) -> tuple[str | None, str]:
    """(lladdr, state) of Linux's neighbour entry for address, from `ip -6 neigh`."""
    out = run(["ip", "-6", "neigh", "show", "to", address, "dev", interface]).stdout
    match = re.search(r"lladdr ([0-9a-f:]{17})", out)
    states = re.findall(r"\b(REACHABLE|STALE|DELAY|PROBE|INCOMPLETE|FAILED|PERMANENT|NOARP)\b", out)
    return (match.group(1) if match else None), (states[-1] if states else out.strip())


class Ipv6(h.EngineTests):
    ENGINE_CONFIG = {"port": {"ipv6": f"{ENGINE_IPV6}/{PREFIX}"}}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        try:
            port = cls.engine.telemetry("/rampart/port")
            cls.link_local = port["ipv6_link_local"]
            cls.engine.enable_ipv6(f"{PEER_IPV6}/{PREFIX}")
            cls.wait_quiet()
        except BaseException:
            cls.engine.close()
            raise

    @classmethod
    def wait_quiet(cls, quiet_for: float = 1.5, timeout: float = 15) -> None:
        """Until the engine received nothing for `quiet_for` seconds: the MLD reports Linux sends
        when its IPv6 comes up are over, and cannot land in a test's counter deltas."""
        deadline = time.monotonic() + timeout
        last = cls.engine.counters()["rx_packets"]
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = cls.engine.counters()["rx_packets"]
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_for:
                return
        raise TimeoutError(f"the link did not go quiet within {timeout:.0f}s")

    def stats(self) -> dict[str, int]:
        return self.engine.counters("/rampart/stats")

    def ping6(self, address: str, count: int) -> tuple[int, int, str]:
        """ping -6 from the namespace; a link-local address gets the tap as its zone."""
        if address.startswith("fe80:"):
            address = f"{address}%{self.engine.tap}"
        result = self.engine.ns_run(ping6_command(address, count), check=False)
        sent, received = h.parse_ping(result.stdout)
        return sent, received, result.stdout + result.stderr

    def assert_engine_replied(self, before: int, sent: int) -> None:
        """The engine's echo counter moved by exactly the requests ping transmitted (the reply to
        a last, extra request may still be on its way when ping exits)."""
        try:
            h.wait_for(lambda: self.stats()[ECHO_REPLIED] - before >= sent, 5, f"{sent} echo replies")
        except TimeoutError:
            pass
        self.assertEqual(self.stats()[ECHO_REPLIED] - before, sent)

    # -- tests (unittest runs them in name order; each stands on its own) ---------------------

    def test_1_ping6_to_the_global_address(self) -> None:
        before = self.stats()[ECHO_REPLIED]
        sent, received, out = self.ping6(ENGINE_IPV6, 5)
        self.assertGreaterEqual(received, 5, out)
        self.assertEqual(len(re.findall(rf"bytes from {re.escape(ENGINE_IPV6)}:", out)), received, out)
        self.assert_engine_replied(before, sent)

    def test_2_ping6_to_the_link_local_address(self) -> None:
        self.assertTrue(self.link_local.startswith("fe80::"), self.link_local)
        before = self.stats()[ECHO_REPLIED]
        sent, received, out = self.ping6(self.link_local, 5)
        self.assertGreaterEqual(received, 5, out)
        self.assert_engine_replied(before, sent)

    def test_3_linux_learns_the_port_mac_for_both_addresses(self) -> None:
        for address in (ENGINE_IPV6, self.link_local):
            sent, received, out = self.ping6(address, 1)
            self.assertGreaterEqual(received, 1, out)
            lladdr, state = neighbour_entry(self.engine.ns_run, address, self.engine.tap)
            self.assertEqual(lladdr, self.engine_mac, f"ip -6 neigh for {address}: {state}")
            self.assertIn(state, ("REACHABLE", "STALE", "DELAY", "PROBE"), address)

    def test_4_start_announced_both_addresses(self) -> None:
        """One announcement at start (the link of a tap moved to another namespace reads
        `unknown`, so no link-up follows): per address one DAD probe and one unsolicited NA."""
        stats = self.stats()
        announcements = stats["arp_gratuitous_sent"]
        self.assertGreaterEqual(announcements, 1)
        self.assertEqual(stats["ndp_dad_probes_sent"], 2 * announcements)
        self.assertEqual(stats["ndp_unsolicited_advertisements_sent"], 2 * announcements)

    def test_5_malformed_ipv6_counts_exact_reasons_while_ping6_keeps_working(self) -> None:
        bad = frames.malformed_ipv6_frames(self.engine_mac, self.peer_mac, ENGINE_IPV6, PEER_IPV6)
        burst = self.engine.drop_burst(bad, ping6_command(ENGINE_IPV6, 15), REPEAT)
        sent, received = h.parse_ping(burst.ping_output)
        self.assertGreaterEqual(received, 15, f"ping -6 during the burst:\n{burst.ping_output}")
        self.assertEqual(burst.counted, burst.expected)
        before = burst.stats_before
        self.assertEqual(self.stats()["dropped"] - before["dropped"], sum(burst.expected.values()))
        self.assert_engine_replied(before[ECHO_REPLIED], sent)
        # Every frame received ended as exactly one outcome (docs/stats.md).
        self.assertEqual(h.accounting_gaps(before, self.stats()), {})

        # And after the burst, with a ping the test makes itself.
        sent, received, out = self.ping6(ENGINE_IPV6, 3)
        self.assertGreaterEqual(received, 3, out)

    def test_6_echo_in_an_atomic_fragment_is_answered(self) -> None:
        """RFC 8021 §4 (RFC 8200 §4.5): a fragment header with offset 0 and M clear is a whole
        packet; the request inside is answered like any other."""
        from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, IPv6ExtHdrFragment
        from scapy.layers.l2 import Ether

        payload = bytes(range(48))
        request = (Ether(dst=self.engine_mac, src=self.peer_mac)
                   / IPv6(src=PEER_IPV6, dst=ENGINE_IPV6)
                   / IPv6ExtHdrFragment(offset=0, m=0, id=0x6161)
                   / ICMPv6EchoRequest(id=0x6161, seq=4, data=payload))
        before = self.stats()[ECHO_REPLIED]
        with self.engine.packet_socket() as sock:
            sock.drain()
            sock.send(bytes(request))
            reply = sock.receive(lambda f: frames.is_echo6_reply(f, ENGINE_IPV6, 0x6161))
        self.assertIsNotNone(reply, "no echo reply to a request in an atomic fragment")
        packet = Ether(reply)
        self.assertEqual((packet.src, packet.dst), (self.engine_mac, self.peer_mac))
        self.assertEqual(packet[IPv6].dst, PEER_IPV6)
        self.assertEqual((packet[ICMPv6EchoReply].seq, bytes(packet[ICMPv6EchoReply].data)), (4, payload))
        # The checksum as sent must verify: recompute and compare.
        sent_checksum = packet[ICMPv6EchoReply].cksum
        del packet[ICMPv6EchoReply].cksum
        self.assertEqual(Ether(bytes(packet))[ICMPv6EchoReply].cksum, sent_checksum)
        self.assert_engine_replied(before, 1)


class Ipv6OverAfPacket(unittest.TestCase):
    """net_af_packet on a veth pair (test_streams_af_packet.py): the peer's end exists before the
    engine starts, so the start-up announcement can be read there frame by frame."""

    ENGINE_IPV6 = "fd79::2"
    PEER_IPV6 = "fd79::1"
    ENGINE_MAC = "02:00:00:79:00:02"  # VethBed's port.mac

    def test_announcement_and_ping6(self) -> None:
        from socket import AF_INET6, inet_ntop, inet_pton

        from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, IPv6, in6_getnsma,
                                        in6_getnsmac)
        from scapy.layers.l2 import Ether

        sockets: list[h.PacketSocket] = []

        def listen_before_start(bed: afp.VethBed) -> None:
            bed.ns(bed.peer_ns, ["sysctl", "-q", "-w", f"net.ipv6.conf.{bed.peer_if}.accept_dad=0"])
            bed.ns(bed.peer_ns, ["ip", "-6", "address", "add", f"{self.PEER_IPV6}/{PREFIX}",
                                 "dev", bed.peer_if, "nodad"])
            sockets.append(h.PacketSocket(bed.peer_ns, bed.peer_if))

        config = {"port": {"ipv6": f"{self.ENGINE_IPV6}/{PREFIX}"}}
        with afp.VethBed(config=config, before_engine=listen_before_start) as bed:
            self.addCleanup(lambda: [s.close() for s in sockets])
            link_local = bed.telemetry("/rampart/port")["ipv6_link_local"]
            seen: dict[tuple[str, str], Ether] = {}

            def announcement(frame: bytes) -> bool:
                # The kernel's end of the engine's veth keeps its own IPv6 (and now the port's
                # MAC): its probes for its own link-local address are not the engine's.
                packet = Ether(frame)
                if packet.src != self.ENGINE_MAC or IPv6 not in packet:
                    return False
                for kind, layer in (("probe", ICMPv6ND_NS), ("advertisement", ICMPv6ND_NA)):
                    if layer in packet and packet[layer].tgt in (self.ENGINE_IPV6, link_local):
                        seen[(kind, packet[layer].tgt)] = packet
                return len(seen) == 4

            sockets[0].receive(announcement, timeout=5)
            self.assertEqual(sorted(seen), sorted((kind, address) for kind in ("advertisement", "probe")
                                                  for address in (self.ENGINE_IPV6, link_local)))
            for address in (self.ENGINE_IPV6, link_local):
                # RFC 4862 §5.4.2: from ::, to the target's solicited-node group, hop limit 255,
                # no Source Link-Layer Address option.
                probe = seen[("probe", address)]
                group = in6_getnsma(inet_pton(AF_INET6, address))
                self.assertEqual((probe.dst, probe[IPv6].dst), (in6_getnsmac(group), inet_ntop(AF_INET6, group)))
                self.assertEqual((probe[IPv6].src, probe[IPv6].hlim), ("::", 255))
                self.assertEqual(bytes(probe[ICMPv6ND_NS].payload), b"", "a DAD probe carries no option")
                # RFC 4861 §7.2.6: to all-nodes, Override set, Solicited clear, our MAC in the
                # Target Link-Layer Address option.
                advert = seen[("advertisement", address)]
                self.assertEqual((advert.dst, advert[IPv6].dst, advert[IPv6].hlim),
                                 ("33:33:00:00:00:01", "ff02::1", 255))
                self.assertEqual((advert[ICMPv6ND_NA].O, advert[ICMPv6ND_NA].S, advert[ICMPv6ND_NA].R),
                                 (1, 0, 0))
                self.assertEqual(advert[ICMPv6NDOptDstLLAddr].lladdr, self.ENGINE_MAC)

            before = bed.counters()[ECHO_REPLIED]
            out = bed.ns(bed.peer_ns, ping6_command(self.ENGINE_IPV6, 3), check=False)
            sent, received = h.parse_ping(out.stdout)
            self.assertGreaterEqual(received, 3, out.stdout + out.stderr)
            h.wait_for(lambda: bed.counters()[ECHO_REPLIED] - before >= sent, 5, "the echo replies")
            lladdr, state = neighbour_entry(lambda cmd: bed.ns(bed.peer_ns, cmd), self.ENGINE_IPV6,
                                            bed.peer_if)
            self.assertEqual(lladdr, self.ENGINE_MAC, state)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
