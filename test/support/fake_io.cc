#include "fake_io.hh"

#include <utility>

namespace rampart::test {

heap_buffer_pool::~heap_buffer_pool() = default;

std::optional<packet::buffer> heap_buffer_pool::allocate() noexcept {
  if (_blocks.size() >= _limit) {
    return std::nullopt;
  }
  block b;
  b.bytes = std::make_unique<std::byte[]>(_data_room);
  std::byte* data = b.bytes.get();
  _blocks.emplace(data, std::move(b));
  return packet::buffer{data, data, 0, _data_room};
}

void heap_buffer_pool::retain(void* handle) noexcept {
  const auto it = _blocks.find(handle);
  if (it == _blocks.end()) {
    ++_bad_releases;
    return;
  }
  ++it->second.references;
}

void heap_buffer_pool::release(void* handle) noexcept {
  const auto it = _blocks.find(handle);
  if (it == _blocks.end()) {
    ++_bad_releases;
    return;
  }
  if (--it->second.references == 0) {
    _blocks.erase(it);
  }
}

bool capture_sink::push(const packet::buffer& frame, const packet::tx_offload_request&) noexcept {
  if (_refusing) {
    return false;
  }
  _frames.emplace_back(frame.data, frame.data + frame.length);
  _pool.release(frame.handle);
  return true;
}

}  // namespace rampart::test
