// Out-of-order data on established connections, as scripted exchanges with a fake clock: the
// queue (RFC 9293 §3.10.7.4), the immediate ACK when a hole fills (RFC 5681 §4.2), SACK blocks
// (RFC 2018 §4) and D-SACK (RFC 2883) in ACKs compared whole (expect_segment), the per-lcore and
// per-connection budgets, and buffers released on every way a connection ends (app_fixture
// checks that no buffer is left in use).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using tcp::close_reason;
using tcp::tcp_state;

namespace {

// The SYN backlog keeps SACK-permitted without timestamps (a cookie without TS cannot).
tcp::tcp_settings sack_settings() { return test_settings(tcp::cookie_mode::auto_mode); }

// SACK-permitted without timestamps: four blocks fit in an ACK.
tcp_client sack_client() {
  tcp_client c;
  c.base.options.mss = 1400;
  c.base.options.sack_permitted = true;
  return c;
}

// The stream the client sends: 26 distinct letters per 100 bytes, so a misplaced byte shows.
std::string stream_text(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>('a' + (i % 26 + i / 100) % 26));
  }
  return s;
}

struct sender {
  const tcp_client& client;
  std::uint32_t iss;
  std::string text;
  tcp_segment_spec data(std::uint32_t offset, std::uint32_t length, std::uint8_t flags = ack) const {
    tcp_segment_spec s = client.segment(flags, iss, offset);
    s.payload = bytes_of(text.substr(offset, length));
    return s;
  }
  net::sack_block block(std::uint32_t from, std::uint32_t to) const {
    return {net::seq32{client.isn + 1 + from}, net::seq32{client.isn + 1 + to}};
  }
  std::uint32_t seq(std::uint32_t offset) const { return client.isn + 1 + offset; }
};

// Our ACK to sack_client(), whole: <SEQ=seq><ACK=ack_number><CTL=ACK>, no payload, the window of
// test_settings() unscaled (the client offered no window scale; queued data does not narrow it),
// and no option but the SACK blocks, in order (the client offered no Timestamps).
expected_segment ack_segment(std::uint32_t seq, std::uint32_t ack_number, const std::vector<net::sack_block>& blocks) {
  expected_segment e{.sequence = seq, .acknowledgment = ack_number, .flags = ack, .window = 65535};
  if (!blocks.empty()) {
    e.options.push_back(option::sack(blocks));
  }
  return e;
}
void expect_ack(const decoded_frame& d, std::uint32_t seq, std::uint32_t ack_number,
                const std::vector<net::sack_block>& blocks) {
  expect_segment(d, ack_segment(seq, ack_number, blocks));
}

// The same segment to full_client(): its window scaled by our shift, Timestamps before anything
// else: TSval our clock in ms, TSecr 5001 (the handshake's ACK was its last segment with them).
expected_segment to_full_client(expected_segment e, std::uint64_t now_ns) {
  e.window = 262140 >> 7;
  e.options.insert(e.options.begin(), option::timestamps(static_cast<std::uint32_t>(now_ns / 1'000'000), 5001));
  return e;
}

// A queued segment: consumed (its frame is held), one ACK in a fresh buffer.
decoded_frame expect_queued(app_fixture& f) {
  f.script.expect_consumed();
  return f.script.expect_sent(1).front();
}

// Two holes: [0, 100) and [200, 300) missing, [100, 200) and [300, 400) queued.
void queue_two_pieces(app_fixture& f, const sender& s) {
  f.script.send(s.data(100, 100));
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(100, 200)});
  f.script.send(s.data(300, 100));
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(300, 400), s.block(100, 200)});
}

}  // namespace

TEST_CASE("holes filled in every order deliver the stream once, in order, with exact SACK blocks",
          "[unit][tcp][reassembly]") {
  std::vector<int> order{0, 1, 2, 3};
  int permutations = 0;
  do {
    INFO("arrival order " << order[0] << order[1] << order[2] << order[3]);
    app_fixture f(sack_settings());
    const tcp_client client = sack_client();
    const sender s{client, open_connection(f, client), stream_text(400)};
    // Model: the segments received, when each arrived, RCV.NXT, segments since our last ACK.
    std::map<int, int> arrived;  // segment -> arrival time
    std::uint32_t rcv = 0;
    int unacked = 0;
    for (int t = 0; t < 4; ++t) {
      const int i = order[static_cast<std::size_t>(t)];
      arrived[i] = t;
      f.script.send(s.data(static_cast<std::uint32_t>(i) * 100, 100));
      const bool fills = static_cast<std::uint32_t>(i) * 100 == rcv;
      const bool queue_was_empty = std::all_of(arrived.begin(), arrived.end(), [&](const auto& a) {
        return a.first == i || static_cast<std::uint32_t>(a.first) * 100 < rcv;
      });
      while (arrived.count(static_cast<int>(rcv / 100)) != 0) {
        rcv += 100;
      }
      // Expected blocks: runs of received segments above RCV.NXT, newest run first.
      std::vector<std::pair<int, net::sack_block>> runs;
      for (int k = static_cast<int>(rcv / 100); k < 4; ++k) {
        if (arrived.count(k) == 0) {
          continue;
        }
        if (!runs.empty() && runs.back().second.right == net::seq32{s.seq(static_cast<std::uint32_t>(k) * 100)}) {
          runs.back().second.right = net::seq32{s.seq(static_cast<std::uint32_t>(k + 1) * 100)};
          runs.back().first = std::max(runs.back().first, arrived[k]);
        } else {
          runs.push_back({arrived[k], s.block(static_cast<std::uint32_t>(k) * 100, static_cast<std::uint32_t>(k + 1) * 100)});
        }
      }
      std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      std::vector<net::sack_block> blocks;
      for (const auto& r : runs) {
        blocks.push_back(r.second);
      }
      f.script.expect_consumed();
      if (fills && queue_was_empty && ++unacked < 2) {
        f.script.expect_sent_nothing();  // plain in-order data: the delayed ACK
        continue;
      }
      // Out of order (a duplicate ACK), a hole filled (at once), or the second segment.
      expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(rcv), blocks);
      unacked = 0;
    }
    CHECK(rcv == 400);
    CHECK(f.app.received == s.text);
    CHECK(f.tcp.reassembly_in_use() == 0);
    CHECK(f.buffers.in_use() == 0);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutations == 24);
}

TEST_CASE("overlapping segments: each byte reaches the app once", "[unit][tcp][reassembly]") {
  app_fixture f(sack_settings());
  const tcp_client client = sack_client();
  const sender s{client, open_connection(f, client), stream_text(1000)};
  f.script.send(s.data(300, 200));  // [300, 500)
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(300, 500)});
  f.script.send(s.data(250, 100));  // left side overlaps: [250, 300) new
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(300, 350), s.block(250, 500)});
  f.script.send(s.data(450, 150));  // right side overlaps: [500, 600) new
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(450, 500), s.block(250, 600)});
  f.script.send(s.data(200, 500));  // covers it all and more on both sides
  expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(250, 600), s.block(200, 700)});
  CHECK(f.stats.tcp_dsack_sent.read() == 3);
  // The fill overlaps the queue too: delivered up to 700, once.
  f.script.send(s.data(0, 260));
  f.script.expect_consumed();
  expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(700), {});
  CHECK(f.app.received == s.text.substr(0, 700));
  CHECK(f.tcp.reassembly_in_use() == 0);
}

TEST_CASE("D-SACK: duplicates below RCV.NXT and of queued data are reported once, first",
          "[unit][tcp][reassembly]") {
  app_fixture f(sack_settings());
  const tcp_client client = sack_client();
  const sender s{client, open_connection(f, client), stream_text(1000)};
  f.script.send(s.data(0, 100));
  f.script.send(s.data(100, 100));
  expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(200), {});  // the second segment's ACK
  SECTION("a segment all below RCV.NXT: answered in place, its D-SACK block alone") {
    f.script.send(s.data(50, 100));
    expect_ack(f.script.expect_reply(), s.iss + 1, s.seq(200), {s.block(50, 150)});
    CHECK(f.stats.tcp_dsack_sent.read() == 1);
    CHECK(f.stats.tcp_duplicate_segments.read() == 1);
    // Reported once: the next duplicate ACK for new out-of-order data carries none.
    f.script.send(s.data(300, 100));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(200), {s.block(300, 400)});
  }
  SECTION("a segment partly below RCV.NXT: the old part reported, the new delivered") {
    f.script.send(s.data(150, 100));
    f.script.expect_consumed();
    expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(250), {s.block(150, 200)});
    CHECK(f.app.received == s.text.substr(0, 250));
  }
  SECTION("a duplicate of queued data: the D-SACK block, then the block holding it") {
    f.script.send(s.data(400, 100));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(200), {s.block(400, 500)});
    f.script.send(s.data(600, 100));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(200), {s.block(600, 700), s.block(400, 500)});
    f.script.send(s.data(420, 30));
    expect_ack(f.script.expect_reply(), s.iss + 1, s.seq(200),
               {s.block(420, 450), s.block(400, 500), s.block(600, 700)});
    // A whole block again: repeated in the second block, so the sender sees it contained.
    f.script.send(s.data(600, 100));
    expect_ack(f.script.expect_reply(), s.iss + 1, s.seq(200),
               {s.block(600, 700), s.block(600, 700), s.block(400, 500)});
    CHECK(f.stats.tcp_dsack_sent.read() == 2);
  }
  SECTION("no SACK negotiated: no blocks, still no byte twice") {
    app_fixture g(sack_settings());
    tcp_client plain;
    plain.base.source_port = 40001;
    const sender p{plain, open_connection(g, plain), stream_text(300)};
    g.script.send(p.data(0, 100));
    g.script.send(p.data(0, 100));
    expect_segment(g.script.expect_reply(), {.destination_port = 40001,
                                             .sequence = p.iss + 1,
                                             .acknowledgment = p.seq(100),
                                             .flags = ack,
                                             .window = 65535});
    CHECK(g.app.received == p.text.substr(0, 100));
    CHECK(g.stats.tcp_dsack_sent.read() == 0);
  }
}

TEST_CASE("SACK blocks: four without timestamps, three beside them", "[unit][tcp][reassembly]") {
  SECTION("without timestamps") {
    app_fixture f(sack_settings());
    const tcp_client client = sack_client();
    const sender s{client, open_connection(f, client), stream_text(1200)};
    std::vector<net::sack_block> recent;  // the most recently received first (RFC 2018 §4)
    for (std::uint32_t at : {200U, 400U, 600U, 800U, 1000U}) {
      f.script.send(s.data(at, 100));
      recent.insert(recent.begin(), s.block(at, at + 100));
      recent.resize(std::min<std::size_t>(recent.size(), 4));
      expect_ack(expect_queued(f), s.iss + 1, s.seq(0), recent);
    }
    f.script.send(s.data(400, 50));  // a duplicate: D-SACK, then the three most recent others
    expect_ack(f.script.expect_reply(), s.iss + 1, s.seq(0),
               {s.block(400, 450), s.block(400, 500), s.block(1000, 1100), s.block(800, 900)});
    f.script.send(s.data(1150, 50));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(0),
               {s.block(1150, 1200), s.block(400, 500), s.block(1000, 1100), s.block(800, 900)});
    CHECK(f.stats.tcp_sack_blocks_sent.read() == 1 + 2 + 3 + 4 + 4 + 4 + 4);
  }
  SECTION("with timestamps (TSopt takes the room of one block)") {
    app_fixture f(sack_settings());
    const tcp_client client = full_client();
    const sender s{client, open_connection(f, client), stream_text(1200)};
    std::vector<net::sack_block> recent;
    for (std::uint32_t at : {200U, 400U, 600U, 800U, 1000U}) {
      f.script.send(s.data(at, 100));
      recent.insert(recent.begin(), s.block(at, at + 100));
      recent.resize(std::min<std::size_t>(recent.size(), 3));
      expect_segment(expect_queued(f), to_full_client(ack_segment(s.iss + 1, s.seq(0), recent), f.script.now()));
    }
    CHECK(recent == std::vector{s.block(1000, 1100), s.block(800, 900), s.block(600, 700)});
  }
}

TEST_CASE("a FIN beyond a hole is taken only once the data before it arrived", "[unit][tcp][reassembly]") {
  app_fixture f(sack_settings());
  const tcp_client client = sack_client();
  const sender s{client, open_connection(f, client), stream_text(300)};
  SECTION("FIN with the last data") {
    f.script.send(s.data(200, 100, ack | fin));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(200, 300)});
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::established);
    CHECK(f.app.peer_closed == 0);
  }
  SECTION("a bare FIN") {
    f.script.send(s.data(100, 200));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(100, 300)});
    tcp_segment_spec bare = client.segment(ack | fin, s.iss, 300);
    f.script.send(bare);
    expect_ack(expect_queued(f), s.iss + 1, s.seq(0), {s.block(100, 300)});
    CHECK(f.app.peer_closed == 0);
  }
  f.script.send(s.data(0, 200));
  f.script.expect_consumed();
  // The hole filled: data, then the FIN (the app closes on it: our FIN goes with the ACK).
  expect_segment(f.script.expect_sent(1).front(),
                 {.sequence = s.iss + 1, .acknowledgment = s.seq(301), .flags = ack | fin, .window = 65535});
  CHECK(f.app.received == s.text);
  CHECK(f.app.peer_closed == 1);
  CHECK(f.tcp.find(key_of(client))->state == tcp_state::last_ack);
}

TEST_CASE("budgets: refused data is neither SACKed nor ACKed, the peer's retransmission recovers",
          "[unit][tcp][reassembly]") {
  SECTION("the lcore's budget") {
    tcp::tcp_settings settings = sack_settings();
    settings.reassembly_budget = 2;
    app_fixture f(settings);
    const tcp_client client = sack_client();
    const sender s{client, open_connection(f, client), stream_text(500)};
    queue_two_pieces(f, s);
    f.script.send(s.data(400, 100));  // refused: a duplicate ACK in place, no block for it
    expect_ack(f.script.expect_reply(), s.iss + 1, s.seq(0), {s.block(300, 400), s.block(100, 200)});
    CHECK(f.stats.tcp_ooo_lcore_budget_refused.read() == 1);
    CHECK(f.tcp.reassembly_in_use() == 2);
    // Another connection's handshake is unaffected, its out-of-order data refused too.
    tcp_client other = sack_client();
    other.base.source_port = 40001;
    const sender o{other, open_connection(f, other), stream_text(200)};
    f.script.send(o.data(100, 100));
    expected_segment refused_other = ack_segment(o.iss + 1, o.seq(0), {});
    refused_other.destination_port = 40001;
    expect_segment(f.script.expect_reply(), refused_other);
    CHECK(f.stats.tcp_ooo_lcore_budget_refused.read() == 2);
    // The hole fills; the refused segment comes again and is taken.
    f.script.send(s.data(0, 100));
    f.script.expect_consumed();
    expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(200), {s.block(300, 400)});
    f.script.send(s.data(400, 100));
    expect_ack(expect_queued(f), s.iss + 1, s.seq(200), {s.block(300, 500)});
    f.script.send(s.data(200, 100));
    f.script.expect_consumed();
    expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(500), {});
    CHECK(f.app.received == s.text);
  }
  SECTION("one connection's share") {
    tcp::tcp_settings settings = sack_settings();
    settings.receive_window = 2920;  // two full segments: a cap of four pieces
    app_fixture f(settings);
    CHECK(f.tcp.reassembly_cap() == 4);
    const tcp_client client = sack_client();
    const sender s{client, open_connection(f, client), stream_text(20)};
    std::vector<net::sack_block> queued;
    for (std::uint32_t at : {2U, 4U, 6U, 8U}) {
      f.script.send(s.data(at, 1));
      queued.insert(queued.begin(), s.block(at, at + 1));
      expected_segment duplicate_ack = ack_segment(s.iss + 1, s.seq(0), queued);
      duplicate_ack.window = 2920;
      expect_segment(expect_queued(f), duplicate_ack);
    }
    f.script.send(s.data(10, 1));
    // Refused: a duplicate ACK with the four queued pieces, most recent first, none for it.
    expected_segment refused = ack_segment(s.iss + 1, s.seq(0), queued);
    refused.window = 2920;
    expect_segment(f.script.expect_reply(), refused);
    CHECK(f.stats.tcp_ooo_connection_budget_refused.read() == 1);
    CHECK(f.tcp.reassembly_in_use() == 4);
  }
}

TEST_CASE("queued buffers are released however the connection ends", "[unit][tcp][reassembly]") {
  tcp::tcp_settings settings = sack_settings();
  std::vector<tcp::listener_settings> listeners = test_listeners();
  listeners[0].idle_timeout_ns = 3000'000'000'000;  // beyond the retransmission limit's ~6 minutes
  app_fixture f(settings, listeners);
  const tcp_client client = sack_client();
  const sender s{client, open_connection(f, client), stream_text(400)};
  queue_two_pieces(f, s);
  REQUIRE(f.buffers.in_use() == 2);
  REQUIRE(f.stats.tcp_ooo_buffers_held.read() == 2);
  SECTION("reset by the peer") {
    f.script.send(client.segment(rst, s.iss, 0));
    CHECK(f.app.closed == std::vector{close_reason::reset});
  }
  SECTION("idle timeout") {
    f.script.advance_and_poll(3001'000'000'000ULL);
    f.script.sent();
    CHECK(f.app.closed == std::vector{close_reason::idle_timeout});
  }
  SECTION("retransmission limit") {
    f.app.echo = true;
    f.script.send(s.data(0, 100));  // fills the first hole; the echo is never acknowledged
    f.script.expect_consumed();
    for (int i = 0; i < 12 && f.app.closed.empty(); ++i) {
      f.script.advance_and_poll(61'000'000'000ULL);
      f.script.sent();
    }
    CHECK(f.app.closed == std::vector{close_reason::timeout});
  }
  SECTION("aborted by the app while queued data is delivered") {
    int calls = 0;
    f.app.on_data_do = [&calls](tcp::stream& st, tcp::data_view) {
      if (++calls == 2) {
        st.abort();  // in the first piece from the queue
      }
    };
    f.script.send(s.data(0, 100));
    f.script.sent();
    CHECK(f.app.closed == std::vector{close_reason::aborted});
  }
  SECTION("engine shutdown") {
    f.tcp.shutdown(f.script.now());
    f.script.sent();
    CHECK(f.app.closed == std::vector{close_reason::shutdown});
  }
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.tcp.reassembly_in_use() == 0);
  CHECK(f.stats.tcp_ooo_buffers_held.read() == 0);
  CHECK(f.buffers.in_use() == 0);
}

TEST_CASE("the app may hold queued data past the callback", "[unit][tcp][reassembly]") {
  app_fixture f(sack_settings());
  f.app.hold = true;
  const tcp_client client = sack_client();
  const sender s{client, open_connection(f, client), stream_text(200)};
  f.script.send(s.data(100, 100));
  expect_queued(f);
  f.script.send(s.data(0, 100));
  f.script.expect_consumed();
  expect_ack(f.script.expect_sent(1).front(), s.iss + 1, s.seq(200), {});
  CHECK(f.app.received == s.text);
  CHECK(f.tcp.reassembly_in_use() == 0);
  CHECK(f.buffers.in_use() == 2);  // the app's references only; on_close gives them back
}

TEST_CASE("data segments carry the SACK blocks that fit beside their payload; an owed ACK repeats them", "[unit][tcp][reassembly]") {
  app_fixture f;
  f.app.echo = true;
  // MSS 1400 comes back from the cookie as 1300 (its MSS table); less 12 bytes of Timestamps.
  const tcp_client client = full_client();
  constexpr std::uint32_t full_size = 1288;
  const sender s{client, open_connection(f, client), stream_text(3000)};
  f.script.send(s.data(2000, 100));
  expect_segment(expect_queued(f),
                 to_full_client(ack_segment(s.iss + 1, s.seq(0), {s.block(2000, 2100)}), f.script.now()));
  // A full-sized echo leaves room for the Timestamps only: no block; the ACK this segment is
  // owed follows alone with the block.
  f.script.send(s.data(0, full_size));
  f.script.expect_consumed();
  const auto out = f.script.expect_sent(2);
  expected_segment full = to_full_client(ack_segment(s.iss + 1, s.seq(full_size), {}), f.script.now());
  full.flags = ack | net::tcp_flag::psh;
  full.payload = s.text.substr(0, full_size);
  expect_segment(out[0], full);
  expect_segment(out[1], to_full_client(ack_segment(s.iss + 1 + full_size, s.seq(full_size), {s.block(2000, 2100)}),
                                        f.script.now()));
  // A short one has room for the block.
  tcp_segment_spec more = s.data(full_size, 50);
  more.acknowledgment += full_size;  // the echo above is acknowledged: nothing in flight (Nagle)
  f.script.send(more);
  f.script.expect_consumed();
  expected_segment shorter =
      to_full_client(ack_segment(s.iss + 1 + full_size, s.seq(full_size + 50), {s.block(2000, 2100)}), f.script.now());
  shorter.flags = ack | net::tcp_flag::psh;
  shorter.payload = s.text.substr(full_size, 50);
  expect_segment(f.script.expect_sent(1).front(), shorter);
}
