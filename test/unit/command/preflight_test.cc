#include "preflight.hh"

#include <sstream>

#include <catch2/catch.hpp>

#include "driver_limits.hh"
#include "lcores.hh"

using namespace rampart::command;

namespace {

rampart::config::engine_config parse(const std::string& text) {
  std::istringstream in(text);
  return rampart::config::parse_config(in, "test.yaml");
}

const std::vector<unsigned> two_cpus{0, 1};

}  // namespace

TEST_CASE("lcores: EAL's grammar", "[unit][command]") {
  const auto simple = parse_lcores("0-2");
  REQUIRE(simple.layout);
  CHECK(simple.layout->lcores == std::vector<unsigned>{0, 1, 2});
  CHECK(simple.layout->cpus == std::vector<unsigned>{0, 1, 2});
  const auto mapped = parse_lcores("0@0,1@1,2@1");
  REQUIRE(mapped.layout);
  CHECK(mapped.layout->lcores == std::vector<unsigned>{0, 1, 2});
  CHECK(mapped.layout->cpus == std::vector<unsigned>{0, 1});
  const auto group = parse_lcores("(0-2)@(0,1),7@(1)");
  REQUIRE(group.layout);
  CHECK(group.layout->lcores == std::vector<unsigned>{0, 1, 2, 7});
  CHECK(group.layout->cpus == std::vector<unsigned>{0, 1});
  CHECK(parse_lcores("0-1,7-").error == "expected a number at the end");
  CHECK(parse_lcores("").error == "is empty at the end");
  CHECK(parse_lcores("3-1").error == "range 3-1 runs backwards");
  CHECK(parse_lcores("(0,1").error == "expected ',' or ')' at the end");
  CHECK(parse_lcores("0@@1").error == "expected a number at character 3");
  CHECK(parse_lcores("0;1").error == "expected ',' or '@' at character 2");
}

TEST_CASE("lcores against the CPUs this process may use", "[unit][command]") {
  CHECK_FALSE(check_lcores("0-1", two_cpus, 128));
  CHECK_FALSE(check_lcores("0@0,1@1,2@1", two_cpus, 128));
  CHECK_FALSE(check_lcores("0-7", {}, 128));  // affinity unknown: not checked
  CHECK(check_lcores("0-5", two_cpus, 128) ==
        "eal.lcores \"0-5\" runs on CPU 2-5, but this process may only use CPU 0-1: use those, or map lcores "
        "onto them with @ (e.g. \"0@0,1@1,2@1\" runs two workers on CPU 1)");
  CHECK(check_lcores("0,1,3@5,4@7", std::vector<unsigned>{0, 1, 2, 3}, 128)->find("runs on CPU 5,7,") !=
        std::string::npos);
  CHECK(check_lcores("0,1,1", two_cpus, 128) == "eal.lcores \"0,1,1\": lcore 1 is listed twice; list each lcore once");
  CHECK(check_lcores("0,200@1", two_cpus, 128)->find("lcore id 200 is not below 128") != std::string::npos);
  CHECK(check_lcores("0-", two_cpus, 128)->starts_with("eal.lcores \"0-\": expected a number at the end (EAL"));
}

TEST_CASE("lcores: the control lcore alone runs no worker", "[unit][command]") {
  const std::string fix = " gives no worker lcore: list at least two lcores (the first is the control lcore, each "
                          "other one runs a worker), e.g. \"0-1\"";
  CHECK(check_lcores("0", two_cpus, 128) == "eal.lcores \"0\"" + fix);
  CHECK(check_lcores("1@0", two_cpus, 128) == "eal.lcores \"1@0\"" + fix);
  CHECK(check_lcores("(0)@(0,1)", two_cpus, 128) == "eal.lcores \"(0)@(0,1)\"" + fix);
  CHECK_FALSE(check_lcores("(0,1)@0", two_cpus, 128));
}

TEST_CASE("tcp.local_ports: at least 1024 ports per worker lcore, no listener's port", "[unit][command]") {
  CHECK_FALSE(check_local_ports({32768, 60999}, 27, {}));
  CHECK_FALSE(check_local_ports({1024, 3071}, 2, {}));
  const std::vector<rampart::config::listener_config> listeners{{80, "http", {}}, {40000, "echo", {}}};
  CHECK(check_local_ports({32768, 60999}, 1, listeners) ==
        "listener port 40000 is inside tcp.local_ports 32768-60999, the ports of connections rampart opens: move the "
        "listener or the range");
  CHECK_FALSE(check_local_ports({40001, 60999}, 1, listeners));
  CHECK(check_local_ports({1024, 3070}, 2, {}) ==
        "tcp.local_ports 1024-3070 holds 2047 ports, fewer than 1024 per worker lcore (2 workers need 2048): widen "
        "the range or run fewer workers");
  const std::string port = "port: {ip: 10.0.0.2/24}\n";
  CHECK_FALSE(preflight(parse(port + "eal: {lcores: \"0-1\"}\ntcp: {local_ports: \"40000-41023\"}\n")));
  CHECK(preflight(parse(port + "eal: {lcores: \"0@0,1@1,2@1\"}\ntcp: {local_ports: \"40000-41023\"}\n"))
            ->starts_with("tcp.local_ports 40000-41023 holds 1024 ports"));
}

TEST_CASE("MTU against the driver's known limit", "[unit][command]") {
  CHECK(known_max_mtu("net_tap0,iface=x") == 1504);
  CHECK(known_max_mtu("net_af_packet0,iface=veth0") == 1500);
  CHECK_FALSE(known_max_mtu("net_af_packet0,iface=veth0,framesz=4096"));
  CHECK(known_max_mtu("net_memif0,role=client") == 1500);
  CHECK_FALSE(known_max_mtu("net_memif0,bsize=9216"));
  CHECK(known_max_mtu("net_af_xdp0,iface=eth1") == 3542);
  CHECK_FALSE(known_max_mtu("net_ring0"));

  const std::string eal = "eal: {no_pci: true, vdevs: [\"net_tap0,iface=t\"]}\n";
  CHECK_FALSE(check_driver_mtu(parse(eal + "port: {ip: 10.0.0.2/24, mtu: 1504}\n")));
  CHECK(check_driver_mtu(parse(eal + "port: {ip: 10.0.0.2/24, mtu: 9000}\ntcp: {mss: 1460}\n")) ==
        "port.mtu 9000 is above what net_tap takes (1504 with the arguments \"net_tap0,iface=t\"): lower "
        "port.mtu to 1504 or less (drivers-notes/net_tap.md)");
  // A PCI device: its limit is only known once EAL probed it.
  CHECK_FALSE(check_driver_mtu(parse("port: {ip: 10.0.0.2/24, device: \"0000:3b:00.0\", mtu: 9000}\n")));
}


namespace {

// A config this process could start: a tap port, two lcores on a CPU it may use; `port` adds
// keys to the port section.
std::string startable(const std::string& port = "") {
  const std::string cpu = std::to_string(allowed_cpus().front());
  return "eal: {lcores: \"0@" + cpu + ",1@" + cpu + "\", no_pci: true, vdevs: [\"net_tap0,iface=t\"]}\n"
         "port: {ip: 10.0.0.2/24, device: net_tap0" + port + "}\n";
}

}  // namespace

TEST_CASE("pre-flight: a startable config passes", "[unit][command]") {
  CHECK_FALSE(preflight(parse(startable() + "listeners: [{port: 80, app: http}]\n")));
}

TEST_CASE("pre-flight: the first problem the file alone shows", "[unit][command]") {
  const auto problem = [](const std::string& yaml) { return preflight(parse(yaml)).value_or("(none)"); };
  CHECK_THAT(problem(startable() + "listeners: [{port: 80, app: htttp}]\n"),
             Catch::StartsWith("listener on port 80 (app htttp): unknown app"));
  CHECK_THAT(problem("eal: {lcores: \"0\"}\nport: {ip: 10.0.0.2/24}\n"),
             Catch::StartsWith("eal.lcores \"0\" gives no worker lcore"));
  CHECK_THAT(problem("eal: {in_memory: true, no_huge: true}\nport: {ip: 10.0.0.2/24}\n"),
             Catch::StartsWith("eal.in_memory: true needs hugepages"));
  CHECK_THAT(problem(startable(", mtu: 9000") + "tcp: {mss: 1460}\n"),
             Catch::StartsWith("port.mtu 9000 is above what net_tap takes"));
  CHECK_THAT(problem(startable() + "tcp: {syn_cookies: {master_secret_file: /nonexistent/secret}}\n"),
             Catch::StartsWith("tcp.syn_cookies: master secret file /nonexistent/secret: cannot open"));
}
