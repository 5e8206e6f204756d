#include "expect_segment.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "packet_builder.hh"

namespace rampart::test {

namespace {

// One option as it came on the wire: kind and fields, in the layout expected_option describes.
struct wire_option {
  std::uint8_t kind = 0;
  std::vector<std::uint32_t> fields;
};

// Reads the option list by hand rather than through lib/net's parser, which keeps neither the
// order nor a repeated option. A malformed list fails the check and ends the walk.
std::vector<wire_option> read_options(std::span<const std::byte> list) {
  using namespace net::tcp_option_kind;
  std::vector<wire_option> out;
  std::size_t i = 0;
  while (i < list.size()) {
    const auto kind = std::to_integer<std::uint8_t>(list[i]);
    if (kind == end) {
      break;
    }
    if (kind == nop) {
      ++i;
      continue;
    }
    INFO("option kind " << int{kind} << " at offset " << i << " of " << list.size());
    REQUIRE(i + 1 < list.size());
    const auto length = std::to_integer<std::uint8_t>(list[i + 1]);
    REQUIRE(length >= 2);
    REQUIRE(i + length <= list.size());
    const std::span<const std::byte> value = list.subspan(i + 2, length - 2U);
    wire_option o{kind, {}};
    if (kind == mss && value.size() == 2) {
      o.fields.push_back(get16(value, 0));
    } else if ((kind == timestamps && value.size() == 8) || (kind == sack && value.size() % 8 == 0)) {
      for (std::size_t at = 0; at < value.size(); at += 4) {
        o.fields.push_back(get32(value, at));
      }
    } else {
      // Window scale, SACK-permitted, and any kind or length rampart should not send: byte by byte.
      for (const std::byte b : value) {
        o.fields.push_back(std::to_integer<std::uint32_t>(b));
      }
    }
    out.push_back(o);
    i += length;
  }
  return out;
}

std::string flag_names(std::uint8_t flags) {
  static constexpr std::pair<std::uint8_t, const char*> names[] = {
      {net::tcp_flag::syn, "SYN"}, {net::tcp_flag::fin, "FIN"}, {net::tcp_flag::rst, "RST"},
      {net::tcp_flag::psh, "PSH"}, {net::tcp_flag::ack, "ACK"}, {net::tcp_flag::urg, "URG"},
      {net::tcp_flag::ece, "ECE"}, {net::tcp_flag::cwr, "CWR"}};
  std::string s;
  for (const auto& [flag, name] : names) {
    if ((flags & flag) != 0) {
      s += s.empty() ? "" : "|";
      s += name;
    }
  }
  return s.empty() ? "none" : s;
}

template <typename T>
std::string text(const expected<T>& e) {
  return e.value() ? std::to_string(*e.value()) : "any";
}
std::string text(std::uint32_t v) { return std::to_string(v); }

std::string option_name(std::uint8_t kind) {
  using namespace net::tcp_option_kind;
  switch (kind) {
    case mss:
      return "MSS";
    case window_scale:
      return "WS";
    case sack_permitted:
      return "SACK-permitted";
    case timestamps:
      return "TS";
    case sack:
      return "SACK";
    default:
      return "kind " + std::to_string(kind);
  }
}

template <typename Field>
std::string option_text(std::uint8_t kind, const std::vector<Field>& fields) {
  std::ostringstream s;
  s << option_name(kind);
  for (const Field& f : fields) {
    s << ' ' << text(f);
  }
  return s.str();
}

template <typename Option>
std::string options_text(const std::vector<Option>& options) {
  std::string s = "[";
  for (const Option& o : options) {
    s += (s.size() > 1 ? ", " : "") + option_text(o.kind, o.fields);
  }
  return s + "]";
}

std::string describe(const decoded_frame& d, const std::vector<wire_option>& options) {
  std::ostringstream s;
  s << d.eth_source.to_string() << " > " << d.eth_destination.to_string() << ", " << d.ip.source.to_string() << ':'
    << d.tcp.source_port << " > " << d.ip.destination.to_string() << ':' << d.tcp.destination_port << ", id "
    << d.ip.identification << ", " << flag_names(d.tcp.flags) << " seq " << d.tcp.sequence.raw() << " ack "
    << d.tcp.acknowledgment.raw() << " win " << d.tcp.window << ", options " << options_text(options) << ", "
    << d.payload_length << " bytes of payload";
  return s.str();
}

std::string describe(const expected_segment& e) {
  std::ostringstream s;
  s << e.eth_source.to_string() << " > " << e.eth_destination.to_string() << ", " << e.source.to_string() << ':'
    << e.source_port << " > " << e.destination.to_string() << ':' << e.destination_port << ", id "
    << text(e.identification) << ", "
    << (e.flags.value() ? flag_names(*e.flags.value()) : std::string{"any flags"}) << " seq " << text(e.sequence)
    << " ack " << text(e.acknowledgment) << " win " << text(e.window) << ", options " << options_text(e.options)
    << ", " << e.payload.size() << " bytes of payload";
  return s.str();
}

template <typename T>
void check_field(const char* name, const expected<T>& e, T actual) {
  if (e.value()) {
    INFO(name);
    CHECK(actual == *e.value());
  }
}

}  // namespace

namespace option {
expected_option mss(std::uint16_t value) { return {net::tcp_option_kind::mss, {value}}; }
expected_option window_scale(std::uint8_t shift) { return {net::tcp_option_kind::window_scale, {shift}}; }
expected_option sack_permitted() { return {net::tcp_option_kind::sack_permitted, {}}; }
expected_option timestamps(expected<std::uint32_t> value, expected<std::uint32_t> echo_reply) {
  return {net::tcp_option_kind::timestamps, {value, echo_reply}};
}
expected_option sack(const std::vector<net::sack_block>& blocks) {
  expected_option o{net::tcp_option_kind::sack, {}};
  for (const net::sack_block& b : blocks) {
    o.fields.emplace_back(b.left.raw());
    o.fields.emplace_back(b.right.raw());
  }
  return o;
}
}  // namespace option

void expect_segment(const decoded_frame& actual, const expected_segment& segment) {
  const std::vector<wire_option> options = read_options(actual.option_bytes);
  INFO("sent:     " << describe(actual, options));
  INFO("expected: " << describe(segment));

  // Ethernet: to whom, from whom, an IPv4 frame exactly as long as its datagram (padded with
  // zeros to the minimum, RFC 894).
  CHECK(actual.eth_destination == segment.eth_destination);
  CHECK(actual.eth_source == segment.eth_source);
  CHECK(actual.ether_type == net::ether_type::ipv4);
  CHECK(actual.frame_length ==
        std::max<std::size_t>(net::ethernet_header_length + actual.ip.total_length, net::ethernet_min_frame_length));

  // IPv4: a fresh, unfragmented datagram with DF (RFC 9293 §3.7.2), no options, checksum right.
  CHECK(actual.ip.header_length == net::ipv4_min_header_length);
  CHECK(actual.ip.dscp_ecn == 0);
  CHECK(actual.ip.dont_fragment);
  CHECK_FALSE(actual.ip.is_fragment());
  CHECK(actual.ip.ttl == 64);
  CHECK(actual.ip.protocol == net::ip_protocol::tcp);
  CHECK(actual.ip.source == segment.source);
  CHECK(actual.ip.destination == segment.destination);
  check_field("IPv4 identification", segment.identification, actual.ip.identification);
  CHECK(actual.ip_checksum_ok);

  // TCP header.
  CHECK(actual.tcp.source_port == segment.source_port);
  CHECK(actual.tcp.destination_port == segment.destination_port);
  check_field("sequence number", segment.sequence, actual.tcp.sequence.raw());
  check_field("acknowledgment number", segment.acknowledgment, actual.tcp.acknowledgment.raw());
  check_field("flags", segment.flags, actual.tcp.flags);
  check_field("window", segment.window, actual.tcp.window);
  CHECK(actual.tcp.urgent_pointer == 0);
  CHECK(actual.tcp_checksum_ok);

  // Every option, in wire order.
  CHECK(options.size() == segment.options.size());
  for (std::size_t i = 0; i < std::min(options.size(), segment.options.size()); ++i) {
    INFO("option " << i);
    CHECK(options[i].kind == segment.options[i].kind);
    CHECK(options[i].fields.size() == segment.options[i].fields.size());
    for (std::size_t k = 0; k < std::min(options[i].fields.size(), segment.options[i].fields.size()); ++k) {
      INFO("field " << k);
      check_field("option field", segment.options[i].fields[k], options[i].fields[k]);
    }
  }

  CHECK(std::string(reinterpret_cast<const char*>(actual.payload.data()), actual.payload.size()) == segment.payload);
}

}  // namespace rampart::test
