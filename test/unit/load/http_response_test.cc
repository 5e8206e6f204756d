#include <catch2/catch.hpp>

#include <string>

#include "http_response.hh"

using rampart::load::http_response_reader;
using state = http_response_reader::state;

namespace {

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

}  // namespace

TEST_CASE("http reader: a response fed byte by byte completes at its last body byte", "[unit][load]") {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  http_response_reader reader;
  for (std::size_t i = 0; i < r.size(); ++i) {
    REQUIRE(reader.status() == state::reading);
    CHECK(reader.feed(bytes(r.substr(i, 1))) == 1);
  }
  CHECK(reader.status() == state::complete);
  CHECK(reader.status_code() == 200);
  CHECK(reader.content_length() == 5);
}

TEST_CASE("http reader: stops at the end of the response; header names are case-insensitive", "[unit][load]") {
  const std::string r = "HTTP/1.0 404 Not Found\r\ncontent-LENGTH:  3 \r\n\r\nabcHTTP/1.1 200";
  http_response_reader reader;
  CHECK(reader.feed(bytes(r)) == r.size() - 12);
  CHECK(reader.status() == state::complete);
  CHECK(reader.status_code() == 404);
}

TEST_CASE("http reader: 204 and 304 need no Content-Length", "[unit][load]") {
  for (const std::string r : {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"}) {
    http_response_reader reader;
    CHECK(reader.feed(bytes(r)) == r.size());
    CHECK(reader.status() == state::complete);
  }
}

TEST_CASE("http reader: refuses what it cannot delimit or read", "[unit][load]") {
  const std::string bad[] = {
      "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody",                           // no length
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",  // chunked
      "SSH-2.0-OpenSSH\r\n\r\n",                                              // not HTTP
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",                         // bad code
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",                        // bad length
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",    // conflicting
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
  };
  for (const std::string& r : bad) {
    http_response_reader reader;
    reader.feed(bytes(r));
    CHECK(reader.status() == state::error);
    CHECK_FALSE(reader.error().empty());
  }
  http_response_reader reader;
  const std::string endless = "HTTP/1.1 200 OK\r\n" + std::string(20000, 'a');
  reader.feed(bytes(endless));
  CHECK(reader.status() == state::error);
}
