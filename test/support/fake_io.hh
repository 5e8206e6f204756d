#pragma once
// packet::buffer_pool and packet::frame_sink over the heap, for unit tests and fuzzers: real
// reference counting (a leaked or doubly released buffer fails the test), a cap on buffers to
// exercise pool exhaustion, and a sink that keeps copies of every frame it was given.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "packet/buffer.hh"

namespace rampart::test {

class heap_buffer_pool final : public packet::buffer_pool {
 public:
  explicit heap_buffer_pool(std::size_t limit = 1 << 20, std::uint16_t data_room = 2048)
      : _limit(limit), _data_room(data_room) {}
  ~heap_buffer_pool() override;

  std::optional<packet::buffer> allocate() noexcept override;
  void retain(void* handle) noexcept override;
  void release(void* handle) noexcept override;

  std::size_t in_use() const noexcept { return _blocks.size(); }
  void set_limit(std::size_t limit) noexcept { _limit = limit; }
  // Releases seen for a buffer that was not live (double free): must stay 0.
  std::size_t bad_releases() const noexcept { return _bad_releases; }

 private:
  struct block {
    int references = 1;
    std::unique_ptr<std::byte[]> bytes;
  };
  std::unordered_map<void*, block> _blocks;
  std::size_t _limit;
  std::uint16_t _data_room;
  std::size_t _bad_releases = 0;
};

class capture_sink final : public packet::frame_sink {
 public:
  explicit capture_sink(packet::buffer_pool& pool) : _pool(pool) {}
  // Copies the frame and releases its buffer (the NIC's part); false while refusing.
  bool push(const packet::buffer& frame, const packet::tx_offload_request& offload) noexcept override;

  // The frames pushed since the last take().
  std::vector<std::vector<std::byte>> take() { return std::exchange(_frames, {}); }
  void refuse(bool refusing) noexcept { _refusing = refusing; }

 private:
  packet::buffer_pool& _pool;
  std::vector<std::vector<std::byte>> _frames;
  bool _refusing = false;
};

}  // namespace rampart::test
