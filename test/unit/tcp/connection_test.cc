// RFC 9293 §3.10.7.4 on connections the listener path opened: data ACKed and discarded, passive
// close, RST (RFC 5961 §3.2), SYN in a synchronized state (RFC 5961 §4), out-of-window segments.
#include <catch2/catch.hpp>

#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

namespace {

// Opens a connection; returns the server's ISN.
std::uint32_t open(tcp_fixture& f, const tcp_client& client) {
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  f.script.send(client.ack_of(syn_ack));
  f.script.expect_consumed();
  REQUIRE(f.tcp.find(key_of(client)) != nullptr);
  return syn_ack.tcp.sequence.raw();
}

tcp_client plain_client() {
  tcp_client c;  // no options at all
  return c;
}

}  // namespace

TEST_CASE("established: data is ACKed and discarded; a bare ACK needs no answer", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open(f, client);
  tcp_segment_spec data = client.segment(ack | net::tcp_flag::psh, iss);
  data.payload.assign(100, std::byte{'a'});
  f.script.send(data);
  const auto r = f.script.expect_reply();
  CHECK(r.tcp.flags == ack);
  CHECK(r.tcp.sequence.raw() == iss + 1);
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 1 + 100);
  CHECK(r.payload_length == 0);
  CHECK(r.tcp.window == 65535);  // no scaling negotiated: the window is capped at 65535
  f.script.send(client.segment(ack, iss, 100));
  f.script.expect_consumed();
}

TEST_CASE("established: FIN is answered by FIN+ACK, the final ACK closes", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  const std::uint32_t iss = open(f, client);
  f.script.send(client.segment(fin | ack, iss));
  auto r = f.script.expect_reply();
  CHECK(r.tcp.flags == (fin | ack));
  CHECK(r.tcp.sequence.raw() == iss + 1);
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 2);
  REQUIRE(r.options.timestamps);  // negotiated: every segment carries TS (RFC 7323 §3.2)
  CHECK(f.tcp.find(key_of(client))->state == tcp::tcp_state::last_ack);

  SECTION("our FIN+ACK lost: the repeated FIN gets it again") {
    f.script.send(client.segment(fin | ack, iss));
    r = f.script.expect_reply();
    CHECK(r.tcp.flags == (fin | ack));
    CHECK(r.tcp.sequence.raw() == iss + 1);
  }
  f.script.send(client.segment(ack, iss, 1, 1));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(client)) == nullptr);
  CHECK(f.stats.tcp_connections_closed.read() == 1);
  CHECK(f.stats.tcp_connections_active.read() == 0);
}

TEST_CASE("established: RST at RCV.NXT closes, in-window RST gets a challenge ACK, outside is dropped",
          "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open(f, client);
  SECTION("exact") {
    f.script.send(client.segment(rst, iss));
    f.script.expect_consumed();
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    CHECK(f.stats.tcp_connections_closed.read() == 1);
  }
  SECTION("in window, not exact") {
    f.script.send(client.segment(rst, iss, 1000));
    const auto r = f.script.expect_reply();
    CHECK(r.tcp.flags == ack);
    CHECK(r.tcp.sequence.raw() == iss + 1);
    CHECK(r.tcp.acknowledgment.raw() == client.isn + 1);
    CHECK(f.stats.tcp_challenge_acks_sent.read() == 1);
    CHECK(f.tcp.find(key_of(client)) != nullptr);
  }
  SECTION("outside the window") {
    f.script.send(client.segment(rst, iss, 0x40000000));
    f.script.expect_drop(drop_reason::tcp_rst_out_of_window);
    CHECK(f.tcp.find(key_of(client)) != nullptr);
  }
}

TEST_CASE("established: a SYN gets a challenge ACK (RFC 5961 §4)", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open(f, client);
  f.script.send(client.segment(syn, iss, 10));
  const auto r = f.script.expect_reply();
  CHECK(r.tcp.flags == ack);
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 1);
  CHECK(f.stats.tcp_challenge_acks_sent.read() == 1);
  CHECK(f.tcp.find(key_of(client))->state == tcp::tcp_state::established);
}

TEST_CASE("established: old duplicates and ACKs of unsent data get an ACK", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open(f, client);
  SECTION("old data") {
    tcp_segment_spec old = client.segment(ack, iss);
    old.sequence -= 50;
    old.payload.assign(20, std::byte{0});
    f.script.send(old);
  }
  SECTION("SEG.ACK > SND.NXT") {
    f.script.send(client.segment(ack, iss, 0, 5));
  }
  const auto r = f.script.expect_reply();
  CHECK(r.tcp.flags == ack);
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 1);
  CHECK(f.stats.tcp_out_of_window_acks.read() == 1);
}

TEST_CASE("established: no ACK flag is dropped", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open(f, client);
  tcp_segment_spec s = client.segment(net::tcp_flag::psh, iss);
  s.payload.assign(5, std::byte{0});
  f.script.send(s);
  f.script.expect_drop(drop_reason::tcp_ack_missing);
}

TEST_CASE("one burst: the handshake's ACK, then data and FIN of the same flow", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = plain_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  const std::uint32_t iss = syn_ack.tcp.sequence.raw();
  tcp_segment_spec data = client.segment(ack, iss);
  data.payload.assign(10, std::byte{'z'});
  const tcp_segment_spec finish = client.segment(fin | ack, iss, 10);
  f.script.send_burst({client.ack_of(syn_ack), data, finish});
  f.script.expect_consumed(0);
  CHECK(f.script.expect_reply(1).tcp.acknowledgment.raw() == client.isn + 11);
  const auto r = f.script.expect_reply(2);
  CHECK(r.tcp.flags == (fin | ack));
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 12);
}

TEST_CASE("the ACK completing a handshake may carry data", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  tcp_segment_spec a = client.ack_of(f.script.expect_reply());
  a.payload.assign(7, std::byte{'q'});
  f.script.send(a);
  const auto r = f.script.expect_reply();
  CHECK(r.tcp.acknowledgment.raw() == client.isn + 8);
  // Window scaled by our shift 7 once the handshake is over: 262140 >> 7.
  CHECK(r.tcp.window == 262140 >> 7);
}

// Regression (test/e2e/test_syn_flood.py): with no FIN retransmission timer, a connection whose
// peer's final ACK was lost stayed in LAST-ACK, and in the table, for ever.
TEST_CASE("LAST-ACK whose final ACK is lost is erased after last_ack_timeout", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  const std::uint32_t iss = open(f, client);
  f.script.send(client.segment(fin | ack, iss));
  CHECK(f.script.expect_reply().tcp.flags == (fin | ack));
  CHECK(f.tcp.last_ack_count() == 1);
  const std::uint64_t closed_before = f.stats.tcp_connections_closed.read();

  // Any burst advances the lists' clock; a segment of another flow (to a closed port) will do.
  const tcp_client other = full_client(40001, 5000);
  tcp_segment_spec probe = other.syn();
  probe.destination_port = 4444;
  f.script.advance(f.tcp.settings().last_ack_timeout_ns - 1);
  f.script.send(probe);
  CHECK(f.tcp.find(key_of(client)) != nullptr);  // not yet
  f.script.advance(1);
  f.script.send(probe);
  CHECK(f.tcp.find(key_of(client)) == nullptr);
  CHECK(f.tcp.last_ack_count() == 0);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_connections_closed.read() == closed_before + 1);
}
