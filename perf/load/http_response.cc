#include "http_response.hh"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace rampart::load {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

void http_response_reader::fail(std::string why) {
  _state = state::error;
  _error = std::move(why);
}

std::size_t http_response_reader::feed(std::span<const std::byte> bytes) {
  std::size_t used = 0;
  while (used < bytes.size() && _state == state::reading) {
    if (!_in_body) {
      _head.push_back(static_cast<char>(bytes[used++]));
      if (_head.size() >= 4 && _head.compare(_head.size() - 4, 4, "\r\n\r\n") == 0) {
        parse_head();
        _in_body = true;
        if (_state == state::reading && _content_length == 0) {
          _state = state::complete;
        }
      } else if (_head.size() > max_header_bytes) {
        fail("header section longer than " + std::to_string(max_header_bytes) + " bytes");
      }
      continue;
    }
    const std::uint64_t take = std::min<std::uint64_t>(bytes.size() - used, _content_length - _body_read);
    _body_read += take;
    used += take;
    if (_body_read == _content_length) {
      _state = state::complete;
    }
  }
  return used;
}

void http_response_reader::parse_head() {
  const std::string_view head(_head);
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    fail("not an HTTP/1.x status line: " + std::string(status_line.substr(0, 40)));
    return;
  }
  const auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, _status_code);
  if (ec != std::errc{} || ptr != status_line.data() + 12 || _status_code < 100 || _status_code > 599) {
    fail("bad status code in: " + std::string(status_line.substr(0, 40)));
    return;
  }
  const bool bodyless = _status_code < 200 || _status_code == 204 || _status_code == 304;
  bool have_length = false;
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) {
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      fail("header line without a colon: " + std::string(line.substr(0, 40)));
      return;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t length = 0;
      const auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc{} || p != value.data() + value.size() || (have_length && length != _content_length)) {
        fail("bad Content-Length: " + std::string(value));
        return;
      }
      _content_length = length;
      have_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      fail("Transfer-Encoding is not supported (the load tool needs Content-Length)");
      return;
    }
  }
  if (bodyless) {
    _content_length = 0;
  } else if (!have_length) {
    fail("response " + std::to_string(_status_code) + " without Content-Length");
  }
}

}  // namespace rampart::load
