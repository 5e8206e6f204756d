// libFuzzer target: app::http::request_parser over arbitrary bytes. The first input byte picks
// how the rest is cut into pieces (as TCP segments would cut it); the outcome (the requests
// parsed, in order, then the error if any) must be the same as feeding the whole input at once
// and as feeding it byte by byte. Also: feed() never consumes more than it was given, consumes
// everything when it needs more, and a parser in error stays there. Any difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "app/http_parser.hh"

namespace {

namespace http = rampart::app::http;
using status = http::request_parser::status;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "\nfuzz invariant violated: %s\n", what);
  std::abort();
}

// The outcome as text, to compare runs.
std::string run(std::span<const std::byte> input, std::uint32_t max, std::size_t (*piece)(std::size_t, std::uint8_t),
                std::uint8_t seed) {
  http::request_parser parser(max);
  std::string out;
  std::size_t at = 0;
  std::size_t round = 0;
  while (at < input.size()) {
    const std::size_t length = std::min(input.size() - at, std::max<std::size_t>(1, piece(round++, seed)));
    std::span<const std::byte> chunk = input.subspan(at, length);
    at += length;
    while (!chunk.empty()) {
      const auto r = parser.feed(chunk);
      if (r.consumed > chunk.size()) {
        fail("consumed more than given");
      }
      chunk = chunk.subspan(r.consumed);
      if (r.outcome == status::need_more) {
        if (!chunk.empty()) {
          fail("need_more with input left");
        }
      } else if (r.outcome == status::complete) {
        const http::request& q = parser.current();
        out += "R" + std::to_string(static_cast<int>(q.verb)) + "." + std::to_string(q.version_minor) + "." +
               std::to_string(q.keep_alive) + "." + std::to_string(q.content_length) + ";";
      } else {
        if (http::status_of(parser.error()) == 0) {
          fail("error without a status");
        }
        if (parser.feed(chunk.empty() ? input.subspan(0, 1) : chunk).outcome != status::error) {
          fail("a parser in error left it");
        }
        return out + "E" + std::string(http::to_string(parser.error()));
      }
    }
  }
  return out;
}

std::size_t whole(std::size_t, std::uint8_t) { return SIZE_MAX; }
std::size_t single(std::size_t, std::uint8_t) { return 1; }
std::size_t varied(std::size_t round, std::uint8_t seed) { return 1 + ((round * 7 + seed) % (seed % 61 + 1)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint8_t seed = data[0];
  // A small header limit sometimes, so 414/431 are reached by short inputs too.
  const std::uint32_t max = (data[1] & 1) != 0 ? 64 + data[1] : 8192;
  const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  const std::string a = run(input, max, whole, seed);
  if (run(input, max, single, seed) != a) {
    fail("byte-by-byte feeding differs from whole-input feeding");
  }
  if (run(input, max, varied, seed) != a) {
    fail("feeding in varied pieces differs from whole-input feeding");
  }
  return 0;
}
