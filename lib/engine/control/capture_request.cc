#include <charconv>
#include <filesystem>

#include "engine/capture.hh"

namespace rampart::engine {

namespace {

std::uint16_t load16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t load32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

bool capture_filter::matches(const std::uint8_t* frame, std::uint32_t length) const noexcept {
  if (!address && !port) {
    return true;
  }
  if (length < 14 + 20 || load16(frame + 12) != 0x0800) {
    return false;
  }
  const std::uint8_t* ip = frame + 14;
  if (address && load32(ip + 12) != address->value && load32(ip + 16) != address->value) {
    return false;
  }
  if (!port) {
    return true;
  }
  const std::uint32_t ihl = (ip[0] & 0x0f) * 4U;
  const bool first_fragment = (load16(ip + 6) & 0x1fff) == 0;
  if ((ip[9] != 6 && ip[9] != 17) || !first_fragment || length < 14 + ihl + 4) {
    return false;
  }
  return load16(ip + ihl) == *port || load16(ip + ihl + 2) == *port;
}

std::optional<std::string> capture_file_path(std::string_view requested, const std::string& directory,
                                             std::string& error) {
  std::filesystem::path dir = std::filesystem::path(directory).lexically_normal();
  if (!dir.has_filename()) {
    dir = dir.parent_path();  // "/srv/captures/" names the same directory
  }
  const std::filesystem::path file = (dir / requested).lexically_normal();  // an absolute one replaces dir
  // Only a file directly in the directory: a subdirectory could be a symlink out of it. ".." is
  // gone after lexically_normal, so where it climbed to is what is compared.
  if (!file.has_filename() || file.parent_path() != dir) {
    // Short: a telemetry reply's strings hold 128 bytes (RTE_TEL_MAX_STRING_LEN).
    error = "\"" + std::string(requested) + "\" is not a file directly in stats.capture_directory";
    return std::nullopt;
  }
  return file.string();
}

std::optional<capture_request> parse_capture_request(std::string_view params, const std::string& directory,
                                                     std::string& error) {
  capture_request r;
  std::size_t field = 0;
  while (!params.empty()) {
    const std::size_t comma = params.find(',');
    const std::string_view part = params.substr(0, comma);
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    const auto number = [&](std::string_view text, std::uint32_t& out) {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
    };
    if (field == 0) {
      if (!number(part, r.frames) || r.frames == 0 || r.frames > capture_session::max_frames) {
        error = "the first parameter is the number of frames, 1.." + std::to_string(capture_session::max_frames);
        return std::nullopt;
      }
    } else if (field == 1) {
      std::optional<std::string> path = capture_file_path(part, directory, error);
      if (!path) {
        return std::nullopt;
      }
      r.path = std::move(*path);
    } else if (part.starts_with("host=")) {
      r.filter.address = net::ipv4_address::parse(part.substr(5));
      if (!r.filter.address) {
        error = "host= takes an IPv4 address";
        return std::nullopt;
      }
    } else if (part.starts_with("port=")) {
      std::uint32_t p = 0;
      if (!number(part.substr(5), p) || p == 0 || p > 65535) {
        error = "port= takes a port number 1..65535";
        return std::nullopt;
      }
      r.filter.port = static_cast<std::uint16_t>(p);
    } else {
      error = "unknown parameter \"" + std::string(part) + "\" (host=a.b.c.d or port=n)";
      return std::nullopt;
    }
    ++field;
  }
  if (field < 2) {
    error = "usage: /rampart/capture,<frames>,<file.pcapng>[,host=a.b.c.d][,port=n]";
    return std::nullopt;
  }
  return r;
}

}  // namespace rampart::engine
