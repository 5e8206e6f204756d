#!/usr/bin/python3
"""Streams through a lossy link (slow suite): 64 MiB of random bytes echoed over 4 parallel
connections from Linux clients through 2% loss, 5% reordering, 1% duplication and 10 ms ± 2 ms
of one-way delay, both directions (lossy_link.py, impair.py), first to Linux's own TCP stack
(an echo server in the server namespace, rampart's buffers and MSS, and rampart's congestion
control: CUBIC), then to rampart on net_af_packet behind the same link, in the same run:

- every connection gets back exactly what it sent (each chunk compared in place, SHA-256 of the
  whole), and the server closes after the client's FIN;
- no connection stalls: a watchdog fails the run when one receives nothing for STALL_SECONDS;
- the link really was impaired as configured (the relay's counters);
- run time and goodput of both are logged, and rampart's goodput / Linux's must be at least
  RAMPART_LOSS_MIN_RATIO (1.0, issue 7's target; 0 measures without asserting);
- when the namespace's own default congestion control is another one (BBR on some machines),
  Linux runs once more with it, and that ratio is logged, not asserted: BBR paces to a
  bandwidth model and does not read random loss as congestion, which no loss-based algorithm
  (Reno, CUBIC: the two rampart offers) matches on a link that drops 2% at random.

rampart runs with syn_cookies.mode auto there: Linux's handshakes are stateful when no flood
fills its SYN queue, and the comparison is of the data paths. test_4 holds both modes, auto
(the default) and always, to the same link: 40 connections each whose data follows the handshake
at once, none may fail. With always, a data segment that overtakes the handshake's ACK is checked
with the ISN the listener remembered from the SYN (tcp_syncookies_reordered); before that memory,
12 to 17 of 40 were reset (tcp_cookie_bad_hash).

Two short checks first prove the harness fails when it must: an echo server that flips one
bit, and one that stops answering.

Environment: RAMPART_LOSS_MIB (64: total MiB, split over the 4 connections),
RAMPART_LOSS_MIN_RATIO (1.0), RAMPART_BIN.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
from lossy_link import ECHO_PORT, KERNEL_IP, RAMPART_IP, Impairment, LossyBed, TransferResult, echo_transfer  # noqa: E402

STREAMS = 4
TOTAL_MIB = int(os.environ.get("RAMPART_LOSS_MIB", "64"))
MIN_RATIO = float(os.environ.get("RAMPART_LOSS_MIN_RATIO", "1.0"))
STALL_SECONDS = 20.0        # no byte back on a connection for this long: a stall, not slowness
DEADLINE_SECONDS = 1200.0   # per transfer
# What rampart gives each connection (config/default.yaml: tcp.receive_window 262140,
# tcp.send_buffer 262144, tcp.mss 1460), given to the Linux echo server too.
BUFFER = 262144
MSS = 1460
# listeners[].congestion_control's default: the two stacks are compared with the same algorithm.
CONGESTION = "cubic"
COOKIE_STREAMS = 40
COOKIE_BYTES = 32 << 10
IMPAIRMENT = Impairment(loss=2.0, duplicate=1.0, reorder=5.0, delay_ms=10.0, jitter_ms=2.0)


def mb_per_s(result: TransferResult) -> float:
    return result.goodput / 1e6


class EchoUnderLoss(unittest.TestCase):
    def check_impairment(self, stats: dict, impairment: Impairment, min_frames: int) -> None:
        """The relay did what it was told, in both directions: each rate within 5 standard
        deviations (binomial) of the configured one, no frame over the MTU (no GSO aggregate
        slipped through), send errors (losses the relay did not choose) under 0.1%."""
        h.log(f"impairment seed {stats['seed']}, relay busy {stats['busy']}")
        for direction in ("a_to_b", "b_to_a"):
            d = stats[direction]
            h.log(f"impairment {direction}: {d}")
            self.assertGreaterEqual(d["received"], min_frames, f"{direction}: too few frames to judge: {d}")
            copies = d["received"] + d["duplicated"]
            kept = copies - d["lost"]
            for what, count, trials, percent in (("duplicated", d["duplicated"], d["received"], impairment.duplicate),
                                                 ("lost", d["lost"], copies, impairment.loss),
                                                 ("reordered", d["reordered"], kept, impairment.reorder)):
                p = percent / 100
                sigma = math.sqrt(p * (1 - p) / trials)
                self.assertLess(abs(count / trials - p), 5 * sigma + 1e-3,
                                f"{direction}: {what} {count}/{trials} is not {percent}%: {d}")
            self.assertEqual(d["oversized"], 0, f"{direction}: frames over the MTU: {d}")
            self.assertLessEqual(d["send_errors"], max(1, d["sent"] // 1000), f"{direction}: {d}")

    def transfer(self, bed: LossyBed, ip: str, mib: int, stall_seconds: float = STALL_SECONDS) -> TransferResult:
        size = (mib << 20) // STREAMS
        result = echo_transfer(bed.ns_client, ip, ECHO_PORT, STREAMS, size, stall_seconds, DEADLINE_SECONDS)
        h.log(f"{ip}: {result.total_bytes} of {size * STREAMS} bytes back in {result.seconds:.1f} s, "
              f"{mb_per_s(result):.2f} MB/s")
        return result

    # -- the harness fails when it must -------------------------------------------------------

    def test_1_a_flipped_bit_fails_the_transfer(self) -> None:
        with LossyBed() as bed:
            bed.start_impairment(IMPAIRMENT, seed=1)
            server = bed.start_kernel_echo(BUFFER, MSS, ["--corrupt-at", "123457"])
            result = self.transfer(bed, KERNEL_IP, 4)
            bed.stop_kernel_echo(server)
            bed.stop_impairment()
        failures = result.failures()
        h.log(f"expected failures: {failures}")
        for s in result.streams:
            self.assertEqual(s.first_mismatch, 123457)
            self.assertIn(f"stream {s.index}: byte 123457 differs from what was sent", failures)
            self.assertIn(f"stream {s.index}: SHA-256 {result.received_digests[s.index]} != sent "
                          f"{result.sent_digests[s.index]}", failures)
        self.assertEqual(len(failures), 2 * STREAMS, failures)

    def test_2_a_server_that_stops_fails_the_transfer_as_a_stall(self) -> None:
        stall = 3.0
        with LossyBed() as bed:
            bed.start_impairment(IMPAIRMENT, seed=2)
            server = bed.start_kernel_echo(BUFFER, MSS)
            server.send_signal(signal.SIGSTOP)  # its kernel still accepts: the backlog is the kernel's
            started = time.monotonic()
            result = self.transfer(bed, KERNEL_IP, 4, stall_seconds=stall)
            took = time.monotonic() - started
            bed.stop_kernel_echo(server)
            bed.stop_impairment()
        failures = result.failures()
        h.log(f"expected failures: {failures}")
        self.assertEqual(sorted(result.stalled), list(range(STREAMS)), failures)
        self.assertTrue(all("stalled" in f for f in failures), failures)
        self.assertLess(took, stall + 45, "the watchdog ended the stalled transfer")

    # -- the measurement ----------------------------------------------------------------------

    @staticmethod
    def kernel_counters(bed: LossyBed) -> dict[str, int]:
        """The server namespace's loss-recovery counters, absolute (nstat -a: no history file)."""
        out = bed.ns(bed.ns_server, ["nstat", "-az", "TcpRetransSegs", "TcpExtTCPSackRecovery", "TcpExtTCPLossProbes",
                                     "TcpExtTCPTimeouts"], check=False).stdout
        return {f[0]: int(f[1]) for f in (line.split() for line in out.splitlines()) if len(f) >= 2 and f[1].isdigit()}

    def kernel_transfer(self, bed: LossyBed, seed: int, congestion: str) -> TransferResult:
        """The transfer to Linux's echo server with `congestion` (TCP_CONGESTION), through a
        fresh impairment; checks it and the link, and logs Linux's recovery counters."""
        bed.start_impairment(IMPAIRMENT, seed)
        server = bed.start_kernel_echo(BUFFER, MSS, ["--congestion", congestion])
        before = self.kernel_counters(bed)
        h.log(f"Linux with {congestion}:")
        result = self.transfer(bed, KERNEL_IP, TOTAL_MIB)
        after = self.kernel_counters(bed)
        bed.stop_kernel_echo(server)
        link = bed.stop_impairment()
        h.log(f"Linux's counters ({congestion}): " + ", ".join(f"{n} {after[n] - before.get(n, 0)}" for n in after))
        self.assertEqual(result.failures(), [], bed.client_sockets_report(KERNEL_IP))
        self.check_impairment(link, IMPAIRMENT, 10000)
        return result

    def test_3_echo_through_loss_rampart_against_linux(self) -> None:
        h.log(f"link: {IMPAIRMENT.describe()}; {TOTAL_MIB} MiB echoed over {STREAMS} connections")
        seed = random.randrange(1 << 31)
        with LossyBed() as bed:
            # Linux first: the harness is proven on a stack known to work before rampart runs.
            kernel = self.kernel_transfer(bed, seed, CONGESTION)
            default = bed.ns(bed.ns_server, ["sysctl", "-n", "net.ipv4.tcp_congestion_control"]).stdout.strip()
            kernel_default = self.kernel_transfer(bed, seed + 2, default) if default != CONGESTION else None

            bed.start_impairment(IMPAIRMENT, seed + 1)
            # Stateful handshakes, as Linux's: the comparison is of the data paths (test_4 holds cookies).
            bed.start_rampart({"tcp": {"syn_cookies": {"mode": "auto"}}})
            idle_mbufs = int(bed.telemetry("/rampart/port")["mbufs_in_use"])
            before = bed.counters()
            rampart = self.transfer(bed, RAMPART_IP, TOTAL_MIB)
            sockets = bed.client_sockets_report(RAMPART_IP)
            after = bed.counters()
            names = ("tcp_retransmitted_segments", "tcp_fast_retransmits", "tcp_recovery_episodes",
                     "tcp_spurious_retransmits", "tcp_rto_expiries", "tcp_out_of_order", "tcp_dup_acks_sent",
                     "tcp_out_of_window_acks", "tcp_paws_rejected", "tcp_bad_checksum", "tcp_segments_in",
                     "tcp_segments_out", "tcp_bytes_out")
            h.log("rampart's counters: " + ", ".join(f"{n} {after.get(n, 0) - before.get(n, 0)}" for n in names))
            self.assertEqual(rampart.failures(), [], sockets)
            h.wait_for(lambda: bed.counters()["tcp_connections_active"] == 0, 60,
                       "rampart's connection table to empty")
            h.wait_for(lambda: int(bed.telemetry("/rampart/port")["mbufs_in_use"]) == idle_mbufs, 20,
                       "the mbuf pool back at its idle count")
            self.assertEqual(after["tcp_bad_checksum"] - before["tcp_bad_checksum"], 0)
            self.assertEqual(bed.stop_rampart(), 0, bed.log("rampart.log"))
            rampart_link = bed.stop_impairment()
            self.check_impairment(rampart_link, IMPAIRMENT, 10000)

        ratio = rampart.goodput / kernel.goodput
        h.log(f"RESULT {TOTAL_MIB} MiB, {STREAMS} connections, {IMPAIRMENT.describe()}: "
              f"Linux ({CONGESTION}) {kernel.seconds:.1f} s {mb_per_s(kernel):.2f} MB/s; "
              f"rampart ({CONGESTION}) {rampart.seconds:.1f} s {mb_per_s(rampart):.2f} MB/s; ratio {ratio:.3f}")
        if kernel_default is not None:
            h.log(f"RESULT beside it, Linux with this namespace's default, {default}: "
                  f"{kernel_default.seconds:.1f} s {mb_per_s(kernel_default):.2f} MB/s; "
                  f"rampart ({CONGESTION}) / Linux ({default}) {rampart.goodput / kernel_default.goodput:.3f} "
                  f"(logged, not asserted)")
        self.assertGreaterEqual(ratio, MIN_RATIO,
                                f"rampart's goodput {mb_per_s(rampart):.2f} MB/s is {ratio:.3f} of Linux's "
                                f"{mb_per_s(kernel):.2f} MB/s (target: at least {MIN_RATIO})")

    def test_4_handshakes_survive_reordering_in_both_cookie_modes(self) -> None:
        """COOKIE_STREAMS connections, each echoing COOKIE_BYTES right after its handshake, to
        rampart through the same link, with syn_cookies.mode auto (the default: stateful) and then always
        (cookies): none may fail in either. With cookies, a data segment that overtakes the
        handshake's last ACK (5% reordering, 10 ms delay: likely among the ten segments of a
        first flight) reaches the listener as an ACK whose sequence number is not the client's
        ISN + 1: the listener checks its cookie with the ISN it remembered from the SYN
        (docs/syncookies.md, "Reordering"), opens the connection and queues the segment. With
        always, at least one connection must have opened that way (tcp_syncookies_reordered),
        or the link did not exercise what this test is for."""
        outcome: dict[str, tuple[int, dict[str, int]]] = {}
        with LossyBed() as bed:
            bed.start_impairment(IMPAIRMENT, seed=4)
            for mode in ("auto", "always"):
                bed.start_rampart({"tcp": {"syn_cookies": {"mode": mode}}})
                before = bed.counters()

                def one(_: int) -> list[str]:
                    # One connection per transfer: its data follows its handshake at once, as a
                    # client's request does (echo_transfer connects every stream before sending).
                    return echo_transfer(bed.ns_client, RAMPART_IP, ECHO_PORT, 1, COOKIE_BYTES, STALL_SECONDS,
                                         120).failures()

                with ThreadPoolExecutor(max_workers=8) as pool:
                    failed = sum(1 for result in pool.map(one, range(COOKIE_STREAMS)) if result)
                after = bed.counters()
                self.assertEqual(bed.stop_rampart(), 0, bed.log("rampart.log"))
                outcome[mode] = (failed, {n: after[n] - before[n] for n in
                                          ("tcp_connections_opened", "tcp_syncookies_reordered",
                                           "tcp_cookie_bad_hash", "tcp_rst_sent", "tcp_paws_rejected")})
                h.log(f"RESULT syn_cookies.mode {mode}: {failed} of {COOKIE_STREAMS} connections failed "
                      f"through reordering; {outcome[mode][1]}")
            bed.stop_impairment()
        for mode, (failed, moved) in outcome.items():
            self.assertEqual(failed, 0, f"syn_cookies.mode {mode}: {failed} of {COOKIE_STREAMS} connections "
                                        f"failed; {moved}")
        self.assertGreater(outcome["always"][1]["tcp_syncookies_reordered"], 0,
                           f"no segment overtook a handshake's ACK: {outcome['always'][1]}")

if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
