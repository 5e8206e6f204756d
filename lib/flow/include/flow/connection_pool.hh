#pragma once
// Fixed-capacity pool of connection control blocks, one per lcore, owned and used by that lcore
// only. The flow table maps a flow_key to a connection_handle, an index into this pool; the tcp
// module instantiates connection_pool<its control block>.
//
// All memory is allocated by the constructor. acquire/release are O(1): a LIFO stack of free
// indices, so the slot released last (still warm in cache) is reused first. Objects are built in
// place on acquire and destroyed on release, so a recycled control block starts from a clean state.
// Each slot counts its releases (its generation): a handle kept with the generation it had names
// that one object only, and is refused once the slot serves another (apps keep such names across
// callbacks: tcp::stream_id).
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "flow/flow_table.hh"

namespace rampart::flow {

template <class T>
class connection_pool {
  static_assert(std::is_nothrow_destructible_v<T>, "release runs on the worker: no exceptions");

 public:
  // Throws std::invalid_argument for capacity 0 or >= 2^32 - 1, std::bad_alloc; start-up only.
  explicit connection_pool(std::uint32_t capacity)
      : _capacity(checked(capacity)),
        _storage(std::make_unique<storage[]>(capacity)),
        _free(std::make_unique<std::uint32_t[]>(capacity)),
        _live(std::make_unique<bool[]>(capacity)),
        _generation(std::make_unique<std::uint32_t[]>(capacity)),
        _free_top(capacity) {
    for (std::uint32_t i = 0; i < capacity; ++i) {
      _free[i] = capacity - 1 - i;  // handle 0 on top: the first acquire returns 0
    }
  }
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;
  ~connection_pool() {
    for (std::uint32_t i = 0; i < _capacity; ++i) {
      if (_live[i]) {
        object(i)->~T();
      }
    }
  }

  // Constructs a T from args in a free slot. Returns nullopt when every slot is in use (the
  // caller counts it and refuses the connection). T's constructor must not throw or allocate.
  template <class... Args>
  std::optional<connection_handle> acquire(Args&&... args) noexcept {
    static_assert(std::is_nothrow_constructible_v<T, Args...>, "acquire runs on the worker: no exceptions");
    if (_free_top == 0) {
      return std::nullopt;
    }
    const connection_handle h = _free[--_free_top];
    ::new (static_cast<void*>(&_storage[h])) T(std::forward<Args>(args)...);
    _live[h] = true;
    _in_use.store(_capacity - _free_top, std::memory_order_relaxed);
    return h;
  }

  // Destroys the object and frees its slot. h must be live (checked in debug builds).
  void release(connection_handle h) noexcept {
    assert(h < _capacity && _live[h] && "release of a handle that is not live");
    object(h)->~T();
    _live[h] = false;
    ++_generation[h];
    _free[_free_top++] = h;
    _in_use.store(_capacity - _free_top, std::memory_order_relaxed);
  }

  // h must be live (checked in debug builds).
  T& operator[](connection_handle h) noexcept {
    assert(h < _capacity && _live[h]);
    return *object(h);
  }
  const T& operator[](connection_handle h) const noexcept {
    assert(h < _capacity && _live[h]);
    return *object(h);
  }

  // Owner only.
  bool is_live(connection_handle h) const noexcept { return h < _capacity && _live[h]; }
  // How many times slot h was released (wraps after 2^32).
  std::uint32_t generation(connection_handle h) const noexcept {
    assert(h < _capacity);
    return _generation[h];
  }
  // h is live and has not been released since it had `generation`.
  bool is_live(connection_handle h, std::uint32_t generation) const noexcept {
    return is_live(h) && _generation[h] == generation;
  }
  // The handle of a live object of this pool (an intrusive timer node leads back to its
  // control block, and from there to the handle).
  connection_handle handle_of(const T& object) const noexcept {
    const auto* slot = reinterpret_cast<const storage*>(&object);
    assert(slot >= _storage.get() && slot < _storage.get() + _capacity);
    return static_cast<connection_handle>(slot - _storage.get());
  }
  // Any thread (a recent value on others).
  std::uint32_t in_use() const noexcept { return _in_use.load(std::memory_order_relaxed); }
  std::uint32_t capacity() const noexcept { return _capacity; }

 private:
  struct storage {
    alignas(T) std::byte bytes[sizeof(T)];
  };

  static std::uint32_t checked(std::uint32_t capacity) {
    if (capacity == 0 || capacity == UINT32_MAX) {
      throw std::invalid_argument("connection_pool: capacity must be in [1, 2^32 - 2]");
    }
    return capacity;
  }
  T* object(connection_handle h) noexcept { return std::launder(reinterpret_cast<T*>(&_storage[h])); }
  const T* object(connection_handle h) const noexcept {
    return std::launder(reinterpret_cast<const T*>(&_storage[h]));
  }

  std::uint32_t _capacity;
  std::unique_ptr<storage[]> _storage;
  std::unique_ptr<std::uint32_t[]> _free;  // stack of free handles, [0, _free_top)
  std::unique_ptr<bool[]> _live;
  std::unique_ptr<std::uint32_t[]> _generation;
  std::uint32_t _free_top;
  std::atomic<std::uint32_t> _in_use{0};
};

}  // namespace rampart::flow
