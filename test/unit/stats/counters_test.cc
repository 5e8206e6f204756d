#include <catch2/catch.hpp>

#include "stats/counters.hh"

using namespace rampart::stats;

TEST_CASE("drop reasons have unique names and descriptions", "[unit][stats]") {
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    CHECK_FALSE(drop_reason_names[i].empty());
    CHECK_FALSE(drop_reason_descriptions[i].empty());
    for (std::size_t j = i + 1; j < drop_reason_count; ++j) {
      CHECK(drop_reason_names[i] != drop_reason_names[j]);
    }
  }
  CHECK(name_of(drop_reason::ipv4_bad_checksum) == "ipv4_bad_checksum");
}

TEST_CASE("count_drop counts the reason and the total", "[unit][stats]") {
  lcore_stats a, b;
  a.count_drop(drop_reason::ipv4_fragment);
  a.count_drop(drop_reason::ipv4_fragment);
  b.count_drop(drop_reason::arp_malformed);
  b.rx_packets.add(5);
  CHECK(a.drops_of(drop_reason::ipv4_fragment) == 2);
  CHECK(a.dropped.read() == 2);
  CHECK(a.drops_of(drop_reason::arp_malformed) == 0);

  const lcore_stats* both[] = {&a, &b};
  snapshot total = sum(both);
  CHECK(total.dropped == 3);
  CHECK(total.rx_packets == 5);
  CHECK(total.drops[static_cast<std::size_t>(drop_reason::arp_malformed)] == 1);
}
