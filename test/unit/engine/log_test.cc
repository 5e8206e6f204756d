// Every log call prints one line, whatever the values in it.
#include <catch2/catch.hpp>

#include "engine/log.hh"

using rampart::engine::one_line;

TEST_CASE("a logged value cannot split its line or forge another", "[unit][engine]") {
  CHECK(one_line("listener: tcp port 7000 → app plugin (greeting=hi)") ==
        "listener: tcp port 7000 → app plugin (greeting=hi)");  // UTF-8 as it is
  CHECK(one_line("greeting=hi\nrampart: ready") == "greeting=hi\\nrampart: ready");
  CHECK(one_line("a\r\tb") == "a\\r\\tb");
  CHECK(one_line(std::string_view("nul\0bell\a del\x7f", 14)) == "nul\\x00bell\\x07 del\\x7f");
  CHECK(one_line("C:\\dir\\n") == "C:\\\\dir\\\\n");  // a backslash stays distinguishable from an escape
  CHECK(one_line("").empty());
}
