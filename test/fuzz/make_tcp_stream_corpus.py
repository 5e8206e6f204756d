#!/usr/bin/python3
"""Writes the seed corpus of fuzz_tcp_stream (test/fuzz/README.md) to test/fuzz/corpus/tcp_stream/.

    /usr/bin/python3 test/fuzz/make_tcp_stream_corpus.py

Each seed is a scenario in the target's step language (tcp_stream_fuzzer.cc, "Input layout"):
byte 0 set-up, byte 1 app defaults, byte 2 the first handshake's SYN options, then steps.
Deterministic and without dependencies: a re-run shows no git diff.
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "tcp_stream")

# Set-up byte: send buffer and receive window indices, wscale 2, cookie mode auto, Nagle off,
# 30 s idle timeout.
SNDBUF_1K, SNDBUF_4K, SNDBUF_16K, SNDBUF_256K = 0, 1, 2, 3
RCVWND_2K, RCVWND_8K, RCVWND_64K, RCVWND_256K = 0 << 2, 1 << 2, 2 << 2, 3 << 2
WSCALE_2, AUTO, NO_NAGLE, IDLE = 0x10, 0x20, 0x40, 0x80
# App defaults; bits 4-5 pick tcp.reassembly_budget (2048, 0, 3, 12).
ECHO, HOLD, NO_CLOSE_ON_FIN, GREETING, TIGHT_BUDGET, RENO = 1, 2, 4, 8, 0x40, 0x80
BUDGET_0, BUDGET_3, BUDGET_12 = 0x10, 0x20, 0x30
# SYN options.
MSS_536, WSCALE, SACK, TS = 1, 2, 4, 8
LINUX = WSCALE | SACK | TS | (7 << 4)
# Segment flags (with the fuzzer's own bits: SACK blocks follow, ACK offset from SND.UNA) and
# segment option bits.
FIN, SYN, RST, PSH, ACK, SACK_BLOCKS, FROM_UNA = 0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80
NO_TS, STALE_TS, NO_ECHO, SEQ_X64, ACK_X64 = 0x01, 0x02, 0x20, 0x40, 0x80
# App actions.
SEND_SMALL, SEND_BIG, ZERO_COPY, RELEASE, CLOSE, ABORT = 1, 2, 4, 8, 16, 32
# Clock units.
MS, MS10, S, S10 = 0, 1, 2, 3


def seg(slot=0, flags=ACK, seq=0, ack=0, window=65535, opts=0, length=0):
    return struct.pack(">BBBhhHBH", 0, slot, flags, seq, ack, window, opts, length)


def dup_ack(slot=0, ack=0, window=65535, blocks=()):
    """An ACK of SND.UNA + ack with SACK blocks, each (left from SND.UNA, length)."""
    flags = ACK | FROM_UNA | (SACK_BLOCKS if blocks else 0)
    out = seg(slot, flags, 0, ack, window)
    if blocks:
        out += bytes([len(blocks) - 1]) + b"".join(struct.pack(">hH", left, length - 1) for left, length in blocks)
    return out


def burst(*segments):
    """2 to 4 segments (each from seg()) in one tcp_input_burst."""
    assert 2 <= len(segments) <= 4
    return bytes([3 | ((len(segments) - 2) << 4)]) + b"".join(s[1:] for s in segments)


def reorder(pieces, slot=0, start=0, mix=0, one_burst=False, fin=False):
    """Consecutive pieces [(length byte: 1 + 4n bytes, overlap with the previous one)] of the
    stream from RCV.NXT + start, sent in an order `mix` picks (one burst, or one each)."""
    assert 2 <= len(pieces) <= 6
    op = 3 | 0x80 | (0x10 if one_burst else 0) | (0x20 if fin else 0)
    return bytes([op, slot, len(pieces) - 2, start, mix]) + b"".join(bytes([n, o]) for n, o in pieces)


def clock(amount, unit=MS10):
    return bytes([4 | (unit << 4), amount - 1])


def app(slot, actions, size=0):
    return bytes([5, slot, actions, size])


def behave(slot, echo=False, hold=False, close_on_fin=True):
    return bytes([5 | 0x80, slot, (1 if echo else 0) | (2 if hold else 0) | (0 if close_on_fin else 4), 0])


def pool(extra):
    """extra < 128: only `extra % 8` buffers beyond those in use; >= 128: unlimited."""
    return bytes([6, extra])


def sink(refuse):
    return bytes([7 | (0x10 if refuse else 0)])


def open_slot(slot, options=LINUX, mss=0):
    """A new handshake on slot; with MSS_536 in options, mss picks the MSS (536, 0, 1, 12, 13, 64, 88, 9000)."""
    return bytes([8, slot, options, mss])


def poll():
    return bytes([9])


def seeds():
    # Sequence and acknowledgment offsets are relative to RCV.NXT and SND.NXT when the segment is
    # built: seq=0 is the next expected byte, ack=0 acknowledges everything sent.
    s = {}
    s["echo_session"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO, LINUX]) + (
        seg(flags=ACK | PSH, length=100) + clock(5) + seg(length=1400)
        + seg(flags=ACK | FIN, length=10) + clock(1) + seg())
    s["hold_then_release"] = bytes([SNDBUF_4K | RCVWND_8K, HOLD, LINUX]) + (
        seg(length=1400) * 4 + app(0, RELEASE) + seg(length=100) + clock(50) + seg(length=3000))
    s["out_of_order_overlap"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO, TS]) + (
        seg(seq=100, length=50) + seg(length=150) + seg(seq=-20, length=60)
        + burst(seg(seq=10, length=5), seg(length=30), seg(seq=30, flags=ACK | FIN)))
    s["zero_window_persist"] = bytes([SNDBUF_16K | RCVWND_64K, 0, 0]) + (
        seg(window=0) + app(0, SEND_BIG) + seg(window=0, length=1) + clock(2, S) + clock(4, S)
        + clock(8, S) + seg(window=4000) + clock(1, S) + seg())
    s["rto_until_timeout"] = bytes([SNDBUF_4K | RCVWND_64K, GREETING, 0]) + (
        clock(1, S) + clock(2, S) + clock(4, S) + clock(8, S) + clock(16, S) + clock(32, S)
        + clock(64, S) + clock(12, S10) + clock(12, S10) + clock(12, S10))
    s["paws_stale_timestamps"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO, LINUX]) + (
        seg(length=10) + seg(opts=STALE_TS, length=10) + seg(opts=STALE_TS | 0x0c)
        + seg(opts=NO_TS, length=10) + seg(opts=NO_ECHO, length=10))
    s["three_connections_rst"] = bytes([SNDBUF_4K | RCVWND_8K, ECHO, LINUX]) + (
        open_slot(1, SACK) + open_slot(2, TS | MSS_536)
        + burst(seg(0, length=200), seg(1, length=300), seg(2, length=536))
        + seg(1, flags=RST, seq=100) + seg(1, flags=RST) + seg(2, flags=SYN | ACK)
        + seg(0, flags=RST | ACK, seq=5) + clock(1, S))
    s["pool_exhaustion"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO | HOLD, LINUX]) + (
        pool(0) + seg(length=500) + seg(length=500) + app(0, SEND_BIG) + clock(1, S)
        + pool(200) + seg(length=10) + app(0, RELEASE | ZERO_COPY, 200) + clock(1, S) + seg(length=1))
    s["sink_refusing"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO | GREETING, LINUX]) + (
        sink(True) + seg(length=700) + seg(length=700) + clock(50) + clock(1, S)
        + sink(False) + poll() + clock(1, S) + seg())
    s["app_closes_first_time_wait"] = bytes([SNDBUF_16K | RCVWND_64K, GREETING, LINUX]) + (
        seg(length=10) + app(0, CLOSE) + seg(length=10) + seg() + seg(flags=ACK | FIN) + clock(30, S)
        + seg(seq=-1, flags=ACK | FIN) + clock(7, S10) + open_slot(0) + seg(length=5))
    s["simultaneous_close"] = bytes([SNDBUF_16K | RCVWND_64K, GREETING | NO_CLOSE_ON_FIN, LINUX]) + (
        seg(length=1) + app(0, CLOSE) + seg(length=1) + seg(ack=-1, flags=ACK | FIN) + clock(1, S) + seg())
    s["peer_closes_app_holds"] = bytes([SNDBUF_16K | RCVWND_64K, HOLD | NO_CLOSE_ON_FIN, LINUX]) + (
        seg(length=300) + app(0, SEND_SMALL | CLOSE, 50) + seg(flags=ACK | FIN, length=20)
        + seg(ack=-1) + clock(1, S) + seg())
    s["app_aborts"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO | HOLD, LINUX]) + (
        seg(length=100) + app(0, ABORT) + seg(length=100) + seg(length=100) + open_slot(0) + seg(length=1))
    s["idle_timeout"] = bytes([SNDBUF_16K | RCVWND_64K | IDLE, ECHO, LINUX]) + (
        seg(length=10) + clock(2, S10) + seg(length=10) + clock(4, S10) + open_slot(1) + clock(4, S10))
    s["auto_mode_backlog"] = bytes([SNDBUF_16K | RCVWND_64K | AUTO, ECHO, LINUX]) + (
        seg(length=100) + open_slot(1) + seg(1, flags=SYN, seq=-1) + seg(2, flags=SYN) + clock(1, S)
        + seg(2, length=10) + clock(3, S10))
    s["small_windows_big_sends"] = bytes([SNDBUF_1K | RCVWND_2K | WSCALE_2 | NO_NAGLE, ECHO, WSCALE | (2 << 4)]) + (
        seg(length=1000) * 3 + app(0, SEND_BIG) + seg(ack=-500, window=100) + seg(ack=-200, window=0)
        + clock(1, S) + seg(window=2) + clock(3, S))
    s["seq_far_outside_window"] = bytes([SNDBUF_16K | RCVWND_64K, ECHO, LINUX]) + (
        seg(seq=-30000, opts=SEQ_X64, length=10) + seg(seq=30000, opts=SEQ_X64, length=10)
        + seg(ack=-30000, opts=ACK_X64) + seg(ack=30000, opts=ACK_X64, length=10) + seg(flags=SYN, seq=5))
    s["tiny_mss_backlog"] = bytes([SNDBUF_16K | RCVWND_64K | AUTO, ECHO | GREETING, LINUX]) + (
        open_slot(1, MSS_536 | TS, mss=2) + seg(1, length=100) + clock(1, S) + open_slot(2, MSS_536, mss=1)
        + seg(2, length=10) + clock(1, S))
    # Loss recovery: the app sends twice the send buffer, the peer loses the first segment(s).
    mss = 1448  # 1460 less the timestamps
    s["sack_recovery_holes"] = bytes([SNDBUF_256K | RCVWND_64K, 0, LINUX]) + (
        app(0, SEND_BIG) + seg(length=1) + dup_ack(blocks=[(mss, mss)]) + dup_ack(blocks=[(mss, 2 * mss)])
        + dup_ack(blocks=[(4 * mss, mss), (mss, 2 * mss)]) + dup_ack(blocks=[(6 * mss, 2 * mss), (4 * mss, mss), (mss, 2 * mss)])
        + dup_ack(ack=3 * mss, blocks=[(6 * mss, 3 * mss), (4 * mss, mss)]) + dup_ack(blocks=[(-mss, mss)])
        + clock(30) + seg() + clock(1, S) + seg())
    s["newreno_recovery_reno_tight_budget"] = bytes([SNDBUF_256K | RCVWND_64K, RENO | TIGHT_BUDGET, WSCALE | TS | (7 << 4)]) + (
        app(0, SEND_BIG) + seg(length=1) + dup_ack() + dup_ack() + dup_ack() + dup_ack() + dup_ack(ack=2 * mss)
        + dup_ack(ack=2 * mss) + clock(1, S) + seg() + clock(1, S) + app(0, SEND_BIG) + seg(length=1) + seg())
    s["reorder_sack_timestamps"] = bytes([SNDBUF_16K | RCVWND_256K, ECHO, LINUX]) + (
        reorder([(100, 0), (200, 10), (50, 0), (255, 63)], start=0, mix=7) + seg(length=100)
        + reorder([(30, 5), (30, 5), (30, 5)], start=40, mix=3, one_burst=True, fin=True)
        + seg(seq=-50, length=200) + clock(1, S))
    s["reorder_sack_backlog_holes"] = bytes([SNDBUF_16K | RCVWND_64K | AUTO, HOLD, SACK]) + (
        seg(seq=3000, length=100) + seg(seq=1000, length=100) + seg(seq=2000, length=100)
        + seg(seq=5000, length=100) + seg(seq=1000, length=40) + seg(seq=4000, flags=ACK | FIN)
        + seg(length=1000) + app(0, RELEASE) + seg(length=2000) + seg(length=3000) + clock(1, S))
    s["reorder_budget_refused"] = bytes([SNDBUF_16K | RCVWND_64K, BUDGET_3 | ECHO, LINUX]) + (
        reorder([(10, 0), (10, 0), (10, 0), (10, 0), (10, 0), (10, 0)], start=1, mix=5)
        + seg(length=1) + reorder([(1, 0), (1, 0), (1, 0), (1, 0), (1, 0)], start=20, mix=9)
        + seg(flags=RST))
    return s


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds())} seeds in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
