// The http app over a fake stream: whole responses compared byte for byte, keep-alive and
// pipelining in order, HEAD, Connection: close / HTTP/1.0, error statuses then close,
// back-pressure, the pipelining bound, and the counters the e2e test compares with wrk.
#include <catch2/catch.hpp>

#include "app_test_support.hh"
#include "fake_stream.hh"

using rampart::tcp::close_reason;
using rampart::test::app_under_test;
using rampart::test::error_of;
using rampart::test::fake_stream;
using rampart::test::listener;

namespace {

const std::string get = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string ok_response =
    "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

}  // namespace

TEST_CASE("http answers a GET with the default response and stays open", "[unit][app][http]") {
  app_under_test t(listener("http"));
  fake_stream s(*t.app, 1 << 20);
  s.open();
  s.deliver(get);
  CHECK(s.sent == ok_response);
  CHECK_FALSE(s.closed);
  CHECK(t.stats.http_requests.read() == 1);
}

TEST_CASE("http: pipelined requests split anywhere are answered in order", "[unit][app][http]") {
  const std::string requests = get + "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" +
                               "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody" + get;
  const std::string head_response =
      "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n";
  for (std::size_t cut = 0; cut <= requests.size(); ++cut) {
    INFO("cut at " << cut);
    app_under_test t(listener("http"));
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver(requests.substr(0, cut));
    s.deliver(requests.substr(cut));
    CHECK(s.sent == ok_response + head_response + ok_response + ok_response);
    CHECK(t.stats.http_requests.read() == 4);
  }
}

TEST_CASE("http: Connection: close and HTTP/1.0 close after the response", "[unit][app][http]") {
  SECTION("HTTP/1.1 Connection: close") {
    app_under_test t(listener("http"));
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + get);
    CHECK(s.sent ==
          "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
          "Connection: close\r\n\r\nok\n");  // the request after it is not answered
    CHECK(s.closed);
    CHECK(t.stats.http_requests.read() == 1);
    s.deliver(get);  // more data after our FIN is ignored
    CHECK(t.stats.http_requests.read() == 1);
  }
  SECTION("HTTP/1.0 closes by default") {
    app_under_test t(listener("http"));
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver("GET / HTTP/1.0\r\n\r\n");
    CHECK(s.sent.find("Connection: close\r\n") != std::string::npos);
    CHECK(s.closed);
  }
  SECTION("HTTP/1.0 keep-alive gets Connection: keep-alive") {
    app_under_test t(listener("http"));
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(s.sent.find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK_FALSE(s.closed);
  }
}

TEST_CASE("http: malformed requests get their status, then close", "[unit][app][http]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n", "HTTP/1.1 414 URI Too Long\r\n"},
      {"GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 501 Not Implemented\r\n"},
      {"GET / HTTP/3.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
  };
  for (const auto& [request, status_line] : cases) {
    INFO(status_line);
    app_under_test t(listener("http"));
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver(get + request + get);
    REQUIRE(s.sent.rfind(ok_response, 0) == 0);  // the good request before it was answered
    const std::string error = s.sent.substr(ok_response.size());
    CHECK(error.rfind(status_line, 0) == 0);
    CHECK(error.find("Connection: close\r\n") != std::string::npos);
    const std::size_t body_at = error.find("\r\n\r\n") + 4;
    CHECK(error.find("Content-Length: " + std::to_string(error.size() - body_at) + "\r\n") != std::string::npos);
    CHECK(s.closed);
    CHECK(t.stats.http_requests.read() == 1);
  }
  app_under_test t(listener("http"));
  for (const auto& [request, status_line] : cases) {
    fake_stream s(*t.app, 1 << 20);
    s.open();
    s.deliver(request);
  }
  CHECK(t.stats.http_responses_400.read() == 2);
  CHECK(t.stats.http_responses_414.read() == 1);
  CHECK(t.stats.http_responses_431.read() == 1);
  CHECK(t.stats.http_responses_501.read() == 1);
  CHECK(t.stats.http_responses_505.read() == 1);
}

TEST_CASE("http: max_header_bytes sets the 431 limit", "[unit][app][http]") {
  app_under_test t(listener("http", {{"max_header_bytes", "64"}}));
  fake_stream s(*t.app, 1 << 20);
  s.open();
  s.deliver("GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: a-rather-long-agent-string-here\r\n\r\n");
  CHECK(s.sent.rfind("HTTP/1.1 431 ", 0) == 0);
}

TEST_CASE("http: configured status, reason, body, content type and headers", "[unit][app][http]") {
  app_under_test t(listener("http", {{"status", "404"},
                                     {"body", "<h1>gone</h1>"},
                                     {"content_type", "text/html; charset=utf-8"},
                                     {"header.Cache-Control", "no-store"},
                                     {"header.Server", "edge/1"}}));
  fake_stream s(*t.app, 1 << 20);
  s.open();
  s.deliver(get);
  CHECK(s.sent ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 13\r\n"
        "Cache-Control: no-store\r\nServer: edge/1\r\n\r\n<h1>gone</h1>");
}

TEST_CASE("http: body_bytes generates the body; a large one is sent under back-pressure", "[unit][app][http]") {
  app_under_test t(listener("http", {{"body_bytes", "100000"}}));
  fake_stream s(*t.app, 1000);
  s.open();
  s.deliver(get + get + "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(s.sent.size() == 1000);
  CHECK_FALSE(s.closed);
  std::size_t rounds = 0;
  while (!s.closed && rounds++ < 1000) {
    s.ack(1460);
  }
  REQUIRE(s.closed);
  const std::string head = "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n";
  const std::string close_head = "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n";
  REQUIRE(s.sent.size() == 2 * head.size() + close_head.size() + 300000);
  CHECK(s.sent.substr(0, head.size()) == head);
  const std::string body = s.sent.substr(head.size(), 100000);
  CHECK(body.substr(0, 5) == "abcde");
  CHECK(body[63] == '\n');
  CHECK(s.sent.substr(2 * head.size() + 200000, close_head.size()) == close_head);
  CHECK(t.stats.http_requests.read() == 3);
}

TEST_CASE("http: status 204 has no body and no Content-Length", "[unit][app][http]") {
  app_under_test t(listener("http", {{"status", "204"}, {"body", ""}}));
  fake_stream s(*t.app, 1 << 20);
  s.open();
  s.deliver(get);
  CHECK(s.sent == "HTTP/1.1 204 No Content\r\nServer: rampart\r\n\r\n");
}

TEST_CASE("http aborts a client that pipelines past max_pipelined without reading", "[unit][app][http]") {
  app_under_test t(listener("http", {{"max_pipelined", "4"}}));
  fake_stream s(*t.app, 10);
  s.open();
  s.deliver(repeat(get, 4));  // the first partly sent and three more: four held
  CHECK_FALSE(s.aborted);
  s.deliver(get);
  CHECK(s.aborted);
  CHECK(t.stats.http_aborts.read() == 1);
}

TEST_CASE("http: FIN after a request waits for its response, then closes", "[unit][app][http]") {
  app_under_test t(listener("http"));
  fake_stream s(*t.app, 20);
  s.open();
  s.deliver(get);
  s.peer_close();
  CHECK_FALSE(s.closed);
  s.ack(1000);
  CHECK(s.sent == ok_response);
  CHECK(s.closed);
}

TEST_CASE("http arguments are checked", "[unit][app][http]") {
  using m = std::map<std::string, std::string>;
  const std::string prefix = "listener on port 8080 (app http): ";
  CHECK(error_of(listener("http", m{{"status", "2OO"}})) ==
        prefix + "args.status: \"2OO\" is not a decimal number; write one in 200..599");
  CHECK(error_of(listener("http", m{{"status", "700"}})) == prefix + "args.status: 700 is out of range; allowed: 200..599");
  CHECK(error_of(listener("http", m{{"body", "a"}, {"body_bytes", "1"}})).find("args.body_bytes: conflicts with args.body") != std::string::npos);
  CHECK(error_of(listener("http", m{{"status", "304"}, {"body_bytes", "1"}})).find("args.body_bytes: status 304 has no body") != std::string::npos);
  CHECK(error_of(listener("http", m{{"header.Content-Length", "5"}})).find("the app sets Content-Length itself") != std::string::npos);
  CHECK(error_of(listener("http", m{{"header.Content-Type", "x"}})).find("use args.content_type") != std::string::npos);
  CHECK(error_of(listener("http", m{{"header.Bad Name", "x"}})).find("is not a header name") != std::string::npos);
  CHECK(error_of(listener("http", m{{"header.X-A", "a\r\nInjected: 1"}})).find("control character") != std::string::npos);
  CHECK(error_of(listener("http", m{{"reason", "a\nb"}})).find("args.reason: has a control character") != std::string::npos);
  CHECK(error_of(listener("http", m{{"max_header_bytes", "10"}})).find("out of range; allowed: 64..1048576") != std::string::npos);
  CHECK(error_of(listener("http", m{{"bdy", "x"}})) ==
        prefix + "args.bdy: unknown argument for app http; known: body, body_bytes, content_type, header.NAME, max_header_bytes, max_pipelined, reason, status (docs/apps.md)");
  CHECK(error_of(listener("http", m{{"status", "201"}, {"body_bytes", "10"}})).empty());
}
