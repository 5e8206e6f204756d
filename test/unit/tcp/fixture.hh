#pragma once
// Shared set-up of the tcp unit tests: one lcore_tcp listening on port 80, cookie keys derived
// from a fixed master secret (as two nodes sharing master_secret_file would), a fixed table seed.
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "config/config.hh"
#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "stats/counters.hh"
#include "tcp/lcore_tcp.hh"
// lib/tcp's private headers: the types lcore_tcp's inspection calls return.
#include "tcp/connection.hh"
#include "tcp/recent_cookies.hh"
#include "tcp/sack_scoreboard.hh"
#include "tcp/send_budget.hh"
#include "recording_app.hh"
#include "tcp_script.hh"

namespace rampart::test {

inline constexpr std::uint64_t t0_ns = 1'700'000'000'000'000'000ULL;

inline cookie::key_set test_keys(std::uint64_t now_ns) {
  std::array<std::byte, 32> master{};
  for (std::size_t i = 0; i < master.size(); ++i) {
    master[i] = static_cast<std::byte>(i * 7 + 1);
  }
  return cookie::key_schedule::derived(master, 64).keys_at(now_ns);
}

// The config's defaults (as the engine turns them into tcp_settings), with a small table and
// backlog.
inline tcp::tcp_settings test_settings(tcp::cookie_mode mode = tcp::cookie_mode::always,
                                       std::uint32_t connections = 64) {
  tcp::tcp_settings s = engine::tcp_settings_of(config::engine_config{}, {});
  s.mss = 1460;
  s.window_scale = 7;
  s.receive_window = 65535 * 4;
  s.connections = connections;
  s.cookies = mode;
  s.backlog_capacity = 8;
  s.auto_threshold = 4;
  s.backlog_timeout_ns = 12'000'000'000ULL;
  s.local_mac = server_mac;
  s.local_ip = net::ipv4_address{0x0a4d0002};  // 10.77.0.2, as the scripted segments address us
  return s;
}

// One lcore_tcp with heap buffers and a capturing sink (what the engine's mbufs and TX staging
// are to it); listener 0 is port 80, listener 1 port 7, with the config's defaults. Apps are
// attached by the test.
inline std::vector<tcp::listener_settings> test_listeners() {
  const std::vector<config::listener_config> listeners{{80, "http", {}}, {7, "echo", {}}};
  return engine::tcp_listeners_of(listeners);
}

struct tcp_fixture {
  explicit tcp_fixture(const tcp::tcp_settings& settings = test_settings(),
                       std::vector<tcp::listener_settings> listener_list = test_listeners())
      : listeners(std::move(listener_list)),
        tcp(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4}, t0_ns),
        script(tcp, t0_ns, &stats) {
    tcp.update_keys(test_keys(t0_ns));
    tcp.attach_io(buffers, sink);
    script.attach_sink(sink);
  }
  std::vector<tcp::listener_settings> listeners;
  stats::lcore_stats stats;
  heap_buffer_pool buffers;
  capture_sink sink{buffers};
  tcp::lcore_tcp tcp;
  tcp_script script;
};

// A client offering every option: MSS 1400, wscale 8, SACK-permitted, timestamps.
inline tcp_client full_client(std::uint16_t port = 40000, std::uint32_t isn = 1000) {
  tcp_client c;
  c.base.source_port = port;
  c.base.options.mss = 1400;
  c.base.options.window_scale = 8;
  c.base.options.sack_permitted = true;
  c.base.options.timestamps = net::tcp_timestamps{5000, 0};
  c.isn = isn;
  return c;
}

inline flow::flow_key key_of(const tcp_client& c) {
  return {c.base.source.value, c.base.destination.value, c.base.source_port, c.base.destination_port};
}

// A tcp_fixture whose listener 0 (port 80) is served by a recording_app, with received frames in
// pool buffers (apps may hold them). Whatever a test leaves open is shut down at the end, and no
// buffer may be left in use or released twice.
struct app_fixture : tcp_fixture {
  explicit app_fixture(const tcp::tcp_settings& s = test_settings(),
                       std::vector<tcp::listener_settings> l = test_listeners())
      : tcp_fixture(s, std::move(l)) {
    tcp.set_application(0, &app);
    script.attach_pool(buffers);
  }
  ~app_fixture() {
    tcp.shutdown(script.now());
    sink.take();
    CHECK(buffers.in_use() == 0);
    CHECK(buffers.bad_releases() == 0);
  }
  recording_app app;
};

}  // namespace rampart::test

namespace rampart::test {

// Opens a connection for `client` (through the cookie or the backlog, by the fixture's mode) and
// returns the server's ISN.
inline std::uint32_t open_connection(tcp_fixture& f, const tcp_client& client) {
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  f.script.send(client.ack_of(syn_ack));
  f.script.expect_consumed();
  REQUIRE(f.tcp.find(key_of(client)) != nullptr);
  return syn_ack.tcp.sequence.raw();
}

}  // namespace rampart::test
