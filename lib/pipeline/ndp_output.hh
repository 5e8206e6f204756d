#pragma once
// The Neighbor Discovery frames rampart sends: its advertisements (answers and announcements)
// and its duplicate address probes. One writer each, so every NDP frame's fields are set in one
// place (pipeline.hh's builders and icmpv6_input both use them).
#include <cstdint>
#include <span>

#include "net/addresses.hh"

namespace rampart::pipeline {

// An Ethernet frame from our_mac to destination_mac carrying a Neighbor Advertisement for
// `target` (one of our addresses, also its IPv6 source) to `destination`: Override set,
// Solicited as given, our MAC as the Target Link-Layer option (RFC 4861 §7.2.4, §7.2.6).
// Returns the frame length (86), or 0 when buffer is shorter.
std::uint16_t write_advertisement_frame(const net::mac_address& our_mac, const net::mac_address& destination_mac,
                                        const net::ipv6_address& destination, const net::ipv6_address& target,
                                        bool solicited, std::span<std::byte> buffer) noexcept;

}  // namespace rampart::pipeline
