// SIGHUP's backend changes, pure: the slots keep each backend's place by address and port
// (backend_slots.hh), and a reload's pool takes over the running pool's state by slot, so kept
// backends keep their connections, health and drain flag, a removed one takes no new client, and
// new weights move the traffic.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/proxy/backend_pool.hh"
#include "app/proxy/backend_slots.hh"
#include "app/registry.hh"

using namespace rampart::app::proxy;
using rampart::net::ipv4_address;

namespace {

constexpr ipv4_address any_client{0xc0a80001};

std::string text_of(const std::vector<backend_slot>& slots) {
  std::string text;
  for (const backend_slot& s : slots) {
    text += backend_name(s.entry.endpoint) + "*" + std::to_string(s.entry.weight) + (s.removed ? " removed" : "") + "; ";
  }
  return text;
}

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

}  // namespace

TEST_CASE("backend slots: kept by address, removed in place, new ones appended", "[unit][app][proxy]") {
  const auto start = initial_slots(parse_backend_list("10.0.0.5:80, 10.0.0.6:80, 10.0.0.7:80"));
  const auto next = merge_slots(start, parse_backend_list("10.0.0.7:80*4, 10.0.0.9:80, 10.0.0.5:80"));
  CHECK(text_of(next) == "10.0.0.5:80*1; 10.0.0.6:80*1 removed; 10.0.0.7:80*4; 10.0.0.9:80*1; ");
  // The same address on another port is another backend.
  CHECK(text_of(merge_slots(next, parse_backend_list("10.0.0.5:81"))) ==
        "10.0.0.5:80*1 removed; 10.0.0.6:80*1 removed; 10.0.0.7:80*4 removed; 10.0.0.9:80*1 removed; 10.0.0.5:81*1; ");
}

TEST_CASE("backend slots: a removed backend listed again comes back to its place", "[unit][app][proxy]") {
  const auto start = initial_slots(parse_backend_list("10.0.0.5:80, 10.0.0.6:80"));
  const auto without = merge_slots(start, parse_backend_list("10.0.0.5:80"));
  CHECK(text_of(without) == "10.0.0.5:80*1; 10.0.0.6:80*1 removed; ");
  CHECK(text_of(merge_slots(without, parse_backend_list("10.0.0.6:80*2, 10.0.0.5:80"))) ==
        "10.0.0.5:80*1; 10.0.0.6:80*2; ");
}

TEST_CASE("backend slots: more than max_backends places since start-up is refused", "[unit][app][proxy]") {
  std::string list;
  for (int i = 0; i < 256; ++i) {
    list += (list.empty() ? "" : ",") + std::string("10.0.") + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + ":80";
  }
  const auto full = initial_slots(parse_backend_list(list));
  CHECK(merge_slots(full, parse_backend_list("10.0.0.1:80")).size() == 256);  // removals keep places
  CHECK_THROWS_WITH(merge_slots(full, parse_backend_list("10.9.9.9:80")),
                    "257 different backends since start-up, more than 256 (a removed backend keeps its place and "
                    "counters); restart rampart to start again from the current backends");
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
