#pragma once
// The engine's side of packet::buffer_pool and packet::frame_sink: buffers are rte_mbufs of the
// worker's socket pool, and segments lib/tcp builds are staged here and sent with the turn's
// tx_burst. Per worker lcore; never shared.
#include <array>
#include <cstdint>

#include "packet/buffer.hh"
#include "stats/counters.hh"

struct rte_mbuf;
struct rte_mempool;

namespace rampart::engine {

class mbuf_pool final : public packet::buffer_pool {
 public:
  mbuf_pool() noexcept = default;  // over no pool until one is assigned
  explicit mbuf_pool(rte_mempool* pool) noexcept : _pool(pool) {}
  std::optional<packet::buffer> allocate() noexcept override;
  void retain(void* handle) noexcept override;
  void release(void* handle) noexcept override;

 private:
  rte_mempool* _pool = nullptr;
};

class tx_staging final : public packet::frame_sink {
 public:
  // Room for several bursts of output: when tx_burst takes fewer, the rest waits here for the
  // next turn instead of being dropped, and lib/tcp stops building segments once it is full.
  static constexpr std::uint16_t capacity = 1024;

  bool push(const packet::buffer& frame, const packet::tx_offload_request& offload) noexcept override;
  // Sends what is staged (oldest first); what the ring refuses stays for the next call. Returns
  // how many frames the ring took.
  std::uint16_t flush(std::uint16_t port_id, std::uint16_t queue_id, stats::lcore_stats& stats) noexcept;
  // Frees whatever is still staged (shutdown). Returns how many.
  std::uint16_t discard() noexcept;
  std::uint16_t size() const noexcept { return _count; }
  // The staged frames, oldest first (the capture copies them before they are offered).
  rte_mbuf* const* frames() const noexcept { return _mbufs.data(); }

 private:
  std::array<rte_mbuf*, capacity> _mbufs{};
  std::uint16_t _count = 0;
};

}  // namespace rampart::engine
