// docs/stats.md must document every counter the engine exports, under the exact X-macro name:
// this test fails when someone adds a drop reason or an event counter without a line in the
// docs, and when the docs keep a row for a counter that no longer exists.
//
// A counter is documented by a table row whose first cell is the name in backticks:
//   | `ipv4_bad_checksum` | what it means | what to do when it climbs |
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "stats/counters.hh"

#ifndef RAMPART_STATS_DOC
#error "RAMPART_STATS_DOC must name docs/stats.md (set by test/unit/stats/meson.build)"
#endif

namespace {

using rampart::stats::drop_reason_count;
using rampart::stats::drop_reason_names;

// Names of the event counters, from the same X-macro the counters are generated from.
const std::set<std::string>& event_counter_names() {
  static const std::set<std::string> names = {
#define RAMPART_X(name, description) #name,
      RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  };
  return names;
}

// Names of the per-listener counters (RAMPART_LISTENER_COUNTERS).
const std::set<std::string>& listener_counter_names() {
  static const std::set<std::string> names = {
#define RAMPART_X(name, description) #name,
      RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  };
  return names;
}

// Names of the per-backend counters (RAMPART_BACKEND_COUNTERS).
const std::set<std::string>& backend_counter_names() {
  static const std::set<std::string> names = {
#define RAMPART_X(name, description) #name,
      RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
  };
  return names;
}

std::string read_doc() {
  std::ifstream in(RAMPART_STATS_DOC);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// First-cell names of the table rows, with how often each appears.
std::map<std::string, int> documented_rows(const std::string& doc) {
  static const std::regex row(R"(^\|\s*`([a-z0-9_]+)`\s*\|)");
  std::map<std::string, int> rows;
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, row)) {
      ++rows[match[1].str()];
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("docs/stats.md documents every drop reason", "[unit][stats][docs]") {
  const auto rows = documented_rows(read_doc());
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    const std::string name{drop_reason_names[i]};
    INFO("drop reason " << name << " needs a row `| `" << name << "` | ... |` in docs/stats.md");
    CHECK(rows.count(name) == 1);
  }
}

TEST_CASE("docs/stats.md documents every event counter", "[unit][stats][docs]") {
  const auto rows = documented_rows(read_doc());
  for (const std::string& name : event_counter_names()) {
    INFO("event counter " << name << " needs a row `| `" << name << "` | ... |` in docs/stats.md");
    CHECK(rows.count(name) == 1);
  }
}

TEST_CASE("docs/stats.md documents every per-listener counter", "[unit][stats][docs]") {
  const auto rows = documented_rows(read_doc());
  for (const std::string& name : listener_counter_names()) {
    INFO("listener counter " << name << " needs a row `| `" << name << "` | ... |` in docs/stats.md");
    CHECK(rows.count(name) == 1);
  }
}

TEST_CASE("docs/stats.md documents every per-backend counter", "[unit][stats][docs]") {
  const auto rows = documented_rows(read_doc());
  for (const std::string& name : backend_counter_names()) {
    INFO("backend counter " << name << " needs a row `| `" << name << "` | ... |` in docs/stats.md");
    CHECK(rows.count(name) == 1);
  }
}

TEST_CASE("docs/stats.md has no row for a counter that does not exist", "[unit][stats][docs]") {
  std::set<std::string> known = event_counter_names();
  known.insert(listener_counter_names().begin(), listener_counter_names().end());
  known.insert(backend_counter_names().begin(), backend_counter_names().end());
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    known.emplace(drop_reason_names[i]);
  }
  for (const auto& [name, count] : documented_rows(read_doc())) {
    INFO("docs/stats.md documents `" << name << "`, which is neither a drop reason nor a counter");
    CHECK(known.count(name) == 1);
  }
}

TEST_CASE("the row matcher sees names and ignores prose", "[unit][stats][docs]") {
  const auto rows = documented_rows("| `rx_packets` | frames |\n"
                                    "text `tx_packets` in prose\n"
                                    "|`ipv4_fragment`|x|\n"
                                    "| name | header |\n");
  CHECK(rows.size() == 2);
  CHECK(rows.count("rx_packets") == 1);
  CHECK(rows.count("ipv4_fragment") == 1);
  CHECK(rows.count("tx_packets") == 0);
}
