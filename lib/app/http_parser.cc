#include "app/http_parser.hh"

#include <algorithm>
#include <array>
#include <cstring>

namespace rampart::app::http {

namespace {

// Character classes, one table lookup each (measured: the strchr-based tchar test and the
// per-byte state dispatch were most of the parser's time; perf/bench/app).
enum : std::uint8_t {
  tchar_class = 1,   // tchar (RFC 9110 §5.6.2)
  target_class = 2,  // request-target: visible ASCII (RFC 9112 §3.2)
  field_class = 4,   // field-vchar, SP, HTAB (RFC 9110 §5.5)
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t k = 0;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool special = false;
    for (const char t : std::string_view("!#$%&'*+-.^_`|~")) {
      special = special || c == static_cast<unsigned char>(t);
    }
    if (alnum || special) {
      k |= tchar_class;
    }
    if (c >= 0x21 && c <= 0x7e) {
      k |= target_class;
    }
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') {
      k |= field_class;
    }
    classes[static_cast<std::size_t>(c)] = k;
  }
  return classes;
}
constexpr std::array<std::uint8_t, 256> classes = make_classes();

bool is_tchar(std::uint8_t c) noexcept { return (classes[c] & tchar_class) != 0; }
bool is_target_char(std::uint8_t c) noexcept { return (classes[c] & target_class) != 0; }
bool is_field_char(std::uint8_t c) noexcept { return (classes[c] & field_class) != 0; }

bool is_ows(std::uint8_t c) noexcept { return c == ' ' || c == '\t'; }

char lower(std::uint8_t c) noexcept {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

bool equals(const char* buffer, std::uint8_t length, std::string_view word) noexcept {
  return length == word.size() && std::string_view(buffer, length) == word;
}

}  // namespace

std::uint16_t status_of(parse_error error) noexcept {
  switch (error) {
    case parse_error::none:
      return 0;
    case parse_error::bad_request_line:
    case parse_error::bad_version:
    case parse_error::bad_header:
    case parse_error::bad_content_length:
    case parse_error::missing_host:
      return 400;
    case parse_error::request_line_too_long:
      return 414;
    case parse_error::headers_too_large:
      return 431;
    case parse_error::transfer_coding:
      return 501;
    case parse_error::version_not_supported:
      return 505;
  }
  return 400;
}

std::string_view to_string(parse_error error) noexcept {
  switch (error) {
    case parse_error::none:
      return "none";
    case parse_error::bad_request_line:
      return "bad_request_line";
    case parse_error::bad_version:
      return "bad_version";
    case parse_error::bad_header:
      return "bad_header";
    case parse_error::bad_content_length:
      return "bad_content_length";
    case parse_error::missing_host:
      return "missing_host";
    case parse_error::request_line_too_long:
      return "request_line_too_long";
    case parse_error::headers_too_large:
      return "headers_too_large";
    case parse_error::transfer_coding:
      return "transfer_coding";
    case parse_error::version_not_supported:
      return "version_not_supported";
  }
  return "unknown";
}

// Field by field: what identify_header() and the request line overwrite anyway is left alone
// (a whole-object assignment cost a sixth of a wrk request's parse; perf/bench/app).
void request_parser::reset() noexcept {
  _header_bytes = 0;
  _state = state::start;
  _error = parse_error::none;
  _request = request{};
  _body_left = 0;
  _method_length = 0;
  _version_index = 0;
  _version_major = 0;
  _name_length = 0;
  _header = header::other;
  _host_count = 0;
  _has_content_length = false;
  _connection_close = false;
  _connection_keep_alive = false;
  _transfer_encoding = false;
}

bool request_parser::fail(parse_error error) noexcept {
  _error = error;
  _state = state::failed;
  return false;
}

request_parser::result request_parser::feed(std::span<const std::byte> input) noexcept {
  if (_state == state::done) {
    reset();
  }
  if (_state == state::failed) {
    return {0, status::error};
  }
  std::size_t i = 0;
  while (i < input.size()) {
    if (_state == state::body) {
      // Body bytes are skipped in bulk: the responder does not look at them.
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(_body_left, input.size() - i));
      _body_left -= take;
      i += take;
      if (_body_left == 0) {
        _state = state::done;
        return {i, status::complete};
      }
      continue;
    }
    if (_state == state::target || _state == state::name || _state == state::value ||
        _state == state::start || _state == state::version) {
      i += bulk(input.subspan(i));
      if (i == input.size()) {
        break;
      }
    }
    if (++_header_bytes > _max_header_bytes) {
      const bool in_request_line = _state == state::start || _state == state::start_lf ||
                                   _state == state::method || _state == state::target_start ||
                                   _state == state::target || _state == state::version ||
                                   _state == state::request_line_lf;
      fail(in_request_line ? parse_error::request_line_too_long : parse_error::headers_too_large);
      return {i, status::error};
    }
    const auto c = static_cast<std::uint8_t>(input[i]);
    ++i;
    if (!step(c)) {
      return {i, status::error};
    }
    if (_state == state::done) {
      return {i, status::complete};
    }
  }
  return {i, status::need_more};
}

// The long runs of a request (the target, a header name, a value the parser does not look into)
// in one tight loop, and "GET " and "HTTP/1.x" CRLF in one compare, instead of one step() per
// byte. Takes bytes that step() would accept without
// a state change, within the header-byte limit, and returns how many; 0 leaves the next byte to
// step() (a delimiter, an invalid byte, the limit, or a state without a bulk path).
std::size_t request_parser::bulk(std::span<const std::byte> input) noexcept {
  const std::size_t room = std::min<std::size_t>(input.size(), _max_header_bytes - _header_bytes);
  const auto* p = reinterpret_cast<const std::uint8_t*>(input.data());
  std::size_t n = 0;
  switch (_state) {
    case state::start:
      // The common method whole (wrk and curl send GET): one compare instead of four steps.
      if (room >= 4 && std::memcmp(p, "GET ", 4) == 0) {
        _request.verb = method::get;
        _state = state::target_start;
        n = 4;
      }
      break;
    case state::version:
      if (_version_index == 0 && room >= 10 && std::memcmp(p, "HTTP/1.", 7) == 0 &&
          (p[7] == '0' || p[7] == '1') && p[8] == '\r' && p[9] == '\n') {
        _version_major = '1';
        _request.version_minor = static_cast<std::uint8_t>(p[7] - '0');
        _state = state::header_start;
        n = 10;
      }
      break;
    case state::target:
      while (n < room && is_target_char(p[n])) {
        ++n;
      }
      break;
    case state::name:
      while (n < room && is_tchar(p[n])) {
        if (_name_length < sizeof _name) {
          _name[_name_length] = lower(p[n]);
        }
        _name_length = static_cast<std::uint8_t>(std::min(_name_length + 1, 255));
        ++n;
      }
      break;
    case state::value:
      if (_header == header::other || _header == header::host ||
          _header == header::transfer_encoding) {
        while (n < room && is_field_char(p[n])) {
          ++n;
        }
      }
      break;
    default:
      break;
  }
  _header_bytes += static_cast<std::uint32_t>(n);
  return n;
}

// One byte of the request line or the headers. False on a parse error (recorded by fail()).
bool request_parser::step(std::uint8_t c) noexcept {
  switch (_state) {
    case state::start:
      // Empty lines before a request line are ignored (RFC 9112 §2.2).
      if (c == '\r') {
        _state = state::start_lf;
        return true;
      }
      if (c == '\n') {
        return true;
      }
      if (!is_tchar(c)) {
        return fail(parse_error::bad_request_line);
      }
      _state = state::method;
      return step(c);
    case state::start_lf:
      if (c != '\n') {
        return fail(parse_error::bad_request_line);
      }
      _state = state::start;
      return true;
    case state::method:
      // method = token (RFC 9112 §3.1), case-sensitive.
      if (c == ' ') {
        if (equals(_method, _method_length, "GET")) {
          _request.verb = method::get;
        } else if (equals(_method, _method_length, "HEAD")) {
          _request.verb = method::head;
        } else {
          _request.verb = method::other;
        }
        _state = state::target_start;
        return true;
      }
      if (!is_tchar(c)) {
        return fail(parse_error::bad_request_line);
      }
      if (_method_length < sizeof _method) {
        _method[_method_length] = static_cast<char>(c);
      }
      _method_length = static_cast<std::uint8_t>(std::min(_method_length + 1, 255));
      return true;
    case state::target_start:
    case state::target:
      // request-target: visible ASCII, not empty (RFC 9112 §3.2); a line without a version
      // (HTTP/0.9) ends up here on CR or LF and is refused.
      if (c == ' ' && _state == state::target) {
        _state = state::version;
        return true;
      }
      if (!is_target_char(c)) {
        return fail(parse_error::bad_request_line);
      }
      _state = state::target;
      return true;
    case state::version: {
      // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive, then the line end.
      static constexpr std::string_view prefix = "HTTP/";
      if (_version_index < prefix.size()) {
        if (c != static_cast<std::uint8_t>(prefix[_version_index])) {
          return fail(parse_error::bad_version);
        }
      } else if (_version_index == 5 || _version_index == 7) {
        if (c < '0' || c > '9') {
          return fail(parse_error::bad_version);
        }
        if (_version_index == 5) {
          _version_major = static_cast<char>(c);
        } else {
          _request.version_minor = static_cast<std::uint8_t>(c - '0');
        }
      } else if (_version_index == 6) {
        if (c != '.') {
          return fail(parse_error::bad_version);
        }
      } else {
        if (c != '\r' && c != '\n') {
          return fail(parse_error::bad_version);
        }
        if (_version_major != '1') {
          return fail(parse_error::version_not_supported);
        }
        _state = c == '\r' ? state::request_line_lf : state::header_start;
        return true;
      }
      ++_version_index;
      return true;
    }
    case state::request_line_lf:
      if (c != '\n') {
        return fail(parse_error::bad_request_line);
      }
      _state = state::header_start;
      return true;
    case state::header_start:
      if (c == '\r') {
        _state = state::headers_end_lf;
        return true;
      }
      if (c == '\n') {
        return end_headers();
      }
      // A line starting with SP/HTAB is obs-fold (or whitespace before the first field): refused
      // (RFC 9112 §5.2, §2.2).
      if (!is_tchar(c)) {
        return fail(parse_error::bad_header);
      }
      _name_length = 0;
      _state = state::name;
      return step(c);
    case state::name:
      if (c == ':') {
        identify_header();
        _state = state::value_ows;
        return true;
      }
      // Includes whitespace between the name and the colon (RFC 9112 §5.1: MUST reject).
      if (!is_tchar(c)) {
        return fail(parse_error::bad_header);
      }
      if (_name_length < sizeof _name) {
        _name[_name_length] = lower(c);
      }
      _name_length = static_cast<std::uint8_t>(std::min(_name_length + 1, 255));
      return true;
    case state::value_ows:
      if (is_ows(c)) {
        return true;
      }
      _state = state::value;
      return step(c);
    case state::value:
      if (c == '\r') {
        _state = state::value_lf;
        return true;
      }
      if (c == '\n') {
        return end_header();
      }
      if (!is_field_char(c)) {
        return fail(parse_error::bad_header);
      }
      return value_byte(c);
    case state::value_lf:
      if (c != '\n') {
        return fail(parse_error::bad_header);
      }
      return end_header();
    case state::headers_end_lf:
      if (c != '\n') {
        return fail(parse_error::bad_header);
      }
      return end_headers();
    case state::body:
    case state::done:
    case state::failed:
      break;
  }
  return fail(parse_error::bad_header);
}

void request_parser::identify_header() noexcept {
  _header = header::other;
  if (_name_length <= sizeof _name) {
    if (equals(_name, _name_length, "content-length")) {
      _header = header::content_length;
    } else if (equals(_name, _name_length, "connection")) {
      _header = header::connection;
    } else if (equals(_name, _name_length, "transfer-encoding")) {
      _header = header::transfer_encoding;
      _transfer_encoding = true;
    } else if (equals(_name, _name_length, "host")) {
      _header = header::host;
      _host_count = static_cast<std::uint8_t>(std::min(_host_count + 1, 2));
    }
  }
  _value_trailing_ws = false;
  _value_number = 0;
  _value_digits = 0;
  _token_length = 0;
}

// A byte of a field value (leading OWS already skipped).
bool request_parser::value_byte(std::uint8_t c) noexcept {
  switch (_header) {
    case header::content_length:
      // Content-Length = 1*DIGIT (RFC 9110 §8.6); trailing OWS is not part of the value.
      if (is_ows(c)) {
        _value_trailing_ws = true;
        return true;
      }
      // 19 digits always fit a uint64_t; a longer length is no real request.
      if (c < '0' || c > '9' || _value_trailing_ws || _value_digits == 19) {
        return fail(parse_error::bad_content_length);
      }
      _value_number = _value_number * 10 + (c - '0');
      ++_value_digits;
      return true;
    case header::connection:
      // Connection = #connection-option (tokens, RFC 9110 §7.6.1); anything else delimits.
      if (is_tchar(c)) {
        if (_token_length < sizeof _token) {
          _token[_token_length] = lower(c);
        }
        _token_length = static_cast<std::uint8_t>(std::min(_token_length + 1, 255));
      } else {
        end_connection_token();
      }
      return true;
    case header::other:
    case header::transfer_encoding:
    case header::host:
      return true;
  }
  return true;
}

void request_parser::end_connection_token() noexcept {
  if (_token_length <= sizeof _token) {
    if (equals(_token, _token_length, "close")) {
      _connection_close = true;
    } else if (equals(_token, _token_length, "keep-alive")) {
      _connection_keep_alive = true;
    }
  }
  _token_length = 0;
}

bool request_parser::end_header() noexcept {
  if (_header == header::connection) {
    end_connection_token();
  } else if (_header == header::content_length) {
    if (_value_digits == 0) {
      return fail(parse_error::bad_content_length);
    }
    // Repeated Content-Length fields must agree (RFC 9112 §6.3 item 5).
    if (_has_content_length && _request.content_length != _value_number) {
      return fail(parse_error::bad_content_length);
    }
    _has_content_length = true;
    _request.content_length = _value_number;
  }
  _state = state::header_start;
  return true;
}

bool request_parser::end_headers() noexcept {
  // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3 item 3); we implement no transfer
  // coding, so the body length is unknown: 501 (§6.1).
  if (_transfer_encoding) {
    return fail(parse_error::transfer_coding);
  }
  if (_request.version_minor >= 1 && _host_count != 1) {
    return fail(parse_error::missing_host);
  }
  if (_host_count > 1) {
    return fail(parse_error::missing_host);
  }
  // Persistence (RFC 9112 §9.3): HTTP/1.1 stays open unless "close"; HTTP/1.0 closes unless
  // "keep-alive".
  if (_connection_close) {
    _request.keep_alive = false;
  } else if (_request.version_minor == 0) {
    _request.keep_alive = _connection_keep_alive;
  } else {
    _request.keep_alive = true;
  }
  _body_left = _request.content_length;
  _state = _body_left == 0 ? state::done : state::body;
  return true;
}

}  // namespace rampart::app::http
