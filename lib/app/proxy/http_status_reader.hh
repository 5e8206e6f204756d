#pragma once
// The HTTP health check's view of a backend's answer: the status code of the response's status
// line (RFC 9112 §4: HTTP-version SP status-code SP [reason-phrase] CRLF), read from bytes that
// may arrive in any number of pieces, without buffering. The check needs nothing past the code:
// the reader is done once the byte after it arrives.
//
// Accepted: "HTTP/1." DIGIT SP 3DIGIT, then SP or CR (a missing reason phrase's SP is tolerated,
// as common clients do). Anything else is malformed: leading empty lines or spaces, another major
// version (HTTP/2 has no status line), a code of other than three digits, a code outside
// 100..599 (RFC 9110 §15), any stray byte. Never reads past the span it is given.
#include <cstddef>
#include <cstdint>
#include <span>

namespace rampart::app::proxy {

class http_status_reader {
 public:
  enum class result { need_more, complete, malformed };

  // Reads the next piece. Once complete or malformed, further pieces change nothing.
  result feed(std::span<const std::byte> piece) noexcept;

  result state() const noexcept { return _result; }
  // The status code; only meaningful once complete.
  std::uint16_t status() const noexcept { return _status; }

 private:
  result _result = result::need_more;
  std::uint8_t _position = 0;  // bytes of the status line read so far
  std::uint16_t _status = 0;
};

// The check's verdict: the response's status line is complete and its code is `expected`.
inline bool http_check_passed(const http_status_reader& reader, std::uint16_t expected) noexcept {
  return reader.state() == http_status_reader::result::complete && reader.status() == expected;
}

}  // namespace rampart::app::proxy
