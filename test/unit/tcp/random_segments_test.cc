// Random segments from a few clients in every cookie mode: whatever arrives, every reply is a
// well-formed TCP/IPv4 frame with checksums that verify and never carries data, a RST is never
// answered by a RST (only by a challenge ACK, RFC 5961 §3.2), and the table and backlog stay
// within their limits. Seeded: failures reproduce.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <utility>

#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;

TEST_CASE("random segments: replies well-formed, limits kept", "[unit][tcp]") {
  const auto mode = GENERATE(tcp::cookie_mode::always, tcp::cookie_mode::auto_mode, tcp::cookie_mode::off);
  tcp_fixture f{test_settings(mode, 16)};
  std::mt19937 rng(1234);
  const auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  // Sequence numbers near what a real exchange uses, so handshakes and closes do happen: the
  // server ISN each (port, client ISN) was last given, from the SYN-ACKs seen.
  std::map<std::pair<std::uint16_t, std::uint32_t>, std::uint32_t> server_isn;
  for (int round = 0; round < 3000; ++round) {
    std::vector<tcp_segment_spec> burst;
    const std::uint32_t n = 1 + pick(32);
    for (std::uint32_t i = 0; i < n; ++i) {
      tcp_client c = full_client(static_cast<std::uint16_t>(40000 + pick(24)), 1000 * (1 + pick(3)));
      if (pick(2) == 0) {
        c.base.options = {};
      }
      tcp_segment_spec s = c.syn();
      const auto known = server_isn.find({c.base.source_port, c.isn});
      const std::uint32_t isn = known != server_isn.end() && pick(4) != 0 ? known->second : static_cast<std::uint32_t>(rng());
      s.flags = static_cast<std::uint8_t>(pick(4) == 0 ? pick(256) : (pick(2) ? net::tcp_flag::syn : net::tcp_flag::ack) |
                                                                      (pick(4) == 0 ? net::tcp_flag::fin : 0));
      s.sequence = c.isn + (pick(2) ? 1 : pick(3));
      s.acknowledgment = isn + (pick(2) ? 1 : pick(3));
      s.destination_port = pick(8) == 0 ? 81 : 80;
      if (pick(4) == 0) {
        s.payload.assign(pick(100), std::byte{'r'});
      }
      burst.push_back(s);
    }
    const auto verdicts = f.script.send_burst(burst);
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
      if (verdicts[i].what != packet::action::transmit) {
        continue;
      }
      const decoded_frame d = decode_tcp_frame(f.script.frame_bytes(i));
      if (burst[i].flags & net::tcp_flag::rst) {
        CHECK(d.tcp.flags == net::tcp_flag::ack);  // a challenge ACK, never a RST for a RST
      }
      REQUIRE(d.ip_checksum_ok);
      REQUIRE(d.tcp_checksum_ok);
      CHECK(d.payload_length == 0);
      CHECK(d.ip.destination == burst[i].source);
      CHECK(d.tcp.destination_port == burst[i].source_port);
      if (d.has(net::tcp_flag::syn)) {
        server_isn[{burst[i].source_port, burst[i].sequence}] = d.tcp.sequence.raw();
      }
    }
    REQUIRE(f.tcp.connection_count() <= 16);
    REQUIRE(f.tcp.half_open_count() <= 8);
    if (mode == tcp::cookie_mode::always) {
      REQUIRE(f.tcp.half_open_count() == 0);
    }
    f.script.advance(pick(2'000'000'000));
  }
  // The run exercised more than the listener: connections opened and closed.
  CHECK(f.stats.tcp_connections_opened.read() > 0);
  CHECK(f.stats.tcp_connections_closed.read() > 0);
}
