#pragma once
// Which local TCP ports are listened on, and by which listener (index into the config's listener
// list, which is also the engine's app index). The hot question "is port p listened?" is one bit
// test in a 65536-bit (8 KiB) bitmap that stays in L1/L2 under a SYN flood; the listener index is
// wanted only when a connection opens, so it comes from a one-byte-per-port array read then.
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>

#include "stats/counters.hh"

namespace rampart::tcp {

class listener_table {
 public:
  // More listeners than this is a configuration rampart does not serve from one engine.
  static constexpr std::size_t max_listeners = 255;
  static_assert(max_listeners == stats::max_listeners, "per-listener counters exist for every listener index");

  // Registers port → listener. Returns false (and changes nothing) when the port is already
  // listened on or when listener >= max_listeners.
  bool add(std::uint16_t port, std::uint8_t listener) noexcept {
    if (listener >= max_listeners || _listened.test(port)) {
      return false;
    }
    _listened.set(port);
    _listener_of[port] = listener;
    return true;
  }

  bool listens(std::uint16_t port) const noexcept { return _listened.test(port); }

  // The listener index of a listened port; nullopt when the port is not listened on.
  std::optional<std::uint8_t> listener_of(std::uint16_t port) const noexcept {
    if (!_listened.test(port)) {
      return std::nullopt;
    }
    return _listener_of[port];
  }

 private:
  std::bitset<65536> _listened;
  std::array<std::uint8_t, 65536> _listener_of{};
};

}  // namespace rampart::tcp
