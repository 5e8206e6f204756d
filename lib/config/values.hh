#pragma once
// What single values must look like, beyond their type: the checks keys.cc names in its
// declarations. Each returns nullopt, or the message that follows "<source>:<line>: <key.path>: ".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "declaration.hh"
#include "net/addresses.hh"

namespace rampart::config {

// A PCI address as EAL's -a takes it: [dddd:]bb:dd.f, optionally followed by ",devargs".
bool is_pci_address(std::string_view text);
// The domain-qualified, lower-case form, so "3B:00.0" and "0000:3b:00.0" compare equal.
std::string canonical_pci(std::string_view text);

std::optional<std::string> lcore_list_problem(const std::string& lcores);
std::optional<list_problem> pci_list_problem(const std::vector<std::string>& devices);
std::optional<std::string> file_prefix_problem(const std::string& prefix);
std::optional<std::string> log_level_problem(const std::string& level);

// A unicast host address with a prefix of 1..32, not the network or broadcast address of its
// subnet (RFC 3021: a /31 or /32 may use both).
parse_result<net::ipv4_interface_address> parse_host_address(const std::string& text);
// A unicast host address without prefix (not 0.0.0.0, loopback, multicast, 240/4 or
// 255.255.255.255): a gateway, a route's next hop.
parse_result<net::ipv4_address> parse_unicast_address(const std::string& text);
// A network prefix "a.b.c.d/len", len 0..32, with its host bits zero.
parse_result<net::ipv4_interface_address> parse_prefix(const std::string& text);
// The port's global IPv6 address with a prefix of 1..128: unicast (not ::, ::1, multicast or
// IPv4-mapped), not link-local (that one is derived from the MAC), and not its subnet's
// Subnet-Router anycast address.
parse_result<net::ipv6_interface_address> parse_ipv6_host_address(const std::string& text);
// A unicast IPv6 address without prefix (not ::, ::1, multicast or IPv4-mapped): a router.
parse_result<net::ipv6_address> parse_ipv6_unicast_address(const std::string& text);
parse_result<net::mac_address> parse_unicast_mac(const std::string& text);
// "first-last", 1024 <= first <= last <= 65535 (ports below 1024 are the well-known ones).
parse_result<port_range> parse_local_ports(const std::string& text);
std::optional<std::string> power_of_two_problem(const std::uint64_t& value);

std::optional<std::string> app_name_problem(const std::string& app);
std::optional<std::string> plugin_path_problem(const std::string& path);

std::optional<std::string> rotation_problem(const std::uint64_t& seconds);

std::optional<std::string> listen_address_problem(const std::string& address);

// An absolute path other than "/" (a directory rampart writes into).
std::optional<std::string> absolute_path_problem(const std::string& path);

}  // namespace rampart::config
