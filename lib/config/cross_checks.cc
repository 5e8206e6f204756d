#include "cross_checks.hh"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "eal_options.hh"
#include "values.hh"

namespace rampart::config {
namespace {

// Data room + struct rte_mbuf + headroom + mempool header/trailer: a conservative per-mbuf cost
// for the memory check. Frames above 2048 bytes need a bigger data room.
std::uint64_t mbuf_footprint_bytes(std::uint16_t mtu) {
  const std::uint64_t frame = std::uint64_t{mtu} + 22;  // Ethernet header + one VLAN tag + FCS
  return std::max<std::uint64_t>(2048, frame) + 128 + 128 + 64;
}

bool vdev_named(const std::vector<std::string>& vdevs, std::string_view device) {
  return std::any_of(vdevs.begin(), vdevs.end(), [&](const std::string& vdev) {
    return std::string_view(vdev).substr(0, vdev.find(',')) == device;
  });
}

void check_eal(const context& ctx, const eal_config& eal) {
  if (eal.no_pci && !eal.pci_allow.empty()) {
    ctx.fail(ctx.line_of("eal.pci_allow"), "eal.pci_allow",
             "conflicts with eal.no_pci: true (line " + std::to_string(ctx.line_of("eal.no_pci")) +
                 "); set no_pci: false to use PCI devices");
  }
  if (eal.no_huge) {
    if (const std::optional<list_problem> problem = no_huge_problem(eal.extra_args)) {
      const std::string element = "eal.extra_args[" + std::to_string(problem->index) + "]";
      ctx.fail(ctx.line_of(element), element, problem->message);
    }
  }
}

void check_device(const context& ctx, const eal_config& eal, const port_config& port) {
  if (port.device.empty()) {
    return;
  }
  const bool is_pci = is_pci_address(port.device);
  if (!is_pci && !vdev_named(eal.vdevs, port.device)) {
    ctx.fail(ctx.line_of("port.device"), "port.device",
             in_quotes(port.device) + " is neither a PCI address nor the name of one of eal.vdevs" +
                 " (add a vdev such as \"" + port.device + ",...\" or fix the name)");
  }
  if (is_pci && eal.no_pci) {
    ctx.fail(ctx.line_of("port.device"), "port.device",
             in_quotes(port.device) + " is a PCI device but eal.no_pci is true (line " +
                 std::to_string(ctx.line_of("eal.no_pci")) + ")");
  }
  if (is_pci && !eal.pci_allow.empty()) {
    const std::string wanted = canonical_pci(port.device);
    const bool allowed = std::any_of(eal.pci_allow.begin(), eal.pci_allow.end(),
                                     [&](const std::string& a) { return canonical_pci(a) == wanted; });
    if (!allowed) {
      ctx.fail(ctx.line_of("port.device"), "port.device",
               in_quotes(port.device) + " is not in eal.pci_allow, so EAL will not probe it");
    }
  }
}

// The pool against the rings and the memory; tcp.send_budget against what the rings leave.
void check_buffers(const context& ctx, const eal_config& eal, const port_config& port, tcp_config& tcp) {
  if (port.burst_size > port.rx_descriptors) {
    ctx.fail(ctx.line_of("port.burst_size"), "port.burst_size",
             std::to_string(port.burst_size) + " exceeds port.rx_descriptors (" +
                 std::to_string(port.rx_descriptors) + "); one burst could never fill");
  }
  // Per queue, the RX ring is kept full and the TX ring may hold a whole ring of sent frames
  // while a burst is in flight; fewer mbufs than that starve reception. The engine repeats the
  // check with its real queue count. TODO(engine): pass the queue count in to check it here.
  const std::uint64_t per_queue = std::uint64_t{port.rx_descriptors} + port.tx_descriptors + port.burst_size;
  if (port.mbufs < per_queue) {
    ctx.fail(ctx.line_of("port.mbufs", {"port.rx_descriptors", "port.tx_descriptors", "port"}), "port.mbufs",
             std::to_string(port.mbufs) +
                 " is fewer than one queue needs (rx_descriptors + tx_descriptors + burst_size = " +
                 std::to_string(per_queue) + ")");
  }
  // The send queues of one lcore may hold tcp.send_budget mbufs; whatever they hold, one RX
  // queue's worth must stay free for reception and handshakes (docs/tcp.md, memory under load).
  const std::uint64_t sendable = port.mbufs > per_queue ? port.mbufs - per_queue : 1;
  if (ctx.has("tcp.send_budget")) {
    if (tcp.send_budget > sendable) {
      ctx.fail(ctx.line_of("tcp.send_budget", {"port.mbufs", "tcp"}), "tcp.send_budget",
               std::to_string(tcp.send_budget) +
                   " exceeds port.mbufs - (rx_descriptors + tx_descriptors + burst_size) = " +
                   std::to_string(sendable) +
                   "; lower it or raise port.mbufs, so reception keeps buffers when send queues are full");
    }
  } else {
    tcp.send_budget = static_cast<std::uint32_t>(std::min<std::uint64_t>(tcp.send_budget, sendable));
  }
  const std::uint64_t pool_mb = (port.mbufs * mbuf_footprint_bytes(port.mtu) + (1U << 20) - 1) >> 20;
  if (pool_mb > eal.memory_mb) {
    ctx.fail(ctx.line_of("port.mbufs", {"eal.memory_mb", "port.mtu", "port"}), "port.mbufs",
             std::to_string(port.mbufs) + " mbufs need about " + std::to_string(pool_mb) +
                 " MiB but eal.memory_mb is " + std::to_string(eal.memory_mb) + " (raise memory_mb or lower mbufs)");
  }
  // Out-of-order data may take a share of the pool, never so much that receiving, handshakes
  // and sends starve: at most half of it per lcore; by default an eighth (docs/tcp.md).
  if (ctx.has("tcp.reassembly_budget")) {
    if (tcp.reassembly_budget > port.mbufs / 2) {
      ctx.fail(ctx.line_of("tcp.reassembly_budget"), "tcp.reassembly_budget",
               std::to_string(tcp.reassembly_budget) + " exceeds half of port.mbufs (" + std::to_string(port.mbufs) +
                   " / 2 = " + std::to_string(port.mbufs / 2) +
                   "): out-of-order data could starve receiving and handshakes; lower it or raise port.mbufs");
    }
  } else {
    tcp.reassembly_budget = port.mbufs / 8;
  }
}

void check_tcp(const context& ctx, const port_config& port, tcp_config& tcp) {
  if (tcp.rto_min_ms > tcp.rto_max_ms) {
    ctx.fail(ctx.line_of("tcp.rto_min_ms", {"tcp.rto_max_ms", "tcp"}), "tcp.rto_min_ms",
             std::to_string(tcp.rto_min_ms) + " is above tcp.rto_max_ms (" + std::to_string(tcp.rto_max_ms) +
                 "); lower it or raise rto_max_ms");
  }
  // RFC 9293 §3.7.1: the MSS option counts only TCP payload, so it is at most MTU - 40 (20-byte
  // IPv4 + 20-byte TCP headers). An explicit value above that is an error; the default follows
  // the MTU down (which, below MTU 576, goes under RFC 1122's 536 because the link cannot carry
  // more).
  const std::uint32_t max_mss = port.mtu - 40U;
  if (ctx.has("tcp.mss")) {
    if (tcp.mss > max_mss) {
      ctx.fail(ctx.line_of("tcp.mss"), "tcp.mss",
               std::to_string(tcp.mss) + " exceeds port.mtu - 40 = " + std::to_string(max_mss) +
                   " (the MSS counts payload only: MTU minus 20-byte IPv4 and 20-byte TCP headers)");
    }
  } else {
    tcp.mss = static_cast<std::uint16_t>(std::min<std::uint32_t>(tcp.mss, max_mss));
  }

  // RFC 7323 §2.3: the 16-bit window field shifted by window_scale bounds what we can advertise.
  const std::uint64_t max_window = std::uint64_t{65535} << tcp.window_scale;
  if (tcp.receive_window > max_window) {
    std::uint32_t needed = tcp.window_scale;
    while ((std::uint64_t{65535} << needed) < tcp.receive_window) {
      ++needed;
    }
    ctx.fail(ctx.line_of("tcp.receive_window", {"tcp.window_scale", "tcp"}), "tcp.receive_window",
             std::to_string(tcp.receive_window) + " exceeds 65535 << tcp.window_scale (" +
                 std::to_string(tcp.window_scale) + ") = " + std::to_string(max_window) + "; raise window_scale to " +
                 std::to_string(needed) + " or lower the window");
  }
  // A window below one segment forces the peer into silly-window sends (RFC 9293 §3.8.6.2.1).
  if (tcp.receive_window < tcp.mss) {
    ctx.fail(ctx.line_of("tcp.receive_window", {"tcp.mss", "tcp"}), "tcp.receive_window",
             std::to_string(tcp.receive_window) + " is smaller than one segment (tcp.mss = " +
                 std::to_string(tcp.mss) + ")");
  }

  const syn_cookie_config& cookies = tcp.syn_cookies;
  if (cookies.auto_threshold > cookies.backlog_per_lcore) {
    ctx.fail(ctx.line_of("tcp.syn_cookies.auto_threshold", {"tcp.syn_cookies.backlog_per_lcore", "tcp.syn_cookies"}),
             "tcp.syn_cookies.auto_threshold",
             std::to_string(cookies.auto_threshold) + " exceeds backlog_per_lcore (" +
                 std::to_string(cookies.backlog_per_lcore) + "); the backlog would overflow before cookies start");
  }
}

// port.gateway and every route's via are neighbours: hosts of the port's subnet other than
// the port itself (RFC 1122 §3.3.1.1: a first-hop router is on a connected network).
void check_next_hop(const context& ctx, const std::string& key, net::ipv4_address next_hop,
                    const port_config& port) {
  const std::uint32_t mask = port.ip.netmask();
  if ((next_hop.value & mask) != (port.ip.address.value & mask)) {
    ctx.fail(ctx.line_of(key), key,
             next_hop.to_string() + " is not on the port's subnet (port.ip is " + port.ip.to_string() +
                 "); name a router rampart reaches directly");
  }
  if (next_hop == port.ip.address) {
    ctx.fail(ctx.line_of(key), key, next_hop.to_string() + " is the port's own address; name the router");
  }
}

void check_routes(const context& ctx, const port_config& port, const std::vector<route_config>& routes) {
  if (port.gateway) {
    check_next_hop(ctx, "port.gateway", *port.gateway, port);
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const std::string item = "routes[" + std::to_string(i) + "]";
    check_next_hop(ctx, item + ".via", routes[i].via, port);
    const net::ipv4_interface_address subnet{{port.ip.address.value & port.ip.netmask()}, port.ip.prefix_length};
    if (routes[i].prefix == subnet) {
      ctx.fail(ctx.line_of(item + ".prefix"), item + ".prefix",
               subnet.to_string() + " is the port's own subnet (port.ip " + port.ip.to_string() +
                   "), reached directly; delete the route");
    }
    if (routes[i].prefix.prefix_length == 0 && port.gateway) {
      ctx.fail(ctx.line_of(item + ".prefix"), item + ".prefix",
               "0.0.0.0/0 is the default route, which port.gateway (line " +
                   std::to_string(ctx.line_of("port.gateway")) + ") already sets; keep one");
    }
  }
}

// RFC 4861 §8: a host learns its routers' link-local addresses (Redirects name them by it); a
// static one may also be a neighbour on the port's prefix. Either way it must be on the link.
void check_ipv6_gateway(const context& ctx, const port_config& port) {
  if (!port.ipv6_gateway) {
    return;
  }
  const std::string key = "port.ipv6_gateway";
  const std::string gateway = port.ipv6_gateway->to_string();
  if (!port.ipv6) {
    ctx.fail(ctx.line_of(key), key, gateway + " needs port.ipv6, the port's own IPv6 address; add it or delete this key");
  }
  if (*port.ipv6_gateway == port.ipv6->address) {
    ctx.fail(ctx.line_of(key), key, gateway + " is the port's own address; name the router");
  }
  if (!port.ipv6_gateway->is_link_local() && !port.ipv6->on_link(*port.ipv6_gateway)) {
    ctx.fail(ctx.line_of(key), key,
             gateway + " is neither link-local (fe80::/10) nor on the port's prefix (port.ipv6 is " +
                 port.ipv6->to_string() + "); name a router rampart reaches directly");
  }
}

}  // namespace

void check_cross_fields(const context& ctx, engine_config& config) {
  check_eal(ctx, config.eal);
  check_device(ctx, config.eal, config.port);
  check_buffers(ctx, config.eal, config.port, config.tcp);
  check_tcp(ctx, config.port, config.tcp);
  check_routes(ctx, config.port, config.routes);
  check_ipv6_gateway(ctx, config.port);
}

void check_route(const context& ctx, const field& item, const std::vector<route_config>& routes) {
  const route_config& route = routes.back();
  for (std::size_t i = 0; i + 1 < routes.size(); ++i) {
    if (routes[i].prefix == route.prefix) {
      const std::string prefix = item.path + ".prefix";
      ctx.fail(ctx.line_of(prefix), prefix,
               route.prefix.to_string() + " already has a route (line " +
                   std::to_string(ctx.line_of("routes[" + std::to_string(i) + "].prefix")) + "); keep one");
    }
  }
}

void check_listener(const context& ctx, const field& item, const std::vector<listener_config>& listeners) {
  const listener_config& listener = listeners.back();
  const std::string port = item.path + ".port";
  for (std::size_t i = 0; i + 1 < listeners.size(); ++i) {
    if (listeners[i].port == listener.port) {
      ctx.fail(ctx.line_of(port), port,
               "port " + std::to_string(listener.port) + " already has a listener (line " +
                   std::to_string(ctx.line_of("listeners[" + std::to_string(i) + "].port")) + "); keep one");
    }
  }
  // A third-party app is `app: plugin` plus the shared object that implements it (docs/apps.md).
  // Whether the file loads is lib/app's check, at start-up and in --check-config.
  const std::string plugin = item.path + ".plugin";
  if (listener.app == "plugin" && !ctx.has(plugin)) {
    ctx.fail(item.key_line, plugin,
             "missing required key (app: plugin needs the path of the plugin's shared object, e.g. plugin: "
             "/usr/lib/rampart/uppercase.so)");
  }
  if (listener.app != "plugin" && ctx.has(plugin)) {
    ctx.fail(ctx.line_of(plugin), plugin,
             "is only for app: plugin (line " + std::to_string(ctx.line_of(item.path + ".app")) + " says app: " +
                 listener.app + "); delete it, or write app: plugin");
  }
}

}  // namespace rampart::config
