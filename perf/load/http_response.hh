#pragma once
// Reads one HTTP/1.1 response from a byte stream, fed as it arrives (RFC 9112): the status line,
// the header fields up to the empty line, then exactly Content-Length bytes of body. Responses
// without a body by definition (1xx, 204, 304) need no Content-Length; any other response must
// carry one: chunked transfer coding and read-until-close bodies are refused, since the load
// tool times each request and must know where a response ends.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace rampart::load {

class http_response_reader {
 public:
  enum class state : std::uint8_t { reading, complete, error };

  // Consumes bytes; returns how many belong to this response (the rest, if complete, starts
  // the next one).
  std::size_t feed(std::span<const std::byte> bytes);

  state status() const noexcept { return _state; }
  int status_code() const noexcept { return _status_code; }
  std::uint64_t content_length() const noexcept { return _content_length; }
  // Why the response was refused (when status() == error).
  const std::string& error() const noexcept { return _error; }
  void reset() { *this = http_response_reader{}; }

  static constexpr std::size_t max_header_bytes = 16 * 1024;

 private:
  void parse_head();
  void fail(std::string why);

  state _state = state::reading;
  bool _in_body = false;
  std::string _head;
  int _status_code = 0;
  std::uint64_t _content_length = 0;
  std::uint64_t _body_read = 0;
  std::string _error;
};

}  // namespace rampart::load
