// The proxy app on a real lcore_tcp, end to end in one process: scripted segments on both sides,
// the client's (10.77.0.1, through a SYN cookie on port 80) and the backend's (10.77.0.3:8080),
// every segment rampart sends compared whole (test/support/expect_segment.hh).
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string>

#include "app/backend_counters.hh"
#include "app/backend_drain.hh"
#include "app/registry.hh"
#include "expect_segment.hh"
#include "fixture.hh"
#include "static_next_hops.hh"
#include "tcp/connection_summary.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using net::tcp_flag::syn;

namespace {

const net::ipv4_address backend_ip{0x0a4d0003};  // 10.77.0.3
// The backend sits behind the same next hop as the client (a router's MAC): tcp_script checks
// that every frame leaves towards it.
const net::mac_address backend_mac = client_mac;
constexpr std::uint16_t backend_port = 8080;

// Holds the proxy so that it outlives app_fixture's end-of-test shutdown, which closes its streams.
struct proxy_holder {
  std::unique_ptr<tcp::application> proxy;
};

// lcore_tcp's listener 0 (port 80) served by a proxy to 10.77.0.3:8080 with PROXY v1, in place of
// app_fixture's recording app (whose end-of-test checks stay: no buffer left in use).
struct proxy_fixture : proxy_holder, app_fixture {
  explicit proxy_fixture(std::map<std::string, std::string> args = {},
                         const tcp::tcp_settings& settings = test_settings())
      : app_fixture(settings) {
    proxy = make_proxy(stats, std::move(args));
    hops.add(backend_ip, backend_mac);
    tcp.set_next_hop_resolver(&hops);
    tcp.set_application(0, proxy.get());
  }
  static std::unique_ptr<tcp::application> make_proxy(stats::lcore_stats& stats,
                                                      std::map<std::string, std::string> args) {
    config::listener_config l;
    l.port = 80;
    l.app = "proxy";
    l.args = std::move(args);
    l.args.try_emplace("backends", "10.77.0.3:8080");
    l.args.try_emplace("proxy_protocol", "v1");
    return app::make_application(l, {stats, 0});
  }
  const stats::backend_stats& backend() const { return app::backend_counters_of(*proxy)->backend_stats()[0]; }

  static_next_hops hops;
};

// A segment from the backend to our local port.
tcp_segment_spec from_backend(std::uint16_t local_port, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack_number,
                              const std::string& payload = {}) {
  tcp_segment_spec s;
  s.source = backend_ip;
  s.source_port = backend_port;
  s.destination_port = local_port;
  s.flags = flags;
  s.sequence = seq;
  s.acknowledgment = ack_number;
  s.window = 29200;
  s.payload = bytes_of(payload);
  return s;
}

// What we send the backend: no option (its SYN-ACK offered none but the MSS), our window unscaled.
expected_segment to_backend(std::uint16_t local_port, std::uint32_t seq, std::uint32_t ack_number, std::uint8_t flags,
                            const std::string& payload = {}) {
  return {.eth_destination = backend_mac, .destination = backend_ip, .source_port = local_port,
          .destination_port = backend_port, .sequence = seq, .acknowledgment = ack_number, .flags = flags,
          .window = 65535, .payload = payload};
}

// The payload of the segments among `frames` that go to `destination`, in order.
std::string payload_to(const std::vector<decoded_frame>& frames, net::ipv4_address destination) {
  std::string out;
  for (const decoded_frame& d : frames) {
    if (d.ip.destination == destination) {
      out.append(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("proxy on lcore_tcp: handshakes, PROXY v1, request and response relayed, both closes",
          "[unit][app][proxy]") {
  // No poll runs in this exchange, so the health checks (first round due at attach) send nothing.
  proxy_fixture f;
  tcp_client client;  // 10.77.0.1:40000, ISN 1000, MSS 1400 and no other option
  client.base.options.mss = 1400;
  const std::uint32_t server_isn = open_connection(f, client);  // the cookie handshake

  // The client's ACK opened the pair: our SYN to the backend, every option offered.
  const decoded_frame our_syn = f.script.expect_sent(1)[0];
  const std::uint16_t local_port = our_syn.tcp.source_port;
  const std::uint32_t iss = our_syn.tcp.sequence.raw();
  const auto now_ms = [&] { return static_cast<std::uint32_t>(f.script.now() / 1'000'000); };
  expect_segment(our_syn, {.eth_destination = backend_mac, .destination = backend_ip, .source_port = local_port,
                           .destination_port = backend_port, .sequence = any, .acknowledgment = 0, .flags = syn,
                           .window = 65535,
                           .options = {option::mss(1460), option::sack_permitted(), option::timestamps(now_ms(), 0),
                                       option::window_scale(7)}});
  CHECK(f.backend().connects.read() == 1);

  // Its SYN-ACK (MSS only): the PROXY header, queued at connect, leaves with the handshake's ACK.
  const std::string header = "PROXY TCP4 10.77.0.1 10.77.0.2 40000 80\r\n";
  f.script.send(from_backend(local_port, syn | ack, 9000, iss + 1));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0], to_backend(local_port, iss + 1, 9001, ack | psh, header));
  CHECK(f.backend().connected.read() == 1);
  // The backend acknowledges it at once (Linux's quick ACKs after a handshake), so Nagle (the
  // listener's default) does not hold the request behind it.
  f.script.send(from_backend(local_port, ack, 9001, iss + 1 + header.size()));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();

  // The request goes on to the backend; the client's ACK is delayed.
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  tcp_segment_spec get = client.segment(ack | psh, server_isn);
  get.payload = bytes_of(request);
  f.script.send(get);
  f.script.expect_consumed();
  const std::uint32_t backend_next = iss + 1 + header.size() + request.size();
  expect_segment(f.script.expect_sent(1)[0], to_backend(local_port, iss + 1 + header.size(), 9001, ack | psh, request));

  // The response and the backend's FIN: acknowledged, then relayed to the client, FIN behind it.
  const std::string response = "HTTP/1.0 200 OK\r\n\r\nhi";
  f.script.send(from_backend(local_port, ack | psh | fin, 9001, backend_next, response));
  f.script.expect_consumed();
  const auto relayed = f.script.expect_sent(3);
  expect_segment(relayed[0], to_backend(local_port, backend_next, 9001 + response.size() + 1, ack));
  expect_segment(relayed[1], {.sequence = server_isn + 1, .acknowledgment = 1001 + request.size(), .flags = ack | psh,
                              .window = 65535, .payload = response});
  expect_segment(relayed[2], {.sequence = server_isn + 1 + response.size(), .acknowledgment = 1001 + request.size(),
                              .flags = fin | ack, .window = 65535});

  // The client acknowledges all and sends its FIN: our ACK (TIME-WAIT), and its FIN goes on.
  f.script.send(client.segment(fin | ack, server_isn, request.size(), response.size() + 1));
  f.script.expect_consumed();
  const auto closing = f.script.expect_sent(2);
  expect_segment(closing[0], {.sequence = server_isn + 2 + response.size(), .acknowledgment = 1002 + request.size(),
                              .flags = ack, .window = 65535});
  expect_segment(closing[1], to_backend(local_port, backend_next, 9001 + response.size() + 1, fin | ack));

  // The backend acknowledges our FIN: its connection ends, and the pair with it.
  f.script.send(from_backend(local_port, ack, 9002 + response.size(), backend_next + 1));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.tcp.find(flow::flow_key{backend_ip.value, 0x0a4d0002, backend_port, local_port}) == nullptr);
  CHECK(f.backend().open.read() == 0);
  CHECK(f.backend().bytes_to_backend.read() == request.size());
  CHECK(f.backend().bytes_from_backend.read() == response.size());
  CHECK(f.stats.proxy_relay_cut.read() == 0);
  CHECK(f.stats.tcp_closed_aborted.read() == 0);
}

TEST_CASE("proxy on lcore_tcp: a refused health check takes the backend out; a new client is reset",
          "[unit][app][proxy]") {
  proxy_fixture f(std::map<std::string, std::string>{{"health_fall", "1"}});
  f.script.advance_and_poll(0);  // the first round of checks, due at attach
  const decoded_frame check = f.script.expect_sent(1)[0];
  expect_segment(check, {.eth_destination = backend_mac, .destination = backend_ip,
                         .source_port = check.tcp.source_port, .destination_port = backend_port, .sequence = any,
                         .acknowledgment = 0, .flags = syn, .window = 65535,
                         .options = {option::mss(1460), option::sack_permitted(),
                                     option::timestamps(static_cast<std::uint32_t>(f.script.now() / 1'000'000), 0),
                                     option::window_scale(7)}});
  f.script.send(from_backend(check.tcp.source_port, rst | ack, 0, check.tcp.sequence.raw() + 1));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.backend().checks_failed.read() == 1);
  CHECK(f.backend().went_down.read() == 1);
  CHECK(f.backend().health_up.read() == 0);

  // All backends down: the client's handshake completes (rampart answers for the service), and
  // the client is reset at once, no SYN to the backend.
  tcp_client client;
  client.base.options.mss = 1400;
  f.script.send(client.syn());
  const std::uint32_t server_isn = f.script.expect_reply().tcp.sequence.raw();
  f.script.send(client.segment(ack, server_isn));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.sequence = server_isn + 1, .acknowledgment = 0, .flags = rst, .window = 65535});
  CHECK(f.stats.proxy_clients_no_backend.read() == 1);
  CHECK(f.backend().connects.read() == 0);
}

TEST_CASE("proxy on lcore_tcp: a pair idle for idle_timeout_seconds is reset on both sides", "[unit][app][proxy]") {
  proxy_fixture f(std::map<std::string, std::string>{{"idle_timeout_seconds", "1"}, {"health_interval_ms", "3600000"}});
  f.script.advance_and_poll(0);
  const decoded_frame check = f.script.expect_sent(1)[0];  // the first health check: refused
  f.script.send(from_backend(check.tcp.source_port, rst | ack, 0, check.tcp.sequence.raw() + 1));
  f.script.expect_consumed();

  tcp_client client;
  client.base.options.mss = 1400;
  const std::uint32_t server_isn = open_connection(f, client);
  const decoded_frame our_syn = f.script.expect_sent(1)[0];
  const std::uint16_t local_port = our_syn.tcp.source_port;
  const std::uint32_t iss = our_syn.tcp.sequence.raw();
  f.script.send(from_backend(local_port, syn | ack, 9000, iss + 1));
  f.script.expect_consumed();
  const std::size_t header_length = f.script.expect_sent(1)[0].payload_length;  // the PROXY header
  f.script.send(from_backend(local_port, ack, 9001, iss + 1 + header_length));
  f.script.expect_consumed();

  f.script.advance_and_poll(900'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(200'000'000);  // 1.1 s after the client's handshake: a RST each way
  const auto resets = f.script.expect_sent(2);
  expect_segment(resets[0], {.sequence = server_isn + 1, .acknowledgment = 0, .flags = rst, .window = 65535});
  expect_segment(resets[1], to_backend(local_port, iss + 1 + header_length, 0, rst));
  CHECK(f.stats.proxy_idle_timeouts.read() == 1);
  CHECK(f.backend().open.read() == 0);
  CHECK(f.tcp.find(key_of(client)) == nullptr);
}

TEST_CASE("proxy on lcore_tcp: a drained backend keeps its pair and takes no new client until put back",
          "[unit][app][proxy]") {
  proxy_fixture f(std::map<std::string, std::string>{{"health_interval_ms", "3600000"}});
  app::backend_drain& drain = *app::backend_drain_of(*f.proxy);
  tcp_client first;
  first.base.options.mss = 1400;
  open_connection(f, first);
  const std::uint16_t first_port = f.script.expect_sent(1)[0].tcp.source_port;  // its SYN to the backend

  REQUIRE(drain.set_backend_draining(0, true));
  CHECK_FALSE(drain.set_backend_draining(1, true));  // no second backend
  CHECK(f.backend().draining.read() == 1);

  // A new client while the only backend drains: reset, no SYN; the first pair stays.
  tcp_client second;
  second.base.options.mss = 1400;
  second.base.source_port = 40001;
  f.script.send(second.syn());
  const decoded_frame second_syn_ack = f.script.expect_reply();
  const std::uint32_t second_isn = second_syn_ack.tcp.sequence.raw();
  f.script.send(second.ack_of(second_syn_ack));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.destination_port = 40001, .sequence = second_isn + 1, .acknowledgment = 0, .flags = rst,
                  .window = 65535});
  CHECK(f.stats.proxy_clients_no_backend.read() == 1);
  CHECK(f.backend().open.read() == 1);
  CHECK(f.tcp.find(key_of(first)) != nullptr);

  // Put back: the next client gets its own connect to the backend.
  REQUIRE(drain.set_backend_draining(0, false));
  CHECK(f.backend().draining.read() == 0);
  tcp_client third;
  third.base.options.mss = 1400;
  third.base.source_port = 40002;
  open_connection(f, third);
  const decoded_frame third_syn = f.script.expect_sent(1)[0];
  CHECK(third_syn.tcp.flags == syn);
  CHECK(third_syn.tcp.source_port != first_port);
  CHECK(f.backend().connects.read() == 2);
}

TEST_CASE("proxy on lcore_tcp: the connection listing names each side's relay", "[unit][app][proxy]") {
  proxy_fixture f(std::map<std::string, std::string>{{"health_interval_ms", "3600000"}});
  tcp_client client;
  client.base.options.mss = 1400;
  open_connection(f, client);
  const std::uint16_t local_port = f.script.expect_sent(1)[0].tcp.source_port;  // the SYN to the backend

  std::array<tcp::connection_summary, 4> rows{};
  tcp::snapshot_scan scan;
  REQUIRE(tcp::snapshot_step(f.tcp, {}, scan, rows, f.tcp.settings().connections, f.script.now()));
  REQUIRE(scan.written == 2);
  const flow::flow_key client_key = key_of(client);
  const tcp::connection_summary& client_row = rows[0].key == client_key ? rows[0] : rows[1];
  const tcp::connection_summary& backend_row = rows[0].key == client_key ? rows[1] : rows[0];
  REQUIRE(client_row.relay);
  CHECK(*client_row.relay == backend_row.key);
  CHECK(backend_row.key.remote_ip == backend_ip.value);
  CHECK(backend_row.key.remote_port == backend_port);
  CHECK(backend_row.key.local_port == local_port);
  REQUIRE(backend_row.relay);
  CHECK(*backend_row.relay == client_key);
}

TEST_CASE("proxy on lcore_tcp: bytes held for the client leave on its last ACK, also when that ACK rides on "
          "out-of-order data",
          "[unit][app][proxy]") {
  // The client's send buffer takes one of the backend's two segments; the other waits in the
  // backend's receive buffer for the client's on_writable. The client acknowledges the first on
  // a segment that arrives after one of its own was lost: nothing else is in flight, so no later
  // ACK would wake the relay, and the held bytes (and the backend, its window closing) would
  // wait for good.
  constexpr std::uint32_t mss = 1300;  // a cookie's MSS table value: the client's MSS as we keep it
  tcp::tcp_settings settings = test_settings();
  settings.send_buffer = mss;
  proxy_fixture f(std::map<std::string, std::string>{{"health_interval_ms", "3600000"}}, settings);
  tcp_client client;
  client.base.options.mss = mss;
  const std::uint32_t server_isn = open_connection(f, client);
  const decoded_frame our_syn = f.script.expect_sent(1)[0];
  const std::uint16_t local_port = our_syn.tcp.source_port;
  const std::uint32_t backend_next = our_syn.tcp.sequence.raw() + 1 + 41;  // past the 41-byte PROXY v1 header
  f.script.send(from_backend(local_port, syn | ack, 9000, our_syn.tcp.sequence.raw() + 1));
  f.script.expect_sent(1);  // the header
  f.script.send(from_backend(local_port, ack, 9001, backend_next));

  const std::string first(mss, 'a');
  const std::string second(mss, 'b');
  f.script.send_burst({from_backend(local_port, ack, 9001, backend_next, first),
                       from_backend(local_port, ack, 9001 + mss, backend_next, second)});
  CHECK(payload_to(f.script.sent(), client.base.source) == first);

  tcp_segment_spec after_a_hole = client.segment(ack, server_isn, 100, mss);
  after_a_hole.payload = bytes_of("after a hole");
  f.script.send(after_a_hole);
  CHECK(payload_to(f.script.sent(), client.base.source) == second);
  CHECK(f.backend().bytes_from_backend.read() == 2 * mss);
}
