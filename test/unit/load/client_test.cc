// Scripted exchanges: a test plays the server, feeds segments to one client and compares every
// segment the client sends.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "client.hh"

using namespace rampart;
using load::client;
using net::seq32;
namespace flag = net::tcp_flag;

namespace {

struct sent_segment {
  net::tcp_header header;
  net::tcp_options options;
  std::string payload;
};

class recorder final : public load::segment_sink {
 public:
  void send(const net::tcp_header& h, const net::tcp_options& o, std::span<const std::byte> p) override {
    segments.push_back({h, o, std::string(reinterpret_cast<const char*>(p.data()), p.size())});
  }
  sent_segment take() {
    REQUIRE_FALSE(segments.empty());
    sent_segment s = segments.front();
    segments.erase(segments.begin());
    return s;
  }
  std::vector<sent_segment> segments;
};

constexpr std::uint32_t client_isn = 1000;
constexpr std::uint32_t server_isn = 0x7ffffff0;  // the server's ISN: a cookie, say
constexpr std::uint64_t ms = 1'000'000;

struct exchange {
  load::client_settings settings;
  load::load_stats stats;
  recorder out;
  client c;

  void server(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint64_t now,
              const std::string& data = "", std::optional<net::tcp_timestamps> ts = net::tcp_timestamps{555, 0}) {
    net::tcp_header h;
    h.source_port = settings.server_port;
    h.destination_port = c.local_port();
    h.flags = flags;
    h.sequence = seq32{seq};
    h.acknowledgment = seq32{ack};
    net::tcp_options o;
    o.timestamps = ts;
    c.on_segment(h, o, std::as_bytes(std::span(data.data(), data.size())), now, stats, out);
  }
};

const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

}  // namespace

TEST_CASE("client: handshake only, honouring the cookie, then a clean close", "[unit][load]") {
  exchange x;
  x.c.start(x.settings, 40000, client_isn, 0, x.stats, x.out);
  const sent_segment syn = x.out.take();
  CHECK(syn.header.flags == flag::syn);
  CHECK(syn.header.sequence == seq32{client_isn});
  CHECK(syn.header.source_port == 40000);
  CHECK(syn.options.mss == std::uint16_t{1460});
  CHECK(syn.options.window_scale == std::uint8_t{7});
  CHECK(syn.options.sack_permitted);
  REQUIRE(syn.options.timestamps.has_value());

  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 2 * ms, "", net::tcp_timestamps{0xabcdef, syn.options.timestamps->value});
  const sent_segment ack = x.out.take();
  CHECK(ack.header.flags == flag::ack);
  CHECK(ack.header.sequence == seq32{client_isn + 1});
  CHECK(ack.header.acknowledgment == seq32{server_isn + 1});  // the cookie, returned
  REQUIRE(ack.options.timestamps.has_value());
  CHECK(ack.options.timestamps->echo_reply == 0xabcdef);  // TSecr carries the cookie's options
  const sent_segment fin = x.out.take();
  CHECK(fin.header.flags == (flag::fin | flag::ack));
  CHECK(fin.header.sequence == seq32{client_isn + 1});
  CHECK(x.stats.handshakes == 1);
  CHECK(x.stats.syn_to_syn_ack.max() == 2 * ms);

  x.server(flag::fin | flag::ack, server_isn + 1, client_isn + 2, 3 * ms);
  const sent_segment last = x.out.take();
  CHECK(last.header.flags == flag::ack);
  CHECK(last.header.acknowledgment == seq32{server_isn + 2});
  CHECK(x.c.current() == client::state::done);
  CHECK(x.stats.completed == 1);
  CHECK(x.stats.failed == 0);
  CHECK(x.stats.connection.max() == 3 * ms);
  CHECK(x.out.segments.empty());
}

TEST_CASE("client: keep-alive requests, responses in pieces, FIN after the last", "[unit][load]") {
  exchange x;
  x.settings.requests = 2;
  x.settings.request = load::http_request("example", "/x", false);
  x.settings.options = {536, false, -1, false};
  x.c.start(x.settings, 40001, client_isn, 0, x.stats, x.out);
  const sent_segment syn = x.out.take();
  CHECK(syn.options == net::tcp_options{536, std::nullopt, false, std::nullopt});
  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
  const sent_segment ack = x.out.take();
  CHECK_FALSE(ack.options.timestamps.has_value());  // not offered in our SYN: never sent
  const sent_segment req1 = x.out.take();
  CHECK(req1.header.flags == (flag::psh | flag::ack));
  CHECK(req1.payload == "GET /x HTTP/1.1\r\nHost: example\r\nUser-Agent: rampart-load\r\n\r\n");
  const auto len = static_cast<std::uint32_t>(req1.payload.size());
  std::uint32_t server_seq = server_isn + 1;
  x.server(flag::ack, server_seq, client_isn + 1 + len, 2 * ms, ok_response.substr(0, 10));
  server_seq += 10;
  CHECK(x.out.take().header.acknowledgment == seq32{server_seq});
  x.server(flag::ack | flag::psh, server_seq, client_isn + 1 + len, 4 * ms, ok_response.substr(10));
  server_seq += static_cast<std::uint32_t>(ok_response.size() - 10);
  const sent_segment req2 = x.out.take();  // it acknowledges the response: no ACK of its own
  CHECK(req2.header.sequence == seq32{client_isn + 1 + len});
  CHECK(req2.header.acknowledgment == seq32{server_seq});
  CHECK(x.out.segments.empty());
  CHECK(x.stats.responses == 1);
  CHECK(x.stats.request.max() == 3 * ms);  // sent at 1 ms, complete at 4 ms

  // An out-of-order segment gets a duplicate ACK and is not read.
  x.server(flag::ack, server_seq + 5, client_isn + 1 + 2 * len, 5 * ms, "junk");
  CHECK(x.out.take().header.acknowledgment == seq32{server_seq});
  x.server(flag::ack, server_seq, client_isn + 1 + 2 * len, 6 * ms, ok_response);
  server_seq += static_cast<std::uint32_t>(ok_response.size());
  const sent_segment fin = x.out.take();  // it acknowledges the last response
  CHECK(fin.header.flags == (flag::fin | flag::ack));
  CHECK(fin.header.acknowledgment == seq32{server_seq});
  CHECK(x.out.segments.empty());
  CHECK(x.stats.responses == 2);
  x.server(flag::ack, server_seq, client_isn + 2 + 2 * len, 7 * ms);
  CHECK(x.c.current() == client::state::fin_sent);  // our FIN acked, the server's still due
  x.server(flag::fin | flag::ack, server_seq, client_isn + 2 + 2 * len, 8 * ms);
  CHECK(x.out.take().header.acknowledgment == seq32{server_seq + 1});
  CHECK(x.stats.completed == 1);
  CHECK(x.stats.requests_sent == 2);
}

TEST_CASE("client: Connection: close, the server's FIN with the response", "[unit][load]") {
  exchange x;
  x.settings.requests = 1;
  x.settings.request = load::http_request("h", "/", true);
  x.c.start(x.settings, 40002, client_isn, 0, x.stats, x.out);
  x.out.take();
  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
  x.out.take();
  const auto len = static_cast<std::uint32_t>(x.out.take().payload.size());
  x.server(flag::fin | flag::ack | flag::psh, server_isn + 1, client_isn + 1 + len, 2 * ms, ok_response);
  const sent_segment fin = x.out.take();  // acknowledging the response and the server's FIN
  CHECK(fin.header.flags == (flag::fin | flag::ack));
  CHECK(fin.header.acknowledgment == seq32{server_isn + 1 + static_cast<std::uint32_t>(ok_response.size()) + 1});
  CHECK(x.out.segments.empty());
  x.server(flag::ack, server_isn + 2 + static_cast<std::uint32_t>(ok_response.size()), client_isn + 2 + len, 3 * ms);
  CHECK(x.stats.completed == 1);
}

TEST_CASE("client: failures are counted by reason", "[unit][load]") {
  SECTION("RST acknowledging the SYN") {
    exchange x;
    x.c.start(x.settings, 40003, client_isn, 0, x.stats, x.out);
    x.server(flag::rst | flag::ack, 0, client_isn + 1, 1 * ms);
    CHECK(x.stats.failures[static_cast<int>(load::failure::reset)] == 1);
    CHECK(x.c.current() == client::state::failed);
  }
  SECTION("an RST that does not acknowledge the SYN is ignored") {
    exchange x;
    x.c.start(x.settings, 40003, client_isn, 0, x.stats, x.out);
    x.server(flag::rst | flag::ack, 0, client_isn + 7, 1 * ms);
    CHECK(x.c.active());
  }
  SECTION("no SYN-ACK: the SYN is retransmitted after 1 s, 2 s more, then the deadline") {
    exchange x;
    x.settings.deadline_ns = 5000 * ms;
    x.c.start(x.settings, 40004, client_isn, 0, x.stats, x.out);
    x.out.take();
    x.c.on_clock(999 * ms, x.stats, x.out);
    CHECK(x.out.segments.empty());
    x.c.on_clock(1000 * ms, x.stats, x.out);
    CHECK(x.out.take().header.flags == flag::syn);
    x.c.on_clock(2999 * ms, x.stats, x.out);
    CHECK(x.out.segments.empty());
    x.c.on_clock(3000 * ms, x.stats, x.out);
    CHECK(x.out.take().header.sequence == seq32{client_isn});
    x.c.on_clock(5000 * ms, x.stats, x.out);
    CHECK(x.stats.failures[static_cast<int>(load::failure::handshake_timeout)] == 1);
    CHECK(x.stats.retransmits == 2);
    CHECK(x.out.segments.empty());  // nothing to reset: the server holds no state
  }
  SECTION("a 500 response") {
    exchange x;
    x.settings.requests = 1;
    x.settings.request = "GET / HTTP/1.1\r\n\r\n";
    x.c.start(x.settings, 40005, client_isn, 0, x.stats, x.out);
    x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
    x.server(flag::ack, server_isn + 1, client_isn + 19, 2 * ms, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
    CHECK(x.stats.failures[static_cast<int>(load::failure::bad_status)] == 1);
  }
  SECTION("the server closes before the response is complete") {
    exchange x;
    x.settings.requests = 1;
    x.settings.request = "GET / HTTP/1.1\r\n\r\n";
    x.c.start(x.settings, 40006, client_isn, 0, x.stats, x.out);
    x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
    x.server(flag::fin | flag::ack, server_isn + 1, client_isn + 19, 2 * ms, "HTTP/1.1 200 OK\r\n");
    CHECK(x.stats.failures[static_cast<int>(load::failure::closed_early)] == 1);
  }
  SECTION("the server closes a keep-alive connection with requests still to go") {
    exchange x;
    x.settings.requests = 2;
    x.settings.request = "GET / HTTP/1.1\r\n\r\n";
    x.c.start(x.settings, 40009, client_isn, 0, x.stats, x.out);
    x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
    x.server(flag::fin | flag::ack, server_isn + 1, client_isn + 19, 2 * ms, ok_response);
    CHECK(x.stats.responses == 1);
    CHECK(x.stats.failures[static_cast<int>(load::failure::closed_early)] == 1);
    CHECK(x.stats.completed == 0);
  }
  SECTION("response timeout sends RST to free the server's entry") {
    exchange x;
    x.settings.requests = 1;
    x.settings.request = "GET / HTTP/1.1\r\n\r\n";
    x.settings.deadline_ns = 100 * ms;
    x.c.start(x.settings, 40007, client_isn, 0, x.stats, x.out);
    x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
    x.out.segments.clear();
    x.server(flag::ack, server_isn + 1, client_isn + 19, 2 * ms);  // request acked, no answer
    x.c.on_clock(100 * ms, x.stats, x.out);
    CHECK(x.out.take().header.has(flag::rst));
    CHECK(x.stats.failures[static_cast<int>(load::failure::response_timeout)] == 1);
    CHECK(x.stats.failed == 1);
  }
}

TEST_CASE("client: a repeated SYN-ACK (our ACK was lost) is acknowledged again", "[unit][load]") {
  exchange x;
  x.settings.requests = 1;
  x.settings.request = "GET / HTTP/1.1\r\n\r\n";
  x.c.start(x.settings, 40008, client_isn, 0, x.stats, x.out);
  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1 * ms);
  x.out.segments.clear();
  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 900 * ms);
  const sent_segment again = x.out.take();
  CHECK(again.header.flags == flag::ack);
  CHECK(again.header.acknowledgment == seq32{server_isn + 1});
  CHECK(x.stats.handshakes == 1);
  // The request was not acknowledged: it goes again after the RTO, same bytes, same sequence.
  x.c.on_clock(1001 * ms, x.stats, x.out);
  const sent_segment retransmitted = x.out.take();
  CHECK(retransmitted.header.sequence == seq32{client_isn + 1});
  CHECK(retransmitted.payload == x.settings.request);
}

TEST_CASE("client: an ACK in SYN-SENT that is not for our SYN gets a reset, then the retransmitted SYN connects",
          "[unit][load]") {
  // The server still holds a connection on this 4-tuple from an earlier run (its close did
  // not finish) and answers our SYN with an ACK of that connection's sequence space.
  exchange x;
  x.c.start(x.settings, 40009, client_isn, 0, x.stats, x.out);
  x.out.segments.clear();
  constexpr std::uint32_t stale_ack = 0x12345678;
  x.server(flag::ack, server_isn, stale_ack, 1 * ms);
  // RFC 9293 §3.10.7.3: <SEQ=SEG.ACK><CTL=RST>, no ACK bit, no timestamp.
  const sent_segment rst = x.out.take();
  CHECK(rst.header.flags == flag::rst);
  CHECK(rst.header.sequence == seq32{stale_ack});
  CHECK_FALSE(rst.options.timestamps.has_value());
  CHECK(x.out.segments.empty());
  CHECK(x.stats.syn_sent_resets == 1);
  CHECK(x.c.current() == client::state::syn_sent);
  // A SYN-ACK that acknowledges something else is reset the same way.
  x.server(flag::syn | flag::ack, server_isn, client_isn + 7, 2 * ms);
  CHECK(x.out.take().header.sequence == seq32{client_isn + 7});
  // The SYN goes again at the RTO, unchanged, and the server's fresh SYN-ACK completes it.
  x.c.on_clock(1000 * ms, x.stats, x.out);
  const sent_segment syn = x.out.take();
  CHECK(syn.header.flags == flag::syn);
  CHECK(syn.header.sequence == seq32{client_isn});
  x.server(flag::syn | flag::ack, server_isn, client_isn + 1, 1001 * ms);
  CHECK(x.out.take().header.flags == flag::ack);
  CHECK(x.stats.handshakes == 1);
  CHECK(x.stats.failed == 0);
}
