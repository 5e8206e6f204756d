#!/usr/bin/python3
"""Routes and next-hop resolution for the traffic rampart originates, two hops deep.

The engine's namespace is a Linux router (ip_forward): on the engine's link it owns 10.77.0.1
(the harness's peer address) and the gateway 10.77.0.254; behind it, on a veth pair, a far
namespace holds 10.88.0.5. The engine runs two workers with port.gateway 10.77.0.254 and a
route to 10.99.0.0/16 through 10.77.0.253, which nobody holds.

- a host behind the router reaches the engine (its replies go back to the router's MAC);
- /rampart/resolve of the far host picks the gateway as next hop, and both workers learn the
  gateway's MAC through their own ARP requests (seen on the link, counted, listed by
  /rampart/neighbours as reachable), although the replies reach one worker's queue only;
- a next hop that never answers gets three requests a second apart, then fails
  (neighbour_resolution_failures; listed as failed);
- an address on the subnet is its own next hop.
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402

GATEWAY = "10.77.0.254"
SILENT_ROUTER = "10.77.0.253"
FAR_HOST = "10.88.0.5"
FAR_ROUTER_SIDE = "10.88.0.1"


class Routes(h.EngineTests):
    # Two workers (sharing CPU 1): the port hands every ARP reply to one of them, and the other
    # resolves from its table.
    ENGINE_LCORES = "0@0,1@1,2@1"
    ENGINE_CONFIG = {
        "port": {"gateway": GATEWAY},
        "routes": [{"prefix": "10.99.0.0/16", "via": SILENT_ROUTER}],
    }

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        try:
            cls.far = f"{cls.engine.netns}-far"
            cls.far_created = False
            cls.make_second_hop()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def make_second_hop(cls) -> None:
        engine = cls.engine
        engine.ns_run(["ip", "address", "add", f"{GATEWAY}/24", "dev", engine.tap])
        engine.ns_run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        h.run(["ip", "netns", "add", cls.far])
        cls.far_created = True
        h.run(["ip", "netns", "exec", cls.far, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"])
        router_end, far_end = "rtr0", "far0"
        engine.ns_run(["ip", "link", "add", router_end, "type", "veth", "peer", "name", far_end,
                       "netns", cls.far])
        engine.ns_run(["ip", "address", "add", f"{FAR_ROUTER_SIDE}/24", "dev", router_end])
        engine.ns_run(["ip", "link", "set", router_end, "up"])
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "address", "add", f"{FAR_HOST}/24", "dev", far_end],
                    ["ip", "link", "set", far_end, "up"],
                    ["ip", "route", "add", "default", "via", FAR_ROUTER_SIDE]):
            h.run(["ip", "netns", "exec", cls.far, *cmd])

    @classmethod
    def tearDownClass(cls) -> None:
        if getattr(cls, "far_created", False):
            h.run(["ip", "netns", "delete", cls.far], check=False)
            cls.far_created = False
        super().tearDownClass()

    def resolve(self, address: str) -> dict:
        reply = self.engine.telemetry(f"/rampart/resolve,{address}")
        self.assertIsInstance(reply, dict, reply)
        return reply

    def rows_for(self, address: str) -> list[tuple[int, str, str]]:
        """(lcore, mac, state) of every worker's entry for address, by lcore."""
        return sorted((row["lcore"], row["mac"].lower(), row["state"]) for row in self.engine.neighbours()
                      if row["ip"] == address)

    def test_1_a_host_behind_the_router_reaches_the_engine(self) -> None:
        result = h.run(["ip", "netns", "exec", self.far, *h.ping_command(self.engine.engine_ip, 3)],
                       check=False)
        _, received = h.parse_ping(result.stdout)
        self.assertGreaterEqual(received, 3, result.stdout)

    def test_2_the_gateway_is_learned_through_our_own_arp_request(self) -> None:
        from scapy.layers.l2 import ARP, Ether

        def is_our_request(frame: bytes) -> bool:
            packet = Ether(frame)
            return (ARP in packet and packet[ARP].op == 1 and packet[ARP].pdst == GATEWAY
                    and packet[ARP].psrc == self.engine.engine_ip)

        self.assertEqual(self.rows_for(GATEWAY), [], "the gateway is known before anything asked for it")
        before = self.engine.counters()
        with self.engine.packet_socket() as sock:
            sock.drain()
            reply = self.resolve(FAR_HOST)
            request = sock.receive(is_our_request)
        self.assertEqual((reply["ip"], reply["next_hop"]), (FAR_HOST, GATEWAY), reply)
        self.assertEqual(set(reply["lcores"].values()), {f"reachable {self.peer_mac}"}, reply)
        self.assertIsNotNone(request, "no ARP request for the gateway on the link")
        packet = Ether(request)
        self.assertEqual((packet.dst, packet.src.lower(), packet[ARP].hwsrc.lower(), packet[ARP].hwdst),
                         ("ff:ff:ff:ff:ff:ff", self.engine_mac.lower(), self.engine_mac.lower(),
                          "00:00:00:00:00:00"))
        workers = sorted(int(lcore) for lcore in reply["lcores"])
        self.assertEqual(len(workers), 2, reply)
        self.assertEqual(self.rows_for(GATEWAY), [(lcore, self.peer_mac, "reachable") for lcore in workers])
        after = self.engine.counters()
        # A worker asked after the reply was learned finds it in the other's table and sends no
        # request; each request sent was answered.
        requests = after["arp_requests_sent"] - before["arp_requests_sent"]
        self.assertIn(requests, range(1, len(workers) + 1))
        self.assertEqual(after["neighbour_resolutions"] - before["neighbour_resolutions"], requests)
        # Known now: resolving again asks nothing more.
        self.assertEqual(set(self.resolve(FAR_HOST)["lcores"].values()), {f"reachable {self.peer_mac}"})
        self.assertEqual(self.engine.counters()["arp_requests_sent"], after["arp_requests_sent"])

    def test_3_a_silent_next_hop_fails_after_three_requests(self) -> None:
        before = self.engine.counters()
        reply = self.resolve("10.99.1.1")
        self.assertEqual(reply["next_hop"], SILENT_ROUTER, reply)
        self.assertEqual(set(reply["lcores"].values()), {"failed"}, reply)
        workers = sorted(int(lcore) for lcore in reply["lcores"])
        self.assertEqual(self.rows_for(SILENT_ROUTER), [(lcore, "00:00:00:00:00:00", "failed") for lcore in workers])
        after = self.engine.counters()
        self.assertEqual(after["arp_requests_sent"] - before["arp_requests_sent"], 3 * len(workers))
        self.assertEqual(after["neighbour_resolution_failures"] - before["neighbour_resolution_failures"],
                         len(workers))
        # In its hold-down: asked again, it fails at once and sends nothing.
        self.assertEqual(set(self.resolve("10.99.1.1")["lcores"].values()), {"failed"})
        self.assertEqual(self.engine.counters()["arp_requests_sent"], after["arp_requests_sent"])

    def test_4_an_address_on_the_subnet_is_its_own_next_hop(self) -> None:
        reply = self.resolve(self.engine.peer_ip)
        self.assertEqual(reply["next_hop"], self.engine.peer_ip, reply)
        self.assertEqual(set(reply["lcores"].values()), {f"reachable {self.peer_mac}"}, reply)

    def test_5_a_bad_address_is_refused(self) -> None:
        self.assertIn("error", self.resolve("10.77.0"))


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
