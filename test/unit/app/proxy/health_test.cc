// Health: the rise/fall state machine, every transition, and the HTTP check's status line read
// from bytes split anywhere, with one case per malformed line.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "app/proxy/health_state.hh"
#include "app/proxy/http_status_reader.hh"

using namespace rampart::app::proxy;
using change = health_state::change;
using result = http_status_reader::result;

TEST_CASE("health: up goes down after fall failures in a row", "[unit][app][proxy]") {
  health_state h(2, 3);
  CHECK(h.up());
  CHECK(h.record(false) == change::none);
  CHECK(h.record(false) == change::none);
  CHECK(h.streak() == 2);
  CHECK(h.record(false) == change::went_down);
  CHECK_FALSE(h.up());
  CHECK(h.streak() == 0);
  CHECK(h.went_down_count() == 1);
  CHECK(h.went_up_count() == 0);
  CHECK(h.record(false) == change::none);  // failing while down changes nothing
  CHECK(h.streak() == 0);
}

TEST_CASE("health: down comes up after rise passes in a row", "[unit][app][proxy]") {
  health_state h(2, 3, false);
  CHECK(h.record(true) == change::none);
  CHECK(h.record(true) == change::went_up);
  CHECK(h.up());
  CHECK(h.went_up_count() == 1);
  CHECK(h.record(true) == change::none);
  CHECK(h.streak() == 0);
}

TEST_CASE("health: one result against the streak starts it again", "[unit][app][proxy]") {
  health_state up(2, 3);
  for (int i = 0; i < 10; ++i) {
    CHECK(up.record(false) == change::none);
    CHECK(up.record(false) == change::none);
    CHECK(up.record(true) == change::none);  // breaks the streak of two
  }
  CHECK(up.up());
  health_state down(3, 1, false);
  for (int i = 0; i < 10; ++i) {
    CHECK(down.record(true) == change::none);
    CHECK(down.record(true) == change::none);
    CHECK(down.record(false) == change::none);
  }
  CHECK_FALSE(down.up());
}

TEST_CASE("health: rise and fall of 1 follow every result, and transitions are counted", "[unit][app][proxy]") {
  health_state h(1, 1);
  CHECK(h.record(false) == change::went_down);
  CHECK(h.record(true) == change::went_up);
  CHECK(h.record(false) == change::went_down);
  CHECK(h.record(true) == change::went_up);
  CHECK(h.went_down_count() == 2);
  CHECK(h.went_up_count() == 2);
}

namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

http_status_reader read_whole(std::string_view response) {
  http_status_reader r;
  r.feed(bytes(response));
  return r;
}

}  // namespace

TEST_CASE("http check: the status of well-formed status lines", "[unit][app][proxy]") {
  CHECK(read_whole("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").status() == 200);
  CHECK(read_whole("HTTP/1.1 200 OK\r\n").state() == result::complete);
  CHECK(read_whole("HTTP/1.0 503 Service Unavailable\r\n").status() == 503);
  CHECK(read_whole("HTTP/1.1 204 \r\n").status() == 204);  // empty reason phrase
  CHECK(read_whole("HTTP/1.1 204\r\n").status() == 204);   // its SP left out: tolerated
  CHECK(read_whole("HTTP/1.1 100 Continue\r\n").status() == 100);
  CHECK(read_whole("HTTP/1.1 599 x\r\n").status() == 599);
  CHECK(http_check_passed(read_whole("HTTP/1.1 200 OK\r\n"), 200));
  CHECK_FALSE(http_check_passed(read_whole("HTTP/1.1 500 Oops\r\n"), 200));
  CHECK_FALSE(http_check_passed(read_whole("HTTP/1.1 20"), 200));  // incomplete: no verdict yet
  CHECK(read_whole("HTTP/1.1 200").state() == result::need_more);   // "2000" is still possible
}

TEST_CASE("http check: split at every point, and byte by byte", "[unit][app][proxy]") {
  constexpr std::string_view response = "HTTP/1.1 404 Not Found\r\n\r\n";
  for (std::size_t cut = 0; cut <= response.size(); ++cut) {
    INFO("cut at " << cut);
    http_status_reader r;
    r.feed(bytes(response.substr(0, cut)));
    r.feed(bytes(response.substr(cut)));
    CHECK(r.state() == result::complete);
    CHECK(r.status() == 404);
  }
  http_status_reader r;
  for (std::size_t i = 0; i < response.size(); ++i) {
    const result now = r.feed(bytes(response.substr(i, 1)));
    CHECK(now == (i < 12 ? result::need_more : result::complete));
  }
  CHECK(r.status() == 404);
}

TEST_CASE("http check: every malformed status line fails, and stays failed", "[unit][app][proxy]") {
  for (const std::string_view line : {
           "\r\nHTTP/1.1 200 OK\r\n",  // an empty line first
           " HTTP/1.1 200 OK\r\n",     // a leading space
           "http/1.1 200 OK\r\n",      // the name is case-sensitive (RFC 9112 §2.3)
           "HTTP/2 200\r\n",           // HTTP/2 has no status line
           "HTTP/2.0 200 OK\r\n",
           "HTTP/0.9 200 OK\r\n",
           "HTTP/1.x 200 OK\r\n",
           "HTTP/1.1  200 OK\r\n",  // two spaces
           "HTTP/1.1 20 OK\r\n",    // two digits
           "HTTP/1.1 2000 OK\r\n",  // four digits
           "HTTP/1.1 2a0 OK\r\n",
           "HTTP/1.1 200\n",        // a bare LF after the code
           "HTTP/1.1 200-OK\r\n",
           "HTTP/1.1 099 x\r\n",    // below 100
           "HTTP/1.1 600 x\r\n",    // above 599
           "SSH-2.0-OpenSSH_9.2\r\n",
           "\x16\x03\x01\x02\x00",  // a TLS record
       }) {
    INFO(line);
    http_status_reader r;
    CHECK(r.feed(bytes(line)) == result::malformed);
    CHECK(r.feed(bytes("HTTP/1.1 200 OK\r\n")) == result::malformed);
    CHECK_FALSE(http_check_passed(r, 200));
  }
  std::string garbage(4096, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<char>(i * 131 % 256);
  }
  CHECK(read_whole(garbage).state() == result::malformed);
  CHECK(read_whole("").state() == result::need_more);
}
