#include "engine/port.hh"

#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "engine/log.hh"
#include "engine/startup_error.hh"

namespace rampart::engine {

namespace {

std::string errno_text(int err) { return rte_strerror(err < 0 ? -err : err); }

[[noreturn]] void fail(const std::string& what, int err, const std::string& hint) {
  throw startup_error(exit_code::runtime_failure, what + ": " + errno_text(err) + (hint.empty() ? "" : "; " + hint));
}

std::string port_name(std::uint16_t port_id) {
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  if (rte_eth_dev_get_name_by_port(port_id, name) != 0) {
    return "port " + std::to_string(port_id);
  }
  return name;
}

std::string available_ports() {
  std::string names;
  std::uint16_t id = 0;
  RTE_ETH_FOREACH_DEV(id) {
    names += (names.empty() ? "" : ", ") + port_name(id);
  }
  return names;
}

std::uint16_t find_port(const config::port_config& cfg) {
  if (rte_eth_dev_count_avail() == 0) {
    throw startup_error(exit_code::usage,
                        "no DPDK port: add a vdev or PCI device to eal (eal.vdevs: [\"net_tap0,iface=rampart0\"] "
                        "or eal.pci_allow with a device bound to vfio-pci)");
  }
  if (cfg.device.empty()) {
    std::uint16_t id = 0;
    RTE_ETH_FOREACH_DEV(id) {
      return id;  // the first port EAL probed: "port 0" whatever its number
    }
  }
  std::uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(cfg.device.c_str(), &id) != 0) {
    throw startup_error(exit_code::usage, "port.device '" + cfg.device + "' is not a DPDK port; the ports are: " +
                                              available_ports() + " (set port.device to one, or leave it empty)");
  }
  return id;
}

net::mac_address to_mac(const rte_ether_addr& a) {
  net::mac_address mac;
  std::memcpy(mac.bytes.data(), a.addr_bytes, mac.bytes.size());
  return mac;
}

// The key and redirection table the driver hashes with; what it cannot report stays empty.
rss_readback read_rss(std::uint16_t id) {
  rss_readback readback;
  rte_eth_dev_info dev_info{};
  if (rte_eth_dev_info_get(id, &dev_info) != 0) {
    return readback;
  }
  std::vector<std::uint8_t> key(dev_info.hash_key_size);
  rte_eth_rss_conf conf{};
  conf.rss_key = key.data();
  conf.rss_key_len = static_cast<std::uint8_t>(key.size());
  if (!key.empty() && rte_eth_dev_rss_hash_conf_get(id, &conf) == 0) {
    readback.key = std::move(key);
  }
  // The RETA comes in groups of 64 entries, each with a mask of the entries to read.
  const std::uint16_t entries = dev_info.reta_size;
  std::vector<rte_eth_rss_reta_entry64> groups((entries + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::size_t in_group = std::min<std::size_t>(RTE_ETH_RETA_GROUP_SIZE, entries - g * RTE_ETH_RETA_GROUP_SIZE);
    groups[g].mask = in_group == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << in_group) - 1;
  }
  if (entries != 0 && rte_eth_dev_rss_reta_query(id, groups.data(), entries) == 0) {
    readback.reta.resize(entries);
    for (std::size_t i = 0; i < entries; ++i) {
      readback.reta[i] = groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
    }
  }
  return readback;
}

}  // namespace

port::port(const config::port_config& cfg, std::span<const unsigned> worker_lcores) {
  const std::uint16_t id = find_port(cfg);
  _info.port_id = id;
  _info.name = port_name(id);
  _info.ip = cfg.ip;
  _info.mtu = cfg.mtu;
  _info.socket_id = rte_eth_dev_socket_id(id);

  rte_eth_dev_info dev_info{};
  if (const int rc = rte_eth_dev_info_get(id, &dev_info); rc != 0) {
    fail("cannot read the device info of " + _info.name, rc, "");
  }
  _info.driver = dev_info.driver_name != nullptr ? dev_info.driver_name : "unknown";
  _info.if_index = dev_info.if_index;

  port_capabilities caps;
  caps.driver = _info.driver;
  caps.max_rx_queues = dev_info.max_rx_queues;
  caps.max_tx_queues = dev_info.max_tx_queues;
  caps.flow_type_rss_offloads = dev_info.flow_type_rss_offloads;
  caps.rx_offload_capa = dev_info.rx_offload_capa;
  caps.tx_offload_capa = dev_info.tx_offload_capa;
  caps.min_mtu = dev_info.min_mtu;
  caps.max_mtu = dev_info.max_mtu;
  _info.plan = plan_port(caps, cfg, static_cast<unsigned>(worker_lcores.size()));

  // Where the driver raises link status change interrupts, ask for them: the link's record
  // (port_health) then changes the moment the driver learns of it, not at the control loop's
  // next poll, and an outage shorter than a poll is still counted.
  _lsc_interrupt = dev_info.dev_flags != nullptr && (*dev_info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
  _cfg = cfg;
  _worker_lcores.assign(worker_lcores.begin(), worker_lcores.end());
  configure_device();

  _info.rx_descriptors = cfg.rx_descriptors;
  _info.tx_descriptors = cfg.tx_descriptors;
  if (const int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &_info.rx_descriptors, &_info.tx_descriptors); rc != 0) {
    fail("cannot fit the descriptor counts to " + _info.name, rc, "check port.rx_descriptors / port.tx_descriptors");
  }

  // One pool per NUMA socket of the workers: an lcore only touches mbufs of its own socket.
  std::map<int, unsigned> lcores_per_socket;
  for (const unsigned lcore : worker_lcores) {
    ++lcores_per_socket[static_cast<int>(rte_lcore_to_socket_id(lcore))];
  }
  for (const auto& [socket, lcores] : lcores_per_socket) {
    const mempool_plan mp = plan_mempool(cfg, _info.rx_descriptors, _info.tx_descriptors, lcores, lcores);
    const std::string name = "rampart_mbuf_s" + std::to_string(socket);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), mp.mbufs, mp.cache_size, 0, mp.data_room, socket);
    if (pool == nullptr && rte_errno == ENOMEM && socket != SOCKET_ID_ANY) {
      // --no-huge memory belongs to socket 0 only; any socket beats failing.
      pool = rte_pktmbuf_pool_create(name.c_str(), mp.mbufs, mp.cache_size, 0, mp.data_room, SOCKET_ID_ANY);
      if (pool != nullptr) {
        log_warning("mbuf pool for socket " + std::to_string(socket) + " allocated on another socket");
      }
    }
    if (pool == nullptr) {
      fail("cannot create the mbuf pool " + name + " (" + std::to_string(mp.mbufs) + " mbufs of " +
               std::to_string(mp.data_room) + " bytes)",
           rte_errno, "raise eal.memory_mb or lower port.mbufs");
    }
    _pools.emplace(socket, pool);
  }

  setup_queues();
  apply_mac();
}

void port::configure_device() {
  const port_plan& plan = _info.plan;
  rte_eth_conf conf{};
  conf.rxmode.mtu = _cfg.mtu;
  conf.rxmode.offloads = plan.rx_offloads;
  conf.txmode.mq_mode = RTE_ETH_MQ_TX_NONE;
  conf.txmode.offloads = plan.tx_offloads;
  if (plan.rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = nullptr;  // the driver's default Toeplitz key
    conf.rx_adv_conf.rss_conf.rss_hf = plan.rss_hf;
  } else {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
  }
  conf.intr_conf.lsc = _lsc_interrupt ? 1 : 0;
  if (const int rc = rte_eth_dev_configure(_info.port_id, plan.queues, plan.queues, &conf); rc != 0) {
    fail("cannot configure " + _info.name + " (" + _info.driver + ") with " + std::to_string(plan.queues) +
             " queue pair(s), MTU " + std::to_string(_cfg.mtu),
         rc, "check port.mtu and the worker count in eal.lcores");
  }
}

void port::setup_queues() {
  const std::uint16_t id = _info.port_id;
  const port_plan& plan = _info.plan;
  rte_eth_dev_info dev_info{};
  if (const int rc = rte_eth_dev_info_get(id, &dev_info); rc != 0) {
    fail("cannot read the device info of " + _info.name, rc, "");
  }
  for (std::uint16_t q = 0; q < plan.queues; ++q) {
    const unsigned lcore = _worker_lcores[q];
    const auto socket = rte_lcore_to_socket_id(lcore);
    rte_eth_rxconf rxconf = dev_info.default_rxconf;
    rxconf.offloads = plan.rx_offloads;
    if (const int rc = rte_eth_rx_queue_setup(id, q, _info.rx_descriptors, socket, &rxconf, pool_for_lcore(lcore));
        rc != 0) {
      fail("cannot set up RX queue " + std::to_string(q) + " of " + _info.name, rc, "lower port.rx_descriptors");
    }
    rte_eth_txconf txconf = dev_info.default_txconf;
    txconf.offloads = plan.tx_offloads;
    if (const int rc = rte_eth_tx_queue_setup(id, q, _info.tx_descriptors, socket, &txconf); rc != 0) {
      fail("cannot set up TX queue " + std::to_string(q) + " of " + _info.name, rc, "lower port.tx_descriptors");
    }
  }
}

void port::apply_mac() {
  const std::uint16_t id = _info.port_id;
  if (_info.driver == "net_tap") {
    // The tap PMD gives its kernel interface (the other end of the link) the port's own MAC and
    // mirrors every MAC change onto it, so both ends would share one address and the kernel would
    // "learn" its own MAC for us. Answer as a distinct address in software instead: port.mac, or
    // the port's MAC with the low bit of its last byte flipped (drivers-notes/net_tap.md).
    rte_ether_addr own{};
    if (const int rc = rte_eth_macaddr_get(id, &own); rc != 0) {
      fail("cannot read the MAC of " + _info.name, rc, "");
    }
    net::mac_address distinct = to_mac(own);
    distinct.bytes[5] ^= 0x01;
    _software_mac = _cfg.mac.value_or(distinct);
  } else if (_cfg.mac) {
    rte_ether_addr addr{};
    std::memcpy(addr.addr_bytes, _cfg.mac->bytes.data(), _cfg.mac->bytes.size());
    const int rc = rte_eth_dev_default_mac_addr_set(id, &addr);
    if (rc == -ENOTSUP) {
      // net_memif and some virtual NICs have no settable MAC. The pipeline matches the
      // destination MAC in software, so rampart can still answer as the configured address;
      // start() turns promiscuous mode on so hardware filtering (if any) does not hide it.
      _software_mac = *_cfg.mac;
      log_warning(_info.name + " (" + _info.driver + ") cannot change its MAC; answering as " +
                  _cfg.mac->to_string() + " in software, with promiscuous mode on");
    } else if (rc != 0) {
      fail("cannot set the MAC of " + _info.name + " to " + _cfg.mac->to_string(), rc,
           "remove port.mac to use the port's own address");
    }
  }
}

port::~port() {
  stop_and_close();
  for (const auto& [socket, pool] : _pools) {
    rte_mempool_free(pool);
  }
}

void port::start() {
  start_device();
  const std::uint16_t id = _info.port_id;
  _rss_at_start = _info.plan.rss ? read_rss(id) : rss_readback{};
  _info.steering = plan_reply_steering(_info.plan, _rss_at_start);
  if (_software_mac) {
    _info.mac = *_software_mac;
  } else {
    rte_ether_addr addr{};
    if (const int rc = rte_eth_macaddr_get(id, &addr); rc != 0) {
      fail("cannot read the MAC of " + _info.name, rc, "");
    }
    _info.mac = to_mac(addr);
  }
  if (_cfg.ipv6) {
    _info.ipv6 = pipeline::ipv6_identity{*_cfg.ipv6, net::ipv6_address::link_local_of(_info.mac)};
    join_ipv6_groups();
  }
}

void port::join_ipv6_groups() noexcept {
  if (!_info.ipv6) {
    return;
  }
  // RFC 4861 §7.2.1: Neighbor Solicitations for an address go to its solicited-node group; the
  // all-nodes group carries unsolicited advertisements and multicast echo (RFC 4291 §2.7.1).
  std::vector<net::mac_address> groups{net::ipv6_address::all_nodes().multicast_mac(),
                                       _info.ipv6->global.address.solicited_node().multicast_mac()};
  const net::mac_address link_local_group = _info.ipv6->link_local.solicited_node().multicast_mac();
  if (link_local_group != groups.back()) {
    groups.push_back(link_local_group);
  }
  std::vector<rte_ether_addr> list(groups.size());
  std::string names;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::memcpy(list[i].addr_bytes, groups[i].bytes.data(), groups[i].bytes.size());
    names += (i == 0 ? "" : ", ") + groups[i].to_string();
  }
  const std::uint16_t id = _info.port_id;
  const int rc = rte_eth_dev_set_mc_addr_list(id, list.data(), static_cast<std::uint32_t>(list.size()));
  if (rc == 0) {
    log_info("IPv6: multicast filter of " + _info.name + " lets " + names + " through");
    return;
  }
  const int all = rte_eth_allmulticast_enable(id);
  if (all == 0) {
    log_info("IPv6: " + _info.name + " (" + _info.driver + ") has no multicast filter (" + errno_text(rc) +
             "); all-multicast mode on, for " + names);
  } else {
    log_warning("IPv6: cannot let " + names + " through " + _info.name + " (" + _info.driver +
                "): multicast filter: " + errno_text(rc) + "; all-multicast mode: " + errno_text(all) +
                "; Neighbor Solicitations arrive only where nothing below the driver filters multicast "
                "(drivers-notes/" + _info.driver + ".md)");
  }
}

void port::start_device() {
  const std::uint16_t id = _info.port_id;
  if (const int rc = rte_eth_dev_start(id); rc != 0) {
    fail("cannot start " + _info.name, rc, "see the PMD log lines above");
  }
  _started = true;
  if (_software_mac) {
    if (const int rc = rte_eth_promiscuous_enable(id); rc != 0 && rc != -ENOTSUP) {
      log_warning("cannot turn promiscuous mode on for " + _info.name + ": " + errno_text(rc));
    }
    return;
  }
  // The pipeline filters by destination MAC anyway; promiscuous mode would only add work.
  // Some PMDs (net_af_packet, net_memif) cannot change it: that is harmless, so not an error.
  if (const int rc = rte_eth_promiscuous_disable(id); rc != 0 && rc != -ENOTSUP) {
    log_warning("cannot turn promiscuous mode off on " + _info.name + ": " + errno_text(rc));
  }
}

std::optional<std::string> port::restart() noexcept {
  if (_started) {
    rte_eth_dev_stop(_info.port_id);
    _started = false;
  }
  try {
    start_device();
  } catch (const startup_error& e) {
    return e.what();
  }
  join_ipv6_groups();
  return std::nullopt;
}

std::optional<std::string> port::reset() noexcept {
  // rte_eth_dev_reset stops the port and returns it to its state after probing, no queue set up
  // (rte_ethdev.h); everything start-up applied is applied again, from the same plan and pools.
  _started = false;
  if (const int rc = rte_eth_dev_reset(_info.port_id); rc != 0) {
    return "rte_eth_dev_reset: " + errno_text(rc);
  }
  try {
    configure_device();
    setup_queues();
    apply_mac();
    start_device();
  } catch (const startup_error& e) {
    return e.what();
  }
  join_ipv6_groups();
  // Replies to connections rampart opened reach their worker through the RSS key and RETA read
  // at start (reply_steering.hh); a driver that came back with others would send them elsewhere.
  if (_info.plan.rss) {
    const rss_readback now = read_rss(_info.port_id);
    if (now.key != _rss_at_start.key || now.reta != _rss_at_start.reta) {
      log_warning(_info.name + " came back from its reset with another RSS key or redirection table: replies to "
                  "connections rampart opens may reach the wrong worker; restart rampart to plan them again");
    }
  }
  return std::nullopt;
}

void port::stop_and_close() noexcept {
  if (_closed) {
    return;
  }
  if (_started) {
    rte_eth_dev_stop(_info.port_id);
    _started = false;
  }
  rte_eth_dev_close(_info.port_id);
  _closed = true;
}

rte_mempool* port::pool_for_lcore(unsigned lcore_id) const {
  return _pools.at(static_cast<int>(rte_lcore_to_socket_id(lcore_id)));
}

link_state port::link() const noexcept {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(_info.port_id, &link) != 0) {
    return {};
  }
  link_state state;
  state.up = link.link_status == RTE_ETH_LINK_UP;
  state.speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
  state.full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
  // A kernel-backed port (net_tap) reads its state with ioctls on the interface's name in this
  // process's network namespace; once the interface moved to another one, it reads "down" while
  // frames still flow (drivers-notes/net_tap.md, "Link").
  char name[IF_NAMESIZE];
  if (!state.up && _info.if_index != 0 && if_indextoname(_info.if_index, name) == nullptr) {
    state.unknown = true;
  }
  return state;
}

driver_counters port::driver_stats() const noexcept {
  rte_eth_stats s{};
  if (rte_eth_stats_get(_info.port_id, &s) != 0) {
    return {};
  }
  driver_counters d;
#define RAMPART_X(name, description) d.name = s.name;
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  return d;
}

void log_port(const port_info& info) {
  log_info("port " + info.name + " (driver " + info.driver + ", port id " + std::to_string(info.port_id) +
           ", socket " + std::to_string(info.socket_id) + "): MAC " + info.mac.to_string() + ", IP " +
           info.ip.to_string() +
           (info.ipv6 ? ", IPv6 " + info.ipv6->global.to_string() + " and " + info.ipv6->link_local.to_string()
                      : std::string()) +
           ", MTU " + std::to_string(info.mtu));
  log_info("queues: " + std::to_string(info.plan.queues) + " RX/TX pair(s), " + std::to_string(info.rx_descriptors) +
           " RX / " + std::to_string(info.tx_descriptors) + " TX descriptors each");
  log_info(std::string("RSS: ") + (info.plan.rss ? "on, hash " + describe_rss_hf(info.plan.rss_hf) : "off") +
           "; TX checksum offload: " + describe_tx_offloads(info.plan.tx_offloads) +
           " (other checksums in software); RX TCP checksum: " +
           ((info.plan.rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0 ? "trusted when the NIC marks it good" : "verified in software"));
  log_info("replies to connections rampart opens: " + describe(info.steering));
  for (const std::string& w : info.plan.warnings) {
    log_warning(w);
  }
  for (const std::string& w : info.steering.warnings) {
    log_warning(w);
  }
}

}  // namespace rampart::engine
