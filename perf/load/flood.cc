#include "flood.hh"

namespace rampart::load {

bool in_prefix(net::ipv4_address address, const net::ipv4_interface_address& prefix) noexcept {
  return (address.value & prefix.netmask()) == (prefix.address.value & prefix.netmask());
}

net::ipv4_address random_source(const net::ipv4_interface_address& prefix, xorshift64& rng) noexcept {
  const std::uint32_t mask = prefix.netmask();
  const std::uint32_t hosts = ~mask;  // host part's largest value
  std::uint32_t host = static_cast<std::uint32_t>(rng.next() >> 32) & hosts;
  if (hosts >= 3) {
    host = 1 + host % (hosts - 1);  // 1 .. hosts-1: not the network, not the broadcast address
  }
  return {(prefix.address.value & mask) | host};
}

namespace {

tcp_segment_spec flood_segment(const flood_target& target, xorshift64& rng) noexcept {
  const std::uint64_t r = rng.next();
  tcp_segment_spec s;
  s.link = target.link;
  s.source_ip = random_source(target.sources, rng);
  s.destination_ip = target.destination_ip;
  s.header.source_port = static_cast<std::uint16_t>(1024 + (r & 0xffff) % (65536 - 1024));
  s.header.destination_port = target.destination_port;
  s.header.sequence = net::seq32{static_cast<std::uint32_t>(r >> 32)};
  s.header.window = 64240;
  s.ip_id = static_cast<std::uint16_t>(r >> 16);
  return s;
}

}  // namespace

std::size_t build_syn_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept {
  tcp_segment_spec s = flood_segment(target, rng);
  s.header.flags = net::tcp_flag::syn;
  s.options.mss = 1460;
  s.options.sack_permitted = true;
  s.options.timestamps = net::tcp_timestamps{static_cast<std::uint32_t>(rng.next()), 0};
  s.options.window_scale = 7;
  return build_tcp_frame(out, s);
}

std::size_t build_ack_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept {
  tcp_segment_spec s = flood_segment(target, rng);
  const std::uint64_t r = rng.next();
  s.header.flags = net::tcp_flag::ack;
  std::uint32_t cookie = static_cast<std::uint32_t>(r);
  if (target.cookie_tick) {
    cookie = (*target.cookie_tick & 0x3fU) << 26 | (cookie & 0x03ffffffU);
  }
  s.header.acknowledgment = net::seq32{cookie + 1};
  s.options.timestamps = net::tcp_timestamps{static_cast<std::uint32_t>(r >> 32), static_cast<std::uint32_t>(rng.next())};
  return build_tcp_frame(out, s);
}

std::size_t build_ping_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept {
  const std::uint64_t r = rng.next();
  icmp_echo_spec s;
  s.link = target.link;
  s.source_ip = random_source(target.sources, rng);
  s.destination_ip = target.destination_ip;
  s.identifier = static_cast<std::uint16_t>(r);
  s.sequence = static_cast<std::uint16_t>(r >> 16);
  s.ip_id = static_cast<std::uint16_t>(r >> 32);
  s.data_length = 32;
  return build_icmp_echo_frame(out, s);
}

}  // namespace rampart::load
