#include "flow/connection_pool.hh"

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>

using rampart::flow::connection_handle;
using rampart::flow::connection_pool;

namespace {

int live_objects = 0;

struct alignas(64) control_block {
  explicit control_block(std::uint32_t id_) noexcept : id(id_) { ++live_objects; }
  control_block(const control_block&) = delete;
  ~control_block() { --live_objects; }
  std::uint32_t id;
  std::uint64_t state[7]{};
};

}  // namespace

TEST_CASE("pool hands out every slot once, then refuses", "[unit][flow]") {
  live_objects = 0;
  {
    connection_pool<control_block> pool(100);
    std::set<connection_handle> handles;
    for (std::uint32_t i = 0; i < 100; ++i) {
      const auto h = pool.acquire(i);
      REQUIRE(h.has_value());
      REQUIRE(*h < 100);
      handles.insert(*h);
      CHECK(pool[*h].id == i);
      CHECK(reinterpret_cast<std::uintptr_t>(&pool[*h]) % 64 == 0);
    }
    CHECK(handles.size() == 100);
    CHECK(pool.in_use() == 100);
    CHECK(live_objects == 100);
    CHECK_FALSE(pool.acquire(1000U).has_value());
    CHECK(live_objects == 100);

    // Release destroys; the slot released last comes back first, freshly constructed.
    pool[42].state[0] = 0xdead;
    pool.release(42);
    CHECK(live_objects == 99);
    CHECK_FALSE(pool.is_live(42));
    CHECK(pool.in_use() == 99);
    const auto again = pool.acquire(7U);
    REQUIRE(again == std::optional<connection_handle>{42});
    CHECK(pool[42].id == 7);
    CHECK(pool[42].state[0] == 0);
    CHECK(pool.is_live(42));
  }
  // The pool's destructor destroys what is still live.
  CHECK(live_objects == 0);
}

TEST_CASE("pool releases and reacquires in any order", "[unit][flow]") {
  connection_pool<std::uint64_t> pool(3);
  const auto a = pool.acquire(std::uint64_t{1});
  const auto b = pool.acquire(std::uint64_t{2});
  const auto c = pool.acquire(std::uint64_t{3});
  REQUIRE((a && b && c));
  CHECK(*a == 0);  // first handle is 0
  pool.release(*b);
  pool.release(*a);
  CHECK(pool.in_use() == 1);
  CHECK(pool.acquire(std::uint64_t{4}) == a);
  CHECK(pool.acquire(std::uint64_t{5}) == b);
  CHECK_FALSE(pool.acquire(std::uint64_t{6}).has_value());
  CHECK(pool[*c] == 3);
  CHECK(pool[*a] == 4);
  CHECK(pool[*b] == 5);
  CHECK_THROWS_AS(connection_pool<int>(0), std::invalid_argument);
}

TEST_CASE("connection_pool: a slot's generation names one object; a stale one is refused", "[unit][flow]") {
  connection_pool<int> pool(2);
  const auto h = pool.acquire(1);
  REQUIRE(h);
  const std::uint32_t first = pool.generation(*h);
  CHECK(pool.is_live(*h, first));
  pool.release(*h);
  CHECK_FALSE(pool.is_live(*h, first));
  const auto again = pool.acquire(2);
  REQUIRE(again == h);  // LIFO: the same slot serves the next object
  CHECK_FALSE(pool.is_live(*h, first));
  CHECK(pool.is_live(*h, first + 1));
}
