#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "fake_io.hh"
#include "packet_builder.hh"
#include "route/lcore_routes.hh"
#include "route/neighbour_resolver.hh"

using namespace rampart;
using route::neighbour_resolver;
using route::resolution;
using route::send_result;
using stats::drop_reason;
using test::ipv4;
using test::mac;

namespace {

constexpr std::uint64_t second = 1'000'000'000;
const auto our_mac = mac(0x02, 0, 0, 0, 0, 0x02);
const auto our_ip = ipv4(10, 77, 0, 2);
const auto router_ip = ipv4(10, 77, 0, 1);
const auto router_mac = mac(0x02, 0, 0, 0, 0, 0x01);

// A resolver over heap buffers; `sent` holds copies of what it pushed.
struct resolver_fixture {
  test::heap_buffer_pool pool;
  test::capture_sink sink{pool};
  std::unique_ptr<stats::lcore_stats> stats = std::make_unique<stats::lcore_stats>();
  route::neighbour_table table;
  neighbour_resolver resolver{table, our_mac, our_ip, pool, sink, *stats};

  // A 60-byte frame whose byte 59 is `tag` and whose destination MAC is still zero.
  packet::buffer frame(std::uint8_t tag) {
    packet::buffer b = *pool.allocate();
    std::memset(b.data, 0, 60);
    b.data[59] = std::byte{tag};
    b.length = 60;
    return b;
  }

  // The router answers: the table learns it (as lib/pipeline's ARP input does) and tells the resolver.
  void router_answers() {
    REQUIRE(table.learn(router_ip, router_mac, 0));
    resolver.resolved(router_ip, router_mac);
  }
};

// The destination MAC of a frame that left (bytes 0-5), read by hand.
net::mac_address destination_of(const std::vector<std::byte>& frame) {
  net::mac_address m;
  std::memcpy(m.bytes.data(), frame.data(), 6);
  return m;
}

// The ARP request for 10.77.0.1 from 02:00:00:00:00:02 / 10.77.0.2 (RFC 826), laid out by hand,
// padded to 60 bytes.
test::bytes expected_request() {
  test::arp_fields f;
  f.operation = 1;
  f.sender_mac = our_mac;
  f.sender_ip = our_ip;
  f.target_ip = router_ip;
  return test::ethernet_frame(net::mac_address::broadcast(), our_mac, 0x0806, test::arp_body(f), true);
}

}  // namespace

TEST_CASE("resolver: the first resolve of an unknown next hop sends one ARP request", "[unit][route]") {
  resolver_fixture fx;
  CHECK(fx.resolver.resolve(router_ip, 0).what == resolution::status::pending);
  const auto sent = fx.sink.take();
  REQUIRE(sent.size() == 1);
  CHECK(test::to_hex(sent[0]) == test::to_hex(expected_request()));
  CHECK(fx.stats->arp_requests_sent.read() == 1);
  // Asking again before the retry interval sends nothing more (RFC 1122 §2.3.2.1).
  CHECK(fx.resolver.resolve(router_ip, second / 2).what == resolution::status::pending);
  fx.resolver.poll(second - 1);
  CHECK(fx.sink.take().empty());
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: a known neighbour is reachable without a request", "[unit][route]") {
  resolver_fixture fx;
  REQUIRE(fx.table.learn(router_ip, router_mac, 0));
  const resolution r = fx.resolver.resolve(router_ip, 0);
  CHECK(r.what == resolution::status::reachable);
  CHECK(r.mac == router_mac);
  CHECK(fx.resolver.send(router_ip, fx.frame(1), {}, 0) == send_result::sent);
  const auto sent = fx.sink.take();
  REQUIRE(sent.size() == 1);
  CHECK(destination_of(sent[0]) == router_mac);
  CHECK(fx.stats->arp_requests_sent.read() == 0);
}

TEST_CASE("resolver: requests again each second, then fails and holds down", "[unit][route]") {
  resolver_fixture fx;
  REQUIRE(fx.resolver.send(router_ip, fx.frame(1), {}, 0) == send_result::queued);
  fx.resolver.poll(1 * second);
  fx.resolver.poll(2 * second);
  CHECK(fx.sink.take().size() == neighbour_resolver::max_requests);
  CHECK(fx.stats->arp_requests_sent.read() == neighbour_resolver::max_requests);
  CHECK(fx.stats->neighbour_resolution_failures.read() == 0);
  // No reply a second after the last request: unreachable, its frame dropped.
  fx.resolver.poll(3 * second);
  CHECK(fx.stats->neighbour_resolution_failures.read() == 1);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_unreachable) == 1);
  CHECK(fx.pool.in_use() == 0);
  // Hold-down: no request, frames refused at once.
  CHECK(fx.resolver.resolve(router_ip, 4 * second).what == resolution::status::unreachable);
  CHECK(fx.resolver.send(router_ip, fx.frame(2), {}, 4 * second) == send_result::dropped);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_unreachable) == 2);
  fx.resolver.poll(3 * second + neighbour_resolver::hold_down_ns - 1);
  CHECK(fx.sink.take().empty());
  // Hold-down over: the next resolve asks again.
  const std::uint64_t later = 3 * second + neighbour_resolver::hold_down_ns;
  CHECK(fx.resolver.resolve(router_ip, later).what == resolution::status::pending);
  CHECK(fx.sink.take().size() == 1);
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: when the link comes back, learned MACs are asked for again", "[unit][route]") {
  resolver_fixture fx;
  fx.router_answers();
  REQUIRE(fx.resolver.resolve(router_ip, second).what == resolution::status::reachable);
  fx.resolver.link_restored(2 * second);
  CHECK(fx.table.size() == 0);
  // The router may have another MAC now: the next frame waits for a fresh ARP reply.
  CHECK(fx.resolver.send(router_ip, fx.frame(1), {}, 2 * second) == send_result::queued);
  REQUIRE(fx.sink.take().size() == 1);  // the request
  const auto new_mac = mac(0x02, 0, 0, 0, 0, 0x11);
  REQUIRE(fx.table.learn(router_ip, new_mac, 2 * second));
  fx.resolver.resolved(router_ip, new_mac);
  const auto sent = fx.sink.take();
  REQUIRE(sent.size() == 1);
  CHECK(destination_of(sent[0]) == new_mac);
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: when the link comes back, a hold-down ends and a resolving next hop asks at once",
          "[unit][route]") {
  resolver_fixture fx;
  const auto other_ip = ipv4(10, 77, 0, 9);
  // The router fails while the link is down (three requests, no reply): held down for 20 s.
  REQUIRE(fx.resolver.send(router_ip, fx.frame(1), {}, 0) == send_result::queued);
  fx.resolver.poll(1 * second);
  fx.resolver.poll(2 * second);
  fx.resolver.poll(3 * second);
  REQUIRE(fx.resolver.resolve(router_ip, 3 * second).what == resolution::status::unreachable);
  // Another next hop has just been asked for; its next request is a second away.
  REQUIRE(fx.resolver.resolve(other_ip, 3 * second).what == resolution::status::pending);
  fx.sink.take();
  const std::uint64_t up = 3 * second + 100'000'000;
  fx.resolver.link_restored(up);
  fx.resolver.poll(up);
  CHECK(fx.sink.take().size() == 1);  // other_ip asked again now, not at 4 s
  CHECK(fx.resolver.resolve(router_ip, up).what == resolution::status::pending);  // no hold-down
  CHECK(fx.sink.take().size() == 1);
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: waiting frames leave in order with the learned MAC", "[unit][route]") {
  resolver_fixture fx;
  for (std::uint8_t tag = 1; tag <= 3; ++tag) {
    REQUIRE(fx.resolver.send(router_ip, fx.frame(tag), {}, 0) == send_result::queued);
  }
  CHECK(fx.stats->neighbour_frames_queued.read() == 3);
  fx.sink.take();  // the ARP request
  fx.router_answers();
  const auto sent = fx.sink.take();
  REQUIRE(sent.size() == 3);
  for (std::uint8_t i = 0; i < 3; ++i) {
    CHECK(destination_of(sent[i]) == router_mac);
    CHECK(sent[i][59] == std::byte{static_cast<std::uint8_t>(i + 1)});
  }
  CHECK(fx.stats->neighbour_resolutions.read() == 1);
  CHECK(fx.resolver.frames_waiting() == 0);
  CHECK(fx.pool.in_use() == 0);
  // Resolved: later frames go straight out, and no timer is left to fire.
  CHECK(fx.resolver.send(router_ip, fx.frame(4), {}, 1) == send_result::sent);
  fx.resolver.poll(10 * second);
  CHECK(fx.sink.take().size() == 1);
  CHECK(fx.stats->neighbour_resolution_failures.read() == 0);
}

TEST_CASE("resolver: queues are bounded per next hop and per lcore", "[unit][route]") {
  resolver_fixture fx;
  for (std::size_t i = 0; i < neighbour_resolver::queue_per_next_hop; ++i) {
    REQUIRE(fx.resolver.send(router_ip, fx.frame(1), {}, 0) == send_result::queued);
  }
  CHECK(fx.resolver.send(router_ip, fx.frame(2), {}, 0) == send_result::dropped);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_queue_full) == 1);
  // Fill the lcore's queue through other next hops, 8 frames each.
  std::uint8_t host = 10;
  while (fx.resolver.frames_waiting() < neighbour_resolver::queue_total) {
    for (std::size_t i = 0; i < neighbour_resolver::queue_per_next_hop; ++i) {
      REQUIRE(fx.resolver.send(ipv4(10, 77, 0, host), fx.frame(1), {}, 0) == send_result::queued);
    }
    ++host;
  }
  CHECK(fx.resolver.send(ipv4(10, 77, 0, host), fx.frame(3), {}, 0) == send_result::dropped);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_queue_full) == 2);
  // Every buffer is held by a queue or was released; they all come back when the next hops fail.
  CHECK(fx.pool.in_use() == neighbour_resolver::queue_total);
  for (std::uint64_t t = 1; t <= neighbour_resolver::max_requests; ++t) {
    fx.resolver.poll(t * second);
  }
  CHECK(fx.pool.in_use() == 0);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_unreachable) == neighbour_resolver::queue_total);
}

TEST_CASE("resolver: pending next hops are bounded", "[unit][route]") {
  resolver_fixture fx;
  for (std::uint8_t i = 0; i < neighbour_resolver::max_pending; ++i) {
    REQUIRE(fx.resolver.resolve(ipv4(10, 77, 1, i), 0).what == resolution::status::pending);
  }
  CHECK(fx.resolver.resolve(ipv4(10, 77, 2, 1), 0).what == resolution::status::no_room);
  CHECK(fx.resolver.send(ipv4(10, 77, 2, 1), fx.frame(1), {}, 0) == send_result::dropped);
  CHECK(fx.stats->drops_of(drop_reason::neighbour_queue_full) == 1);
  CHECK(fx.stats->arp_requests_sent.read() == neighbour_resolver::max_pending);
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: a request the pool refuses is retried and not counted", "[unit][route]") {
  resolver_fixture fx;
  fx.pool.set_limit(0);
  CHECK(fx.resolver.resolve(router_ip, 0).what == resolution::status::pending);
  CHECK(fx.stats->arp_requests_sent.read() == 0);
  fx.pool.set_limit(1 << 20);
  fx.resolver.poll(1);  // at the next poll, not a second later
  CHECK(fx.stats->arp_requests_sent.read() == 1);
  CHECK(fx.sink.take().size() == 1);
}

TEST_CASE("resolver: a flush the sink refuses drops and releases", "[unit][route]") {
  resolver_fixture fx;
  REQUIRE(fx.resolver.send(router_ip, fx.frame(1), {}, 0) == send_result::queued);
  fx.sink.refuse(true);
  fx.router_answers();
  CHECK(fx.stats->drops_of(drop_reason::neighbour_tx_staging_full) == 1);
  CHECK(fx.pool.in_use() == 0);
}

TEST_CASE("resolver: frames still waiting are released with it", "[unit][route]") {
  test::heap_buffer_pool pool;
  {
    test::capture_sink sink{pool};
    stats::lcore_stats stats;
    route::neighbour_table table;
    neighbour_resolver resolver{table, our_mac, our_ip, pool, sink, stats};
    packet::buffer b = *pool.allocate();
    b.length = 60;
    REQUIRE(resolver.send(router_ip, b, {}, 0) == send_result::queued);
    CHECK(pool.in_use() == 1);
  }
  CHECK(pool.in_use() == 0);
  CHECK(pool.bad_releases() == 0);
}

TEST_CASE("lcore routes: the route picks the next hop; no route drops", "[unit][route]") {
  resolver_fixture fx;
  const std::vector<route::static_route> routes{{{ipv4(10, 1, 0, 0), 16}, router_ip}};
  route::lcore_routes r(route::route_table({our_ip, 24}, routes, std::nullopt), fx.table, our_mac, our_ip, fx.pool,
                        fx.sink, *fx.stats);
  CHECK(r.send(ipv4(10, 1, 2, 3), fx.frame(1), {}, 0) == send_result::queued);
  const auto request = fx.sink.take();
  REQUIRE(request.size() == 1);
  CHECK(test::to_hex(request[0]) == test::to_hex(expected_request()));  // ARP for the router, not 10.1.2.3
  CHECK(r.send(ipv4(192, 0, 2, 1), fx.frame(2), {}, 0) == send_result::dropped);
  CHECK(fx.stats->drops_of(drop_reason::route_unreachable) == 1);
  CHECK_FALSE(r.resolve(ipv4(192, 0, 2, 1), 0));

  std::array<route::neighbour_row, route::lcore_routes::max_rows> rows;
  REQUIRE(fx.table.learn(ipv4(10, 77, 0, 9), mac(2, 0, 0, 0, 0, 9), 0));
  const std::size_t n = r.list(rows, 5 * second / 2);
  REQUIRE(n == 2);
  CHECK(rows[0].ip == ipv4(10, 77, 0, 9));
  CHECK(rows[0].state == route::neighbour_state::reachable);
  CHECK(rows[0].age_ns == 5 * second / 2);
  CHECK(rows[1].ip == router_ip);
  CHECK(rows[1].state == route::neighbour_state::resolving);
  CHECK(rows[1].mac.is_zero());
}

TEST_CASE("resolver: a next hop another worker learned resolves from its table", "[unit][route]") {
  resolver_fixture fx;
  route::neighbour_table peer;  // the worker whose queue the port hands ARP replies to
  const std::array<const route::neighbour_table*, 1> peers{&peer};
  fx.resolver.set_peers(peers);
  for (std::uint8_t tag = 1; tag <= 2; ++tag) {
    REQUIRE(fx.resolver.send(router_ip, fx.frame(tag), {}, 0) == send_result::queued);
  }
  REQUIRE(fx.sink.take().size() == 1);  // our ARP request; the reply goes to the peer's queue
  REQUIRE(peer.learn(router_ip, router_mac, 1));
  fx.resolver.poll(2);
  const auto sent = fx.sink.take();
  REQUIRE(sent.size() == 2);
  CHECK(destination_of(sent[0]) == router_mac);
  CHECK(sent[0][59] == std::byte{1});
  CHECK(sent[1][59] == std::byte{2});
  CHECK(fx.stats->neighbour_resolutions.read() == 1);
  CHECK(fx.table.lookup(router_ip) == router_mac);  // copied: the next lookup stays local
  CHECK(fx.pool.in_use() == 0);

  // Known to the peer before anyone asked: reachable at once, no request.
  const auto other = ipv4(10, 77, 0, 9);
  REQUIRE(peer.learn(other, mac(2, 0, 0, 0, 0, 9), 3));
  const resolution r = fx.resolver.resolve(other, 4);
  CHECK(r.what == resolution::status::reachable);
  CHECK(r.mac == mac(2, 0, 0, 0, 0, 9));
  CHECK(fx.sink.take().empty());
}
