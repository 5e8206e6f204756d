#include "engine/tcp_settings.hh"

#include <algorithm>

#include "net/tcp_header.hh"

namespace rampart::engine {

namespace {

tcp::cookie_mode cookie_mode_of(config::cookie_mode mode) noexcept {
  switch (mode) {
    case config::cookie_mode::always:
      return tcp::cookie_mode::always;
    case config::cookie_mode::auto_mode:
      return tcp::cookie_mode::auto_mode;
    case config::cookie_mode::off:
      return tcp::cookie_mode::off;
  }
  return tcp::cookie_mode::always;
}

tcp::cc_algorithm cc_algorithm_of(config::congestion_control algorithm) noexcept {
  return algorithm == config::congestion_control::reno ? tcp::cc_algorithm::reno : tcp::cc_algorithm::cubic;
}

}  // namespace

tcp::tcp_settings tcp_settings_of(const config::engine_config& cfg, packet::tx_offload_caps offload) noexcept {
  const config::tcp_config& tcp = cfg.tcp;
  tcp::tcp_settings s;
  // RFC 9293 §3.7.1 / RFC 879: MSS = MTU - 20 (IPv4) - 20 (TCP), both without options.
  const std::uint16_t mtu = cfg.port.mtu;
  const std::uint16_t mtu_mss = mtu > 40 ? static_cast<std::uint16_t>(mtu - 40) : 536;
  s.mss = std::min(tcp.mss, mtu_mss);
  s.window_scale = std::min(tcp.window_scale, net::tcp_max_window_scale);
  s.receive_window = tcp.receive_window;
  s.connections = tcp.connections_per_lcore;
  s.cookies = cookie_mode_of(tcp.syn_cookies.mode);
  s.backlog_capacity = tcp.syn_cookies.backlog_per_lcore;
  s.auto_threshold = tcp.syn_cookies.auto_threshold;
  s.send_buffer = tcp.send_buffer;
  s.send_budget = tcp.send_budget;
  s.initial_window = tcp.initial_window;
  s.tail_loss_probe = tcp.tail_loss_probe;
  s.rto.min_us = tcp.rto_min_ms * 1000;
  s.rto.max_us = tcp.rto_max_ms * 1000;
  s.rto.initial_us = tcp.rto_initial_ms * 1000;
  s.max_retransmissions = tcp.max_retransmissions;
  s.delayed_ack_ns = std::uint64_t{tcp.delayed_ack_ms} * 1'000'000;
  s.time_wait_ns = std::uint64_t{tcp.time_wait_seconds} * 1'000'000'000;
  s.challenge_acks_per_second = tcp.challenge_acks_per_second;
  s.reassembly_budget = tcp.reassembly_budget;
  s.rst_per_second = tcp.rst_per_second;
  s.challenge_acks_per_second_lcore = tcp.challenge_acks_per_second_lcore;
  s.offload = offload;
  s.local_ip = cfg.port.ip.address;
  s.local_port_first = tcp.local_ports.first;
  s.local_port_last = tcp.local_ports.last;
  return s;
}

std::vector<tcp::listener_settings> tcp_listeners_of(std::span<const config::listener_config> listeners) {
  std::vector<tcp::listener_settings> out;
  out.reserve(listeners.size());
  for (const config::listener_config& l : listeners) {
    out.push_back({l.port, l.nagle, std::uint64_t{l.idle_timeout_seconds} * 1'000'000'000, cc_algorithm_of(l.congestion)});
  }
  return out;
}

}  // namespace rampart::engine
