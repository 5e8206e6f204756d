#!/usr/bin/python3
"""The shield property of the `proxy` app (docs/proxy.md, "Seeing it work"): a SYN flood from
`rampart-load` at its maximum rate against the proxy listener while wrk runs through the proxy
to nginx. The bed is test_proxy.py's (the engine's tap and the backends' veths on one bridge),
plus a generator namespace on the bridge running rampart-load on net_af_packet, its spoofed
sources in 10.99.0.0/16.

- wrk keeps at least 90% of its unloaded rate. Baseline and flood phases alternate, three of
  each, and their medians are compared: the machine is shared and its speed drifts.
- nginx accepts exactly the connections whose client handshakes rampart completed on the proxy
  port (its stub_status `accepts` against the listener's `accepted`): no flood SYN reaches it.
  Health checks run once an hour here, so none falls inside the measurement.

On net_tap the bridge and the tap drop most of the flood: rampart-load offers about 800,000
SYN/s and about 20,000/s reach the engine, so this shows the proxy's behaviour under a flood
rather than rampart's maximum. Slow suite: about a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import test_proxy as p  # noqa: E402

PHASE_SECONDS = 4
ROUNDS = 3
MIN_RATIO = float(os.environ.get("RAMPART_SHIELD_MIN_RATIO", "0.9"))
LOAD_BIN = Path(os.environ.get("RAMPART_LOAD_BIN", str(h.REPO_ROOT / "build" / "perf" / "load" / "rampart-load")))


class Shield(p.ProxyTests):
    ENGINE_CONFIG = {"listeners": [{**p.proxy_listeners()[0],
                                    "args": {**p.proxy_listeners()[0]["args"],
                                             "health_interval_ms": 3600000}}]}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        try:
            cls.generator_ns = f"{cls.engine.netns}-gen"
            h.run(["ip", "netns", "add", cls.generator_ns])
            cls.bed.namespaces.append(cls.generator_ns)  # deleted with the bed
            cls.engine.ns_run(["ip", "link", "add", "vgen", "type", "veth", "peer", "name", "eth0",
                               "netns", cls.generator_ns])
            cls.engine.ns_run(["ip", "link", "set", "vgen", "master", "br0", "up"])
            h.run(["ip", "netns", "exec", cls.generator_ns, "ip", "link", "set", "eth0", "up"])
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(h.TELEMETRY_DIR / f"{cls.engine.file_prefix}-ld", ignore_errors=True)

    def flood(self) -> subprocess.Popen[str]:
        """rampart-load's SYN flood at its maximum rate for one phase plus its ramp-up."""
        cmd = ["ip", "netns", "exec", self.generator_ns, str(LOAD_BIN), "-l", "0", "--no-huge", "-m", "256",
               "--no-pci", "--file-prefix", f"{self.engine.file_prefix}-ld",
               "--vdev", "net_af_packet0,iface=eth0,framecnt=4096", "--log-level", "lib.eal:error", "--",
               "--target-ip", self.engine.engine_ip, "--target-port", str(p.WEB_PORT),
               "--local-ip", "10.77.0.9", "--flood-prefix", "10.99.0.0/16", "--syn-rate", "max",
               "--duration", str(PHASE_SECONDS + 3), "--no-progress"]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_wrk_keeps_its_rate_and_nginx_sees_no_flood(self) -> None:
        """Breaks when the flood slows the relayed clients by more than 10% (SYN handling
        starving the worker) or when any connection reaches nginx that is not a completed
        client handshake."""
        if not os.access(LOAD_BIN, os.X_OK):
            raise AssertionError(f"rampart-load not found at {LOAD_BIN} (set RAMPART_LOAD_BIN)")
        nginx = (self.bed.nginx_a, self.bed.nginx_b)
        accepts_before = sum(n.accepts() for n in nginx)
        accepted_before = self.engine.telemetry(f"/rampart/listeners,{p.WEB_PORT}")[str(p.WEB_PORT)]["accepted"]
        syns_before = self.engine.counters()["tcp_syn_received"]
        baseline, flooded = [], []
        for _ in range(ROUNDS):
            baseline.append(p.wrk(self.engine, p.WEB_PORT, PHASE_SECONDS))
            generator = self.flood()
            try:
                time.sleep(2)  # ARP for the target, then full rate
                self.assertIsNone(generator.poll(), f"rampart-load exited: {generator.stderr.read()}")
                flooded.append(p.wrk(self.engine, p.WEB_PORT, PHASE_SECONDS))
                stdout, stderr = generator.communicate(timeout=60)
                self.assertEqual(generator.returncode, 0, stderr)
                traffic = json.loads(stdout.splitlines()[-1])["traffic"]
                h.log(f"flood: {traffic['syn_offered_per_s']} SYN/s offered, "
                      f"{traffic['syn_acks_per_s']} SYN-ACK/s answered")
            finally:
                h.end_process(generator)
        syns = self.engine.counters()["tcp_syn_received"] - syns_before
        ratio = statistics.median(flooded) / statistics.median(baseline)
        h.log(f"wrk requests/s unloaded {baseline}, under the flood {flooded}: median ratio {ratio:.3f}; "
              f"{syns} SYNs received")
        self.assertGreater(syns, 100000, "the flood did not reach the engine")
        self.assertGreaterEqual(ratio, MIN_RATIO)
        self.assert_pairs_closed("wrk under a flood")
        accepted = (self.engine.telemetry(f"/rampart/listeners,{p.WEB_PORT}")[str(p.WEB_PORT)]["accepted"]
                    - accepted_before)
        # Each nginx's stub_status counts the query that reads it: one per nginx per reading.
        accepts = sum(n.accepts() for n in nginx) - accepts_before - len(nginx)
        self.assertEqual(accepts, accepted, "nginx accepted other connections than completed handshakes")


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
