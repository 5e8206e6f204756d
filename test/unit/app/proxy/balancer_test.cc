// The balancers through backend_pool: smooth weighted round robin (exact shares, nginx's order),
// weighted least connections with rotation among equals, Maglev source hashing (shares, a client
// keeps its backend, few clients move when the set changes), and what all of them share: down,
// draining and full backends skipped, "no backend" when none can take a connection, no
// allocation per pick, and a SIGHUP's pool taking over the running one's state.
#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "../../flow/allocation_counter.hh"
#include "app/proxy/backend_pool.hh"
#include "app/proxy/backend_slots.hh"

using namespace rampart::app::proxy;
using rampart::net::ipv4_address;

namespace {

std::vector<backend_entry> backends_with_weights(const std::vector<std::uint32_t>& weights) {
  std::vector<backend_entry> list;
  for (const std::uint32_t w : weights) {
    list.push_back({{ipv4_address{0x0a000001U + static_cast<std::uint32_t>(list.size())}, 80}, w});
  }
  return list;
}

std::vector<backend_entry> backends(std::size_t n) { return backends_with_weights(std::vector<std::uint32_t>(n, 1)); }

constexpr ipv4_address any_client{0xc0a80001};

// Picks `n` times, releasing each connection at once; how often each backend was picked.
std::vector<int> pick_counts(backend_pool& pool, int n) {
  std::vector<int> counts(pool.size(), 0);
  for (int i = 0; i < n; ++i) {
    const auto b = pool.acquire(any_client);
    REQUIRE(b);
    ++counts[*b];
    pool.release(*b);
  }
  return counts;
}

// A client address per i, spread like real ones (consecutive, in /16s of many networks).
ipv4_address client(std::uint32_t i) { return ipv4_address{0x0b000000U + i * 2654435761U % 0xf0000000U}; }

}  // namespace

TEST_CASE("round_robin: nginx's smooth order for weights 5, 1, 1", "[unit][app][proxy]") {
  const smooth_round_robin rr(backends_with_weights({5, 1, 1}));
  const std::vector<std::uint16_t> turn(rr.turn().begin(), rr.turn().end());
  CHECK(turn == std::vector<std::uint16_t>{0, 0, 1, 0, 2, 0, 0});  // a a b a c a a
  // A common factor of the weights does not lengthen the turn.
  CHECK(smooth_round_robin(backends_with_weights({4, 2, 2})).turn().size() == 4);
}

TEST_CASE("round_robin: each backend gets exactly its weight's share", "[unit][app][proxy]") {
  backend_pool pool(backends_with_weights({3, 2, 1, 4, 256}), balance_method::round_robin, 0);
  const int turns = 10;
  CHECK(pick_counts(pool, turns * 266) == std::vector<int>{30, 20, 10, 40, 2560});
  // No backend twice in a row while another could come between (weights 1, 1, 1: a b c a b c).
  backend_pool equal(backends(3), balance_method::round_robin, 0);
  std::vector<std::uint16_t> order;
  for (int i = 0; i < 6; ++i) {
    order.push_back(*equal.acquire(any_client));
  }
  CHECK(order == std::vector<std::uint16_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("round_robin: down and draining backends are skipped, the others keep their shares", "[unit][app][proxy]") {
  backend_pool pool(backends_with_weights({3, 2, 1, 4}), balance_method::round_robin, 0);
  pool.set_up(1, false);
  pool.set_draining(3, true);
  CHECK(pool.available_count() == 2);
  CHECK(pick_counts(pool, 40) == std::vector<int>{30, 0, 10, 0});
  pool.set_up(1, true);
  pool.set_draining(3, false);
  CHECK(pool.available_count() == 4);
  CHECK(pick_counts(pool, 100) == std::vector<int>{30, 20, 10, 40});
}

TEST_CASE("every method: full backends are skipped, none available means no backend", "[unit][app][proxy]") {
  for (const balance_method method :
       {balance_method::round_robin, balance_method::least_connections, balance_method::source_hash}) {
    INFO("method " << static_cast<int>(method));
    backend_pool pool(backends(2), method, 1);  // max_connections 1
    const auto first = pool.acquire(any_client);
    const auto second = pool.acquire(any_client);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
    CHECK(pool.available_count() == 0);
    CHECK_FALSE(pool.acquire(any_client));
    pool.release(*second);
    CHECK(pool.acquire(any_client) == second);  // the only one with room
    CHECK(pool.state(*second).active == 1);

    backend_pool down(backends(3), method, 0);
    for (std::uint16_t b = 0; b < 3; ++b) {
      down.set_up(b, false);
    }
    CHECK_FALSE(down.acquire(any_client));
    down.set_up(2, true);
    CHECK(down.acquire(any_client) == std::optional<std::uint16_t>(2));
    CHECK(down.state(2).active == 1);
  }
}

TEST_CASE("least_connections: the least loaded backend, equals in turn", "[unit][app][proxy]") {
  backend_pool pool(backends(3), balance_method::least_connections, 0);
  // All idle: rotation, also when each connection ends at once.
  std::vector<std::uint16_t> order;
  for (int i = 0; i < 6; ++i) {
    order.push_back(*pool.acquire(any_client));
    pool.release(order.back());
  }
  CHECK(order == std::vector<std::uint16_t>{0, 1, 2, 0, 1, 2});
  // One connection each; the one whose connection ends gets the next.
  for (int i = 0; i < 3; ++i) {
    pool.acquire(any_client);
  }
  pool.release(1);
  CHECK(pool.acquire(any_client) == std::optional<std::uint16_t>(1));
  pool.release(2);
  pool.release(0);
  CHECK(pool.acquire(any_client) == std::optional<std::uint16_t>(0));  // 0 and 2 idle: 0 picked longer ago
  CHECK(pool.acquire(any_client) == std::optional<std::uint16_t>(2));
}

TEST_CASE("least_connections: weights scale the load", "[unit][app][proxy]") {
  backend_pool pool(backends_with_weights({3, 1}), balance_method::least_connections, 0);
  for (int i = 0; i < 8; ++i) {
    pool.acquire(any_client);
  }
  CHECK(pool.state(0).active == 6);
  CHECK(pool.state(1).active == 2);
  // A backend that goes down gets nothing; when it is back it is the least loaded.
  backend_pool lc(backends(4), balance_method::least_connections, 0);
  lc.set_up(2, false);
  for (int i = 0; i < 9; ++i) {
    CHECK(lc.acquire(any_client) != std::optional<std::uint16_t>(2));
  }
  lc.set_up(2, true);
  CHECK(lc.acquire(any_client) == std::optional<std::uint16_t>(2));
}

TEST_CASE("source_hash: shares follow the weights", "[unit][app][proxy]") {
  const maglev_table table(backends_with_weights({1, 1, 2, 4}));
  std::vector<double> share(4, 0);
  for (const std::uint16_t b : table.entries()) {
    share[b] += 1.0 / maglev_table::slots;
  }
  // Maglev §5.3 measured shares within ~1% of the ideal at this table size; with weights the
  // rounds are uneven (a weight-4 backend fills 4 slots in a row), so allow 2% of each share.
  CHECK(share[0] == Approx(0.125).epsilon(0.02));
  CHECK(share[1] == Approx(0.125).epsilon(0.02));
  CHECK(share[2] == Approx(0.25).epsilon(0.02));
  CHECK(share[3] == Approx(0.5).epsilon(0.02));
}

TEST_CASE("source_hash: a client keeps its backend, on every lcore", "[unit][app][proxy]") {
  backend_pool one(backends(16), balance_method::source_hash, 0);
  backend_pool other(backends(16), balance_method::source_hash, 0);  // another lcore's
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const auto b = one.acquire(client(i));
    REQUIRE(b);
    CHECK(one.acquire(client(i)) == b);
    CHECK(other.acquire(client(i)) == b);
  }
}

TEST_CASE("source_hash: a backend down moves only its own clients, and they come back", "[unit][app][proxy]") {
  constexpr std::uint32_t clients = 100000;
  constexpr std::size_t n = 10;
  backend_pool pool(backends(n), balance_method::source_hash, 0);
  std::vector<std::uint16_t> before(clients);
  for (std::uint32_t i = 0; i < clients; ++i) {
    before[i] = *pool.acquire(client(i));
    pool.release(before[i]);
  }
  constexpr std::uint16_t gone = 3;
  pool.set_up(gone, false);
  std::uint32_t moved = 0;
  for (std::uint32_t i = 0; i < clients; ++i) {
    const std::uint16_t now = *pool.acquire(client(i));
    pool.release(now);
    if (before[i] == gone) {
      CHECK(now != gone);
      ++moved;
    } else if (now != before[i]) {
      FAIL_CHECK("client " << i << " of backend " << before[i] << " moved to " << now);
    }
  }
  // Exactly the departed backend's clients moved: its share, 1/N within the table's ~1%
  // imbalance and the sampling noise of 100,000 clients (σ ≈ 0.1%).
  CHECK(static_cast<double>(moved) / clients == Approx(1.0 / n).epsilon(0.05));
  pool.set_up(gone, true);
  for (std::uint32_t i = 0; i < clients; i += 97) {
    const std::uint16_t now = *pool.acquire(client(i));
    pool.release(now);
    CHECK(now == before[i]);
  }
}

TEST_CASE("source_hash: a backend removed from the list moves about 1/N of clients", "[unit][app][proxy]") {
  constexpr std::uint32_t clients = 100000;
  for (const std::size_t n : {5U, 10U, 50U}) {
    INFO(n << " backends");
    std::vector<backend_entry> list = backends(n);
    const maglev_table full(list);
    const std::size_t removed = n / 2;
    std::vector<backend_entry> fewer = list;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(removed));
    const maglev_table reduced(fewer);
    const std::vector<std::uint8_t> all(n, 1);
    std::uint32_t moved = 0;
    std::uint32_t moved_from_others = 0;
    for (std::uint32_t i = 0; i < clients; ++i) {
      const std::uint16_t was = *full.pick(client(i), all, 0);
      std::uint16_t now = *reduced.pick(client(i), all, 0);
      now = now >= removed ? static_cast<std::uint16_t>(now + 1) : now;  // index in the full list
      if (now != was) {
        ++moved;
        moved_from_others += was != removed ? 1 : 0;
      }
    }
    // The removed backend's clients all move: its share, 1/N within the table's ~1% imbalance.
    // Maglev is not perfectly minimal: refilling the table lets a few slots of the backends that
    // stay change hands too (the paper's Figure 13; here 0.3-0.4% of clients for N = 5, 10, 50).
    // Bound: those at 1% of all clients, the total at 1/N + 1%.
    CHECK(static_cast<double>(moved) / clients <= 1.0 / static_cast<double>(n) + 0.01);
    CHECK(static_cast<double>(moved_from_others) / clients <= 0.01);
  }
}

TEST_CASE("source_hash: a retry goes to the client's next backend", "[unit][app][proxy]") {
  backend_pool pool(backends(4), balance_method::source_hash, 0);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    std::vector<std::uint16_t> tried;
    for (std::uint32_t attempt = 0; attempt < 4; ++attempt) {
      const auto b = pool.acquire(client(i), attempt);
      REQUIRE(b);
      CHECK(std::find(tried.begin(), tried.end(), *b) == tried.end());
      tried.push_back(*b);
      pool.release(*b);
    }
    CHECK_FALSE(pool.acquire(client(i), 4));  // four backends: no fifth choice
  }
}

TEST_CASE("no method allocates per pick", "[unit][app][proxy]") {
  for (const balance_method method :
       {balance_method::round_robin, balance_method::least_connections, balance_method::source_hash}) {
    INFO("method " << static_cast<int>(method));
    backend_pool pool(backends(256), method, 100);
    pool.set_up(7, false);
    const std::uint64_t before = rampart::flow::test::allocations();
    for (std::uint32_t i = 0; i < 100000; ++i) {
      const auto b = pool.acquire(client(i), i % 3);
      if (b && i % 2 == 0) {
        pool.release(*b);
      }
    }
    CHECK(rampart::flow::test::allocations() == before);
  }
}

TEST_CASE("reload pool: kept backends keep connections, health and drain; removed ones take no client",
          "[unit][app][proxy]") {
  const auto start = initial_slots(parse_backend_list("10.0.0.5:80, 10.0.0.6:80, 10.0.0.7:80"));
  backend_pool running(start, balance_method::least_connections, 0);
  const auto first = running.acquire(any_client);
  const auto second = running.acquire(any_client);
  REQUIRE((first && second && *first == 0 && *second == 1));
  running.set_draining(2, true);

  // 10.0.0.6 removed, 10.0.0.8 added.
  const auto slots = merge_slots(start, parse_backend_list("10.0.0.5:80, 10.0.0.7:80, 10.0.0.8:80"));
  backend_pool next(slots, balance_method::least_connections, 0);
  next.take_state_from(running);
  CHECK(next.state(0).active == 1);
  CHECK(next.state(1).active == 1);  // its pair finishes on it
  CHECK(next.state(1).removed);
  CHECK(next.state(2).draining);
  CHECK(next.available_count() == 2);  // 10.0.0.5 and the new 10.0.0.8
  const auto picked = next.acquire(any_client);
  CHECK((picked && *picked == 3));  // the least loaded available one
  next.release(1);
  CHECK(next.state(1).active == 0);
  CHECK(next.available_count() == 2);  // the removed one stays out, with no connection too
}

TEST_CASE("reload pool: new weights move the traffic", "[unit][app][proxy]") {
  const auto start = initial_slots(parse_backend_list("10.0.0.5:80, 10.0.0.6:80"));
  const auto weighted = merge_slots(start, parse_backend_list("10.0.0.5:80*3, 10.0.0.6:80"));
  backend_pool running(start, balance_method::round_robin, 0);
  CHECK(pick_counts(running, 400) == std::vector{200, 200});
  backend_pool next(weighted, balance_method::round_robin, 0);
  next.take_state_from(running);
  CHECK(pick_counts(next, 400) == std::vector{300, 100});

  // least_connections: the connections carried over count against the new weights.
  backend_pool busy(start, balance_method::least_connections, 0);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(busy.acquire(any_client));  // two each
  }
  backend_pool reweighted(weighted, balance_method::least_connections, 0);
  reweighted.take_state_from(busy);
  std::vector<int> counts(2, 0);
  for (int i = 0; i < 8; ++i) {
    ++counts[*reweighted.acquire(any_client)];
  }
  CHECK(counts == std::vector{7, 1});  // 9 and 3 open: loads 9/3 and 3/1
}

TEST_CASE("reload pool: taking over the running state and swapping in allocate nothing",
          "[unit][app][proxy]") {
  const auto start = initial_slots(parse_backend_list("10.0.0.5:80, 10.0.0.6:80"));
  const auto slots = merge_slots(start, parse_backend_list("10.0.0.6:80*2, 10.0.0.7:80"));
  for (const balance_method method :
       {balance_method::round_robin, balance_method::least_connections, balance_method::source_hash}) {
    backend_pool running(start, method, 0);
    backend_pool next(slots, method, 0);
    const std::uint64_t before = rampart::flow::test::allocations();
    next.take_state_from(running);
    std::swap(running, next);  // as the worker does; `next` now holds the old pool
    CHECK(rampart::flow::test::allocations() == before);
    CHECK(running.size() == 3);
  }
}
