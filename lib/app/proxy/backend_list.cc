#include "backend_list.hh"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "app/registry.hh"

namespace rampart::app::proxy {

namespace {

std::string_view trimmed(std::string_view text) noexcept {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A decimal number in [min, max] that is the whole of `text`.
std::optional<std::uint32_t> decimal(std::string_view text, std::uint32_t min, std::uint32_t max) {
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

class entry_parser {
 public:
  entry_parser(std::size_t number, std::string_view text) : _number(number), _text(text) {}

  backend_entry parse() const {
    if (_text.empty()) {
      fail("is empty; write ADDRESS:PORT, e.g. 10.0.0.5:80, or delete the extra comma");
    }
    std::string_view rest = _text;
    backend_entry entry;
    if (const auto star = rest.find('*'); star != std::string_view::npos) {
      const auto weight = decimal(rest.substr(star + 1), 1, max_weight);
      if (!weight) {
        fail("weight \"" + std::string(rest.substr(star + 1)) +
             "\" is not a number in 1..256; write ADDRESS:PORT*WEIGHT, e.g. 10.0.0.5:80*3");
      }
      entry.weight = *weight;
      rest = rest.substr(0, star);
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      fail("has no port; write ADDRESS:PORT, e.g. 10.0.0.5:80");
    }
    const auto address = net::ipv4_address::parse(rest.substr(0, colon));
    if (!address) {
      fail("\"" + std::string(rest.substr(0, colon)) +
           "\" is not an IPv4 address; write four numbers 0..255, e.g. 10.0.0.5");
    }
    const std::string_view port_text = rest.substr(colon + 1);
    if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string_view::npos) {
      fail("port \"" + std::string(port_text) + "\" is not a number; write a port in 1..65535");
    }
    const auto port = decimal(port_text, 1, 65535);
    if (!port) {
      fail("port " + std::string(port_text) + " is out of range; write a port in 1..65535");
    }
    entry.endpoint = {*address, static_cast<std::uint16_t>(*port)};
    return entry;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw app_error("entry " + std::to_string(_number) + " \"" + std::string(_text) + "\": " + what);
  }

 private:
  std::size_t _number;  // from 1, as a reader counts
  std::string_view _text;
};

}  // namespace

std::string backend_name(const backend_address& backend) {
  return backend.address.to_string() + ":" + std::to_string(backend.port);
}

std::vector<backend_entry> parse_backend_list(std::string_view text) {
  if (trimmed(text).empty()) {
    throw app_error("the list is empty; write at least one ADDRESS:PORT, e.g. \"10.0.0.5:80\"");
  }
  std::vector<backend_entry> entries;
  std::size_t number = 1;
  for (std::size_t start = 0;; ++number) {
    const auto comma = text.find(',', start);
    const entry_parser parser(number, trimmed(text.substr(start, comma - start)));
    const backend_entry entry = parser.parse();
    const auto same = [&](const backend_entry& e) { return e.endpoint == entry.endpoint; };
    if (const auto it = std::find_if(entries.begin(), entries.end(), same); it != entries.end()) {
      parser.fail("the same backend as entry " + std::to_string(it - entries.begin() + 1) +
                  "; give each address:port once and raise its weight (*N) instead");
    }
    if (entries.size() == max_backends) {
      parser.fail("one backend too many; at most 256 are allowed");
    }
    entries.push_back(entry);
    if (comma == std::string_view::npos) {
      return entries;
    }
    start = comma + 1;
  }
}

}  // namespace rampart::app::proxy
