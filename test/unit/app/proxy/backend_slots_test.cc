// SIGHUP's backend changes, pure: the slots keep each backend's place by address and port
// (backend_slots.hh). balancer_test.cc checks the pool a reload builds over them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "app/proxy/backend_slots.hh"
#include "app/registry.hh"

using namespace rampart::app::proxy;

namespace {

std::string text_of(const std::vector<backend_slot>& slots) {
  std::string text;
  for (const backend_slot& s : slots) {
    text += backend_name(s.entry.endpoint) + "*" + std::to_string(s.entry.weight) + (s.removed ? " removed" : "") + "; ";
  }
  return text;
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
