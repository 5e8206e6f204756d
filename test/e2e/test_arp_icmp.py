#!/usr/bin/python3
"""ARP and ICMP against Linux as the peer: the acceptance test of the L2/L3 datapath.

- Linux's ping gets every reply, and the engine's icmp_echo_replied counter moves by exactly
  the number of requests (so the replies came from the engine, not from some other host);
- the namespace's neighbour table learns the MAC that telemetry reports for the port;
- the engine learns ARP senders by RFC 826's merge rule (its table in /rampart/neighbours;
  arp_neighbours_learned counts each entry added or refreshed) and answers a request at the MAC
  it came from;
- a burst of malformed or unwanted frames is dropped with exactly the expected per-reason counter
  deltas, while a ping running during the burst keeps getting every reply;
- SIGTERM ends the engine with exit status 0 and its final counters printed.
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

REPEAT = 3  # each bad frame is sent this many times: a counter that moves once per burst fails


def normalise_mac(value: str) -> str:
    return value.strip().lower().replace("-", ":")


def find_mac(value: object) -> str | None:
    """The first MAC-looking string in a telemetry reply (the port's key name is the port
    module's choice; what matters is the address)."""
    match = re.search(r"([0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5})", str(value))
    return normalise_mac(match.group(1)) if match else None


class ArpIcmp(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = h.Engine()
        cls.engine.__enter__()
        cls.engine_mac = find_mac(cls.engine.telemetry("/rampart/port"))
        cls.peer_mac = cls.engine.peer_mac()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    def drops(self) -> dict[str, int]:
        return self.engine.drops()

    def stats(self) -> dict[str, int]:
        return self.engine.counters("/rampart/stats")

    def ping(self, count: int) -> tuple[int, int, str]:
        result = self.engine.ns_run(h.ping_command(self.engine.engine_ip, count), check=False)
        sent, received = h.parse_ping(result.stdout)
        return sent, received, result.stdout

    # -- tests (unittest runs them in name order; each stands on its own) ---------------------

    def assert_engine_replied(self, before: int, sent: int) -> None:
        """The engine's icmp_echo_replied moved by exactly the requests ping transmitted (the
        reply to a last, extra request may still be on its way when ping exits)."""
        try:
            h.wait_for(lambda: self.stats()["icmp_echo_replied"] - before >= sent, 5,
                       f"{sent} echo replies")
        except TimeoutError:
            pass
        self.assertEqual(self.stats()["icmp_echo_replied"] - before, sent)

    def test_1_ping_is_answered_by_the_engine(self) -> None:
        before = self.stats()["icmp_echo_replied"]
        sent, received, out = self.ping(5)
        self.assertGreaterEqual(received, 5, out)
        self.assertEqual(len(re.findall(rf"bytes from {re.escape(self.engine.engine_ip)}:", out)),
                         received, out)
        self.assert_engine_replied(before, sent)

    def test_2_neighbour_learns_the_port_mac(self) -> None:
        self.assertIsNotNone(self.engine_mac, "/rampart/port reports no MAC address")
        learned = self.engine.neighbour_mac(self.engine.engine_ip)
        self.assertEqual(learned, self.engine_mac)
        state = self.engine.ns_run(["ip", "neigh", "show", "to", self.engine.engine_ip]).stdout
        self.assertNotIn("FAILED", state)

    def test_3_arp_senders_are_learned_by_the_merge_rule(self) -> None:
        """RFC 826: a request for our address adds its sender to the neighbour table; any ARP
        packet refreshes a sender already there; a request for another address from a sender not
        there adds nothing. /rampart/neighbours shows the table itself, arp_neighbours_learned
        counts each entry added or refreshed, and the reply shows where the engine answers."""
        from scapy.layers.l2 import ARP, Ether

        stranger_mac, stranger_ip, elsewhere = "02:00:00:77:00:09", "10.77.0.9", "10.77.0.77"

        def request(target: str) -> bytes:
            return bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=stranger_mac)
                         / ARP(op=1, hwsrc=stranger_mac, psrc=stranger_ip, pdst=target))

        def is_reply_to_stranger(frame: bytes) -> bool:
            packet = Ether(frame)
            return ARP in packet and packet[ARP].op == 2 and packet[ARP].pdst == stranger_ip

        # The namespace's own ARP traffic would move the counter too (Linux refreshing its entry
        # for the engine): pin that entry while counting.
        entry = [self.engine.engine_ip, "dev", self.engine.tap]
        self.engine.ns_run(["ip", "neigh", "replace", *entry, "lladdr", self.engine_mac, "nud", "permanent"])
        self.addCleanup(self.engine.ns_run, ["ip", "neigh", "del", *entry])
        learned = self.stats()["arp_neighbours_learned"]
        not_for_us = self.drops()["arp_not_for_us"]

        def counted(new_learned: int, new_not_for_us: int, what: str) -> None:
            h.wait_for(lambda: self.drops()["arp_not_for_us"] - not_for_us == new_not_for_us
                       and self.stats()["arp_neighbours_learned"] - learned >= new_learned, 5, what)
            time.sleep(0.2)  # a stray extra would show now
            self.assertEqual((self.stats()["arp_neighbours_learned"] - learned,
                              self.drops()["arp_not_for_us"] - not_for_us),
                             (new_learned, new_not_for_us), what)

        def stranger_entries() -> list[tuple[str, str]]:
            return [(normalise_mac(row["mac"]), row["state"]) for row in self.engine.neighbours()
                    if row["ip"] == stranger_ip]

        with self.engine.packet_socket() as sock:
            sock.drain()
            sock.send(request(elsewhere))
            counted(0, 1, "a stranger asking for another address: dropped, not learned")
            self.assertEqual(stranger_entries(), [], "a stranger asking for another address")
            sock.send(request(self.engine.engine_ip))
            reply = sock.receive(is_reply_to_stranger)
            counted(1, 1, "a stranger asking for our address: learned")
            self.assertEqual(stranger_entries(), [(stranger_mac, "reachable")])
            learned_age = next(r["age_ms"] for r in self.engine.neighbours() if r["ip"] == stranger_ip)
            time.sleep(0.3)
            sock.send(request(elsewhere))
            counted(2, 2, "the same stranger asking for another address again: refreshed")
            refreshed_age = next(r["age_ms"] for r in self.engine.neighbours() if r["ip"] == stranger_ip)
            self.assertLess(refreshed_age, learned_age + 300, "the refresh did not reset the entry's age")
        self.assertIsNotNone(reply, "no ARP reply to the stranger's request")
        packet = Ether(reply)
        self.assertEqual((normalise_mac(packet.dst), normalise_mac(packet[ARP].hwdst), packet[ARP].pdst),
                         (stranger_mac, stranger_mac, stranger_ip))
        self.assertEqual((normalise_mac(packet.src), normalise_mac(packet[ARP].hwsrc), packet[ARP].psrc),
                         (self.engine_mac, self.engine_mac, self.engine.engine_ip))

    def test_4_telemetry_lists_every_drop_reason(self) -> None:
        drops = self.drops()
        missing = [r for r in frames.drop_reason_names() if r not in drops]
        self.assertEqual(missing, [], f"/rampart/drops lacks these reasons: {missing}")

    def test_5_malformed_burst_counts_exact_reasons_while_ping_keeps_working(self) -> None:
        bad = frames.malformed_frames(self.engine_mac, self.peer_mac, self.engine.engine_ip,
                                      self.engine.peer_ip)
        burst = self.engine.drop_burst(bad, h.ping_command(self.engine.engine_ip, 15), REPEAT)
        sent, received = h.parse_ping(burst.ping_output)
        self.assertGreaterEqual(received, 15, f"ping during the burst:\n{burst.ping_output}")
        self.assertEqual(burst.counted, burst.expected)
        before = burst.stats_before
        self.assertEqual(self.stats()["dropped"] - before["dropped"], sum(burst.expected.values()))
        self.assert_engine_replied(before["icmp_echo_replied"], sent)
        # Every frame received ended as exactly one outcome (docs/stats.md).
        self.assertEqual(h.accounting_gaps(before, self.stats()), {})

        # And after the burst, with a ping the test makes itself.
        sent, received, out = self.ping(3)
        self.assertGreaterEqual(received, 3, out)

    def test_6_crafted_echo_gets_a_correct_reply(self) -> None:
        from scapy.layers.inet import ICMP, IP
        from scapy.layers.l2 import Ether
        from scapy.packet import Raw

        payload = bytes(range(64)) * 4
        request = (Ether(dst=self.engine_mac, src=self.peer_mac)
                   / IP(src=self.engine.peer_ip, dst=self.engine.engine_ip, ttl=17)
                   / ICMP(type=8, id=0x5151, seq=9) / Raw(payload))
        with self.engine.packet_socket() as sock:
            sock.drain()
            sock.send(bytes(request))
            reply = sock.receive(lambda f: frames.is_echo_reply(f, self.engine.engine_ip, 0x5151))
        self.assertIsNotNone(reply, "no echo reply to a crafted request")
        packet = Ether(reply)
        self.assertEqual(normalise_mac(packet.src), self.engine_mac)
        self.assertEqual(normalise_mac(packet.dst), self.peer_mac)
        self.assertEqual(packet[IP].dst, self.engine.peer_ip)
        self.assertEqual(packet[ICMP].seq, 9)
        self.assertEqual(bytes(packet[ICMP].payload), payload)  # RFC 792: data echoed unchanged
        # Checksums as sent must verify: recompute and compare.
        ip_checksum, icmp_checksum = packet[IP].chksum, packet[ICMP].chksum
        del packet[IP].chksum
        del packet[ICMP].chksum
        rebuilt = Ether(bytes(packet))
        self.assertEqual(ip_checksum, rebuilt[IP].chksum)
        self.assertEqual(icmp_checksum, rebuilt[ICMP].chksum)

    def test_7_cost_accounting_counts_busy_turns(self) -> None:
        """Each ping is a turn that received a packet: busy_turns and busy_cycles move with the
        pings, and /rampart/cost derives cycles per packet and the busy share from them."""
        before = self.stats()
        sent, received, out = self.ping(5)
        self.assertGreaterEqual(received, 5, out)
        after = self.stats()
        turns = (after["busy_turns"] + after["busy_turns_interrupted"]
                 - before["busy_turns"] - before["busy_turns_interrupted"])
        packets = after["rx_packets"] - before["rx_packets"]
        self.assertGreaterEqual(turns, sent)
        self.assertLessEqual(turns, packets)  # a busy turn received at least one packet
        self.assertGreater(after["busy_cycles"] - before["busy_cycles"], 0)
        cost = self.engine.telemetry("/rampart/cost")
        self.assertEqual(cost["workers"], 1)
        self.assertGreater(cost["tsc_hz"], 0)
        self.assertGreaterEqual(cost["busy_cycles"], after["busy_cycles"])
        self.assertLessEqual(cost["busy_packets"], after["rx_packets"])
        self.assertLessEqual(abs(cost["cycles_per_packet"]
                                 - cost["busy_cycles"] / cost["busy_packets"]), 0.5)
        # A few pings keep a polling worker busy for a tiny share of its time.
        self.assertLess(cost["busy_ppm"], 100_000)
        self.assertLessEqual(cost["busy_cycles"], cost["uptime_cycles"])

    def test_8_worker_cycles_cover_whole_turns(self) -> None:
        """Each echo is a turn that received and sent: it is in worker_cycles, whose turns hold
        the engine's part (busy_cycles) and the driver's calls around it, so they cost more."""
        before = self.stats()
        sent, received, out = self.ping(5)
        self.assertGreaterEqual(received, 5, out)
        after = self.stats()
        whole_turns = (after["worker_turns"] + after["worker_turns_interrupted"]
                       - before["worker_turns"] - before["worker_turns_interrupted"])
        busy_turns = (after["busy_turns"] + after["busy_turns_interrupted"]
                      - before["busy_turns"] - before["busy_turns_interrupted"])
        self.assertGreaterEqual(whole_turns, busy_turns)  # every receiving turn, and sending-only ones
        self.assertGreaterEqual(busy_turns, sent)
        whole = after["worker_cycles"] - before["worker_cycles"]
        engine = after["busy_cycles"] - before["busy_cycles"]
        self.assertGreater(whole, engine)  # net_tap's read() and write() are in it
        cost = self.engine.telemetry("/rampart/cost")
        self.assertGreaterEqual(cost["worker_cycles"], after["worker_cycles"])
        self.assertGreaterEqual(cost["worker_busy_ppm"], cost["busy_ppm"])
        self.assertLess(cost["worker_busy_ppm"], 200_000)  # empty polls are not counted


class Shutdown(unittest.TestCase):
    def test_sigterm_exits_zero_and_prints_final_counters(self) -> None:
        with h.Engine() as engine:
            result = engine.ns_run(h.ping_command(engine.engine_ip, 3), check=False)
            sent, received = h.parse_ping(result.stdout)
            self.assertGreaterEqual(received, 3, result.stdout)
            # The start-up probes were answered too; wait for the last reply to be counted.
            replied = h.wait_for(lambda: engine.counters("/rampart/stats")["icmp_echo_replied"]
                                 if engine.counters("/rampart/stats")["icmp_echo_replied"] >= sent
                                 else 0, 5, "the echo replies to be counted")
            self.assertEqual(engine.stop(), 0, engine.output())
            output = engine.output()
        match = re.search(r"icmp_echo_replied\D{0,20}?(\d+)", output)
        self.assertIsNotNone(match, f"no final icmp_echo_replied in the output:\n{output}")
        self.assertEqual(int(match.group(1)), replied, output)
        self.assertIn("rx_packets", output)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
