#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/stats_report.hh"

using namespace rampart;

TEST_CASE("final report lists every event counter and only non-zero drops", "[unit][engine]") {
  stats::lcore_stats a;
  a.rx_packets.add(10);
  a.tx_packets.add(4);
  a.count_drop(stats::drop_reason::eth_not_for_us);
  a.count_drop(stats::drop_reason::eth_not_for_us);
  a.count_drop(stats::drop_reason::tx_ring_full);
  stats::snapshot s;
  s.accumulate(a);
  const std::vector<std::string> lines = engine::final_report_lines(s);
  CHECK(lines.size() == stats::event_counter_count + 2);
  CHECK(lines.front() == "rx_packets 10");
  CHECK(std::find(lines.begin(), lines.end(), "tx_packets 4") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "dropped 3") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "drop.eth_not_for_us 2") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "drop.tx_ring_full 1") != lines.end());
  CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) { return l == "drop.arp_malformed 0"; }));
}

TEST_CASE("periodic line gives totals, rates and non-zero drops", "[unit][engine]") {
  stats::snapshot before;
  before.rx_packets = 100;
  before.tx_packets = 50;
  stats::snapshot after = before;
  after.rx_packets = 1100;
  after.tx_packets = 550;
  after.dropped = 7;
  after.drops[static_cast<std::size_t>(stats::drop_reason::ipv4_fragment)] = 7;
  CHECK(engine::periodic_line(after, before, 2.0) ==
        "stats: rx 1100 pkt (500 pps) tx 550 pkt (250 pps) dropped 7 [drop.ipv4_fragment 7]");
  CHECK(engine::periodic_line(before, before, 1.0) == "stats: rx 100 pkt (0 pps) tx 50 pkt (0 pps) dropped 0");
}
