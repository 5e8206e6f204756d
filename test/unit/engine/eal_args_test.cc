#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/eal_args.hh"

using rampart::config::eal_config;
using rampart::engine::build_eal_args;
using rampart::engine::join_args;
using args_t = std::vector<std::string>;

TEST_CASE("default eal config gives the documented argv", "[unit][engine]") {
  const eal_config eal;  // lcores 0-1, 512 MB, no_huge, prefix rampart, notice
  CHECK(build_eal_args(eal, "rampart") ==
        args_t{"rampart", "--lcores", "0-1", "-m", "512", "--no-huge", "--file-prefix", "rampart", "--log-level",
               "notice"});
}

TEST_CASE("every eal field maps to its EAL option, extras last", "[unit][engine]") {
  eal_config eal;
  eal.lcores = "(0-1)@0,2";
  eal.memory_mb = 2048;
  eal.no_huge = false;
  eal.no_pci = true;
  eal.vdevs = {"net_tap0,iface=a", "net_memif0,role=client"};
  eal.pci_allow = {"0000:3b:00.0"};
  eal.file_prefix = "node7";
  eal.in_memory = true;
  eal.log_level = "lib.eal:debug";
  eal.extra_args = {"--huge-unlink", "--socket-mem=1024"};
  CHECK(build_eal_args(eal, "/usr/bin/rampart") ==
        args_t{"/usr/bin/rampart", "--lcores", "(0-1)@0,2", "-m", "2048", "--no-pci", "--vdev", "net_tap0,iface=a",
               "--vdev", "net_memif0,role=client", "-a", "0000:3b:00.0", "--file-prefix", "node7", "--in-memory",
               "--log-level", "lib.eal:debug", "--huge-unlink", "--socket-mem=1024"});
}

TEST_CASE("telemetry is never disabled and empty strings are left out", "[unit][engine]") {
  eal_config eal;
  eal.file_prefix.clear();
  eal.log_level.clear();
  const args_t args = build_eal_args(eal, "r");
  CHECK(std::find(args.begin(), args.end(), "--no-telemetry") == args.end());
  CHECK(std::find(args.begin(), args.end(), "--file-prefix") == args.end());
  CHECK(std::find(args.begin(), args.end(), "--log-level") == args.end());
}

TEST_CASE("join_args quotes arguments with spaces", "[unit][engine]") {
  CHECK(join_args({"a", "b c", "d"}) == "a 'b c' d");
  CHECK(join_args({}).empty());
}

TEST_CASE("in_memory with no_huge is refused before EAL sees it", "[unit][engine]") {
  eal_config eal;  // no_huge by default
  CHECK_FALSE(rampart::engine::eal_config_conflict(eal).has_value());
  eal.in_memory = true;
  REQUIRE(rampart::engine::eal_config_conflict(eal).has_value());
  CHECK_THAT(*rampart::engine::eal_config_conflict(eal), Catch::Contains("eal.in_memory") && Catch::Contains("eal.no_huge"));
  eal.no_huge = false;
  CHECK_FALSE(rampart::engine::eal_config_conflict(eal).has_value());
}
