// The HTTP request parser on its own: whole requests, every split point, byte-by-byte feeding,
// pipelining, and one test per malformed input with the status it maps to.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "app/http_parser.hh"

namespace http = rampart::app::http;
using status = http::request_parser::status;

namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

struct outcome {
  std::vector<http::request> requests;
  http::parse_error error = http::parse_error::none;
  std::size_t left = 0;  // bytes not consumed when the parser stopped (error) or was idle
};

// Feeds `text` in pieces cut at `cuts` (ascending offsets), collecting every complete request.
outcome run(std::string_view text, const std::vector<std::size_t>& cuts, std::uint32_t max = 8192) {
  http::request_parser parser(max);
  outcome out;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(text.size());
  for (const std::size_t to : ends) {
    std::string_view piece = text.substr(from, to - from);
    from = to;
    while (!piece.empty()) {
      const auto r = parser.feed(bytes(piece));
      REQUIRE(r.consumed <= piece.size());
      piece.remove_prefix(r.consumed);
      if (r.outcome == status::complete) {
        out.requests.push_back(parser.current());
        continue;
      }
      if (r.outcome == status::error) {
        out.error = parser.error();
        // The parser stays in error.
        CHECK(parser.feed(bytes("GET / HTTP/1.1\r\n")).outcome == status::error);
        return out;
      }
      REQUIRE(piece.empty());  // need_more consumes everything
    }
  }
  return out;
}

outcome whole(std::string_view text, std::uint32_t max = 8192) { return run(text, {}, max); }

const std::string simple = "GET /index.html HTTP/1.1\r\nHost: example\r\nUser-Agent: test\r\n\r\n";

}  // namespace

TEST_CASE("a simple GET parses", "[unit][app][http]") {
  const auto out = whole(simple);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.error == http::parse_error::none);
  CHECK(out.requests[0].verb == http::method::get);
  CHECK(out.requests[0].version_minor == 1);
  CHECK(out.requests[0].keep_alive);
  CHECK(out.requests[0].content_length == 0);
}

TEST_CASE("methods: GET, HEAD and others; method names are case-sensitive", "[unit][app][http]") {
  CHECK(whole("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).verb == http::method::head);
  CHECK(whole("POST / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).verb == http::method::other);
  CHECK(whole("get / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).verb == http::method::other);
  CHECK(whole("GETX / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).verb == http::method::other);
  CHECK(whole("HEADER / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).verb == http::method::other);
}

TEST_CASE("every split point of a request with a body gives the same result", "[unit][app][http]") {
  const std::string text =
      "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
      "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    const auto out = run(text, {cut});
    REQUIRE(out.requests.size() == 2);
    CHECK(out.requests[0].content_length == 5);
    CHECK_FALSE(out.requests[0].keep_alive);
    CHECK(out.requests[1].verb == http::method::get);
    CHECK(out.requests[1].keep_alive);
  }
  // ... and two cuts at once, over the header part (covers splits inside every CRLF pair).
  for (std::size_t a = 0; a < 70; ++a) {
    for (std::size_t b = a; b < 75; ++b) {
      const auto out = run(text, {a, b});
      REQUIRE(out.requests.size() == 2);
      CHECK(out.requests[0].content_length == 5);
    }
  }
}

TEST_CASE("byte-by-byte feeding of pipelined requests", "[unit][app][http]") {
  const std::string text = simple + "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" +
                           "PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + simple;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < text.size(); ++i) {
    cuts.push_back(i);
  }
  const auto out = run(text, cuts);
  REQUIRE(out.requests.size() == 4);
  CHECK(out.requests[0].verb == http::method::get);
  CHECK(out.requests[1].verb == http::method::head);
  CHECK(out.requests[2].content_length == 3);
  CHECK(out.requests[3].verb == http::method::get);
}

TEST_CASE("feed stops at the end of each request (pipelining)", "[unit][app][http]") {
  const std::string text = simple + simple;
  http::request_parser parser;
  const auto first = parser.feed(bytes(text));
  CHECK(first.outcome == status::complete);
  CHECK(first.consumed == simple.size());
  CHECK(parser.feed(bytes(std::string_view(text).substr(first.consumed))).consumed == simple.size());
}

TEST_CASE("persistence follows the version and the Connection header", "[unit][app][http]") {
  CHECK(whole("GET / HTTP/1.1\r\nHost: a\r\n\r\n").requests.at(0).keep_alive);
  CHECK_FALSE(whole("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").requests.at(0).keep_alive);
  CHECK_FALSE(whole("GET / HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE\r\n\r\n").requests.at(0).keep_alive);
  CHECK(whole("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n").requests.at(0).keep_alive);
  CHECK_FALSE(whole("GET / HTTP/1.0\r\n\r\n").requests.at(0).keep_alive);
  const auto ten = whole("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests.at(0);
  CHECK(ten.keep_alive);
  CHECK(ten.version_minor == 0);
  CHECK_FALSE(whole("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").requests.at(0).keep_alive);
}

TEST_CASE("tolerated forms: bare LF, leading empty lines, OWS, empty values, repeated equal lengths",
          "[unit][app][http]") {
  CHECK(whole("GET / HTTP/1.1\nHost: a\n\n").requests.size() == 1);
  CHECK(whole("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").requests.size() == 1);
  CHECK(whole("GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Tab:\tv \t\r\n\r\n").requests.size() == 1);
  CHECK(whole("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2 \r\ncontent-length: 2\r\n\r\nok").requests.at(0).content_length == 2);
  CHECK(whole("GET / HTTP/1.1\r\nHost: a\r\nX-Utf8: caf\xc3\xa9\r\n\r\n").requests.size() == 1);
  CHECK(whole("GET / HTTP/1.2\r\nHost: a\r\n\r\n").requests.at(0).version_minor == 2);
}

TEST_CASE("malformed requests: each maps to its error and status", "[unit][app][http]") {
  struct bad {
    const char* name;
    std::string text;
    http::parse_error error;
    std::uint16_t status;
  };
  using e = http::parse_error;
  const std::string host = "Host: a\r\n";
  const std::vector<bad> cases = {
      {"space before method", " GET / HTTP/1.1\r\n\r\n", e::bad_request_line, 400},
      {"control in method", "G\x01T / HTTP/1.1\r\n\r\n", e::bad_request_line, 400},
      {"empty target", "GET  HTTP/1.1\r\n\r\n", e::bad_request_line, 400},
      {"HTTP/0.9 (no version)", "GET /\r\n\r\n", e::bad_request_line, 400},
      {"non-ASCII in target", "GET /\xff HTTP/1.1\r\n\r\n", e::bad_request_line, 400},
      {"CR without LF on the request line", "GET / HTTP/1.1\rX", e::bad_request_line, 400},
      {"CR without LF before the request line", "\rGET", e::bad_request_line, 400},
      {"lower-case version", "GET / http/1.1\r\n\r\n", e::bad_version, 400},
      {"version without minor", "GET / HTTP/1\r\n\r\n", e::bad_version, 400},
      {"letters in version", "GET / HTTP/1.x\r\n\r\n", e::bad_version, 400},
      {"trailing text after version", "GET / HTTP/1.1 \r\n\r\n", e::bad_version, 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", e::version_not_supported, 505},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", e::bad_header, 400},
      {"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", e::bad_header, 400},
      {"obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: 1\r\n  continued\r\n\r\n", e::bad_header, 400},
      {"whitespace before first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", e::bad_header, 400},
      {"control in value", "GET / HTTP/1.1\r\n" + host + "X-A: a\x01\r\n\r\n", e::bad_header, 400},
      {"NUL in value", "GET / HTTP/1.1\r\n" + host + std::string("X-A: a\0b\r\n\r\n", 12), e::bad_header, 400},
      {"CR without LF in a value", "GET / HTTP/1.1\r\nHost: a\rX", e::bad_header, 400},
      {"CR without LF ending the headers", "GET / HTTP/1.1\r\nHost: a\r\n\rX", e::bad_header, 400},
      {"empty header name", "GET / HTTP/1.1\r\n: a\r\n\r\n", e::bad_header, 400},
      {"content-length letters", "GET / HTTP/1.1\r\n" + host + "Content-Length: 1x\r\n\r\n", e::bad_content_length, 400},
      {"content-length negative", "GET / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", e::bad_content_length, 400},
      {"content-length empty", "GET / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", e::bad_content_length, 400},
      {"content-length list", "GET / HTTP/1.1\r\n" + host + "Content-Length: 1, 1\r\n\r\n", e::bad_content_length, 400},
      {"content-length split by space", "GET / HTTP/1.1\r\n" + host + "Content-Length: 1 2\r\n\r\n", e::bad_content_length, 400},
      {"content-length 20 digits", "GET / HTTP/1.1\r\n" + host + "Content-Length: 10000000000000000000\r\n\r\n", e::bad_content_length, 400},
      {"conflicting content-lengths", "GET / HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", e::bad_content_length, 400},
      {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", e::missing_host, 400},
      {"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", e::missing_host, 400},
      {"two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", e::missing_host, 400},
      {"chunked body", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", e::transfer_coding, 501},
      {"transfer-encoding with content-length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabc", e::transfer_coding, 501},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto out = whole(c.text);
    CHECK(out.requests.empty());
    CHECK(http::to_string(out.error) == http::to_string(c.error));
    CHECK(http::status_of(out.error) == c.status);
    // The same error whatever the split: byte by byte.
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < c.text.size(); ++i) {
      cuts.push_back(i);
    }
    CHECK(http::to_string(run(c.text, cuts).error) == http::to_string(c.error));
  }
}

TEST_CASE("size limits: 414 for the request line, 431 for the headers", "[unit][app][http]") {
  const std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";  // 27 bytes
  CHECK(whole(request, 27).requests.size() == 1);
  CHECK(whole(request, 26).error == http::parse_error::headers_too_large);
  CHECK(whole(request, 10).error == http::parse_error::request_line_too_long);
  const std::string big_header = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(9000, 'x') + "\r\n\r\n";
  CHECK(whole(big_header).error == http::parse_error::headers_too_large);
  CHECK(http::status_of(http::parse_error::headers_too_large) == 431);
  const std::string long_target = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(whole(long_target).error == http::parse_error::request_line_too_long);
  CHECK(http::status_of(http::parse_error::request_line_too_long) == 414);
  // The limit is per request: many pipelined requests together may exceed it.
  std::string many;
  for (int i = 0; i < 400; ++i) {
    many += request;
  }
  CHECK(whole(many, 64).requests.size() == 400);
  // Body bytes do not count towards it.
  CHECK(whole("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'b'), 128).requests.size() == 1);
}

TEST_CASE("reset() forgets an error; idle() tells a request boundary", "[unit][app][http]") {
  http::request_parser parser;
  CHECK(parser.idle());
  CHECK(parser.feed(bytes("GET / HT")).outcome == status::need_more);
  CHECK_FALSE(parser.idle());
  CHECK(parser.feed(bytes("TP/1.1\r\nHost: a\r\n\r\n")).outcome == status::complete);
  CHECK(parser.idle());
  CHECK(parser.feed(bytes("BAD REQUEST\r\n")).outcome == status::error);
  parser.reset();
  CHECK(parser.error() == http::parse_error::none);
  CHECK(parser.feed(bytes(simple)).outcome == status::complete);
}
