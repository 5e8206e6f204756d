// state_pool: states come back recycled, and growing to n states allocates O(log n) times
// beyond the states themselves (it once reserved one more slot per new state: quadratic).
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "../../../lib/app/state_pool.hh"
#include "../flow/allocation_counter.hh"

using rampart::app::state_pool;
using rampart::flow::test::allocations;

namespace {

struct counted_state {
  int value = 0;
  void reset() noexcept { value = 0; }
};

}  // namespace

TEST_CASE("state_pool grows geometrically and recycles without allocating", "[unit][app][state_pool]") {
  state_pool<counted_state> pool([] { return std::make_unique<counted_state>(); });
  constexpr int n = 4096;
  std::vector<counted_state*> held;
  held.reserve(n);
  const std::uint64_t before = allocations();
  for (int i = 0; i < n; ++i) {
    counted_state* s = pool.acquire();
    REQUIRE(s != nullptr);
    s->value = i + 1;
    held.push_back(s);
  }
  // n states, plus two vectors doubling from 16: 2 * 9 reservations up to 4096.
  CHECK(allocations() - before <= n + 2 * 10);
  CHECK(pool.in_use() == n);

  const std::uint64_t after_growth = allocations();
  for (counted_state* s : held) {
    pool.release(s);
  }
  for (int i = 0; i < n; ++i) {
    counted_state* s = pool.acquire();
    REQUIRE(s != nullptr);
    CHECK(s->value == 0);  // reset() ran
  }
  CHECK(allocations() == after_growth);  // release and reuse never touch the heap
}
