#!/usr/bin/python3
"""Writes the seed corpora of fuzz_tcp_connect and fuzz_proxy (test/fuzz/README.md) to
test/fuzz/corpus/tcp_connect/ and test/fuzz/corpus/proxy/.

    /usr/bin/python3 test/fuzz/make_peer_corpus.py

Each seed is a scenario in its target's step language ("Input layout" in tcp_connect_fuzzer.cc
and proxy_fuzzer.cc). Deterministic and without dependencies: a re-run shows no git diff.
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
FROM_UNA = 0x40  # the ACK offset counts from SND.UNA
# Clock units: tcp_connect 1 ms, 10 ms, 1 s, 10 s; proxy 1 ms, 10 ms, 100 ms, 1 s.
U0, U1, U2, U3 = 0, 1, 2, 3


def fields(flags, seq, ack, window, opts, length):
    return struct.pack(">BhhHBH", flags, seq, ack, window, opts, length)


def clock(amount, unit=U1):
    return bytes([0x04 | unit << 4, amount - 1])


def poll():
    return bytes([0x07])


# ---- fuzz_tcp_connect ----
# Set-up byte: bits 0-1 local ports (1, 2, 4, 64), 2-3 send buffer (1, 4, 16, 256 KiB), 4 Nagle off,
# 5 the peer's next hop waits for ARP, 6 the app sends 100 bytes right after connect, 7 echo.
PORTS_1, PORTS_2, PORTS_4, PORTS_64 = 0, 1, 2, 3
NO_NAGLE, ARP_WAIT, EARLY_SEND, ECHO = 0x10, 0x20, 0x40, 0x80
# Segment option bits: MSS (value index in bits 5-7), window scale, SACK-permitted, Timestamps,
# TSecr 0.
C_MSS, C_WS, C_SACK, C_TS, C_NO_ECHO = 1, 2, 4, 8, 16
C_ALL = C_MSS | C_WS | C_SACK | C_TS
# App actions.
SEND_SMALL, SEND_BIG, CLOSE, ABORT = 1, 2, 4, 8
# Connect timeouts (high nibble of opcode 3): the lcore's default, 10 ms, 1 s, 20 s.
T_DEFAULT, T_10MS, T_1S, T_20S = 0, 1, 2, 3


def connect(slot=0, isn=0, timeout=T_DEFAULT):
    return bytes([0x03 | timeout << 4, slot, isn])


def peer(slot=0, flags=ACK, seq=0, ack=0, window=65535, opts=0, length=0):
    return bytes([0x00, slot]) + fields(flags, seq, ack, window, opts, length)


def peer_burst(*segments):
    return bytes([0x02 | (len(segments) - 2) << 4]) + b"".join(s[1:] for s in segments)


def act(slot, actions, size=0):
    return bytes([0x05, slot, actions, size])


def arp_answer():
    return bytes([0x06])


def connect_seeds():
    s = {}
    handshake = connect() + peer(flags=SYN | ACK, opts=C_ALL)
    s["handshake_data_both_ways"] = bytes([PORTS_4]) + (
        handshake + act(0, SEND_SMALL, 99) + peer(opts=C_TS) + peer(flags=ACK | PSH, opts=C_TS, length=300)
        + clock(5) + act(0, SEND_BIG) + peer(opts=C_TS) + clock(30) + peer(flags=FIN | ACK, opts=C_TS)
        + peer(opts=C_TS) + clock(100, U2))
    s["handshake_no_options"] = bytes([PORTS_1 | ECHO]) + (
        connect() + peer(flags=SYN | ACK) + peer(flags=PSH | ACK, length=1000) + clock(5)
        + act(0, CLOSE) + peer(flags=FIN | ACK, ack=1) + clock(70, U2))
    s["refused"] = bytes([PORTS_2]) + connect() + peer(flags=RST | ACK) + connect(1) + peer(1, flags=RST)
    s["syn_retransmit_timeout"] = bytes([PORTS_2]) + (
        connect(timeout=T_1S) + connect(1, timeout=T_20S) + clock(50, U1) + clock(3, U2) + clock(3, U3))
    s["simultaneous_open"] = bytes([PORTS_1 | EARLY_SEND]) + (
        connect() + peer(flags=SYN, opts=C_ALL) + peer(opts=C_TS) + peer(flags=ACK | PSH, opts=C_TS, length=10)
        + act(0, CLOSE) + peer(flags=FIN | ACK, opts=C_TS) + clock(10))
    s["arp_wait"] = bytes([PORTS_4 | ARP_WAIT | EARLY_SEND]) + (
        connect() + connect(1) + clock(10, U0) + arp_answer() + peer(flags=SYN | ACK, opts=C_ALL)
        + peer(1, flags=SYN | ACK, opts=C_MSS | 2 << 5) + peer(1) + clock(3))
    s["arp_never_answers"] = bytes([PORTS_1 | ARP_WAIT]) + connect(timeout=T_10MS) + clock(50) + connect() + poll()
    s["ports_exhausted"] = bytes([PORTS_1]) + (
        connect() + connect(1) + peer(flags=SYN | ACK) + connect(2) + act(0, ABORT) + connect(3)
        + peer(3, flags=SYN | ACK, opts=C_TS))
    s["bad_syn_acks"] = bytes([PORTS_4]) + (
        connect() + peer(flags=SYN | ACK, ack=5) + peer(flags=SYN | ACK, ack=-1) + peer(flags=ACK)
        + peer(flags=SYN | ACK | FIN, opts=C_MSS | 3 << 5, length=20) + peer(opts=C_TS | C_NO_ECHO))
    s["time_wait_reuse"] = bytes([PORTS_1]) + (
        handshake + act(0, CLOSE) + peer(opts=C_TS) + peer(flags=FIN | ACK, opts=C_TS) + connect(1, 7)
        + peer(1, flags=SYN | ACK, opts=C_ALL) + clock(2, U3) + connect(2))
    s["burst_four_slots"] = bytes([PORTS_64 | NO_NAGLE | ECHO]) + (
        connect() + connect(1) + connect(2) + connect(3)
        + peer_burst(peer(0, flags=SYN | ACK), peer(1, flags=SYN | ACK, opts=C_ALL), peer(2, flags=SYN),
                     peer(3, flags=RST | ACK))
        + peer_burst(peer(0, flags=PSH | ACK, length=700), peer(0, flags=PSH | ACK, seq=700, length=700))
        + act(1, SEND_BIG) + clock(3) + act(1, ABORT))
    return s


# ---- fuzz_proxy ----
# Set-up byte 0: bits 0-1 balance (round_robin, least_connections, source_hash), 2 PROXY v2 (else
# v1), 3 two backends (8080 weight 2, 8081), 4-5 retries (0, 1, 3), 6 max_connections 1, 7 idle
# timeout 1 s. Byte 1: bits 0-1 local ports (2, 4, 16, 64), 2 connect timeout 100 ms (else 2 s),
# 3 health rise/fall 1, 4-5 send buffer (1, 4, 16, 256 KiB), 6 receive window 4 KiB.
LEAST, HASH, V2, TWO, RETRY_1, RETRY_3, MAX_1, IDLE = 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80
P_PORTS_4, P_PORTS_16, FAST_TIMEOUT, FLAPPY, SND_4K, SND_256K, RCV_4K = 1, 2, 4, 8, 0x10, 0x30, 0x40
# Segment option bits: Timestamps, TSecr 0, MSS 536 on a SYN, SACK-permitted on a SYN.
P_TS, P_NO_ECHO, P_MSS_536, P_SACK = 1, 2, 4, 8
# Client SYN options (opcode 3): MSS 536, window scale (bits 4-7), SACK-permitted, Timestamps.
O_MSS_536, O_WS, O_SACK, O_TS = 1, 2, 4, 8
LINUX = O_WS | O_SACK | O_TS | 7 << 4


def open_client(slot=0, options=LINUX):
    return bytes([0x03, slot, options])


def client(slot=0, flags=ACK, seq=0, ack=0, window=65535, opts=P_TS, length=0):
    return bytes([0x00, slot]) + fields(flags, seq, ack, window, opts, length)


def backend(pick=0, flags=ACK, seq=0, ack=0, window=65535, opts=0, length=0):
    return bytes([0x01, pick]) + fields(flags, seq, ack, window, opts, length)


def mixed_burst(*segments):
    """Client and backend segments in one burst (2-4)."""
    sides = sum(1 << i for i, seg in enumerate(segments) if seg[0] == 0x01)
    return bytes([0x02, (len(segments) - 2) | sides << 2]) + b"".join(seg[1:] for seg in segments)


def pool(extra):
    return bytes([0x05, extra])


def sink(refuse):
    return bytes([0x06 | (0x10 if refuse else 0)])


def proxy_seeds():
    s = {}
    relay = (open_client() + backend(flags=SYN | ACK, opts=P_TS | P_SACK) + backend(opts=P_TS)
             + client(flags=PSH | ACK, length=300) + backend(flags=PSH | ACK, opts=P_TS, length=1200)
             + client() + clock(50))
    s["relay_v1_both_closes"] = bytes([0, 0]) + (
        relay + backend(flags=FIN | ACK, opts=P_TS) + client(flags=FIN | ACK) + backend(opts=P_TS) + clock(10, U3))
    s["relay_v2_client_closes"] = bytes([V2, SND_4K]) + (
        relay + client(flags=FIN | ACK) + backend(flags=PSH | ACK, opts=P_TS, length=5000 % 1601)
        + backend(flags=FIN | ACK, opts=P_TS) + client(ack=1) + clock(5, U3))
    s["relay_no_options"] = bytes([0, RCV_4K]) + (
        open_client(options=0) + backend(flags=SYN | ACK) + backend() + client(flags=PSH | ACK, opts=0, length=1600)
        + client(flags=PSH | ACK, seq=1600, opts=0, length=1600) + backend(flags=PSH | ACK, length=1600)
        + client(opts=0) + backend(flags=RST))
    s["backend_refuses_retries"] = bytes([RETRY_3 | TWO, FAST_TIMEOUT]) + (
        open_client() + backend(flags=RST | ACK) + backend(1, flags=RST | ACK) + backend(2, flags=SYN | ACK)
        + clock(3, U2) + backend(3, flags=SYN | ACK) + poll())
    s["health_checks_fail_then_pass"] = bytes([TWO | HASH, FLAPPY]) + (
        poll() + backend(0, flags=RST | ACK) + backend(1, flags=RST | ACK) + open_client()
        + clock(11, U2) + backend(0, flags=SYN | ACK) + backend(1, flags=SYN | ACK) + clock(2, U2) + open_client(1))
    s["idle_timeout"] = bytes([IDLE, 0]) + relay + clock(2, U3) + open_client(1) + clock(15, U2)
    s["max_connections"] = bytes([MAX_1 | LEAST, P_PORTS_4]) + (
        open_client() + open_client(1) + backend(flags=SYN | ACK) + client(1, flags=PSH | ACK, length=10)
        + open_client(2) + clock(3, U3))
    s["three_clients_mixed"] = bytes([TWO | V2, P_PORTS_16 | SND_256K]) + (
        open_client() + open_client(1, O_TS) + open_client(2, 0)
        + mixed_burst(backend(0, flags=SYN | ACK, opts=P_TS), backend(1, flags=SYN | ACK),
                      client(0, flags=PSH | ACK, length=500), backend(2, flags=SYN | ACK, opts=P_MSS_536))
        + mixed_burst(client(1, flags=PSH | ACK, opts=P_TS, length=800), backend(1),
                      backend(0, flags=PSH | ACK, opts=P_TS, length=900))
        + client(2, flags=RST) + backend(1, flags=FIN | ACK) + clock(20) + backend(0, flags=RST))
    s["pool_and_sink_pressure"] = bytes([0, SND_4K]) + (
        open_client() + backend(flags=SYN | ACK, opts=P_TS) + backend(opts=P_TS) + pool(2)
        + client(flags=PSH | ACK, length=1500) + client(flags=PSH | ACK, seq=1500, length=1500) + sink(True)
        + backend(flags=PSH | ACK, opts=P_TS, length=1400) + clock(30) + pool(200) + sink(False) + clock(30)
        + client() + clock(2, U3))
    s["out_of_order_client_data"] = bytes([V2, 0]) + (
        open_client() + backend(flags=SYN | ACK, opts=P_TS) + client(flags=PSH | ACK, seq=500, length=400)
        + client(flags=PSH | ACK, seq=100, length=400) + client(flags=PSH | ACK, length=200) + backend(opts=P_TS)
        + clock(10))
    return s


def write(name, seeds):
    out = os.path.join(HERE, "corpus", name)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for seed, data in sorted(seeds.items()):
        with open(os.path.join(out, seed), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


def main():
    write("tcp_connect", connect_seeds())
    write("proxy", proxy_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
