#include "engine/port_plan.hh"

#include <algorithm>
#include <utility>

#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "engine/control_message.hh"
#include "engine/startup_error.hh"

namespace rampart::engine {

namespace {

std::string describe_bits(std::uint64_t bits, std::initializer_list<std::pair<std::uint64_t, const char*>> names) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((bits & bit) != 0) {
      if (!out.empty()) {
        out += ',';
      }
      out += name;
      bits &= ~bit;
    }
  }
  if (bits != 0) {
    out += out.empty() ? "other" : ",other";
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::uint64_t requested_rss_hf() noexcept {
  return RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP;
}

port_plan plan_port(const port_capabilities& caps, const config::port_config& port, unsigned workers) {
  port_plan plan;
  if (caps.max_rx_queues < workers || caps.max_tx_queues < workers) {
    std::string msg = "port " + (port.device.empty() ? std::string("0") : port.device) + " (" + caps.driver +
                      ") offers " + std::to_string(caps.max_rx_queues) + " RX / " +
                      std::to_string(caps.max_tx_queues) + " TX queues, but eal.lcores gives " +
                      std::to_string(workers) + " worker lcores (one queue pair each): ";
    if (caps.driver == "net_af_packet") {
      msg += "add qpairs=" + std::to_string(workers) + " to the net_af_packet vdev, or use fewer worker lcores";
    } else {
      msg += "use at most " + std::to_string(std::min(caps.max_rx_queues, caps.max_tx_queues)) +
             " worker lcores in eal.lcores";
    }
    throw startup_error(exit_code::usage, msg);
  }
  if ((caps.min_mtu != 0 && port.mtu < caps.min_mtu) || (caps.max_mtu != 0 && port.mtu > caps.max_mtu)) {
    throw startup_error(exit_code::usage, "port.mtu " + std::to_string(port.mtu) + " is outside what " +
                                              caps.driver + " accepts (" + std::to_string(caps.min_mtu) +
                                              ".." + std::to_string(caps.max_mtu) + "): change port.mtu");
  }
  plan.queues = static_cast<std::uint16_t>(workers);

  // With one queue there is nothing to spread; asking for RSS anyway fails on some PMDs (net_tap
  // needs its eBPF program for RSS), so only several queues turn it on.
  if (workers > 1) {
    plan.rss_hf = requested_rss_hf() & caps.flow_type_rss_offloads;
    if (plan.rss_hf != 0) {
      plan.rss = true;
      if ((caps.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0) {
        plan.rx_offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
      }
      if ((plan.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0) {
        plan.warnings.push_back("RSS hashes IPv4 addresses only (no TCP ports): flows between two hosts "
                                "all land on one worker");
      }
    } else {
      plan.warnings.push_back("port offers no IPv4 RSS: every packet arrives on queue 0 and the other " +
                              std::to_string(workers - 1) + " worker(s) stay idle");
    }
  }

  // RX TCP checksum verification saves lib/tcp a pass over every segment (docs/performance.md);
  // the mbuf's RTE_MBUF_F_RX_L4_CKSUM_GOOD reaches it as frame.l4_checksum_verified.
  if ((caps.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0) {
    plan.rx_offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  }
  if ((caps.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0) {
    plan.tx_offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    plan.offload_caps.ipv4_checksum = true;
  }
  if ((caps.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0) {
    plan.tx_offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    plan.offload_caps.tcp_checksum = true;
  }
  return plan;
}

std::uint32_t mempool_cache_size(std::uint32_t mbufs) noexcept {
  std::uint32_t cache = 256;
  cache = std::min<std::uint32_t>(cache, RTE_MEMPOOL_CACHE_MAX_SIZE);
  cache = std::min<std::uint32_t>(cache, static_cast<std::uint32_t>(mbufs / 1.5));
  return cache;
}

std::uint16_t mbuf_data_room(std::uint16_t mtu) noexcept {
  const std::uint32_t frame = std::uint32_t{mtu} + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
  const std::uint32_t room = std::max<std::uint32_t>(RTE_MBUF_DEFAULT_DATAROOM, frame);
  return static_cast<std::uint16_t>(RTE_PKTMBUF_HEADROOM + room);
}

mempool_plan plan_mempool(const config::port_config& port, std::uint16_t rx_descriptors,
                          std::uint16_t tx_descriptors, unsigned queues, unsigned lcores) {
  mempool_plan plan;
  plan.mbufs = port.mbufs;
  plan.cache_size = mempool_cache_size(port.mbufs);
  plan.data_room = mbuf_data_room(port.mtu);
  // + the announcement the control path asks worker 0 to allocate (control_message.hh).
  const std::uint64_t needed =
      std::uint64_t{queues} * (std::uint64_t{rx_descriptors} + tx_descriptors + port.burst_size) +
      std::uint64_t{lcores} * plan.cache_size + announcement_frames(port.ipv6.has_value());
  if (port.mbufs < needed) {
    throw startup_error(exit_code::usage,
                        "port.mbufs (" + std::to_string(port.mbufs) + ") is too small: " + std::to_string(queues) +
                            " queue pair(s) of " + std::to_string(rx_descriptors) + " RX + " +
                            std::to_string(tx_descriptors) + " TX descriptors and the lcore caches need " +
                            std::to_string(needed) +
                            "; raise port.mbufs or lower port.rx_descriptors / port.tx_descriptors");
  }
  return plan;
}

std::string describe_rss_hf(std::uint64_t rss_hf) {
  return describe_bits(rss_hf, {{RTE_ETH_RSS_IPV4, "ipv4"}, {RTE_ETH_RSS_NONFRAG_IPV4_TCP, "nonfrag_ipv4_tcp"}});
}

std::string describe_tx_offloads(std::uint64_t tx_offloads) {
  return describe_bits(tx_offloads,
                       {{RTE_ETH_TX_OFFLOAD_IPV4_CKSUM, "ipv4_cksum"}, {RTE_ETH_TX_OFFLOAD_TCP_CKSUM, "tcp_cksum"}});
}

}  // namespace rampart::engine
