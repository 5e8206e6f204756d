#include <catch2/catch.hpp>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "engine/port_plan.hh"
#include "engine/startup_error.hh"

using namespace rampart::engine;
using rampart::config::port_config;

namespace {

// Shapes of real drivers' rte_eth_dev_info (DPDK 22.11 sources).
port_capabilities tap_like() {
  port_capabilities c;
  c.driver = "net_tap";
  c.max_rx_queues = 16;
  c.max_tx_queues = 16;
  c.flow_type_rss_offloads = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV6;
  c.tx_offload_capa = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  c.min_mtu = 68;
  c.max_mtu = 65535;
  return c;
}

port_capabilities af_packet_one_qpair() {
  port_capabilities c;
  c.driver = "net_af_packet";
  c.max_rx_queues = 1;
  c.max_tx_queues = 1;
  return c;
}

}  // namespace

TEST_CASE("one worker: one queue pair, no RSS, offloads the port offers", "[unit][engine]") {
  const port_plan plan = plan_port(tap_like(), port_config{}, 1);
  CHECK(plan.queues == 1);
  CHECK_FALSE(plan.rss);
  CHECK(plan.rss_hf == 0);
  CHECK(plan.tx_offloads == (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM));
  CHECK(plan.offload_caps.ipv4_checksum);
  CHECK(plan.offload_caps.tcp_checksum);
  CHECK(plan.warnings.empty());
}

TEST_CASE("several workers: RSS on IPv4/TCP, masked by what the port hashes", "[unit][engine]") {
  port_capabilities caps = tap_like();
  caps.rx_offload_capa = RTE_ETH_RX_OFFLOAD_RSS_HASH;
  const port_plan plan = plan_port(caps, port_config{}, 4);
  CHECK(plan.queues == 4);
  CHECK(plan.rss);
  CHECK(plan.rss_hf == (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP));  // IPv6 not requested
  CHECK(plan.rx_offloads == RTE_ETH_RX_OFFLOAD_RSS_HASH);
  CHECK(plan.warnings.empty());

  caps.flow_type_rss_offloads = RTE_ETH_RSS_IPV4;  // addresses only
  caps.rx_offload_capa = 0;
  const port_plan ip_only = plan_port(caps, port_config{}, 2);
  CHECK(ip_only.rss);
  CHECK(ip_only.rss_hf == RTE_ETH_RSS_IPV4);
  CHECK(ip_only.rx_offloads == 0);
  REQUIRE(ip_only.warnings.size() == 1);
  CHECK(ip_only.warnings[0].find("no TCP ports") != std::string::npos);
}

TEST_CASE("several workers on a port without RSS: works, with a warning", "[unit][engine]") {
  port_capabilities caps = tap_like();
  caps.flow_type_rss_offloads = RTE_ETH_RSS_IPV6;
  const port_plan plan = plan_port(caps, port_config{}, 3);
  CHECK_FALSE(plan.rss);
  CHECK(plan.rss_hf == 0);
  REQUIRE(plan.warnings.size() == 1);
  CHECK(plan.warnings[0].find("2 worker(s) stay idle") != std::string::npos);
}

TEST_CASE("no TX checksum offload: software checksums", "[unit][engine]") {
  const port_plan plan = plan_port(af_packet_one_qpair(), port_config{}, 1);
  CHECK(plan.tx_offloads == 0);
  CHECK_FALSE(plan.offload_caps.ipv4_checksum);
  CHECK_FALSE(plan.offload_caps.tcp_checksum);
  CHECK(describe_tx_offloads(plan.tx_offloads) == "none");
}

TEST_CASE("RX TCP checksum verification is requested only when offered", "[unit][engine]") {
  port_capabilities caps = af_packet_one_qpair();
  CHECK((plan_port(caps, port_config{}, 1).rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) == 0);
  caps.rx_offload_capa = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  const port_plan plan = plan_port(caps, port_config{}, 1);
  CHECK((plan.rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0);
  CHECK((plan.rx_offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) == 0);  // one queue: no RSS
}

TEST_CASE("fewer queues than workers is a usage error with the fix", "[unit][engine]") {
  port_config cfg;
  cfg.device = "net_af_packet0";
  try {
    plan_port(af_packet_one_qpair(), cfg, 2);
    FAIL("expected startup_error");
  } catch (const startup_error& e) {
    CHECK(e.code() == exit_code::usage);
    CHECK_THAT(e.what(), Catch::Contains("offers 1 RX / 1 TX queues") && Catch::Contains("2 worker lcores") &&
                             Catch::Contains("qpairs=2"));
  }
  port_capabilities memif;
  memif.driver = "net_memif";
  memif.max_rx_queues = 8;
  memif.max_tx_queues = 2;
  CHECK_THROWS_WITH(plan_port(memif, cfg, 3), Catch::Contains("use at most 2 worker lcores"));
  CHECK_NOTHROW(plan_port(memif, cfg, 2));
}

TEST_CASE("MTU outside the driver's range is refused", "[unit][engine]") {
  port_capabilities caps = tap_like();
  caps.max_mtu = 1500;
  port_config cfg;
  cfg.mtu = 9000;
  CHECK_THROWS_WITH(plan_port(caps, cfg, 1), Catch::Contains("port.mtu 9000") && Catch::Contains("68..1500"));
  cfg.mtu = 1500;
  CHECK_NOTHROW(plan_port(caps, cfg, 1));
  caps.max_mtu = 0;  // driver does not say: trust the config, rte_eth_dev_configure has the last word
  cfg.mtu = 9000;
  CHECK_NOTHROW(plan_port(caps, cfg, 1));
}

TEST_CASE("mempool cache respects DPDK's bounds", "[unit][engine]") {
  CHECK(mempool_cache_size(16383) == 256);
  CHECK(mempool_cache_size(300) == 200);  // n / 1.5
  CHECK(mempool_cache_size(1023) <= RTE_MEMPOOL_CACHE_MAX_SIZE);
}

TEST_CASE("mbuf data room fits one MTU-sized frame", "[unit][engine]") {
  CHECK(mbuf_data_room(1500) == RTE_MBUF_DEFAULT_BUF_SIZE);
  CHECK(mbuf_data_room(9000) == RTE_PKTMBUF_HEADROOM + 9000 + 14 + 4 + 4);
}

TEST_CASE("a pool too small for the rings is a usage error naming the need", "[unit][engine]") {
  port_config cfg;  // 16383 mbufs, burst 32
  const mempool_plan plan = plan_mempool(cfg, 1024, 1024, 1, 1);
  CHECK(plan.mbufs == 16383);
  CHECK(plan.cache_size == 256);
  // 6 queue pairs of 1024 + 1024 + 32, and 6 caches of 256: 12480 + 1536 + 1 = 14017.
  CHECK_NOTHROW(plan_mempool(cfg, 1024, 1024, 6, 6));
  // 8 pairs: 16640 + 2048 + 1 = 18689 > 16383.
  CHECK_THROWS_WITH(plan_mempool(cfg, 1024, 1024, 8, 8), Catch::Contains("need 18689"));
  // With IPv6 the announcement is 5 frames, not 1 (announcement_frames).
  cfg.ipv6 = rampart::net::ipv6_interface_address::parse("fd77::2/64");
  CHECK_THROWS_WITH(plan_mempool(cfg, 1024, 1024, 8, 8), Catch::Contains("need 18693"));
}

TEST_CASE("RSS bits are named for the log", "[unit][engine]") {
  CHECK(describe_rss_hf(requested_rss_hf()) == "ipv4,nonfrag_ipv4_tcp");
  CHECK(describe_rss_hf(0) == "none");
  CHECK(describe_rss_hf(RTE_ETH_RSS_IPV6) == "other");
}
