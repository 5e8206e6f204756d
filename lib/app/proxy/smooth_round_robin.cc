#include "smooth_round_robin.hh"

#include <numeric>

namespace rampart::app::proxy {

smooth_round_robin::smooth_round_robin(std::span<const backend_entry> backends) {
  // Weights {2, 2} give the same order as {1, 1}: one turn is enough.
  std::uint32_t divisor = 0;
  std::uint32_t total = 0;
  for (const backend_entry& b : backends) {
    divisor = std::gcd(divisor, b.weight);
    total += b.weight;
  }
  if (total == 0) {
    return;
  }
  total /= divisor;
  // The smooth algorithm: each step every backend's current value grows by its weight, the
  // largest (the first of equals) is picked and gives back the total. After `total` steps every
  // current value is back to zero, so the order repeats with this period.
  std::vector<std::int64_t> current(backends.size(), 0);
  _turn.reserve(total);
  for (std::uint32_t step = 0; step < total; ++step) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < backends.size(); ++i) {
      current[i] += backends[i].weight / divisor;
      if (current[i] > current[best]) {
        best = i;
      }
    }
    current[best] -= total;
    _turn.push_back(static_cast<std::uint16_t>(best));
  }
}

std::optional<std::uint16_t> smooth_round_robin::pick(std::span<const std::uint8_t> available) noexcept {
  for (std::size_t passed = 0; passed < _turn.size(); ++passed) {
    const std::uint16_t backend = _turn[_next];
    _next = _next + 1 == _turn.size() ? 0 : _next + 1;
    if (available[backend] != 0) {
      return backend;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::app::proxy
