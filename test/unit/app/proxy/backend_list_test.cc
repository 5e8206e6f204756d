// The backends argument: entries, weights, and one message per mistake naming the entry and
// the fix.
#include <catch2/catch.hpp>

#include <string>

#include "app/proxy/backend_list.hh"
#include "app/registry.hh"

using namespace rampart::app::proxy;
using rampart::net::ipv4_address;

namespace {

backend_entry entry(const char* address, std::uint16_t port, std::uint32_t weight = 1) {
  return {{*ipv4_address::parse(address), port}, weight};
}

std::string error_of(std::string_view text) {
  try {
    parse_backend_list(text);
  } catch (const rampart::app::app_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("backend lists: addresses, ports, weights, spaces", "[unit][app][proxy]") {
  CHECK(parse_backend_list("10.77.0.3:8080") == std::vector{entry("10.77.0.3", 8080)});
  CHECK(parse_backend_list("10.0.0.5:80*3, 10.0.0.6:80") ==
        std::vector{entry("10.0.0.5", 80, 3), entry("10.0.0.6", 80)});
  CHECK(parse_backend_list("  10.0.0.5:1*256 ,10.0.0.5:65535  ") ==
        std::vector{entry("10.0.0.5", 1, 256), entry("10.0.0.5", 65535)});
}

TEST_CASE("backend lists: 256 entries at most", "[unit][app][proxy]") {
  std::string list;
  for (int i = 0; i < 257; ++i) {
    list += (i == 0 ? "" : ",") + std::string("10.0.") + std::to_string(i / 256) + "." +
            std::to_string(i % 256) + ":80";
  }
  CHECK(error_of(list) == "entry 257 \"10.0.1.0:80\": one backend too many; at most 256 are allowed");
  CHECK(parse_backend_list(list.substr(0, list.rfind(','))).size() == 256);
}

TEST_CASE("backend lists: each mistake named with its entry and the fix", "[unit][app][proxy]") {
  CHECK(error_of("") == "the list is empty; write at least one ADDRESS:PORT, e.g. \"10.0.0.5:80\"");
  CHECK(error_of("  ") == error_of(""));
  CHECK(error_of("10.0.0.5:80,") ==
        "entry 2 \"\": is empty; write ADDRESS:PORT, e.g. 10.0.0.5:80, or delete the extra comma");
  CHECK(error_of("10.0.0.5") == "entry 1 \"10.0.0.5\": has no port; write ADDRESS:PORT, e.g. 10.0.0.5:80");
  CHECK(error_of("10.0.0.256:80") ==
        "entry 1 \"10.0.0.256:80\": \"10.0.0.256\" is not an IPv4 address; write four numbers 0..255, "
        "e.g. 10.0.0.5");
  CHECK(error_of("backend.local:80").find("\"backend.local\" is not an IPv4 address") != std::string::npos);
  CHECK(error_of("10.0.0.5:80, 10.0.0.6:0") ==
        "entry 2 \"10.0.0.6:0\": port 0 is out of range; write a port in 1..65535");
  CHECK(error_of("10.0.0.6:65536") ==
        "entry 1 \"10.0.0.6:65536\": port 65536 is out of range; write a port in 1..65535");
  CHECK(error_of("10.0.0.6:99999999999").find("port 99999999999 is out of range") != std::string::npos);
  CHECK(error_of("10.0.0.6:http") ==
        "entry 1 \"10.0.0.6:http\": port \"http\" is not a number; write a port in 1..65535");
  CHECK(error_of("10.0.0.6:") == "entry 1 \"10.0.0.6:\": port \"\" is not a number; write a port in 1..65535");
  CHECK(error_of("10.0.0.6:80*0") ==
        "entry 1 \"10.0.0.6:80*0\": weight \"0\" is not a number in 1..256; write ADDRESS:PORT*WEIGHT, "
        "e.g. 10.0.0.5:80*3");
  CHECK(error_of("10.0.0.6:80*257").find("weight \"257\" is not a number in 1..256") != std::string::npos);
  CHECK(error_of("10.0.0.6:80*").find("weight \"\" is not a number") != std::string::npos);
  CHECK(error_of("10.0.0.6:80*2*2").find("weight \"2*2\" is not a number") != std::string::npos);
  CHECK(error_of("10.0.0.5:80, 10.0.0.6:80, 10.0.0.5:80*2") ==
        "entry 3 \"10.0.0.5:80*2\": the same backend as entry 1; give each address:port once and raise "
        "its weight (*N) instead");
}
