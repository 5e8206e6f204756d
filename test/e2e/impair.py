#!/usr/bin/python3
"""A lossy link in user space: forwards Ethernet frames between two interfaces, each direction
impaired independently with tc-netem's semantics (loss, duplication, reordering, delay with
jitter). The end-to-end loss tests (test_loss.py) use it where the kernel has no sch_netem
(CONFIG_NET_SCH_NETEM is not set on the machines this project's CI runs on, and modules cannot
be loaded there).

    impair.py --a IFACE --b IFACE --loss 2 --duplicate 1 --reorder 5 --delay-ms 10 \
              --jitter-ms 2 --seed 1 --stats FILE

Per frame and direction, as `tc qdisc add ... netem delay D J loss L duplicate U reorder R
rate <infinite>` does it:
  1. duplicate with probability U: two copies, each going through steps 2-3 on its own (netem
     re-enqueues the clone at the root, so it meets loss and delay again);
  2. lose the copy with probability L;
  3. with probability R send it at once, ahead of the frames waiting out their delay (netem's
     `reorder`: time_to_send = now, queued at the head); otherwise hold it for D ± J
     (uniform), never releasing it before a frame queued earlier in the same direction: jitter
     alone reorders nothing (netem behaves so when `rate` is set; without `rate` its jitter
     reorders frames closer together than the jitter, which is not what "R% reordering" means).

The sockets are AF_PACKET on both interfaces, with PACKET_IGNORE_OUTGOING so the relay never
reads back what it sends. SIGTERM or SIGINT ends it; it then writes its counters to --stats as
one JSON object {"seed": N, "busy": CPU time / (last frame - first frame), "a_to_b": {...}, "b_to_a": {...}}: frames received, duplicated, lost,
reordered, delayed, sent, send_errors, oversized (longer than --max-frame), max_frame.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263             # linux/socket.h (Python's socket module lacks it)
PACKET_IGNORE_OUTGOING = 23  # linux/if_packet.h, Linux >= 4.20
BURST = 256                  # frames read from one socket before the queues are looked at again


class Direction:
    def __init__(self, name: str, rx: socket.socket, tx: socket.socket, args: argparse.Namespace,
                 rng: random.Random):
        self.name = name
        self.rx, self.tx = rx, tx
        self.loss, self.duplicate, self.reorder = args.loss / 100, args.duplicate / 100, args.reorder / 100
        self.delay, self.jitter = args.delay_ms / 1000, args.jitter_ms / 1000
        self.max_frame = args.max_frame
        self.rng = rng
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.last_release = 0.0
        self.stats = dict.fromkeys(("received", "duplicated", "lost", "reordered", "delayed", "sent",
                                    "send_errors", "oversized", "max_frame"), 0)

    def send(self, frame: bytes) -> None:
        try:
            self.tx.send(frame)
            self.stats["sent"] += 1
        except OSError:
            # A frame the far side cannot take (a full backlog, a frame over its MTU): lost, and
            # counted apart from the loss the relay chose, so the test can tell the two apart.
            self.stats["send_errors"] += 1

    def arrive(self, frame: bytes, now: float) -> None:
        stats, rng = self.stats, self.rng
        stats["received"] += 1
        stats["max_frame"] = max(stats["max_frame"], len(frame))
        if len(frame) > self.max_frame:
            stats["oversized"] += 1
        copies = 1
        if rng.random() < self.duplicate:
            copies = 2
            stats["duplicated"] += 1
        for _ in range(copies):
            if rng.random() < self.loss:
                stats["lost"] += 1
            elif rng.random() < self.reorder:
                stats["reordered"] += 1
                self.send(frame)
            else:
                stats["delayed"] += 1
                release = max(now + self.delay + rng.uniform(-self.jitter, self.jitter), self.last_release)
                self.last_release = release
                self.queue.append((release, frame))

    def release_due(self, now: float) -> float | None:
        """Sends every frame whose time has come; returns the next release time, if any."""
        queue = self.queue
        while queue and queue[0][0] <= now:
            self.send(queue.popleft()[1])
        return queue[0][0] if queue else None

    def drain(self) -> None:
        now = time.monotonic()
        for _ in range(BURST):
            try:
                frame = self.rx.recv(65536)
            except BlockingIOError:
                return
            self.arrive(frame, now)


def open_sockets(ifname: str) -> tuple[socket.socket, socket.socket]:
    """A non-blocking receiving socket and a blocking sending one (protocol 0: it receives
    nothing) on ifname."""
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    # SO_RCVBUFFORCE: beyond net.core.rmem_max (root); a burst must not overflow the socket.
    rx.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    rx.bind((ifname, ETH_P_ALL))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind((ifname, 0))
    return rx, tx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="first interface")
    parser.add_argument("--b", required=True, help="second interface")
    parser.add_argument("--loss", type=float, default=0.0, help="percent of frames lost")
    parser.add_argument("--duplicate", type=float, default=0.0, help="percent of frames duplicated")
    parser.add_argument("--reorder", type=float, default=0.0, help="percent of frames sent at once")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--max-frame", type=int, default=1514, help="longer frames are counted as oversized")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--stats", required=True, help="file the counters are written to at exit")
    args = parser.parse_args()
    if args.jitter_ms > args.delay_ms:
        parser.error("--jitter-ms must not exceed --delay-ms")

    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    a_rx, a_tx = open_sockets(args.a)
    b_rx, b_tx = open_sockets(args.b)
    directions = [Direction("a_to_b", a_rx, b_tx, args, rng), Direction("b_to_a", b_rx, a_tx, args, rng)]
    by_socket = {d.rx.fileno(): d for d in directions}

    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    poller = select.poll()
    for d in directions:
        poller.register(d.rx, select.POLLIN)
    print(f"impair: {args.a} <-> {args.b} seed {seed}", flush=True)
    cpu_at_start = time.process_time()
    first_frame: float | None = None
    last_frame = 0.0

    while not stop:
        now = time.monotonic()
        next_release = None
        for d in directions:
            due = d.release_due(now)
            if due is not None and (next_release is None or due < next_release):
                next_release = due
        timeout_ms = 100 if next_release is None else max(0, (next_release - time.monotonic()) * 1000)
        try:
            events = poller.poll(timeout_ms)
        except InterruptedError:
            continue
        for fd, _ in events:
            by_socket[fd].drain()
        if events:
            last_frame = time.monotonic()
            if first_frame is None:
                first_frame = last_frame

    # busy: the relay's CPU time over the time from its first frame to its last. Near 1 the relay,
    # not the stacks under test, would set the pace; the tests report it.
    active = max(1e-3, last_frame - first_frame) if first_frame is not None else 1e-3
    busy = (time.process_time() - cpu_at_start) / active
    with open(args.stats, "w") as out:
        json.dump({"seed": seed, "busy": round(busy, 3), **{d.name: d.stats for d in directions}}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
