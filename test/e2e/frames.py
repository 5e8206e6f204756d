"""Malformed and unwanted frames for the e2e tests, each paired with the drop reason the engine
must count for it (names exactly as in lib/stats/include/stats/drop_reason.hh).

Frames are built with scapy and then patched byte by byte where scapy would "fix" the defect
(lengths, checksums), so each frame carries exactly one defect and a well-formed remainder:
the reason it earns does not depend on the order in which the engine runs its checks.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw
from scapy.utils import checksum

REPO_ROOT = Path(__file__).resolve().parents[2]
ETH_HLEN = 14


@dataclass(frozen=True)
class BadFrame:
    reason: str       # the drop reason the engine must count
    what: str         # for failure messages
    data: bytes


def drop_reason_names(header: Path = REPO_ROOT / "lib" / "stats" / "include" / "stats" / "drop_reason.hh") -> list[str]:
    """Every drop reason of the X-macro, in order."""
    text = header.read_text()
    block = text[text.index("#define RAMPART_DROP_REASONS"):]
    block = block[:block.index("namespace")]
    return re.findall(r"\bX\((\w+),", block)


def ipv4_checksum(header: bytes) -> int:
    """RFC 1071 one's-complement sum over the header with its checksum field as given."""
    if len(header) % 2:
        header += b"\0"
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _patch_ip(frame: bytes, offset: int, value: bytes, fix_checksum: bool = True) -> bytes:
    """Overwrites bytes of the IPv4 header at offset (from the IP header's start), then
    recomputes the 20-byte header checksum so that only the intended defect remains."""
    data = bytearray(frame)
    start = ETH_HLEN + offset
    data[start:start + len(value)] = value
    if fix_checksum:
        data[ETH_HLEN + 10:ETH_HLEN + 12] = b"\0\0"
        checksum = ipv4_checksum(bytes(data[ETH_HLEN:ETH_HLEN + 20]))
        data[ETH_HLEN + 10:ETH_HLEN + 12] = struct.pack("!H", checksum)
    return bytes(data)


def _break_icmp_checksum(frame: bytes) -> bytes:
    """The same frame with its ICMP checksum off by one (the IP header stays valid)."""
    data = bytearray(frame)
    at = ETH_HLEN + (data[ETH_HLEN] & 0x0F) * 4 + 2
    data[at:at + 2] = struct.pack("!H", (struct.unpack("!H", data[at:at + 2])[0] + 1) & 0xFFFF)
    return bytes(data)


def _quoted_tcp(source: str, destination: str) -> bytes:
    """The IP header and first 8 bytes of a TCP segment from `source`, as a router quotes it."""
    return bytes(IP(src=source, dst=destination) / TCP(sport=80, dport=40000, seq=1, flags="PA"))[:28]


def _icmp_error(eth: Ether, source: str, destination: str, icmp_type: int, code: int, mtu: int,
                quote: bytes) -> bytes:
    """An ICMP error (type, code, next-hop MTU in the low 16 bits of the unused word, RFC 1191)
    quoting `quote`, with a correct checksum."""
    message = bytearray(struct.pack("!BBHHH", icmp_type, code, 0, 0, mtu) + quote)
    message[2:4] = struct.pack("!H", checksum(bytes(message)))
    return bytes(eth / IP(src=source, dst=destination, proto=1) / Raw(bytes(message)))


def malformed_frames(engine_mac: str, peer_mac: str, engine_ip: str,
                     peer_ip: str) -> list[BadFrame]:
    eth = Ether(dst=engine_mac, src=peer_mac)
    bcast = Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac)
    echo = ICMP(type=8, id=0x4242, seq=1) / Raw(b"rampart-e2e-probe")
    good_echo = bytes(eth / IP(src=peer_ip, dst=engine_ip) / echo)
    good_arp = bytes(bcast / ARP(op=1, hwsrc=peer_mac, psrc=peer_ip, pdst=engine_ip))

    frames = [
        # Ethernet (an Ethernet device refuses to send fewer than 14 bytes, so eth_truncated is
        # covered by the unit tests only).
        BadFrame("eth_not_for_us", "echo request to another unicast MAC",
                 bytes(Ether(dst="02:00:5e:10:20:30", src=peer_mac)
                       / IP(src=peer_ip, dst=engine_ip) / echo)),
        BadFrame("eth_unsupported_ethertype", "IPv6 EtherType",
                 bytes(Ether(dst=engine_mac, src=peer_mac, type=0x86DD) / Raw(b"\x60" + b"\0" * 39))),
        BadFrame("eth_unsupported_ethertype", "802.1Q VLAN tag",
                 bytes(Ether(dst=engine_mac, src=peer_mac, type=0x8100) / Raw(b"\0" * 46))),
        # ARP (RFC 826)
        BadFrame("arp_malformed", "ARP with hardware length 4",
                 good_arp[:ETH_HLEN + 4] + b"\x04" + good_arp[ETH_HLEN + 5:]),
        BadFrame("arp_malformed", "ARP with protocol type IPv6",
                 good_arp[:ETH_HLEN + 2] + b"\x86\xdd" + good_arp[ETH_HLEN + 4:]),
        BadFrame("arp_malformed", "ARP cut to 20 bytes", good_arp[:ETH_HLEN + 20]),
        BadFrame("arp_not_for_us", "ARP request for another address",
                 bytes(bcast / ARP(op=1, hwsrc=peer_mac, psrc=peer_ip, pdst="10.77.0.77"))),
        BadFrame("arp_unsupported_op", "ARP operation 3 (RARP request)",
                 bytes(bcast / ARP(op=3, hwsrc=peer_mac, psrc=peer_ip, pdst=engine_ip))),
        # IPv4 (RFC 791, RFC 1122 3.2.1)
        BadFrame("ipv4_truncated", "IPv4 EtherType with 12 bytes of payload",
                 bytes(Ether(dst=engine_mac, src=peer_mac, type=0x0800)) + good_echo[ETH_HLEN:ETH_HLEN + 12]),
        BadFrame("ipv4_bad_version", "version 6 in an IPv4 frame",
                 _patch_ip(good_echo, 0, b"\x65")),
        BadFrame("ipv4_bad_ihl", "IHL 4", _patch_ip(good_echo, 0, b"\x44")),
        BadFrame("ipv4_bad_total_length", "total length beyond the frame",
                 _patch_ip(good_echo, 2, struct.pack("!H", 1400))),
        BadFrame("ipv4_bad_total_length", "total length below the header length",
                 _patch_ip(good_echo, 2, struct.pack("!H", 16))),
        BadFrame("ipv4_bad_checksum", "header checksum off by one",
                 _patch_ip(good_echo, 10, struct.pack(
                     "!H", (struct.unpack("!H", good_echo[ETH_HLEN + 10:ETH_HLEN + 12])[0] + 1) & 0xFFFF),
                     fix_checksum=False)),
        BadFrame("ipv4_fragment", "first fragment (MF set)",
                 _patch_ip(good_echo, 6, struct.pack("!H", 0x2000))),
        BadFrame("ipv4_fragment", "later fragment (offset 185)",
                 _patch_ip(good_echo, 6, struct.pack("!H", 185))),
        BadFrame("ipv4_martian_source", "source 127.0.0.1",
                 bytes(eth / IP(src="127.0.0.1", dst=engine_ip) / echo)),
        BadFrame("ipv4_martian_source", "source 224.0.0.5 (multicast)",
                 bytes(eth / IP(src="224.0.0.5", dst=engine_ip) / echo)),
        BadFrame("ipv4_martian_source", "source 255.255.255.255",
                 bytes(eth / IP(src="255.255.255.255", dst=engine_ip) / echo)),
        BadFrame("ipv4_not_our_address", "echo request for 10.77.0.9",
                 bytes(eth / IP(src=peer_ip, dst="10.77.0.9") / echo)),
        BadFrame("ipv4_unsupported_protocol", "UDP datagram",
                 bytes(eth / IP(src=peer_ip, dst=engine_ip) / UDP(sport=4000, dport=53) / Raw(b"x" * 8))),
        BadFrame("ipv4_unsupported_protocol", "protocol 47 (GRE)",
                 bytes(eth / IP(src=peer_ip, dst=engine_ip, proto=47) / Raw(b"\0" * 8))),
        # ICMP (RFC 792, RFC 1122 3.2.2)
        BadFrame("icmp_truncated", "ICMP message of 4 bytes",
                 bytes(eth / IP(src=peer_ip, dst=engine_ip, proto=1) / Raw(b"\x08\x00\xf7\xff"))),
        BadFrame("icmp_bad_checksum", "echo request with a wrong checksum",
                 _break_icmp_checksum(good_echo)),
        BadFrame("icmp_unsupported_type", "echo reply (type 0)",
                 bytes(eth / IP(src=peer_ip, dst=engine_ip) / ICMP(type=0, id=7, seq=7))),
        BadFrame("icmp_unsupported_type", "timestamp request (type 13)",
                 bytes(eth / IP(src=peer_ip, dst=engine_ip) / ICMP(type=13) / Raw(b"\0" * 12))),
        # ICMP errors about our TCP segments (RFC 792, RFC 5927); no connection exists here.
        BadFrame("icmp_error_truncated", "frag-needed quoting 20 of the 28 bytes RFC 792 requires",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 4, 1000, _quoted_tcp(engine_ip, peer_ip)[:20])),
        BadFrame("icmp_error_bad_quote", "error quoting an IPv6 header",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 4, 1000, b"\x60" + _quoted_tcp(engine_ip, peer_ip)[1:])),
        BadFrame("icmp_error_not_tcp", "port unreachable about a UDP datagram",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 3, 0,
                             bytes(IP(src=engine_ip, dst=peer_ip) / UDP(sport=53, dport=4000))[:28])),
        BadFrame("icmp_error_not_ours", "frag-needed quoting a segment from 10.77.0.9",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 4, 1000, _quoted_tcp("10.77.0.9", peer_ip))),
        BadFrame("icmp_error_ignored", "port unreachable about one of our segments (a soft error)",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 3, 0, _quoted_tcp(engine_ip, peer_ip))),
        BadFrame("icmp_frag_needed_no_connection", "frag-needed quoting a segment of no connection",
                 _icmp_error(eth, peer_ip, engine_ip, 3, 4, 1000, _quoted_tcp(engine_ip, peer_ip))),
    ]
    return frames


def is_echo_reply(frame: bytes, engine_ip: str, ident: int) -> bool:
    packet = Ether(frame)
    return (IP in packet and ICMP in packet and packet[IP].src == engine_ip
            and packet[ICMP].type == 0 and packet[ICMP].id == ident)


def _patch_ipv6(frame: bytes, offset: int, value: bytes) -> bytes:
    """Overwrites bytes of the IPv6 header at offset (it has no checksum of its own)."""
    data = bytearray(frame)
    data[ETH_HLEN + offset:ETH_HLEN + offset + len(value)] = value
    return bytes(data)


def _break_icmpv6_checksum(frame: bytes) -> bytes:
    """The same frame with the checksum of its ICMPv6 message, right after a plain 40-byte
    header, off by one."""
    at = ETH_HLEN + 40 + 2
    value = (struct.unpack("!H", frame[at:at + 2])[0] + 1) & 0xFFFF
    return frame[:at] + struct.pack("!H", value) + frame[at + 2:]


def malformed_ipv6_frames(engine_mac: str, peer_mac: str, engine_ip6: str,
                          peer_ip6: str) -> list[BadFrame]:
    """The IPv6 counterpart of malformed_frames: one defect per frame, in the IPv6 header and its
    extension headers (RFC 8200, RFC 5095, RFC 8021), ICMPv6 (RFC 4443) and Neighbor Discovery's
    validity checks (RFC 4861 7.1.1)."""
    from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, ICMPv6ND_NS,
                                    ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                    in6_getnsma, in6_getnsmac)
    from socket import AF_INET6, inet_ntop, inet_pton

    eth = Ether(dst=engine_mac, src=peer_mac)
    ip6 = IPv6(src=peer_ip6, dst=engine_ip6)
    echo = ICMPv6EchoRequest(id=0x4343, seq=1, data=b"rampart-e2e-probe")
    good_echo = bytes(eth / ip6 / echo)
    group = in6_getnsma(inet_pton(AF_INET6, engine_ip6))  # our solicited-node group
    to_group = Ether(dst=in6_getnsmac(group), src=peer_mac)
    group_ip = inet_ntop(AF_INET6, group)

    def solicitation(hop_limit: int = 255, **fields: object) -> bytes:
        return bytes(to_group / IPv6(src=peer_ip6, dst=group_ip, hlim=hop_limit)
                     / ICMPv6ND_NS(tgt=engine_ip6, **fields) / ICMPv6NDOptSrcLLAddr(lladdr=peer_mac))

    # A destination options header of 272 bytes (length field 33): PadN options only.
    long_options = bytes([58, 33, 1, 254]) + b"\0" * 254 + bytes([1, 12]) + b"\0" * 12

    return [
        # The fixed header (RFC 8200 3).
        BadFrame("ipv6_truncated", "IPv6 EtherType with 30 bytes of header",
                 good_echo[:ETH_HLEN + 30]),
        BadFrame("ipv6_bad_version", "version 4 in an IPv6 frame",
                 _patch_ipv6(good_echo, 0, bytes([0x40 | (good_echo[ETH_HLEN] & 0x0F)]))),
        BadFrame("ipv6_bad_payload_length", "payload length beyond the frame",
                 _patch_ipv6(good_echo, 4, struct.pack("!H", 1400))),
        # Extension headers (RFC 8200 4).
        BadFrame("ipv6_extension_chain_too_long", "nine destination options headers",
                 bytes(eth / ip6 / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt())
                       / echo)),
        BadFrame("ipv6_extension_chain_too_long", "a destination options header ending past 256 bytes",
                 bytes(eth / IPv6(src=peer_ip6, dst=engine_ip6, nh=60) / Raw(long_options) / echo)),
        BadFrame("ipv6_extension_header_truncated", "a destination options header longer than the packet",
                 bytes(eth / IPv6(src=peer_ip6, dst=engine_ip6, nh=60)
                       / Raw(bytes([58, 3, 1, 12]) + b"\0" * 12))),  # says 32 bytes, has 16
        BadFrame("ipv6_hop_by_hop_not_first", "hop-by-hop options after destination options",
                 bytes(eth / ip6 / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / echo)),
        BadFrame("ipv6_unrecognized_option", "option type 0x7e (unknown, high bits 01: discard)",
                 bytes(eth / ip6 / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x7E, optdata=b"\0" * 4)])
                       / echo)),
        BadFrame("ipv6_routing_type0", "routing header type 0 with a segment left (RFC 5095)",
                 bytes(eth / ip6 / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["fd77::9"]) / echo)),
        BadFrame("ipv6_routing_segments_left", "routing header type 3 with a segment left",
                 bytes(eth / ip6 / IPv6ExtHdrRouting(type=3, segleft=1, addresses=["fd77::9"]) / echo)),
        BadFrame("ipv6_fragment", "first fragment (M set)",
                 bytes(eth / ip6 / IPv6ExtHdrFragment(offset=0, m=1, id=0x77) / echo)),
        BadFrame("ipv6_fragment", "last fragment (offset 100)",
                 bytes(eth / ip6 / IPv6ExtHdrFragment(offset=100, m=0, id=0x77) / echo)),
        BadFrame("ipv6_no_next_header", "next header 59 and no payload",
                 bytes(eth / IPv6(src=peer_ip6, dst=engine_ip6, nh=59))),
        BadFrame("ipv6_unsupported_next_header", "UDP datagram",
                 bytes(eth / ip6 / UDP(sport=4000, dport=53) / Raw(b"x" * 8))),
        # ICMPv6 (RFC 4443 2).
        BadFrame("icmpv6_truncated", "ICMPv6 message of 4 bytes",
                 bytes(eth / IPv6(src=peer_ip6, dst=engine_ip6, nh=58) / Raw(b"\x80\x00\x00\x00"))),
        BadFrame("icmpv6_bad_checksum", "echo request with a wrong checksum",
                 _break_icmpv6_checksum(good_echo)),
        # Neighbor Solicitations (RFC 4861 7.1.1).
        BadFrame("ndp_bad_hop_limit", "solicitation with hop limit 254", solicitation(hop_limit=254)),
        BadFrame("ndp_bad_code", "solicitation with code 1", solicitation(code=1)),
        BadFrame("ndp_bad_option", "solicitation whose option has length 0",
                 bytes(to_group / IPv6(src=peer_ip6, dst=group_ip, hlim=255)
                       / ICMPv6ND_NS(tgt=engine_ip6) / ICMPv6NDOptSrcLLAddr(len=0, lladdr=peer_mac))),
        BadFrame("ndp_multicast_target", "solicitation for ff02::1",
                 bytes(eth / IPv6(src=peer_ip6, dst=engine_ip6, hlim=255) / ICMPv6ND_NS(tgt="ff02::1")
                       / ICMPv6NDOptSrcLLAddr(lladdr=peer_mac))),
        BadFrame("ndp_bad_dad_probe", "duplicate address probe to our unicast address",
                 bytes(eth / IPv6(src="::", dst=engine_ip6, hlim=255) / ICMPv6ND_NS(tgt=engine_ip6))),
    ]


def is_echo6_reply(frame: bytes, engine_ip6: str, ident: int) -> bool:
    from scapy.layers.inet6 import ICMPv6EchoReply, IPv6

    packet = Ether(frame)
    return (IPv6 in packet and ICMPv6EchoReply in packet and packet[IPv6].src == engine_ip6
            and packet[ICMPv6EchoReply].id == ident)
