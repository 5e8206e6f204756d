// Every log call prints one line, stamped with the time, whatever the values in it.
#include <catch2/catch.hpp>

#include "engine/log.hh"

using rampart::engine::one_line;
using rampart::engine::utc_timestamp;

TEST_CASE("a logged value cannot split its line or forge another", "[unit][engine]") {
  CHECK(one_line("listener: tcp port 7000 → app plugin (greeting=hi)") ==
        "listener: tcp port 7000 → app plugin (greeting=hi)");  // UTF-8 as it is
  CHECK(one_line("greeting=hi\nrampart: ready") == "greeting=hi\\nrampart: ready");
  CHECK(one_line("a\r\tb") == "a\\r\\tb");
  CHECK(one_line(std::string_view("nul\0bell\a del\x7f", 14)) == "nul\\x00bell\\x07 del\\x7f");
  CHECK(one_line("C:\\dir\\n") == "C:\\\\dir\\\\n");  // a backslash stays distinguishable from an escape
  CHECK(one_line("").empty());
}

TEST_CASE("every log line's UTC timestamp", "[unit][engine]") {
  CHECK(utc_timestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(utc_timestamp(1'798'602'600) == "2026-12-30T03:50:00Z");
}
