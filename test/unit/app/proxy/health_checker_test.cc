// The proxy's health checks over a fake host: a round per call of round(), TCP and HTTP checks,
// their verdicts through rise/fall onto the board and the per-backend counters, and a SIGHUP's
// new backends and settings.
#include <catch2/catch.hpp>

#include <string>

#include "app/proxy/backend_list.hh"
#include "app/proxy/health_checker.hh"
#include "fake_host.hh"

using namespace rampart::app::proxy;
using rampart::tcp::close_reason;
using rampart::test::fake_host;

namespace {

// Hands the check streams' callbacks to the checker, as the proxy app does.
class checker_app final : public rampart::tcp::application {
 public:
  health_checker* checker = nullptr;
  void on_open(rampart::tcp::stream&) noexcept override {}
  void on_connected(rampart::tcp::stream& s) noexcept override { checker->on_connected(s); }
  void on_data(rampart::tcp::stream& s, rampart::tcp::data_view d) noexcept override { checker->on_data(s, d); }
  void on_close(rampart::tcp::stream& s, close_reason r) noexcept override { checker->on_close(s, r); }
};

struct checks {
  explicit checks(proxy_settings s)
      : settings(std::move(s)), board(settings.backends.size()), stats(max_backends),
        checker(settings, board, stats), host(app, 1 << 20) {
    app.checker = &checker;
    checker.start(host);
  }
  proxy_settings settings;
  health_board board;
  std::vector<rampart::stats::backend_stats> stats;
  health_checker checker;
  checker_app app;
  fake_host host;
};

proxy_settings two_backends() {
  proxy_settings s;
  s.backends = parse_backend_list("10.0.0.5:80, 10.0.0.6:80");
  s.health_rise = 2;
  s.health_fall = 2;
  s.connect_timeout_ms = 5000;
  s.health_interval_ms = 1000;
  return s;
}

}  // namespace

TEST_CASE("health checks: a refused backend goes down after fall rounds and up after rise", "[unit][app][proxy]") {
  checks c(two_backends());
  CHECK(c.stats[0].health_up.read() == 1);
  for (int round = 0; round < 2; ++round) {
    c.checker.round();
    c.host.outbound(2 * round).connected();
    CHECK(c.host.outbound(2 * round).aborted);  // a passed TCP check is reset, leaving no state
    c.host.outbound(2 * round + 1).end(close_reason::refused);
    CHECK(c.board.up(0));
  }
  CHECK_FALSE(c.board.up(1));
  CHECK(c.stats[1].went_down.read() == 1);
  CHECK(c.stats[1].health_up.read() == 0);
  CHECK(c.stats[1].checks_failed.read() == 2);
  CHECK(c.stats[0].checks_failed.read() == 0);
  CHECK(c.host.connect_timeouts[0] == 1'000'000'000);  // min(connect_timeout_ms, health_interval_ms)

  const std::uint64_t generation = c.board.generation();
  c.checker.round();
  c.host.outbound(5).connected();
  CHECK_FALSE(c.board.up(1));
  c.checker.round();
  c.host.outbound(7).connected();
  CHECK(c.board.up(1));
  CHECK(c.board.generation() > generation);
  CHECK(c.stats[1].went_up.read() == 1);
  CHECK(c.stats[1].health_up.read() == 1);
}

TEST_CASE("health checks: HTTP, behind a PROXY v2 LOCAL header, passes on the expected status", "[unit][app][proxy]") {
  proxy_settings s = two_backends();
  s.health_rise = 1;
  s.health_fall = 1;
  s.proxy_protocol = proxy_protocol_version::v2;
  s.health_check = {health_check_settings::kind::http, "GET", "/health", 200};
  checks c(s);
  c.checker.round();
  const std::string local("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
  CHECK(c.host.outbound(0).sent == local + "GET /health HTTP/1.1\r\nHost: 10.0.0.5:80\r\nConnection: close\r\n"
                                           "User-Agent: rampart-health-check\r\n\r\n");
  c.host.outbound(0).connected();
  CHECK_FALSE(c.host.outbound(0).aborted);  // waits for the answer
  c.host.outbound(0).deliver("HTTP/1.1 20");
  c.host.outbound(0).deliver("0 OK\r\n");
  CHECK(c.host.outbound(0).aborted);
  c.host.outbound(1).connected();
  c.host.outbound(1).deliver("HTTP/1.1 503 Service Unavailable\r\n");
  CHECK(c.host.outbound(1).aborted);
  CHECK(c.board.up(0));
  CHECK_FALSE(c.board.up(1));
  CHECK(c.stats[1].checks_failed.read() == 1);
}

TEST_CASE("health checks: with PROXY v1, the check's own addresses in a TCP4 line", "[unit][app][proxy]") {
  proxy_settings s = two_backends();
  s.proxy_protocol = proxy_protocol_version::v1;
  s.health_check = {health_check_settings::kind::http, "GET", "/", 200};
  checks c(s);
  c.checker.round();
  CHECK(c.host.outbound(0).sent.starts_with("PROXY TCP4 10.0.0.2 10.0.0.5 50000 80\r\nGET / HTTP/1.1\r\n"));
  CHECK(c.host.outbound(1).sent.starts_with("PROXY TCP4 10.0.0.2 10.0.0.6 50001 80\r\nGET / HTTP/1.1\r\n"));
}

TEST_CASE("health checks: a check without a verdict by the next round fails", "[unit][app][proxy]") {
  proxy_settings s = two_backends();
  s.health_fall = 1;
  s.health_check = {health_check_settings::kind::http, "HEAD", "/", 204};
  checks c(s);
  c.checker.round();
  c.host.outbound(0).connected();
  c.host.outbound(1).connected();
  c.host.outbound(1).deliver("HTTP/1.1 204 No Content\r\n");
  c.checker.round();
  CHECK(c.host.outbound(0).aborted);
  CHECK_FALSE(c.board.up(0));
  CHECK(c.board.up(1));
  CHECK(c.host.outbound_count() == 4);
}

TEST_CASE("health checks: after a SIGHUP, removed backends are not checked, added ones are, with the new settings",
          "[unit][app][proxy]") {
  proxy_settings next = two_backends();
  next.backends = parse_backend_list("10.0.0.5:80, 10.0.0.7:80");
  next.health_check = {health_check_settings::kind::http, "GET", "/healthz", 200};
  next.health_fall = 1;
  checks c(two_backends());
  const auto slots = merge_slots(initial_slots(c.settings.backends), next.backends);
  auto requests = health_check_requests(next, slots);
  c.checker.apply(next, slots, requests);
  CHECK(requests == std::vector<std::string>{"", ""});  // the previous TCP checks', to be freed by the caller
  CHECK(c.stats[2].health_up.read() == 1);              // added: up, as at start-up

  c.checker.round();
  REQUIRE(c.host.outbound_count() == 2);
  CHECK(c.host.outbound(0).key().remote_ip == 0x0a000005);
  CHECK(c.host.outbound(1).key().remote_ip == 0x0a000007);
  CHECK(c.host.outbound(1).sent.starts_with("GET /healthz HTTP/1.1\r\nHost: 10.0.0.7:80\r\n"));
  c.host.outbound(1).end(close_reason::refused);
  CHECK_FALSE(c.board.up(2));  // health_fall 1
  CHECK(c.stats[2].went_down.read() == 1);
  CHECK(c.board.up(1));  // the removed one keeps the health it had
}
