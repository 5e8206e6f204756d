#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

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
  engine::driver_counters driver;
  driver.imissed = 12;
  const std::vector<std::string> lines = engine::final_report_lines(s, driver);
  CHECK(lines.size() == stats::event_counter_count + 2 + 6);
  CHECK(lines.back() == "port.oerrors 0");
  CHECK(std::find(lines.begin(), lines.end(), "port.imissed 12") != lines.end());
  CHECK(lines.front() == "rx_packets 10");
  CHECK(std::find(lines.begin(), lines.end(), "tx_packets 4") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "dropped 3") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "drop.eth_not_for_us 2") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "drop.tx_ring_full 1") != lines.end());
  CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) { return l == "drop.arp_malformed 0"; }));
}

TEST_CASE("periodic line gives deltas, rates, moved drops and driver deltas", "[unit][engine]") {
  stats::snapshot before;
  before.rx_packets = 100;
  before.tx_packets = 50;
  before.dropped = 4;
  before.drops[static_cast<std::size_t>(stats::drop_reason::eth_not_for_us)] = 4;
  stats::snapshot after = before;
  after.rx_packets = 1100;
  after.tx_packets = 550;
  after.consumed = 3;
  after.dropped = 11;
  after.drops[static_cast<std::size_t>(stats::drop_reason::ipv4_fragment)] = 7;
  after.tcp_connections_active = 2;
  engine::driver_counters d0;
  d0.ierrors = 5;
  engine::driver_counters d1 = d0;
  d1.ierrors = 6;
  d1.imissed = 9;
  CHECK(engine::periodic_line(after, before, d1, d0, 2.0) ==
        "stats +2.0s: rx +1000 pkt (500 pps) tx +500 pkt (250 pps) consumed +3 dropped +7 "
        "[drop.ipv4_fragment +7] port: imissed +9 ierrors +1 rx_nombuf +0 oerrors +0; connections 2");
  CHECK(engine::periodic_line(before, before, d0, d0, 1.0) ==
        "stats +1.0s: rx +0 pkt (0 pps) tx +0 pkt (0 pps) consumed +0 dropped +0 "
        "port: imissed +0 ierrors +0 rx_nombuf +0 oerrors +0; connections 0");
}

TEST_CASE("docs/stats.md documents every driver counter", "[unit][engine][docs]") {
  std::ifstream in(RAMPART_STATS_DOC);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
#define RAMPART_X(name, description) \
  CHECK(text.str().find("| `port." #name "` |") != std::string::npos);
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
}

TEST_CASE("a drain waits for every connection but those in TIME-WAIT", "[unit][engine]") {
  stats::snapshot s;
  CHECK(engine::connections_to_drain(s) == 0);
  s.tcp_connections_active = 5;
  s.tcp_time_wait_active = 2;
  CHECK(engine::connections_to_drain(s) == 3);
  s.tcp_time_wait_active = 5;
  CHECK(engine::connections_to_drain(s) == 0);
  s.tcp_time_wait_active = 6;  // gauges read a moment apart
  CHECK(engine::connections_to_drain(s) == 0);
}

TEST_CASE("periodic line: the backends' part", "[unit][engine]") {
  CHECK(engine::backends_part({}, {}).empty());  // no proxy listener: the line is unchanged
  std::vector<engine::backend_total> before(2);
  before[0] = {8080, "8080/0", "10.0.0.5:80", {}};
  before[0].counters.connects = 10;
  before[0].counters.connect_failures = 1;
  before[0].counters.health_up = 1;
  before[1] = {8080, "8080/1", "10.0.0.6:80", {}};
  std::vector<engine::backend_total> after = before;
  after[0].counters.connects = 15;
  after[0].counters.connect_timeouts = 2;
  after[0].counters.open = 3;
  after[1].counters.draining = 1;
  CHECK(engine::backends_part(after, before) ==
        "; backends [8080/0 10.0.0.5:80 open 3 connects +5 failed +2, 8080/1 10.0.0.6:80 open 0 connects +0 failed +0 "
        "down draining]");
  CHECK(engine::backends_part(after, {}) ==
        "; backends [8080/0 10.0.0.5:80 open 3 connects +15 failed +3, 8080/1 10.0.0.6:80 open 0 connects +0 failed +0 "
        "down draining]");
  // A SIGHUP added 8080/2 and took 8080/1 out: each is compared with itself.
  std::vector<engine::backend_total> reloaded = after;
  reloaded[1].counters.removed = 1;
  reloaded.insert(reloaded.begin() + 1, {8080, "8080/2", "10.0.0.7:80", {}});
  reloaded[1].counters.connects = 4;
  reloaded[1].counters.health_up = 1;
  CHECK(engine::backends_part(reloaded, after) ==
        "; backends [8080/0 10.0.0.5:80 open 3 connects +0 failed +0, 8080/2 10.0.0.7:80 open 0 connects +4 failed +0, "
        "8080/1 10.0.0.6:80 open 0 connects +0 failed +0 down draining removed]");
}

TEST_CASE("periodic line: the link's part", "[unit][engine]") {
  engine::link_state link;
  CHECK(engine::link_part(link, 0) == "; link down, 0 changes");
  link.up = true;
  CHECK(engine::link_part(link, 1) == "; link up, 1 change");
  link = {};
  link.unknown = true;
  CHECK(engine::link_part(link, 4) == "; link unknown, 4 changes");
}
