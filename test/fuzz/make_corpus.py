#!/usr/bin/python3
"""Regenerates the seed corpora of the libFuzzer targets (test/fuzz/README.md).

    /usr/bin/python3 test/fuzz/make_corpus.py        # rewrites test/fuzz/corpus/{frame,config}/

corpus/frame/: real frames as a Linux client (10.77.0.1 and fd77::1, 02:00:00:00:00:01) sends them
to rampart (10.77.0.2 and fd77::2/64, link-local fe80::ff:fe00:2, 02:00:00:00:00:02; the identity
frame_fuzzer.cc sets up), each prefixed with the
fuzzer's mode byte (frame_fuzzer.cc, "Input layout"). Burst seeds hold several frames, each
preceded by its length as 2 bytes big-endian.
corpus/config/: the YAML files of config/ plus a few small documents, valid and not.

Deterministic: the same scapy version writes the same bytes, so a re-run shows no git diff.
"""
import os
import shutil
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLReport2,
                                ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                                ICMPv6PacketTooBig, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, RouterAlert, HBHOptUnknown)
from scapy.packet import Raw
from scapy.utils import checksum

HERE = os.path.dirname(os.path.abspath(__file__))
FRAME_DIR = os.path.join(HERE, "corpus", "frame")
CONFIG_DIR = os.path.join(HERE, "corpus", "config")

CLIENT_MAC, CLIENT_IP = "02:00:00:00:00:01", "10.77.0.1"
SERVER_MAC, SERVER_IP = "02:00:00:00:00:02", "10.77.0.2"
CLIENT_IP6, SERVER_IP6 = "fd77::1", "fd77::2"
CLIENT_LINK_LOCAL, SERVER_LINK_LOCAL = "fe80::ff:fe00:1", "fe80::ff:fe00:2"  # EUI-64 of the MACs
SERVER_SOLICITED_NODE, SERVER_SOLICITED_NODE_MAC = "ff02::1:ff00:2", "33:33:ff:00:00:02"

# Mode bits (frame_fuzzer.cc).
SINGLE, BURST, HANDSHAKE, ACK_FIN, AUTO, RSS, REPLAY = 0x00, 0x01, 0x02, 0x04, 0x20, 0x40, 0x80
CLOCK_1S, CLOCK_40S, CLOCK_70S = 1 << 3, 2 << 3, 3 << 3

# What `ss`-era Linux puts in a SYN: MSS, SACK-permitted, Timestamps, NOP, window scale 7.
LINUX_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (3000000000, 0)), ("NOP", None), ("WScale", 7)]


def eth(dst=SERVER_MAC, src=CLIENT_MAC):
    return Ether(dst=dst, src=src)


def ip4(**kw):
    fields = dict(src=CLIENT_IP, dst=SERVER_IP, ttl=64, flags="DF", id=4242)
    fields.update(kw)
    return IP(**fields)


def tcp(flags, sport=40000, dport=80, seq=1000, ack=0, options=(), **kw):
    return TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, window=64240, options=list(options), **kw)


def ip6(**kw):
    fields = dict(src=CLIENT_IP6, dst=SERVER_IP6, hlim=64)
    fields.update(kw)
    return IPv6(**fields)


def ndp(**kw):
    """The IPv6 header of Neighbor Discovery: hop limit 255 (RFC 4861 §7.1)."""
    fields = dict(dst=SERVER_SOLICITED_NODE, hlim=255)
    fields.update(kw)
    return ip6(**fields)


def frame(pkt):
    """Bytes of one frame, padded to the 60-byte Ethernet minimum as a NIC delivers it."""
    data = bytes(pkt)
    return data + b"\0" * max(0, 60 - len(data))


def burst(*frames):
    return b"".join(struct.pack(">H", len(f)) + f for f in frames)


def icmp_error(icmp_type, code, mtu, quote, src=CLIENT_IP):
    """An ICMP error (RFC 792) from `src` quoting `quote`; next-hop MTU in the low 16 bits of the
    "unused" word (RFC 1191), checksum computed."""
    message = bytearray(struct.pack(">BBHHH", icmp_type, code, 0, 0, mtu) + quote)
    message[2:4] = struct.pack(">H", checksum(bytes(message)))
    return frame(eth() / ip4(src=src, proto=1) / Raw(bytes(message)))


def quoted_segment(seq=0, src=SERVER_IP, length=28):
    """The IP header and first bytes of one of our segments as a router quotes it. In replay mode
    the fuzzer rebases the quoted sequence on the connection's SND.UNA (frame_fuzzer.cc)."""
    return bytes(IP(src=src, dst=CLIENT_IP, flags="DF", id=7, ttl=63)
                 / TCP(sport=80, dport=40000, seq=seq, ack=1001, flags="PA") / Raw(b"x" * 1400))[:length]


def quoted_segment6(seq=0, length=48):
    """Our IPv6 TCP segment as a router quotes it in an ICMPv6 error."""
    return bytes(IPv6(src=SERVER_IP6, dst=CLIENT_IP6, hlim=63)
                 / TCP(sport=80, dport=40000, seq=seq, ack=1001, flags="PA") / Raw(b"x" * 1400))[:length]


def ipv6_seeds():
    echo6 = ICMPv6EchoRequest(id=0x1234, seq=1, data=b"rampart-ping" * 4)
    solicitation = ndp() / ICMPv6ND_NS(tgt=SERVER_IP6) / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC)
    sol_eth = eth(dst=SERVER_SOLICITED_NODE_MAC)
    return {
        # ICMPv6 (RFC 4443)
        "icmpv6_echo": (SINGLE, frame(eth() / ip6() / echo6)),
        "icmpv6_echo_link_local": (SINGLE, frame(eth() / ip6(src=CLIENT_LINK_LOCAL, dst=SERVER_LINK_LOCAL) / echo6)),
        "icmpv6_echo_reply": (SINGLE, frame(eth() / ip6() / ICMPv6EchoReply(id=1, seq=1))),
        "icmpv6_echo_atomic_fragment": (SINGLE, frame(eth() / ip6() / IPv6ExtHdrFragment(id=7) / echo6)),
        "icmpv6_packet_too_big": (SINGLE, frame(eth() / ip6(src="fd77::fe") / ICMPv6PacketTooBig(mtu=1280)
                                                / Raw(quoted_segment6(length=1232)))),
        "icmpv6_unreachable": (SINGLE, frame(eth() / ip6() / ICMPv6DestUnreach(code=4) / Raw(quoted_segment6()))),
        # Neighbor Discovery (RFC 4861)
        "ndp_ns": (SINGLE, frame(sol_eth / solicitation)),
        "ndp_ns_link_local": (SINGLE, frame(eth(dst="33:33:ff:00:00:02")
                                            / ndp(src=CLIENT_LINK_LOCAL)
                                            / ICMPv6ND_NS(tgt=SERVER_LINK_LOCAL)
                                            / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))),
        "ndp_ns_unicast": (SINGLE, frame(eth() / ndp(dst=SERVER_IP6) / ICMPv6ND_NS(tgt=SERVER_IP6)
                                         / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))),
        "ndp_dad_probe": (SINGLE, frame(sol_eth / ndp(src="::") / ICMPv6ND_NS(tgt=SERVER_IP6))),
        "ndp_na_conflict": (SINGLE, frame(eth(dst="33:33:00:00:00:01") / ndp(dst="ff02::1")
                                          / ICMPv6ND_NA(tgt=SERVER_IP6, R=0, S=0, O=1)
                                          / ICMPv6NDOptDstLLAddr(lladdr=CLIENT_MAC))),
        "ndp_na_solicited": (SINGLE, frame(eth() / ndp(dst=SERVER_IP6) / ICMPv6ND_NA(tgt=CLIENT_IP6, R=0, S=1, O=1)
                                           / ICMPv6NDOptDstLLAddr(lladdr=CLIENT_MAC))),
        "ndp_rs": (SINGLE, frame(eth(dst="33:33:00:00:00:02") / ndp(dst="ff02::2") / ICMPv6ND_RS())),
        "ipv6_mld_report_hop_by_hop": (SINGLE, frame(eth(dst="33:33:00:00:00:01")
                                                     / ip6(src="::", dst="ff02::1", hlim=1)
                                                     / IPv6ExtHdrHopByHop(options=[RouterAlert()])
                                                     / ICMPv6MLReport2())),
        "tcp6_syn": (SINGLE, frame(eth() / ip6() / tcp("S", options=LINUX_OPTIONS))),
        "burst_ipv6": (BURST, burst(frame(sol_eth / solicitation), frame(eth() / ip6() / echo6),
                                    frame(eth() / ip6() / tcp("S", options=LINUX_OPTIONS)))),
        # Malformed IPv6 (each names the check it should hit)
        "bad_ipv6_payload_length": (SINGLE, frame(eth() / ip6(plen=1400) / echo6)),
        "bad_ipv6_fragment": (SINGLE, frame(eth() / ip6() / IPv6ExtHdrFragment(id=7, m=1) / echo6)),
        "bad_ipv6_routing_type0": (SINGLE, frame(eth() / ip6() / IPv6ExtHdrRouting(type=0, addresses=["fd77::9"])
                                                 / echo6)),
        "bad_ipv6_extension_chain": (SINGLE, frame(eth() / ip6() / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                                    / IPv6ExtHdrDestOpt()) / echo6)),
        "bad_ipv6_unrecognized_option": (SINGLE, frame(eth() / ip6() / IPv6ExtHdrDestOpt(
            options=[HBHOptUnknown(otype=0x80, optdata=b"\0\0\0\0")]) / echo6)),
        "bad_ipv6_martian": (SINGLE, frame(eth() / ip6(src="ff02::1") / echo6)),
        "bad_icmpv6_checksum": (SINGLE, frame(eth() / ip6() / ICMPv6EchoRequest(cksum=0xbeef))),
        "bad_ndp_hop_limit": (SINGLE, frame(sol_eth / ndp(hlim=64) / ICMPv6ND_NS(tgt=SERVER_IP6))),
        "bad_ndp_dad_with_option": (SINGLE, frame(sol_eth / ndp(src="::") / ICMPv6ND_NS(tgt=SERVER_IP6)
                                                  / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))),
    }


def frame_seeds():
    syn_linux = frame(eth() / ip4() / tcp("S", options=LINUX_OPTIONS))
    syn_bare = frame(eth() / ip4() / tcp("S", sport=40001))
    syn_echo = frame(eth() / ip4() / tcp("S", sport=40002, dport=7, options=[("MSS", 1400), ("WScale", 14)]))
    # After a handshake the fuzzer rebases SEG.ACK on our ISS in replay mode, so ack=1 here means
    # "acknowledges our SYN" (frame_fuzzer.cc, mode bit 7).
    get = frame(eth() / ip4() / tcp("PA", seq=1001, ack=1, options=[("NOP", None), ("NOP", None),
                                                                   ("Timestamp", (3000000100, 0))])
                / Raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
    fin = frame(eth() / ip4() / tcp("FA", seq=1001, ack=1))
    rst = frame(eth() / ip4() / tcp("R", seq=1001))
    return {
        # ARP (RFC 826)
        "arp_request": (SINGLE, frame(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
                                      / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=SERVER_IP))),
        "arp_request_other": (SINGLE, frame(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
                                            / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst="10.77.0.9"))),
        "arp_reply": (SINGLE, frame(eth() / ARP(op=2, hwsrc=CLIENT_MAC, psrc=CLIENT_IP,
                                                 hwdst=SERVER_MAC, pdst=SERVER_IP))),
        "arp_gratuitous": (SINGLE, frame(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
                                         / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=CLIENT_IP))),
        # ICMP (RFC 792)
        "icmp_echo": (SINGLE, frame(eth() / ip4() / ICMP(type=8, id=0x1234, seq=1) / Raw(b"rampart-ping" * 4))),
        "icmp_echo_ip_options": (SINGLE, frame(eth() / ip4(options=b"\x01\x01\x01\x00") / ICMP(type=8, id=7, seq=2))),
        "icmp_echo_reply": (SINGLE, frame(eth() / ip4() / ICMP(type=0, id=1, seq=1))),
        # ICMP errors about our TCP segments (RFC 792, RFC 1191, RFC 5927)
        "icmp_frag_needed": (SINGLE, icmp_error(3, 4, 1000, quoted_segment(), src="10.77.0.254")),
        "icmp_frag_needed_mtu_0": (SINGLE, icmp_error(3, 4, 0, quoted_segment())),
        "icmp_port_unreachable": (SINGLE, icmp_error(3, 3, 0, quoted_segment())),
        "icmp_time_exceeded": (SINGLE, icmp_error(11, 0, 0, quoted_segment(length=548))),
        "icmp_error_truncated": (SINGLE, icmp_error(3, 4, 1000, quoted_segment(length=24))),
        "icmp_error_not_ours": (SINGLE, icmp_error(3, 4, 1000, quoted_segment(src="10.77.0.9"))),
        # TCP to the listener (RFC 9293 §3.10.7.2)
        "tcp_syn_linux": (SINGLE, syn_linux),
        "tcp_syn_no_options": (SINGLE, syn_bare),
        "tcp_syn_closed_port": (SINGLE, frame(eth() / ip4() / tcp("S", dport=81, options=LINUX_OPTIONS))),
        "tcp_syn_with_data": (SINGLE, frame(eth() / ip4() / tcp("S", options=LINUX_OPTIONS) / Raw(b"early"))),
        "tcp_ack_bare": (SINGLE, frame(eth() / ip4() / tcp("A", seq=1001, ack=123456))),
        "tcp_rst": (SINGLE, rst),
        "tcp_fin": (SINGLE, frame(eth() / ip4() / tcp("F", seq=1001))),
        "tcp_syn_ack": (SINGLE, frame(eth() / ip4() / tcp("SA", seq=1000, ack=5555))),
        "tcp_null_scan": (SINGLE, frame(eth() / ip4() / tcp(""))),
        # Handshakes completed by the fuzzer (mode bit 1), with variants
        "hs_syn_linux": (HANDSHAKE, syn_linux),
        "hs_syn_no_options": (HANDSHAKE, syn_bare),
        "hs_syn_echo_port": (HANDSHAKE, syn_echo),
        "hs_ack_fin": (HANDSHAKE | ACK_FIN, syn_linux),
        "hs_auto_backlog": (HANDSHAKE | AUTO, syn_linux),
        "hs_rss": (HANDSHAKE | RSS, syn_linux),
        "hs_clock_40s": (HANDSHAKE | CLOCK_40S, syn_linux),
        "hs_clock_70s_expired": (HANDSHAKE | CLOCK_70S, syn_linux),
        # Bursts: bulk lookup and state across frames
        "burst_mixed": (BURST, burst(syn_linux, syn_bare, rst,
                                     frame(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC)
                                           / ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=SERVER_IP)),
                                     frame(eth() / ip4() / ICMP(type=8, id=3, seq=3)))),
        "burst_session_replay": (BURST | HANDSHAKE | REPLAY, burst(syn_linux, get, fin)),
        "burst_session_auto": (BURST | HANDSHAKE | REPLAY | AUTO | CLOCK_1S, burst(syn_linux, get, rst)),
        # A connection, then frag-needed quoting SND.UNA (replay rebases it): the applied path
        # when something is in flight (the FIN of ACK_FIN's close), not_in_flight otherwise.
        "burst_session_frag_needed": (BURST | HANDSHAKE | ACK_FIN | REPLAY,
                                      burst(syn_linux, icmp_error(3, 4, 600, quoted_segment()))),
        # A SYN-RECEIVED entry of the backlog has its SYN-ACK in flight: the applied path.
        "burst_backlog_frag_needed": (BURST | AUTO | REPLAY,
                                      burst(syn_linux, icmp_error(3, 4, 600, quoted_segment()))),
        "burst_session_frag_needed_get": (BURST | HANDSHAKE | REPLAY,
                                          burst(syn_linux, get, icmp_error(3, 4, 68, quoted_segment()),
                                                icmp_error(3, 1, 0, quoted_segment()))),
        "burst_many_syns": (BURST | HANDSHAKE, burst(*[frame(eth() / ip4() / tcp("S", sport=41000 + i, options=LINUX_OPTIONS))
                                                    for i in range(20)])),
        # Malformed (each names the check it should hit)
        "bad_eth_truncated": (SINGLE, bytes(eth())[:10]),
        "bad_eth_not_for_us": (SINGLE, frame(eth(dst="02:00:00:00:00:99") / ip4() / ICMP())),
        "bad_ipv6": (SINGLE, frame(eth() / IPv6() / TCP())),
        "bad_vlan": (SINGLE, frame(eth() / Dot1Q(vlan=5) / ip4() / ICMP())),
        "bad_arp_short": (SINGLE, bytes(eth(dst="ff:ff:ff:ff:ff:ff") / ARP())[:30]),
        "bad_ipv4_checksum": (SINGLE, frame(eth() / ip4(chksum=0xdead) / ICMP())),
        "bad_ipv4_ihl": (SINGLE, bytes(eth()) + b"\x43" + bytes(ip4() / ICMP())[1:]),
        "bad_ipv4_total_length": (SINGLE, frame(eth() / ip4(len=1400) / ICMP())),
        "bad_ipv4_fragment": (SINGLE, frame(eth() / ip4(flags="MF") / ICMP())),
        "bad_ipv4_martian": (SINGLE, frame(eth() / ip4(src="127.0.0.1") / tcp("S"))),
        "bad_icmp_checksum": (SINGLE, frame(eth() / ip4() / ICMP(type=8, chksum=0xbeef))),
        "bad_tcp_checksum": (SINGLE, frame(eth() / ip4() / tcp("S", chksum=0xbeef))),
        "bad_tcp_data_offset": (SINGLE, frame(eth() / ip4() / tcp("S", dataofs=15))),
        "bad_tcp_options": (SINGLE, frame(eth() / ip4() / tcp("S", options=[(2, b"\x05")]))),
        "bad_tcp_truncated": (SINGLE, frame(eth() / ip4(proto=6) / Raw(b"\x9c\x40\x00\x50"))),
        **ipv6_seeds(),
    }


CONFIG_SEEDS = {
    "minimal.yaml": "port:\n  ip: 10.77.0.2/24\n",
    "listeners.yaml": "port: {ip: 10.77.0.2/24, mtu: 1500}\nlisteners:\n  - {port: 80, app: http}\n"
                      "  - port: 7\n    app: echo\n",
    "tcp_auto.yaml": "port: {ip: 10.77.0.2/24}\ntcp:\n  mss: 1400\n  syn_cookies:\n    mode: auto\n"
                     "    backlog_per_lcore: 16\n    auto_threshold: 8\n",
    "bad_duplicate_listener.yaml": "port: {ip: 10.77.0.2/24}\nlisteners:\n  - {port: 80, app: http}\n"
                                   "  - {port: 80, app: echo}\n",
    "bad_two_documents.yaml": "port: {ip: 10.77.0.2/24}\n---\nport: {ip: 10.0.0.1/8}\n",
    "bad_stray_comma.yaml": "port: {ip: 10.77.0.2/24},\n",
    "bad_unknown_key.yaml": "port: {ip: 10.77.0.2/24, speed: 100}\n",
}


def main():
    for d in (FRAME_DIR, CONFIG_DIR):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    for name, (mode, data) in sorted(frame_seeds().items()):
        with open(os.path.join(FRAME_DIR, name), "wb") as f:
            f.write(bytes([mode]) + data)
    repo_config = os.path.join(HERE, "..", "..", "config")
    for name in sorted(os.listdir(repo_config)):
        if name.endswith(".yaml"):
            shutil.copyfile(os.path.join(repo_config, name), os.path.join(CONFIG_DIR, "repo_" + name))
    for name, text in CONFIG_SEEDS.items():
        with open(os.path.join(CONFIG_DIR, name), "w") as f:
            f.write(text)
    print(f"wrote {len(os.listdir(FRAME_DIR))} frame seeds, {len(os.listdir(CONFIG_DIR))} config seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
