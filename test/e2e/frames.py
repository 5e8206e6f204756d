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
