// Every configuration key, declared once: its YAML name and one line saying what it is for,
// whether SIGHUP applies it (`live`; restart otherwise), the member it fills, its range or
// allowed values, and its own check. The default is the member's initialiser (config.hh);
// docs/config.md has a row per key with that default, and a unit test holds the two together.
// Rules between keys, and defaults computed from other keys: cross_checks.cc.
#include "keys.hh"

#include <array>

#include "config/schema.hh"
#include "cross_checks.hh"
#include "declaration.hh"
#include "eal_options.hh"
#include "values.hh"

namespace rampart::config {
namespace {

constexpr std::array<named<cookie_mode>, 3> cookie_mode_names{
    {{"always", cookie_mode::always}, {"auto", cookie_mode::auto_mode}, {"off", cookie_mode::off}}};

constexpr std::array<named<congestion_control>, 2> congestion_control_names{
    {{"reno", congestion_control::reno}, {"cubic", congestion_control::cubic}}};

const section_schema<eal_config> eal_keys = {
    text({"lcores", "EAL --lcores: the first lcore is the control lcore, every other one runs a worker"},
         &eal_config::lcores, lcore_list_problem),
    integer({"memory_mb", "EAL -m: MiB of memory reserved at start; it must hold the mbuf pool"},
            &eal_config::memory_mb, 64, 1U << 20),
    boolean({"no_huge", "EAL --no-huge: ordinary pages instead of hugepages (tests, demos)"}, &eal_config::no_huge),
    boolean({"no_pci", "EAL --no-pci: no PCI scan, only eal.vdevs"}, &eal_config::no_pci),
    text_list({"vdevs", "EAL --vdev, one per entry, e.g. \"net_tap0,iface=rampart0\""}, &eal_config::vdevs),
    text_list({"pci_allow", "EAL -a: the PCI devices to probe; empty: every bound one"}, &eal_config::pci_allow,
              pci_list_problem),
    text({"file_prefix", "EAL --file-prefix: names the runtime directory, where the telemetry socket lives"},
         &eal_config::file_prefix, file_prefix_problem),
    boolean({"in_memory", "EAL --in-memory: no runtime files, so no telemetry socket"}, &eal_config::in_memory),
    text({"log_level", "EAL --log-level: a level, or <type>:<level>", live}, &eal_config::log_level,
         log_level_problem),
    text_list({"extra_args", "further options of DPDK 22.11's EAL, passed as they are"}, &eal_config::extra_args,
              extra_args_problem),
};

const section_schema<port_config> port_keys = {
    text({"device", "the DPDK port: the name of one of eal.vdevs, or a PCI address; empty: port 0"},
         &port_config::device),
    parsed({.name = "ip", .doc = "the port's IPv4 address with prefix, e.g. ip: 10.77.0.2/24", .required = true},
           &port_config::ip, parse_host_address),
    parsed({.name = "mac", .doc = "a unicast MAC to answer with instead of the port's own", .unset = "the port's own"},
           &port_config::mac, parse_unicast_mac),
    parsed({.name = "gateway", .doc = "the router for destinations off the subnet that no route holds",
            .unset = "none"},
           &port_config::gateway, parse_unicast_address),
    parsed({.name = "ipv6",
            .doc = "the port's IPv6 address with prefix, e.g. ipv6: fd77::2/64; its link-local one comes from the MAC",
            .unset = "none"},
           &port_config::ipv6, parse_ipv6_host_address),
    parsed({.name = "ipv6_gateway", .doc = "the IPv6 router: link-local, or on the ipv6 prefix", .unset = "none"},
           &port_config::ipv6_gateway, parse_ipv6_unicast_address),
    // 68: the smallest MTU every IPv4 host must accept (RFC 791); 9216: common jumbo frame limit.
    integer({"mtu", "largest IP packet on the link"}, &port_config::mtu, 68, 9216),
    integer({"rx_descriptors", "receive ring size per queue"}, &port_config::rx_descriptors, 64, 16384,
            power_of_two_problem),
    integer({"tx_descriptors", "transmit ring size per queue"}, &port_config::tx_descriptors, 64, 16384,
            power_of_two_problem),
    integer({"mbufs", "packet buffers in the pool of each NUMA socket; 2^n - 1 suits the mempool best"},
            &port_config::mbufs, 1023, 1U << 26),
    integer({"burst_size", "packets per rx_burst / tx_burst call"}, &port_config::burst_size, 1, 256),
};

const section_schema<listener_config> listener_keys = {
    integer({.name = "port", .doc = "the TCP port to listen on, 1..65535", .required = true}, &listener_config::port,
            1, 65535),
    text({.name = "app", .doc = "the app serving the port: http, echo, discard or plugin", .required = true},
         &listener_config::app, app_name_problem),
    text({.name = "plugin", .doc = "with app: plugin, the plugin's shared object", .unset = "none"},
         &listener_config::plugin, plugin_path_problem),
    argument_map({"args", "the app's arguments, passed through to it"}, &listener_config::args),
    boolean({"nagle", "Nagle's algorithm (RFC 1122 §4.2.3.4); false sends short segments at once"},
            &listener_config::nagle),
    integer({"idle_timeout_seconds", "reset a connection that received nothing this long; 0: never"},
            &listener_config::idle_timeout_seconds, 0, 7 * 86400),
    choice({"congestion_control", "RFC 5681 Reno or RFC 9438 CUBIC, for the listener's connections"},
           &listener_config::congestion, congestion_control_names),
};

std::string listener_label(const listener_config& listener) { return "port " + std::to_string(listener.port); }

const section_schema<route_config> route_keys = {
    parsed({.name = "prefix", .doc = "the destinations the route holds, a.b.c.d/len", .required = true},
           &route_config::prefix, parse_prefix),
    parsed({.name = "via", .doc = "the router on the port's subnet they are reached through", .required = true},
           &route_config::via, parse_unicast_address),
};

std::string route_label(const route_config& route) { return route.prefix.to_string(); }

const section_schema<syn_cookie_config> syn_cookie_keys = {
    choice({"mode", "auto: a SYN backlog, cookies past auto_threshold; always: cookies only; off: no cookies"},
           &syn_cookie_config::mode, cookie_mode_names),
    integer({"rotation_seconds", "lifetime of a cookie key, in whole 16-second ticks"},
            &syn_cookie_config::rotation_seconds, 64, 86400, rotation_problem),
    text({"master_secret_file", "derive the keys from this file's secret; empty: random keys"},
         &syn_cookie_config::master_secret_file),
    integer({"backlog_per_lcore", "auto mode: half-open entries each worker lcore keeps"},
            &syn_cookie_config::backlog_per_lcore, 1, 1U << 20),
    integer({"auto_threshold", "auto mode: cookies once this many entries are half-open"},
            &syn_cookie_config::auto_threshold, 0, 1U << 20),
};

const section_schema<tcp_config> tcp_keys = {
    integer({"mss", "MSS we advertise; left out: min(1460, port.mtu - 40)"}, &tcp_config::mss, 536, 9216 - 40),
    // RFC 7323 §2.3: a shift count above 14 must be treated as 14; refuse it instead of pretending.
    integer({"window_scale", "window scale shift we advertise (RFC 7323 §2.3)"}, &tcp_config::window_scale, 0, 14),
    // RFC 7323 §2.3: the largest window a scaled connection can use is 2^30 bytes.
    integer({"receive_window", "bytes a peer may send ahead on one connection"}, &tcp_config::receive_window, 1,
            1U << 30),
    integer({"connections_per_lcore", "connection table capacity of each worker lcore"},
            &tcp_config::connections_per_lcore, 1, 1U << 24),
    integer({"drain_timeout_seconds", "SIGTERM: how long open connections may finish; 0: stop at once", live},
            &tcp_config::drain_timeout_seconds, 0, 3600),
    integer({"send_buffer", "bytes an app may queue on one connection"}, &tcp_config::send_buffer, 1, 1U << 30),
    integer({"send_budget", "mbufs the send queues of one worker lcore may hold; left out: 4096, or what the pool "
                            "leaves"},
            &tcp_config::send_budget, 1, 1U << 26),
    // RFC 6928 allows 10; RFC 5681's 2-4 and larger experimental values stay possible.
    integer({"initial_window", "initial congestion window in segments (RFC 6928)"}, &tcp_config::initial_window, 1,
            100),
    boolean({"tail_loss_probe", "probe a silent tail before the RTO (RFC 8985 §7)"}, &tcp_config::tail_loss_probe),
    // RFC 6298 §2.4-2.5: a floor (1 s there; 200 ms by default here, like Linux), a ceiling of at
    // least 60 s, and 1 s before the first sample (§2.1).
    integer({"rto_min_ms", "floor of the retransmission timeout"}, &tcp_config::rto_min_ms, 1, 60'000),
    integer({"rto_initial_ms", "retransmission timeout before the first RTT sample"}, &tcp_config::rto_initial_ms, 1,
            60'000),
    integer({"rto_max_ms", "ceiling of the retransmission timeout's back-off"}, &tcp_config::rto_max_ms, 1, 600'000),
    integer({"max_retransmissions", "timeouts in a row before a connection is reset"},
            &tcp_config::max_retransmissions, 1, 30),
    // RFC 9293 §3.8.6.3: an ACK "MUST NOT be excessively delayed", less than 0.5 s.
    integer({"delayed_ack_ms", "longest an ACK waits for a second segment or for data to ride on"},
            &tcp_config::delayed_ack_ms, 0, 499),
    integer({"time_wait_seconds", "TIME-WAIT of connections rampart closed first"}, &tcp_config::time_wait_seconds, 1,
            240),
    integer({"reassembly_budget", "mbufs each worker lcore may hold for out-of-order data; left out: port.mbufs / 8"},
            &tcp_config::reassembly_budget, 0, 1U << 24),
    integer({"challenge_acks_per_second", "challenge ACKs per connection per second (RFC 5961 §7)"},
            &tcp_config::challenge_acks_per_second, 1, 10'000),
    // Per lcore token buckets (docs/tcp.md, "Replies to unauthenticated segments"); 0 sends none.
    integer({"challenge_acks_per_second_lcore", "challenge ACKs per worker lcore per second; 0: none"},
            &tcp_config::challenge_acks_per_second_lcore, 0, 10'000'000),
    integer({"rst_per_second", "RSTs answering segments of no connection, per worker lcore per second; 0: none"},
            &tcp_config::rst_per_second, 0, 10'000'000),
    parsed({"local_ports", "first-last: the local ports of connections rampart opens, shared by the worker lcores"},
           &tcp_config::local_ports, parse_local_ports),
    section({"syn_cookies", "stateless handshakes (docs/syncookies.md)"}, &tcp_config::syn_cookies, syn_cookie_keys),
};

const section_schema<stats_config> stats_keys = {
    integer({"interval_seconds", "seconds between periodic stats lines; 0: none", live},
            &stats_config::interval_seconds, 0, 86400),
    text({"metrics_listen", "a.b.c.d:port of the Prometheus endpoint (GET /metrics); empty: off"},
         &stats_config::metrics_listen, listen_address_problem),
    text({"capture_directory", "the directory /rampart/capture writes its files in, and nowhere else"},
         &stats_config::capture_directory, absolute_path_problem),
};

const section_schema<engine_config> document_keys = {
    section({"eal", "DPDK's Environment Abstraction Layer: rte_eal_init's arguments"}, &engine_config::eal, eal_keys),
    section({.name = "port", .doc = "the DPDK port rampart terminates TCP on, with at least ip: a.b.c.d/len",
             .required = true},
            &engine_config::port, port_keys),
    // Each worker builds the listeners' apps once, at start-up: no listener key applies live.
    list({"listeners", "the TCP ports and the app serving each"}, &engine_config::listeners, listener_keys,
         listener_label, check_listener),
    // Each worker builds its route table once, at start-up: no route key applies live.
    list({"routes", "destination prefixes reached through a router on the port's subnet"}, &engine_config::routes,
         route_keys, route_label, check_route),
    section({"tcp", "TCP behaviour, the same on every worker lcore"}, &engine_config::tcp, tcp_keys),
    section({"stats", "the periodic stats line, the Prometheus endpoint, where captures go"}, &engine_config::stats, stats_keys),
};

}  // namespace

void read_document(context& ctx, const field& root, engine_config& config) {
  read_section(ctx, root, document_keys, config);
}

std::string document_sections() {
  std::string list;
  for (const auto& section : document_keys) {
    list += (list.empty() ? "" : ", ") + std::string(section.info.name);
  }
  return list;
}

config_node describe(const engine_config& config) {
  config_node root;
  describe_section(document_keys, config, root);
  return root;
}

engine_config with_live_keys(const engine_config& running, const engine_config& next) {
  engine_config effective = running;
  take_live_keys(document_keys, next, effective);
  return effective;
}

std::string_view to_string(cookie_mode mode) noexcept {
  for (const auto& entry : cookie_mode_names) {
    if (entry.value == mode) {
      return entry.name;
    }
  }
  return "unknown";
}

}  // namespace rampart::config
