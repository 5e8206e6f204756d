#pragma once
// What to ask of a port, decided from what it offers. Pure: the inputs are the few fields of
// rte_eth_dev_info the decision reads, so unit tests cover every driver shape (net_tap, one-queue
// net_af_packet, RSS-less net_memif, a full NIC) without a device.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hh"
#include "packet/frame.hh"

namespace rampart::engine {

// The subset of rte_eth_dev_info that the plan reads.
struct port_capabilities {
  std::string driver;                       // "net_tap", "net_af_packet", "net_ice", ...
  std::uint16_t max_rx_queues = 0;
  std::uint16_t max_tx_queues = 0;
  std::uint64_t flow_type_rss_offloads = 0; // RTE_ETH_RSS_* the port can hash on
  std::uint64_t rx_offload_capa = 0;        // RTE_ETH_RX_OFFLOAD_*
  std::uint64_t tx_offload_capa = 0;        // RTE_ETH_TX_OFFLOAD_*
  std::uint16_t min_mtu = 0;
  std::uint16_t max_mtu = 0;                // 0: the driver does not say
};

// The hash rampart wants: Toeplitz over the IPv4 addresses and TCP ports, so every segment of a
// flow lands on the worker that owns its connection (DESIGN: one table per lcore, written only
// by its owner; a server needs only inbound consistency).
std::uint64_t requested_rss_hf() noexcept;

struct port_plan {
  std::uint16_t queues = 0;                 // RX and TX queues: one pair per worker lcore
  bool rss = false;                         // RTE_ETH_MQ_RX_RSS with rss_hf
  std::uint64_t rss_hf = 0;                 // requested_rss_hf() masked by what the port offers
  std::uint64_t rx_offloads = 0;            // RSS_HASH when RSS is on and offered; TCP_CKSUM when offered
  std::uint64_t tx_offloads = 0;            // IPV4_CKSUM / TCP_CKSUM when offered
  packet::tx_offload_caps offload_caps;   // the same, as the pipeline sees it
  std::vector<std::string> warnings;        // degraded but working set-ups, for the start-up log
};

// Decides queues, RSS and offloads for `workers` worker lcores.
// Throws startup_error:
//  - exit_code::usage when the port offers fewer RX or TX queues than there are workers (the
//    message says how many, and for net_af_packet that the vdev's qpairs= raises the limit), or
//    when port.mtu is outside [min_mtu, max_mtu].
port_plan plan_port(const port_capabilities& caps, const config::port_config& port, unsigned workers);

// Mbuf sizing for one NUMA socket's pool.
struct mempool_plan {
  std::uint32_t mbufs = 0;                  // pool size (port.mbufs)
  std::uint32_t cache_size = 0;             // per-lcore cache
  std::uint16_t data_room = 0;              // headroom + room for one MTU-sized frame
};

// Per-lcore cache: 256 objects (8 bursts of 32: the refill cost is amortised and the cache stays
// far below the pool), clamped to the mempool limits (RTE_MEMPOOL_CACHE_MAX_SIZE and mbufs / 1.5,
// rte_mempool_create's documented bound).
std::uint32_t mempool_cache_size(std::uint32_t mbufs) noexcept;

// Data room = RTE_PKTMBUF_HEADROOM + max(RTE_MBUF_DEFAULT_DATAROOM, mtu + Ethernet header + VLAN
// tag + FCS): every received frame fits one segment.
std::uint16_t mbuf_data_room(std::uint16_t mtu) noexcept;

// Sizes the pool of a socket that serves `queues` queue pairs polled by `lcores` lcores.
// Throws startup_error(exit_code::usage) when port.mbufs cannot fill every RX ring, hold a full
// TX ring and a burst per queue plus every lcore cache (a pool that runs dry stalls RX for good
// on some drivers), naming the number needed.
mempool_plan plan_mempool(const config::port_config& port, std::uint16_t rx_descriptors,
                          std::uint16_t tx_descriptors, unsigned queues, unsigned lcores);

// "ipv4,nonfrag_ipv4_tcp" for the RSS bits rampart requests; "none" for 0.
std::string describe_rss_hf(std::uint64_t rss_hf);
// "ipv4_cksum,tcp_cksum" for the TX offload bits rampart requests; "none" for 0.
std::string describe_tx_offloads(std::uint64_t tx_offloads);

}  // namespace rampart::engine
