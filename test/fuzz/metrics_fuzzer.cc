// libFuzzer target: the Prometheus endpoint's request parsing (engine::http_response) over
// arbitrary bytes as a request head. Whatever the bytes, the answer must be one well-formed
// HTTP/1.1 response: a status among 200, 400, 404 and 405, Content-Length equal to the bytes that
// follow the head (none for HEAD, which still announces GET's length), Connection: close; and
// 200 exactly when the request line is GET or HEAD of /metrics (any query) over HTTP/1.x, with
// the body the server was given. Any difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/metrics.hh"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "\nfuzz invariant violated: %s\n", what);
  std::abort();
}

const std::string body_text = "# HELP x y\n# TYPE x counter\nx_total 1\n";

// The request line's verdict, derived here independently of metrics.cc: -1 not HTTP/1.x,
// 0 a method other than GET/HEAD, 1 another path, 2 GET /metrics, 3 HEAD /metrics.
int expected(std::string_view head) {
  const std::size_t end = head.find("\r\n");
  if (end == std::string_view::npos) {
    return -1;
  }
  const std::string_view line = head.substr(0, end);
  const std::size_t a = line.find(' ');
  if (a == std::string_view::npos) {
    return -1;
  }
  const std::size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos || line.substr(b + 1).substr(0, 7) != "HTTP/1.") {
    return -1;
  }
  const std::string_view method = line.substr(0, a);
  const std::string_view target = line.substr(a + 1, b - a - 1);
  if (method != "GET" && method != "HEAD") {
    return 0;
  }
  if (target.substr(0, target.find('?')) != "/metrics") {
    return 1;
  }
  return method == "GET" ? 2 : 3;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  bool body_asked = false;
  const std::string response = rampart::engine::http_response(head, [&] {
    body_asked = true;
    return body_text;
  });

  const std::size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    fail("no blank line ends the response head");
  }
  const std::string_view answer_head = std::string_view(response).substr(0, head_end + 2);
  const std::string_view answer_body = std::string_view(response).substr(head_end + 4);
  if (answer_head.find("\r\nConnection: close\r\n") == std::string_view::npos) {
    fail("no Connection: close");
  }
  const std::size_t length_at = answer_head.find("\r\nContent-Length: ");
  if (length_at == std::string_view::npos) {
    fail("no Content-Length");
  }
  const std::size_t announced = std::strtoull(response.c_str() + length_at + 18, nullptr, 10);

  const int verdict = expected(head);
  static constexpr std::string_view statuses[] = {"HTTP/1.1 400 ", "HTTP/1.1 405 ", "HTTP/1.1 404 ",
                                                  "HTTP/1.1 200 ", "HTTP/1.1 200 "};
  if (!answer_head.starts_with(statuses[verdict + 1])) {
    fail("the status is not the request line's");
  }
  if (body_asked != (verdict >= 2)) {
    fail("the metrics were computed for a request that is not a GET or HEAD of /metrics, or not for one");
  }
  if (verdict == 2 && answer_body != body_text) {
    fail("GET /metrics does not carry the metrics");
  }
  if (verdict == 3 ? !answer_body.empty() || announced != body_text.size() : announced != answer_body.size()) {
    fail("Content-Length does not match the body");
  }
  return 0;
}
