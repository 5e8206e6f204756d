// The proxy app's splice over fake streams and a fake host: the PROXY header and held client
// bytes on connect, back-pressure both ways, half-close both ways, RST propagation, connect
// failures and retries, refusals (no backend, max_connections, a full table), health published
// on the board steering new clients, the per-backend counters, and new args from a SIGHUP.
#include <catch2/catch.hpp>

#include <string>

#include "app/backend_counters.hh"
#include "app/live_args.hh"
#include "app/proxy/health_board.hh"
#include "app_test_support.hh"
#include "fake_host.hh"

using rampart::tcp::close_reason;
using rampart::tcp::connect_error;
using rampart::test::app_under_test;
using rampart::test::error_of;
using rampart::test::fake_host;
using rampart::test::fake_stream;
using rampart::test::listener;

namespace {

constexpr std::uint32_t backend_a = 0x0a000005;  // 10.0.0.5
constexpr std::uint32_t backend_b = 0x0a000006;

std::map<std::string, std::string> proxy_args(std::map<std::string, std::string> extra = {}) {
  extra.try_emplace("backends", "10.0.0.5:80, 10.0.0.6:81");
  extra.try_emplace("proxy_protocol", "off");
  return extra;
}

const rampart::stats::backend_stats& backend(const app_under_test& t, std::size_t i) {
  const auto* counters = rampart::app::backend_counters_of(*t.app);
  REQUIRE(counters != nullptr);
  return counters->backend_stats()[i];
}

// A client whose backend connection is established, every stream with `send_space` bytes of
// send buffer.
struct spliced {
  spliced(app_under_test& t, std::size_t send_space)
      : host(*t.app, send_space), client(host.open_client()), server(host.outbound(0)) {
    server.connected();
  }
  fake_host host;
  fake_stream& client;
  fake_stream& server;
};

}  // namespace

TEST_CASE("proxy: PROXY v1 first, then the client's bytes held until the backend connects", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"proxy_protocol", "v1"}, {"connect_timeout_ms", "1500"}})));
  fake_host host(*t.app, 1 << 20);
  fake_stream& client = host.open_client(40000);
  REQUIRE(host.outbound_count() == 1);
  fake_stream& server = host.outbound(0);
  CHECK(server.key().remote_ip == backend_a);
  CHECK(server.key().remote_port == 80);
  CHECK(host.connect_timeouts[0] == 1'500'000'000);

  client.deliver("GET / HTTP/1.1\r\n");
  CHECK(client.retained_buffers() == 1);  // held: its window stays closed until the backend takes it
  CHECK(server.sent == "PROXY TCP4 10.0.0.1 10.0.0.2 40000 8080\r\n");
  server.connected();
  CHECK(server.sent == "PROXY TCP4 10.0.0.1 10.0.0.2 40000 8080\r\nGET / HTTP/1.1\r\n");
  CHECK(client.retained_buffers() == 0);
  client.deliver("\r\n");
  server.deliver("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(client.sent == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(server.sent.ends_with("HTTP/1.1\r\n\r\n"));

  CHECK(backend(t, 0).connects.read() == 1);
  CHECK(backend(t, 0).connected.read() == 1);
  CHECK(backend(t, 0).open.read() == 1);
  CHECK(backend(t, 0).bytes_to_backend.read() == 18);
  CHECK(backend(t, 0).bytes_from_backend.read() == 27);
}

TEST_CASE("proxy: PROXY v2 carries the client's address and port", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"proxy_protocol", "v2"}})));
  fake_host host(*t.app, 1 << 20);
  host.open_client(0x1234, 0xc0a80001);  // 192.168.0.1:4660
  const std::string& header = host.outbound(0).sent;
  REQUIRE(header.size() == 28);
  CHECK(header.substr(0, 12) == std::string("\r\n\r\n\0\r\nQUIT\n", 12));
  CHECK(header.substr(12, 4) == std::string("\x21\x11\x00\x0c", 4));  // v2 PROXY, TCP over IPv4, 12 bytes
  CHECK(header.substr(16, 8) == std::string("\xc0\xa8\x00\x01\x0a\x00\x00\x02", 8));
  CHECK(header.substr(24, 4) == std::string("\x12\x34\x1f\x90", 4));  // 4660, 8080
}

TEST_CASE("proxy: back-pressure client to backend, held in the client's buffers", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 6);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  client.deliver("0123456789");
  CHECK(server.sent == "012345");
  CHECK(client.retained_buffers() == 1);
  client.deliver("abc");  // behind the held bytes, never before them
  CHECK(server.sent == "012345");
  CHECK(client.retained_buffers() == 2);
  server.ack(5);
  CHECK(server.sent == "0123456789a");
  CHECK(client.retained_buffers() == 1);
  server.ack(10);
  CHECK(server.sent == "0123456789abc");
  CHECK(client.retained_buffers() == 0);
  CHECK(backend(t, 0).bytes_to_backend.read() == 13);
}

TEST_CASE("proxy: back-pressure backend to client, held in the backend's buffers", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 4);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  server.deliver("response");
  CHECK(client.sent == "resp");
  CHECK(server.retained_buffers() == 1);
  client.ack(4);
  CHECK(client.sent == "response");
  CHECK(server.retained_buffers() == 0);
  CHECK(backend(t, 0).bytes_from_backend.read() == 8);
}

TEST_CASE("proxy: the client's FIN reaches the backend after its bytes; the reply still flows", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  fake_host host(*t.app, 4);
  fake_stream& client = host.open_client();
  fake_stream& server = host.outbound(0);
  client.deliver("request");
  client.peer_close();
  server.connected();
  CHECK(server.sent == "requ");
  CHECK_FALSE(server.closed);  // bytes still held: the FIN waits for them
  server.ack(4);
  CHECK(server.sent == "request");
  CHECK(server.closed);
  CHECK_FALSE(client.closed);
  server.deliver("answer");
  client.ack(8);
  CHECK(client.sent == "answer");
  server.peer_close();
  CHECK(client.closed);
  server.end(close_reason::closed);
  client.end(close_reason::closed);
  CHECK_FALSE(client.aborted);
  CHECK_FALSE(server.aborted);
  CHECK(backend(t, 0).open.read() == 0);
}

TEST_CASE("proxy: the backend's FIN reaches the client after its bytes; the client still sends", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 4);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  server.deliver("banner");
  server.peer_close();
  CHECK_FALSE(client.closed);
  client.ack(4);
  CHECK(client.sent == "banner");
  CHECK(client.closed);
  client.deliver("more");
  CHECK(server.sent == "more");
  client.peer_close();
  CHECK(server.closed);
  client.end(close_reason::closed);
  server.end(close_reason::closed);
  CHECK_FALSE(server.aborted);
}

TEST_CASE("proxy: a FIN that ends a side's connection without on_peer_closed is passed on", "[unit][app][proxy]") {
  // We closed the client first (the backend's FIN); the client's FIN then takes it from FIN-WAIT
  // to TIME-WAIT, which the engine reports as on_close(closed) alone.
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 1 << 20);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  server.peer_close();
  CHECK(client.closed);
  client.end(close_reason::closed);
  CHECK(server.closed);
  CHECK_FALSE(server.aborted);
  server.end(close_reason::closed);
  CHECK(backend(t, 0).open.read() == 0);
}

TEST_CASE("proxy: a FIN towards a side whose bytes are still held waits for them", "[unit][app][proxy]") {
  // Closing the client while its own bytes wait for the backend would let its connection end
  // with them undelivered; the backend's FIN waits until they have gone.
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 4);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  client.deliver("upload");
  client.peer_close();
  server.peer_close();
  CHECK_FALSE(client.closed);
  CHECK_FALSE(server.closed);
  server.ack(4);
  CHECK(server.sent == "upload");
  CHECK(server.closed);
  CHECK(client.closed);
}

TEST_CASE("proxy: an orderly end with bytes undelivered resets the other side", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 4);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  server.peer_close();
  CHECK(client.closed);
  client.deliver("too much");  // the backend reads 4 of it
  client.end(close_reason::closed);
  CHECK(server.aborted);
  CHECK(t.stats.proxy_relay_cut.read() == 1);
}

TEST_CASE("proxy: a RST on either side resets the other", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  fake_host host(*t.app, 1 << 20);
  SECTION("client") {
    fake_stream& client = host.open_client();
    host.outbound(0).connected();
    client.end(close_reason::reset);
    CHECK(host.outbound(0).aborted);
  }
  SECTION("backend") {
    fake_stream& client = host.open_client();
    fake_stream& server = host.outbound(0);
    server.connected();
    server.deliver("partial");
    server.end(close_reason::timeout);
    CHECK(client.aborted);
  }
  SECTION("client while the backend connects") {
    fake_stream& client = host.open_client();
    client.deliver("early");
    client.end(close_reason::reset);
    CHECK(host.outbound(0).aborted);
    CHECK(host.outbound_count() == 1);  // no retry for a client that is gone
  }
  CHECK(backend(t, 0).open.read() == 0);
}

TEST_CASE("proxy: failed connects are retried on the next backend, held bytes and all", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"retries", "2"}, {"proxy_protocol", "v1"}})));
  fake_host host(*t.app, 1 << 20);
  fake_stream& client = host.open_client(40000);
  client.deliver("hello");
  host.outbound(0).end(close_reason::refused);
  REQUIRE(host.outbound_count() == 2);
  fake_stream& second = host.outbound(1);
  CHECK(second.key().remote_ip == backend_b);
  CHECK(second.key().remote_port == 81);
  second.connected();
  CHECK(second.sent == "PROXY TCP4 10.0.0.1 10.0.0.2 40000 8080\r\nhello");
  CHECK(client.retained_buffers() == 0);
  CHECK(backend(t, 0).connect_failures.read() == 1);
  CHECK(backend(t, 0).open.read() == 0);
  CHECK(backend(t, 1).connected.read() == 1);
}

TEST_CASE("proxy: when every attempt fails the client is reset", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"retries", "2"}})));
  fake_host host(*t.app, 1 << 20);
  fake_stream& client = host.open_client();
  host.outbound(0).end(close_reason::timeout);
  host.fail_next_connect(connect_error::no_local_port);  // the second attempt does not start
  host.outbound(1).end(close_reason::unreachable);
  REQUIRE(host.outbound_count() == 2);
  CHECK(client.aborted);
  CHECK(t.stats.proxy_clients_connect_failed.read() == 1);
  CHECK(backend(t, 0).connect_timeouts.read() == 1);
  CHECK(backend(t, 1).connect_failures.read() == 1);
  CHECK(backend(t, 0).connect_failures.read() == 1);  // the connect that did not start
  CHECK(backend(t, 0).connects.read() + backend(t, 1).connects.read() == 3);
}

TEST_CASE("proxy: a full connection table refuses the client", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"backends", "10.0.0.5:80"}, {"retries", "0"}})));
  fake_host host(*t.app, 1 << 20);
  host.fail_next_connect(connect_error::table_full);
  fake_stream& client = host.open_client();
  CHECK(client.aborted);
  CHECK(t.stats.proxy_clients_connect_failed.read() == 1);
  CHECK(backend(t, 0).open.read() == 0);
}

TEST_CASE("proxy: max_connections per backend on this lcore; beyond, clients are refused", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"backends", "10.0.0.5:80"}, {"max_connections", "1"}})));
  fake_host host(*t.app, 1 << 20);
  fake_stream& first = host.open_client(40000);
  host.outbound(0).connected();
  fake_stream& second = host.open_client(40001);
  CHECK(second.aborted);
  CHECK(host.outbound_count() == 1);
  CHECK(t.stats.proxy_clients_no_backend.read() == 1);
  first.end(close_reason::reset);
  fake_stream& third = host.open_client(40002);
  CHECK_FALSE(third.aborted);
  CHECK(host.outbound_count() == 2);
}

TEST_CASE("proxy: health on the board steers new clients; all down refuses them", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  fake_host host(*t.app, 1 << 20);
  bool writer = true;
  // The test stands in for the checking lcore: the app above created the board.
  const auto board = rampart::app::proxy::board_for_listener(8080, 2, writer);
  CHECK_FALSE(writer);

  board->publish(0, false);
  for (std::uint16_t port = 40000; port < 40004; ++port) {
    host.open_client(port);
  }
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(host.outbound(i).key().remote_ip == backend_b);
  }
  board->publish(1, false);
  fake_stream& refused = host.open_client(40010);
  CHECK(refused.aborted);
  CHECK(t.stats.proxy_clients_no_backend.read() == 1);
  board->publish(0, true);
  board->publish(1, true);
  host.open_client(40011);
  host.open_client(40012);
  CHECK(host.outbound(4).key().remote_ip != host.outbound(5).key().remote_ip);  // both in turn again
}

TEST_CASE("proxy: a side that sends more segments than a direction holds is reset", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args()));
  spliced pair(t, 0);
  fake_stream& client = pair.client;
  fake_stream& server = pair.server;
  for (int i = 0; i < 1024; ++i) {
    client.deliver("x");
  }
  CHECK_FALSE(client.aborted);
  CHECK(client.retained_buffers() == 1024);
  client.deliver("x");
  CHECK(client.aborted);
  CHECK(server.aborted);
  CHECK(client.retained_buffers() == 0);
  CHECK(t.stats.proxy_held_aborts.read() == 1);
}

TEST_CASE("proxy: each client gets an idle timer, cancelled when the pair ends", "[unit][app][proxy]") {
  app_under_test t(listener("proxy", proxy_args({{"idle_timeout_seconds", "30"}})));
  fake_host host(*t.app, 1 << 20);
  const std::size_t before = host.armed_timers();  // the health checks' own
  fake_stream& client = host.open_client();
  CHECK(host.armed_timers() == before + 1);
  client.end(close_reason::reset);
  CHECK(host.armed_timers() == before);
}

namespace {

// What the control lcore does on SIGHUP for one worker: the listener's reloader checks the new
// args and builds the update, which the app takes.
void reload(rampart::app::args_reloader& reloader, app_under_test& t, std::map<std::string, std::string> args) {
  auto updates = reloader.prepare(listener("proxy", proxy_args(std::move(args))), 1);
  REQUIRE(updates.size() == 1);
  rampart::app::live_args_of(*t.app)->apply_args(*updates[0]);
}

std::string names_of(const app_under_test& t) {
  std::string names;
  for (const std::string& name : rampart::app::backend_counters_of(*t.app)->backend_names()) {
    names += name + " ";
  }
  return names;
}

}  // namespace

TEST_CASE("proxy reload: a removed backend's pair finishes on it; new clients go to the others; it comes back",
          "[unit][app][proxy]") {
  const auto config = listener("proxy", proxy_args());
  app_under_test t(config);
  const auto reloader = rampart::app::make_args_reloader(config);
  REQUIRE(reloader != nullptr);
  fake_host host(*t.app, 1 << 20);
  host.open_client(40000);  // to 10.0.0.5
  fake_stream& client_b = host.open_client(40001);
  fake_stream& server_b = host.outbound(1);
  REQUIRE(server_b.key().remote_ip == backend_b);
  server_b.connected();

  reload(*reloader, t, {{"backends", "10.0.0.5:80"}});
  client_b.deliver("still here");
  CHECK(server_b.sent == "still here");
  server_b.deliver("reply");
  CHECK(client_b.sent == "reply");
  for (std::uint16_t port = 40002; port < 40006; ++port) {
    host.open_client(port);
  }
  for (std::size_t i = 2; i < 6; ++i) {
    CHECK(host.outbound(i).key().remote_ip == backend_a);
  }
  CHECK(names_of(t) == "10.0.0.5:80 10.0.0.6:81 ");  // names and counters stay by place
  CHECK(backend(t, 1).removed.read() == 1);
  CHECK(backend(t, 1).open.read() == 1);
  client_b.end(close_reason::reset);
  CHECK(backend(t, 1).open.read() == 0);

  // Back, behind a new backend: it keeps its place and counters, and gets clients again.
  reload(*reloader, t, {{"backends", "10.0.0.7:80, 10.0.0.6:81"}});
  CHECK(names_of(t) == "10.0.0.5:80 10.0.0.6:81 10.0.0.7:80 ");
  CHECK(backend(t, 0).removed.read() == 1);
  CHECK(backend(t, 1).removed.read() == 0);
  CHECK(backend(t, 1).connects.read() == 1);
  host.open_client(40010);
  host.open_client(40011);
  CHECK(host.outbound(6).key().remote_ip != host.outbound(7).key().remote_ip);
  CHECK(host.outbound(6).key().remote_ip != backend_a);
  CHECK(host.outbound(7).key().remote_ip != backend_a);
}

TEST_CASE("proxy reload: invalid args are refused with start-up's message, and nothing changes", "[unit][app][proxy]") {
  const auto config = listener("proxy", proxy_args());
  app_under_test t(config);
  const auto reloader = rampart::app::make_args_reloader(config);
  auto bad = listener("proxy", proxy_args({{"backends", "10.0.0.5:80, 10.0.0.6:0"}}));
  CHECK_THROWS_WITH(reloader->prepare(bad, 1), error_of(bad));
  CHECK_FALSE(error_of(bad).empty());
  // The reloader still runs the start-up set: a later valid change merges against it.
  reload(*reloader, t, {{"backends", "10.0.0.6:81"}});
  CHECK(names_of(t) == "10.0.0.5:80 10.0.0.6:81 ");
  CHECK(backend(t, 0).removed.read() == 1);
}

TEST_CASE("proxy reload: new settings apply to the next connections", "[unit][app][proxy]") {
  const auto config = listener("proxy", proxy_args());
  app_under_test t(config);
  const auto reloader = rampart::app::make_args_reloader(config);
  fake_host host(*t.app, 1 << 20);
  reload(*reloader, t, {{"proxy_protocol", "v1"}, {"connect_timeout_ms", "1500"}});
  host.open_client(40000);
  CHECK(host.connect_timeouts[0] == 1'500'000'000);
  CHECK(host.outbound(0).sent.starts_with("PROXY TCP4 "));
}

TEST_CASE("proxy reload: apps other than proxy take their args at start-up only", "[unit][app]") {
  CHECK(rampart::app::make_args_reloader(listener("echo")) == nullptr);
  CHECK_FALSE(rampart::app::takes_args_live(listener("http")));
  CHECK(rampart::app::takes_args_live(listener("proxy", proxy_args())));
}
