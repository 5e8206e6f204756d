// http: a fixed HTTP/1.1 responder for benchmarks and health checks. Every well-formed request
// (any method and target) gets the configured response; HEAD gets its header only. Requests are
// parsed as they arrive (app/http_parser.hh), pipelined requests are answered in order, and the
// connection stays open unless the request says otherwise (HTTP/1.1 default keep-alive,
// HTTP/1.0 default close, RFC 9112 §9.3). Malformed requests get 400/414/431/501/505 and the
// connection closes after that response.
//
// Responses are built once at start-up; a connection holds only the parser and a ring of
// responses waiting for send space (a pointer and an offset each). A client that pipelines more
// than max_pipelined requests without reading the answers is aborted (http_aborts).
#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "app/http_parser.hh"
#include "builtin_apps.hh"
#include "state_pool.hh"

namespace rampart::app {

namespace {

// Connection header variants of the configured response.
enum class persistence : std::uint8_t { keep_alive_11, keep_alive_10, close };
inline constexpr std::size_t persistence_count = 3;

}  // namespace

struct http_response {
  std::string head;       // status line and header fields, CRLF CRLF included
  std::string_view body;  // into http_settings::body (or the error text)
};

struct http_settings {
  std::uint16_t status = 200;
  std::string reason;
  std::string body = "ok\n";
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // header.NAME args, as given
  bool custom_server = false;
  std::uint32_t max_header_bytes = 8192;
  std::uint32_t max_pipelined = 64;

  // Built from the above by build_responses(): [HEAD?][persistence].
  std::array<std::array<http_response, persistence_count>, 2> answers;
  std::array<std::string, 5> error_bodies;
  std::array<http_response, 5> errors;  // 400, 414, 431, 501, 505
};

namespace {

std::string_view standard_reason(std::uint16_t status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

constexpr std::array<std::uint16_t, 5> error_statuses = {400, 414, 431, 501, 505};

std::size_t error_index(std::uint16_t status) {
  return static_cast<std::size_t>(std::find(error_statuses.begin(), error_statuses.end(), status) -
                                  error_statuses.begin());
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

// field-value characters (RFC 9110 §5.5): no CR, LF, NUL or other controls.
bool is_field_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) {
                       const auto c = static_cast<unsigned char>(ch);
                       return c == '\t' || c >= 0x20;
                     }) &&
         s.find('\x7f') == std::string_view::npos;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  });
  return out;
}

std::string head_of(const http_settings& s, std::uint16_t status, std::string_view reason,
                    std::string_view content_type, std::size_t body_length, bool with_length,
                    bool with_extra_headers, persistence p) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (!s.custom_server || !with_extra_headers) {
    head += "Server: rampart\r\n";
  }
  if (body_length > 0) {
    head += "Content-Type: " + std::string(content_type) + "\r\n";
  }
  if (with_length) {
    head += "Content-Length: " + std::to_string(body_length) + "\r\n";
  }
  if (with_extra_headers) {
    for (const auto& [name, value] : s.headers) {
      head += name + ": " + value + "\r\n";
    }
  }
  if (p == persistence::keep_alive_10) {
    head += "Connection: keep-alive\r\n";
  } else if (p == persistence::close) {
    head += "Connection: close\r\n";
  }
  return head + "\r\n";
}

void build_responses(http_settings& s) {
  // 204 and 304 have no body and 204 no Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
  const bool no_content = s.status == 204 || s.status == 304;
  for (std::size_t is_head = 0; is_head < 2; ++is_head) {
    for (std::size_t p = 0; p < persistence_count; ++p) {
      http_response& r = s.answers[is_head][p];
      r.head = head_of(s, s.status, s.reason, s.content_type, s.body.size(), !no_content, true,
                       static_cast<persistence>(p));
      r.body = is_head != 0 ? std::string_view() : std::string_view(s.body);
    }
  }
  for (std::size_t i = 0; i < error_statuses.size(); ++i) {
    const std::uint16_t status = error_statuses[i];
    s.error_bodies[i] = std::to_string(status) + " " + std::string(standard_reason(status)) + "\n";
    s.errors[i].head = head_of(s, status, standard_reason(status), "text/plain",
                               s.error_bodies[i].size(), true, false, persistence::close);
    s.errors[i].body = s.error_bodies[i];
  }
}

// A response waiting for send space: offset counts head then body bytes already sent.
struct pending_response {
  const http_response* r = nullptr;
  std::size_t offset = 0;
};

struct http_connection {
  http_connection(std::uint32_t max_header_bytes, std::uint32_t max_pipelined)
      : parser(max_header_bytes), ring(max_pipelined) {}
  void reset() noexcept {
    parser.reset();
    head = 0;
    count = 0;
    closing = false;
    peer_closed = false;
    closed = false;
  }
  http::request_parser parser;
  std::vector<pending_response> ring;
  std::uint32_t head = 0;
  std::uint32_t count = 0;
  bool closing = false;      // a response that ends the connection is queued: read no more
  bool peer_closed = false;  // FIN received
  bool closed = false;       // we called close()
};

class http_app final : public tcp::application {
 public:
  http_app(std::shared_ptr<const http_settings> settings, const app_context& context)
      : _settings(std::move(settings)), _stats(context.stats), _pool([s = _settings.get()] {
          return std::make_unique<http_connection>(s->max_header_bytes, s->max_pipelined);
        }) {}

  void on_open(tcp::stream& s) noexcept override {
    http_connection* c = _pool.acquire();
    if (c == nullptr) {
      _stats.app_state_alloc_failures.add();
      s.set_context(nullptr);
      s.abort();
      return;
    }
    s.set_context(c);
  }

  void on_data(tcp::stream& s, tcp::data_view data) noexcept override {
    auto* c = static_cast<http_connection*>(s.context());
    if (c == nullptr || c->closing) {
      return;  // after a closing response, further requests are not answered (RFC 9112 §9.6)
    }
    std::span<const std::byte> input = data.bytes();
    while (!input.empty()) {
      const auto result = c->parser.feed(input);
      input = input.subspan(result.consumed);
      if (result.outcome == http::request_parser::status::need_more) {
        break;
      }
      const http_response* r = nullptr;
      if (result.outcome == http::request_parser::status::complete) {
        const http::request& request = c->parser.current();
        const persistence p = !request.keep_alive          ? persistence::close
                              : request.version_minor == 0 ? persistence::keep_alive_10
                                                           : persistence::keep_alive_11;
        r = &_settings
                 ->answers[request.verb == http::method::head ? 1 : 0][static_cast<std::size_t>(p)];
        c->closing = p == persistence::close;
        _stats.http_requests.add();
      } else {
        const std::uint16_t status = http::status_of(c->parser.error());
        count_error(status);
        r = &_settings->errors[error_index(status)];
        c->closing = true;
      }
      if (!queue(s, *c, r)) {
        return;  // aborted: c may be gone
      }
      if (c->closing) {
        break;
      }
    }
    finish_if_done(s, *c);
  }

  void on_writable(tcp::stream& s) noexcept override {
    auto* c = static_cast<http_connection*>(s.context());
    if (c != nullptr && drain(s, *c)) {
      finish_if_done(s, *c);
    }
  }

  // No more requests will come; answer what was asked, then FIN. A partial request is dropped.
  void on_peer_closed(tcp::stream& s) noexcept override {
    auto* c = static_cast<http_connection*>(s.context());
    if (c == nullptr) {
      s.close();
      return;
    }
    c->peer_closed = true;
    finish_if_done(s, *c);
  }

  void on_close(tcp::stream& s, tcp::close_reason) noexcept override {
    auto* c = static_cast<http_connection*>(s.context());
    if (c != nullptr) {
      s.set_context(nullptr);
      _pool.release(c);
    }
  }

 private:
  void count_error(std::uint16_t status) noexcept {
    switch (status) {
      case 414:
        _stats.http_responses_414.add();
        break;
      case 431:
        _stats.http_responses_431.add();
        break;
      case 501:
        _stats.http_responses_501.add();
        break;
      case 505:
        _stats.http_responses_505.add();
        break;
      default:
        _stats.http_responses_400.add();
        break;
    }
  }

  // Sends what send() takes of p; true once all of it has gone.
  static bool write(tcp::stream& s, pending_response& p) noexcept {
    const std::string_view head = p.r->head;
    const std::string_view body = p.r->body;
    while (p.offset < head.size() + body.size()) {
      const std::string_view piece =
          p.offset < head.size() ? head.substr(p.offset) : body.substr(p.offset - head.size());
      const std::size_t sent = s.send(std::as_bytes(std::span(piece.data(), piece.size())));
      p.offset += sent;
      if (sent < piece.size()) {
        return false;
      }
    }
    return true;
  }

  bool drain(tcp::stream& s, http_connection& c) noexcept {
    while (c.count > 0) {
      if (!write(s, c.ring[c.head])) {
        return false;
      }
      c.head = (c.head + 1) % c.ring.size();
      --c.count;
    }
    return true;
  }

  // Sends r now if nothing waits before it, else queues it. False when the connection was
  // aborted (too many responses waiting).
  bool queue(tcp::stream& s, http_connection& c, const http_response* r) noexcept {
    pending_response p{r, 0};
    if (c.count == 0 && write(s, p)) {
      return true;
    }
    if (c.count == c.ring.size()) {
      _stats.http_aborts.add();
      s.abort();  // on_close may run inside: c is not touched after this
      return false;
    }
    c.ring[(c.head + c.count) % c.ring.size()] = p;
    ++c.count;
    return true;
  }

  static void finish_if_done(tcp::stream& s, http_connection& c) noexcept {
    if ((c.closing || c.peer_closed) && c.count == 0 && !c.closed) {
      c.closed = true;
      s.close();
    }
  }

  std::shared_ptr<const http_settings> _settings;
  stats::lcore_stats& _stats;
  state_pool<http_connection> _pool;
};

}  // namespace

std::shared_ptr<const http_settings> read_http_args(arg_reader& args) {
  auto s = std::make_shared<http_settings>();
  s->status = static_cast<std::uint16_t>(args.number("status", 200, 200, 599));
  if (const std::string* reason = args.text("reason")) {
    if (!is_field_text(*reason)) {
      args.fail("reason", "has a control character (CR, LF, ...); write plain text");
    }
    s->reason = *reason;
  } else {
    s->reason = standard_reason(s->status);
  }

  const std::string* body = args.text("body");
  const std::string* body_bytes = args.text("body_bytes");
  if (body != nullptr && body_bytes != nullptr) {
    args.fail("body_bytes", "conflicts with args.body; give one of them");
  }
  if (body != nullptr) {
    s->body = *body;
  }
  if (body_bytes != nullptr) {
    const std::uint64_t n = args.number("body_bytes", 0, 0, 64ULL * 1024 * 1024);
    // Printable and recognisable in a capture: the alphabet, a newline every 64 bytes.
    s->body.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < s->body.size(); ++i) {
      s->body[i] = (i % 64 == 63) ? '\n' : static_cast<char>('a' + (i % 64) % 26);
    }
  }
  if ((s->status == 204 || s->status == 304) && !s->body.empty()) {
    args.fail(body_bytes != nullptr ? "body_bytes" : "body",
              "status " + std::to_string(s->status) +
                  " has no body (RFC 9110); set body: \"\" or another status");
  }

  if (const std::string* type = args.text("content_type")) {
    if (type->empty() || !is_field_text(*type)) {
      args.fail("content_type",
                "must be a non-empty media type without control characters, "
                "e.g. text/html; charset=utf-8");
    }
    s->content_type = *type;
  }

  static constexpr std::string_view header_prefix = "header.";
  for (const std::string& arg : args.names_with_prefix(header_prefix)) {
    const std::string name = arg.substr(header_prefix.size());
    const std::string& value = *args.text(arg);
    if (!is_token(name)) {
      args.fail(arg, "\"" + name + "\" is not a header name (letters, digits and !#$%&'*+-.^_`|~)");
    }
    const std::string lower = lowered(name);
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
        lower == "content-type") {
      args.fail(arg, "the app sets " + name + " itself" +
                         (lower == "content-type" ? std::string("; use args.content_type")
                                                  : std::string("; delete this argument")));
    }
    if (!is_field_text(value)) {
      args.fail(arg, "has a control character (CR, LF, ...); write plain text");
    }
    s->custom_server = s->custom_server || lower == "server";
    s->headers.emplace_back(name, value);
  }

  s->max_header_bytes =
      static_cast<std::uint32_t>(args.number("max_header_bytes", 8192, 64, 1024 * 1024));
  s->max_pipelined = static_cast<std::uint32_t>(args.number("max_pipelined", 64, 1, 4096));
  build_responses(*s);
  return s;
}

std::unique_ptr<tcp::application> make_http(std::shared_ptr<const http_settings> settings,
                                            const app_context& context) {
  return std::make_unique<http_app>(std::move(settings), context);
}

}  // namespace rampart::app
