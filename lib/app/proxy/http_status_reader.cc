#include "http_status_reader.hh"

#include <string_view>

namespace rampart::app::proxy {

namespace {

// The fixed shape of the line's start, position by position: a literal byte, or D for a digit.
// "HTTP/1.D D" then three code digits, then SP or CR.
constexpr std::string_view shape = "HTTP/1.D DDD";
constexpr std::size_t code_start = 9;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

http_status_reader::result http_status_reader::feed(std::span<const std::byte> piece) noexcept {
  for (const std::byte b : piece) {
    if (_result != result::need_more) {
      break;
    }
    const char c = static_cast<char>(b);
    if (_position == shape.size()) {
      // RFC 9112 §4: SP before the (possibly empty) reason phrase; CR tolerated.
      const bool valid = (c == ' ' || c == '\r') && _status >= 100 && _status <= 599;
      _result = valid ? result::complete : result::malformed;
      break;
    }
    const char expected = shape[_position];
    if (expected == 'D' ? !is_digit(c) : c != expected) {
      _result = result::malformed;
      break;
    }
    if (_position >= code_start) {
      _status = static_cast<std::uint16_t>(_status * 10 + (c - '0'));
    }
    ++_position;
  }
  return _result;
}

}  // namespace rampart::app::proxy
