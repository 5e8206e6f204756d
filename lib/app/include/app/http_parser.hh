#pragma once
// An incremental HTTP/1.x request parser (RFC 9112) for the http app: it takes bytes as they
// arrive, split anywhere (inside a CRLF, a header name, a number), keeps a few dozen bytes of
// state and never copies or buffers the request. It decides only what a fixed responder needs:
// the method (GET, HEAD or other), the version, whether the connection stays open, and how many
// body bytes to skip.
//
// What it accepts (and why):
//   - request-line `method SP target SP HTTP/d.d`, each line ended by CRLF or a bare LF (a
//     recipient MAY accept LF alone, RFC 9112 §2.2); empty lines before the request line are
//     skipped (§2.2: SHOULD ignore at least one);
//   - header fields `name: OWS value OWS`; names are tokens, values visible characters, SP, HTAB
//     and obs-text (RFC 9110 §5.5);
//   - Content-Length: one decimal number; repeats must agree (RFC 9112 §6.3 item 5);
//   - Connection: comma-separated tokens, `close` and `keep-alive` case-insensitive.
// What it refuses (the status the app answers, then it closes):
//   400  a malformed request line, a bad version string, whitespace before a header's colon
//        (RFC 9112 §5.1: MUST reject), obs-fold continuation lines (§5.2: we reject), control
//        characters, a bad or conflicting Content-Length, HTTP/1.1 without exactly one Host
//        (RFC 9112 §3.2: MUST respond 400);
//   414  the request line alone is longer than max_header_bytes;
//   431  request line and headers together are longer than max_header_bytes (RFC 6585 §5);
//   501  any Transfer-Encoding (chunked request bodies are not supported; RFC 9112 §6.1 lets a
//        server answer 501 to a transfer coding it does not implement);
//   505  an HTTP major version other than 1.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rampart::app::http {

enum class method : std::uint8_t { get, head, other };

struct request {
  method verb = method::other;
  std::uint8_t version_minor = 1;  // HTTP/1.<minor>
  bool keep_alive = true;          // the version's default, then the Connection header
  std::uint64_t content_length = 0;
};

enum class parse_error : std::uint8_t {
  none,
  bad_request_line,       // 400
  bad_version,            // 400: not "HTTP/" DIGIT "." DIGIT
  bad_header,             // 400
  bad_content_length,     // 400
  missing_host,           // 400: HTTP/1.1 with no Host, or more than one
  request_line_too_long,  // 414
  headers_too_large,      // 431
  transfer_coding,        // 501
  version_not_supported,  // 505
};

// The HTTP status that answers an error (400, 414, 431, 501 or 505); 0 for none.
std::uint16_t status_of(parse_error error) noexcept;
std::string_view to_string(parse_error error) noexcept;

class request_parser {
 public:
  enum class status : std::uint8_t { need_more, complete, error };
  struct result {
    std::size_t consumed = 0;  // bytes of the input that belong to this request
    status outcome = status::need_more;
  };

  // max_header_bytes bounds the request line plus the headers, CRLFs included.
  explicit request_parser(std::uint32_t max_header_bytes = 8192) noexcept
      : _max_header_bytes(max_header_bytes) {}

  // Consumes bytes up to the end of one request, its body included, and stops there: the rest
  // of the input is the next pipelined request, for the next call. complete: current() holds
  // the request, and the next call starts a new one. error: error() says why; the parser stays
  // in error (consumed counts the bytes up to the offending one) until reset().
  result feed(std::span<const std::byte> input) noexcept;

  const request& current() const noexcept { return _request; }
  parse_error error() const noexcept { return _error; }
  // True between requests: no byte of a next request has been seen yet.
  bool idle() const noexcept { return _state == state::start || _state == state::done; }

  void reset() noexcept;

 private:
  enum class state : std::uint8_t {
    start,
    start_lf,
    method,
    target_start,
    target,
    version,
    request_line_lf,
    header_start,
    name,
    value_ows,
    value,
    value_lf,
    headers_end_lf,
    body,
    done,
    failed,
  };
  enum class header : std::uint8_t { other, content_length, connection, transfer_encoding, host };

  bool fail(parse_error error) noexcept;
  std::size_t bulk(std::span<const std::byte> input) noexcept;
  bool step(std::uint8_t c) noexcept;  // false: error
  bool end_header() noexcept;
  bool end_headers() noexcept;
  void identify_header() noexcept;
  bool value_byte(std::uint8_t c) noexcept;
  void end_connection_token() noexcept;

  std::uint32_t _max_header_bytes;
  std::uint32_t _header_bytes = 0;
  state _state = state::start;
  parse_error _error = parse_error::none;
  request _request;
  std::uint64_t _body_left = 0;

  // Request line.
  char _method[5] = {};
  std::uint8_t _method_length = 0;
  std::uint8_t _version_index = 0;  // position in "HTTP/d.d"
  char _version_major = 0;

  // Current header.
  char _name[18] = {};  // lower case; long enough for "transfer-encoding"
  std::uint8_t _name_length = 0;
  header _header = header::other;
  bool _value_trailing_ws = false;
  std::uint64_t _value_number = 0;
  std::uint8_t _value_digits = 0;
  char _token[11] = {};  // lower case; long enough for "keep-alive"
  std::uint8_t _token_length = 0;

  // Whole request.
  std::uint8_t _host_count = 0;
  bool _has_content_length = false;
  bool _connection_close = false;
  bool _connection_keep_alive = false;
  bool _transfer_encoding = false;
};

}  // namespace rampart::app::http
