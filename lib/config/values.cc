#include "values.hh"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <system_error>

#include "config/config.hh"

namespace rampart::config {
namespace {

// RFC 1122 §3.2.1.3: zero, loopback, multicast, 240/4 and the limited broadcast are never a
// host's address.
bool is_unicast_host(net::ipv4_address address) {
  return !(address.is_zero() || address.is_multicast() || address.is_limited_broadcast() || address.is_loopback() ||
           (address.value >> 28) == 0xf);
}

// RFC 4291 §2.5.2-2.5.5, §2.7: what no interface may have as its unicast address. IPv4-mapped
// addresses never appear on the wire (RFC 4291 §2.5.5.2).
std::optional<std::string> ipv6_unicast_problem(const net::ipv6_address& address) {
  if (address.is_unspecified()) {
    return "is the unspecified address";
  }
  if (address.is_loopback()) {
    return "is the loopback address";
  }
  if (address.is_multicast()) {
    return "is a multicast address (ff00::/8)";
  }
  if (address.is_ipv4_mapped()) {
    return "is an IPv4-mapped address (::ffff:0:0/96), never seen on the wire";
  }
  return std::nullopt;
}

bool host_bits_zero(const net::ipv6_address& address, std::uint8_t prefix_length) {
  for (unsigned bit = prefix_length; bit < 128; ++bit) {
    if (((address.bytes[bit / 8] >> (7 - bit % 8)) & 1U) != 0) {
      return false;
    }
  }
  return true;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

bool is_pci_address(std::string_view text) {
  text = text.substr(0, text.find(','));
  if (text.size() == 12) {
    if (!(is_hex(text[0]) && is_hex(text[1]) && is_hex(text[2]) && is_hex(text[3]) && text[4] == ':')) {
      return false;
    }
    text.remove_prefix(5);
  }
  return text.size() == 7 && is_hex(text[0]) && is_hex(text[1]) && text[2] == ':' && is_hex(text[3]) &&
         is_hex(text[4]) && text[5] == '.' && text[6] >= '0' && text[6] <= '7';
}

std::string canonical_pci(std::string_view text) {
  text = text.substr(0, text.find(','));
  std::string full = text.size() == 7 ? "0000:" + std::string(text) : std::string(text);
  std::transform(full.begin(), full.end(), full.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return full;
}

std::optional<std::string> lcore_list_problem(const std::string& lcores) {
  // EAL's --lcores grammar: lcore ids, ranges, groups and CPU sets, e.g. "0-3", "0,2,4",
  // "(0-1)@0,2@2". Checking the character set catches typos here; the pre-flight of the rampart
  // command parses the grammar.
  const bool valid_chars = std::all_of(lcores.begin(), lcores.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == ',' || c == '-' || c == '@' || c == '(' || c == ')';
  });
  if (lcores.empty() || !valid_chars) {
    return in_quotes(lcores) + " is not an EAL lcore list (expected e.g. \"0-1\" or \"0,2,4\")";
  }
  return std::nullopt;
}

std::optional<list_problem> pci_list_problem(const std::vector<std::string>& devices) {
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (!is_pci_address(devices[i])) {
      return list_problem{i, in_quotes(devices[i]) + " is not a PCI address (expected dddd:bb:dd.f, e.g. \"0000:3b:00.0\")"};
    }
  }
  return std::nullopt;
}

std::optional<std::string> file_prefix_problem(const std::string& prefix) {
  if (prefix.empty() || prefix.find('/') != std::string::npos) {
    return "must be a non-empty name without '/' (EAL makes a directory of it)";
  }
  return std::nullopt;
}

std::optional<std::string> log_level_problem(const std::string& text) {
  // --log-level takes "<level>" or "<type-pattern>:<level>"; the level is a name or 1..8.
  const std::string_view level = std::string_view(text).substr(text.rfind(':') + 1);
  static constexpr std::string_view names[] = {"emergency", "alert",  "critical", "error",
                                               "warning",   "notice", "info",     "debug"};
  const bool known_name = std::find(std::begin(names), std::end(names), level) != std::end(names);
  const bool known_number = level.size() == 1 && level[0] >= '1' && level[0] <= '8';
  if (!known_name && !known_number) {
    return in_quotes(text) +
           " is not an EAL log level (expected emergency, alert, critical, error, warning, notice, info, debug or "
           "1..8, optionally prefixed by \"<type>:\")";
  }
  return std::nullopt;
}

parse_result<net::ipv4_interface_address> parse_host_address(const std::string& text) {
  const auto parsed = net::ipv4_interface_address::parse(text);
  if (!parsed) {
    return {std::nullopt, in_quotes(text) + " is not an IPv4 address with prefix (expected a.b.c.d/len)"};
  }
  const net::ipv4_address address = parsed->address;
  // The port answers ARP for this address and sources every reply from it.
  if (!is_unicast_host(address)) {
    return {std::nullopt, in_quotes(text) +
                              " is not a unicast host address (zero, loopback, multicast, broadcast and 240/4 "
                              "cannot be an interface's address)"};
  }
  if (parsed->prefix_length == 0) {
    return {std::nullopt, in_quotes(text) + ": a /0 prefix would put every address on-link"};
  }
  // RFC 3021 lets /31 (and /32) use both addresses; shorter prefixes reserve the first and last.
  if (parsed->prefix_length <= 30) {
    const std::uint32_t host_bits = address.value & ~parsed->netmask();
    if (host_bits == 0 || address == parsed->subnet_broadcast()) {
      return {std::nullopt, in_quotes(text) + " is the subnet's " + (host_bits == 0 ? "network" : "broadcast") +
                                " address, not a host address"};
    }
  }
  return {parsed, {}};
}

parse_result<net::ipv4_address> parse_unicast_address(const std::string& text) {
  const auto address = net::ipv4_address::parse(text);
  if (!address) {
    return {std::nullopt, in_quotes(text) + " is not an IPv4 address (expected a.b.c.d)"};
  }
  if (!is_unicast_host(*address)) {
    return {std::nullopt, in_quotes(text) +
                              " is not a unicast host address (zero, loopback, multicast, broadcast and 240/4 "
                              "cannot be a router)"};
  }
  return {address, {}};
}

parse_result<net::ipv4_interface_address> parse_prefix(const std::string& text) {
  const auto prefix = net::ipv4_interface_address::parse(text);
  if (!prefix) {
    return {std::nullopt, in_quotes(text) + " is not an IPv4 prefix (expected a.b.c.d/len, e.g. 10.1.0.0/16)"};
  }
  const net::ipv4_address network{prefix->address.value & prefix->netmask()};
  if (network != prefix->address) {
    return {std::nullopt, in_quotes(text) + " has host bits set; write its network, " + network.to_string() + "/" +
                              std::to_string(prefix->prefix_length)};
  }
  return {prefix, {}};
}

parse_result<net::ipv6_interface_address> parse_ipv6_host_address(const std::string& text) {
  const auto parsed = net::ipv6_interface_address::parse(text);
  if (!parsed) {
    return {std::nullopt, in_quotes(text) + " is not an IPv6 address with prefix (expected e.g. fd77::2/64)"};
  }
  if (const std::optional<std::string> problem = ipv6_unicast_problem(parsed->address)) {
    return {std::nullopt, in_quotes(text) + " " + *problem + ", not an interface's unicast address"};
  }
  if (parsed->address.is_link_local()) {
    return {std::nullopt, in_quotes(text) +
                              " is link-local (fe80::/10); rampart derives the port's link-local address from its "
                              "MAC: give a global or unique local address, e.g. fd77::2/64"};
  }
  if (parsed->prefix_length == 0) {
    return {std::nullopt, in_quotes(text) + ": a /0 prefix would put every address on-link"};
  }
  // RFC 4291 §2.6.1: the address with every host bit zero is the Subnet-Router anycast address
  // of the prefix, which routers answer; RFC 6164 lets a /127 (and /128) use it.
  if (parsed->prefix_length < 127 && host_bits_zero(parsed->address, parsed->prefix_length)) {
    return {std::nullopt, in_quotes(text) +
                              " is the prefix's Subnet-Router anycast address (every host bit zero, RFC 4291 "
                              "§2.6.1), not a host address"};
  }
  return {parsed, {}};
}

parse_result<net::ipv6_address> parse_ipv6_unicast_address(const std::string& text) {
  const auto address = net::ipv6_address::parse(text);
  if (!address) {
    return {std::nullopt, in_quotes(text) + " is not an IPv6 address (expected e.g. fe80::1 or fd77::1, no prefix)"};
  }
  if (const std::optional<std::string> problem = ipv6_unicast_problem(*address)) {
    return {std::nullopt, in_quotes(text) + " " + *problem + ", which cannot be a router"};
  }
  return {address, {}};
}

parse_result<net::mac_address> parse_unicast_mac(const std::string& text) {
  const auto mac = net::mac_address::parse(text);
  if (!mac) {
    return {std::nullopt, in_quotes(text) + " is not a MAC address (expected aa:bb:cc:dd:ee:ff)"};
  }
  if (mac->is_multicast() || mac->is_zero()) {
    return {std::nullopt, in_quotes(text) +
                              " is not a unicast MAC (zero, or the group bit of the first byte is set); e.g. "
                              "02:00:00:00:00:01 is a local unicast one"};
  }
  return {mac, {}};
}

parse_result<port_range> parse_local_ports(const std::string& text) {
  const auto number = [](std::string_view digits) -> std::optional<std::uint32_t> {
    std::uint32_t value = 0;
    const char* end = digits.data() + digits.size();
    const auto [stop, error] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || error != std::errc() || stop != end) {
      return std::nullopt;
    }
    return value;
  };
  const std::string expected = " (expected first-last within 1024-65535, e.g. \"32768-60999\")";
  const std::size_t dash = text.find('-');
  if (dash == std::string::npos) {
    return {std::nullopt, in_quotes(text) + " is not a port range" + expected};
  }
  const std::optional<std::uint32_t> first = number(std::string_view(text).substr(0, dash));
  const std::optional<std::uint32_t> last = number(std::string_view(text).substr(dash + 1));
  if (!first || !last) {
    return {std::nullopt, in_quotes(text) + " is not a port range" + expected};
  }
  if (*first < 1024 || *last > 65535 || *first > *last) {
    return {std::nullopt, in_quotes(text) + " is outside 1024-65535 or runs backwards" + expected};
  }
  return {port_range{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)}, {}};
}

std::optional<std::string> power_of_two_problem(const std::uint64_t& value) {
  // Drivers size rings in powers of two and round (or refuse) anything else.
  if ((value & (value - 1)) != 0) {
    return std::to_string(value) + " is not a power of two (use 64, 128, ..., 16384)";
  }
  return std::nullopt;
}

std::optional<std::string> app_name_problem(const std::string& app) {
  if (app.find_first_not_of(" \t") == std::string::npos) {
    return "is empty; name an app (http, echo, discard or plugin)";
  }
  return std::nullopt;
}

std::optional<std::string> plugin_path_problem(const std::string& path) {
  if (path.empty()) {
    return "is empty; name the plugin's shared object";
  }
  return std::nullopt;
}

std::optional<std::string> absolute_path_problem(const std::string& path) {
  if (!path.starts_with('/') || path.find_first_not_of('/') == std::string::npos) {
    return "\"" + path + "\" must be an absolute path to a directory of its own, e.g. /var/lib/rampart/capture";
  }
  return std::nullopt;
}

std::optional<std::string> rotation_problem(const std::uint64_t& seconds) {
  // A cookie carries its time as 16-second ticks and stays valid for 4 ticks (docs/syncookies.md):
  // a key period must be whole ticks and outlive one cookie, or valid cookies would lose their key.
  if (seconds % 16 != 0) {
    return std::to_string(seconds) + " is not a multiple of 16 (cookie time ticks are 16 s; e.g. 64, 128, 3600)";
  }
  return std::nullopt;
}

std::optional<std::string> listen_address_problem(const std::string& address) {
  if (!address.empty() && !parse_listen_address(address)) {
    return in_quotes(address) +
           " is not an IPv4 address and port (expected a.b.c.d:port with port 1..65535, e.g. \"127.0.0.1:9108\"; "
           "0.0.0.0 listens on every address)";
  }
  return std::nullopt;
}

}  // namespace rampart::config
