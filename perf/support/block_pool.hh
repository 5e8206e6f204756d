#pragma once
// packet::buffer_pool and packet::frame_sink for benchmarks: fixed 2048-byte blocks recycled
// through a free list (what an mbuf mempool's per-lcore cache does), with real reference counts,
// and a sink that keeps the pushed frames until the benchmark's client has read them. No heap
// after construction, so the benchmarks time rampart and not malloc (test/support/fake_io.hh
// keys its blocks in an unordered_map, which is right for leak checks and too slow here).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <vector>

#include "packet/buffer.hh"

namespace rampart::perf {

class block_pool final : public packet::buffer_pool {
 public:
  static constexpr std::uint16_t block_bytes = 2048;  // an mbuf's default data room

  explicit block_pool(std::uint32_t blocks)
      : _bytes(static_cast<std::byte*>(::operator new(std::size_t{blocks} * block_bytes, std::align_val_t{64}))),
        _references(blocks, 0) {
    _free.reserve(blocks);
    for (std::uint32_t i = blocks; i > 0; --i) {
      _free.push_back(i - 1);
    }
  }
  ~block_pool() override { ::operator delete(_bytes, std::align_val_t{64}); }
  block_pool(const block_pool&) = delete;
  block_pool& operator=(const block_pool&) = delete;

  std::optional<packet::buffer> allocate() noexcept override {
    if (_free.empty()) {
      return std::nullopt;
    }
    const std::uint32_t i = _free.back();
    _free.pop_back();
    _references[i] = 1;
    std::byte* data = _bytes + std::size_t{i} * block_bytes;
    return packet::buffer{data, data, 0, block_bytes};
  }
  void retain(void* handle) noexcept override { ++_references[index_of(handle)]; }
  void release(void* handle) noexcept override {
    const std::uint32_t i = index_of(handle);
    if (_references[i] == 0) {
      ++_bad_releases;
      return;
    }
    if (--_references[i] == 0) {
      _free.push_back(i);
    }
  }

  std::size_t in_use() const noexcept { return _references.size() - _free.size(); }
  // Releases of a block that was not live (double free): a benchmark reports an error if not 0.
  std::size_t bad_releases() const noexcept { return _bad_releases; }

 private:
  std::uint32_t index_of(void* handle) const noexcept {
    return static_cast<std::uint32_t>((static_cast<std::byte*>(handle) - _bytes) / block_bytes);
  }

  std::byte* _bytes;
  std::vector<std::uint32_t> _references;
  std::vector<std::uint32_t> _free;  // LIFO: the most recently freed block is the warmest
  std::size_t _bad_releases = 0;
};

// Holds up to `capacity` pushed frames (the engine's TX staging area); the reader takes them
// with frames(), then clear() releases their buffers, as the NIC does once they are sent.
class holding_sink final : public packet::frame_sink {
 public:
  holding_sink(packet::buffer_pool& pool, std::size_t capacity) : _pool(pool), _capacity(capacity) {
    _frames.reserve(capacity);
  }
  bool push(const packet::buffer& frame, const packet::tx_offload_request&) noexcept override {
    if (_frames.size() == _capacity) {
      return false;
    }
    _frames.push_back(frame);
    return true;
  }
  std::span<const packet::buffer> frames() const noexcept { return _frames; }
  void clear() noexcept {
    for (const packet::buffer& f : _frames) {
      _pool.release(f.handle);
    }
    _frames.clear();
  }

 private:
  packet::buffer_pool& _pool;
  std::size_t _capacity;
  std::vector<packet::buffer> _frames;
};

}  // namespace rampart::perf
