// rampart-load: a DPDK traffic generator for rampart (and any TCP server on the link): spoofed
// SYN and ACK floods at fixed rates or as fast as it can, and legitimate clients that handshake,
// send HTTP requests and close, every step timed. One lcore, one port, one queue pair.
// perf/load/README.md describes the options, the output and how to run it.
#include <csignal>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "client.hh"
#include "flood.hh"
#include "frames.hh"
#include "options.hh"
#include "pacer.hh"
#include "report.hh"
#include "telemetry_client.hh"

namespace load = rampart::load;
namespace net = rampart::net;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr std::uint16_t queue_descriptors = 1024;
constexpr unsigned pool_size = 16383;
constexpr std::uint16_t rx_burst = 64;
constexpr std::uint16_t first_client_port = 10000;
constexpr std::uint16_t last_client_port = 60999;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "rampart-load: %s\n", message.c_str());
  std::exit(1);
}

// Client frames and ARP replies go out before the flood in every loop turn. What the TX queue
// refuses waits for the next turn by default: a legitimate segment lost in the generator's own
// full queue would be charged to the target as a retransmission timeout. With --drop-on-full
// (drop_refused) it is freed and counted instead, as a wire would lose it, and the client's own
// retransmission timer recovers it.
struct port_io {
  static constexpr std::size_t max_pending = 4096;
  std::uint16_t port = 0;
  rte_mempool* pool = nullptr;
  std::vector<rte_mbuf*> pending;
  bool drop_refused = false;
  load::traffic_counters* traffic = nullptr;

  rte_mbuf* frame() { return rte_pktmbuf_alloc(pool); }
  void queue(rte_mbuf* m, std::size_t length) {
    m->data_len = static_cast<std::uint16_t>(length);
    m->pkt_len = static_cast<std::uint32_t>(length);
    pending.push_back(m);
  }
  void flush() {
    std::size_t done = 0;
    while (done < pending.size()) {
      const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(pending.size() - done, 64));
      const std::uint16_t sent = rte_eth_tx_burst(port, 0, pending.data() + done, n);
      done += sent;
      if (sent < n) {
        if (drop_refused) {
          drop(done, pending.size());
          done = pending.size();
        }
        break;  // the queue is full: the rest waits for the next turn, or was dropped
      }
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(done));
    if (pending.size() > max_pending) {
      // Only a queue refusing everything for long gets here; the clients' timers recover.
      const std::size_t excess = pending.size() - max_pending;
      rte_pktmbuf_free_bulk(pending.data(), static_cast<unsigned>(excess));
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(excess));
      traffic->client_tx_dropped += excess;
    }
  }

 private:
  // Frees pending[from, to), counting the refused frames and, among them, the clients' SYNs.
  void drop(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      const load::rx_frame f = load::parse_frame(
          std::span(rte_pktmbuf_mtod(pending[i], const std::byte*), rte_pktmbuf_data_len(pending[i])));
      if (f.what == load::rx_frame::kind::tcp && f.tcp.header.has(net::tcp_flag::syn)) {
        ++traffic->legit_syn_refused;
      }
    }
    traffic->client_tx_refused += to - from;
    rte_pktmbuf_free_bulk(pending.data() + from, static_cast<unsigned>(to - from));
  }
};

// Client segments become frames from our address to the target.
class client_sink final : public load::segment_sink {
 public:
  client_sink(port_io& io, load::link_pair link, net::ipv4_address local, net::ipv4_address target)
      : _io(io), _link(link), _local(local), _target(target) {}
  void send(const net::tcp_header& header, const net::tcp_options& options,
            std::span<const std::byte> payload) override {
    rte_mbuf* m = _io.frame();
    if (m == nullptr) {
      return;  // the retransmission timer covers it
    }
    load::tcp_segment_spec s;
    s.link = _link;
    s.source_ip = _local;
    s.destination_ip = _target;
    s.header = header;
    s.options = options;
    s.payload = payload;
    s.ip_id = _id++;
    const std::size_t length =
        load::build_tcp_frame(std::span(rte_pktmbuf_mtod(m, std::byte*), rte_pktmbuf_tailroom(m)), s);
    if (length == 0) {
      rte_pktmbuf_free(m);
      return;
    }
    _io.queue(m, length);
  }

 private:
  port_io& _io;
  load::link_pair _link;
  net::ipv4_address _local;
  net::ipv4_address _target;
  std::uint16_t _id = 1;
};

// /rampart/cost and the frames the engine sent (tx_packets of /rampart/stats), read together:
// the worker's cycles are divided by its answers over the same interval.
std::optional<load::engine_cost_reading> read_cost(const std::string& path) {
  std::map<std::string, std::uint64_t> both;
  for (const char* command : {"/rampart/cost", "/rampart/stats"}) {
    std::string error;
    const auto text = load::telemetry_query(path, command, error);
    const auto flat = text ? load::flatten_json_numbers(*text) : std::nullopt;
    if (!flat) {
      return std::nullopt;
    }
    both.insert(flat->begin(), flat->end());
  }
  return load::cost_from_reply(both);
}

// rampart's counters (/rampart/stats) and its port's (DPDK's /ethdev/stats of port 0, rampart's
// only port, as "port.<name>": imissed is where a driver that cannot keep up drops).
std::optional<std::map<std::string, std::uint64_t>> read_counters(const std::string& path) {
  std::map<std::string, std::uint64_t> out;
  const std::pair<const char*, const char*> sources[] = {{"/rampart/stats", ""}, {"/ethdev/stats,0", "port."}};
  for (const auto& [command, rename] : sources) {
    std::string error;
    const auto text = load::telemetry_query(path, command, error);
    const auto flat = text ? load::flatten_json_numbers(*text) : std::nullopt;
    if (!flat) {
      return std::nullopt;
    }
    const std::string prefix = std::string(command).substr(0, std::string(command).find(',')) + ".";
    for (const auto& [name, value] : *flat) {  // the flattener skips per-queue arrays
      if (name.rfind(prefix, 0) == 0) {
        out[rename + name.substr(prefix.size())] = value;
      }
    }
  }
  return out;
}

void reply_arp(port_io& io, const net::arp_packet& request, const net::mac_address& our_mac,
               load::traffic_counters& traffic) {
  rte_mbuf* m = io.frame();
  if (m == nullptr) {
    return;
  }
  net::arp_packet reply;
  reply.operation = net::arp_op::reply;
  reply.sender_mac = our_mac;
  reply.sender_ip = request.target_ip;
  reply.target_mac = request.sender_mac;
  reply.target_ip = request.sender_ip;
  const std::size_t length = load::build_arp_frame(
      std::span(rte_pktmbuf_mtod(m, std::byte*), rte_pktmbuf_tailroom(m)), request.sender_mac, reply);
  io.queue(m, length);
  ++traffic.arp_answered;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> raw(argv + 1, argv + argc);
  for (const std::string& a : raw) {
    if (a == "--help" || a == "-h") {
      std::cout << load::usage_text();
      return 0;
    }
  }
  // Check our own options before EAL starts, so a typo costs no EAL start-up.
  std::vector<std::string> ours;
  bool after_separator = false;
  for (const std::string& a : raw) {
    if (after_separator) {
      ours.push_back(a);
    } else if (a == "--") {
      after_separator = true;
    }
  }
  load::load_options o;
  try {
    if (!after_separator) {
      throw load::usage_error("no \"--\": EAL options first, then -- and rampart-load's (see --help)");
    }
    o = load::parse_options(ours);
  } catch (const load::usage_error& e) {
    std::fprintf(stderr, "rampart-load: %s\n", e.what());
    return 2;
  }

  if (rte_eal_init(argc, argv) < 0) {
    die(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno) +
        " (check the EAL options: --vdev, --no-huge, --file-prefix, -l)");
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (rte_eth_dev_count_avail() == 0) {
    die("no DPDK port: give one with --vdev, e.g. --vdev net_af_packet0,iface=veth-load");
  }
  port_io io;
  io.port = 0;
  while (!rte_eth_dev_is_valid_port(io.port)) {
    ++io.port;
  }
  io.pool = rte_pktmbuf_pool_create("load_pool", pool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
  if (io.pool == nullptr) {
    die(std::string("cannot create the mbuf pool: ") + rte_strerror(rte_errno) + " (give EAL more memory: -m 512)");
  }
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(io.port, 1, 1, &conf); rc != 0) {
    die("cannot configure port " + std::to_string(io.port) + ": " + rte_strerror(-rc));
  }
  if (rte_eth_rx_queue_setup(io.port, 0, queue_descriptors, rte_eth_dev_socket_id(io.port), nullptr, io.pool) != 0 ||
      rte_eth_tx_queue_setup(io.port, 0, queue_descriptors, rte_eth_dev_socket_id(io.port), nullptr) != 0) {
    die("cannot set up the port's queues (1024 descriptors)");
  }
  if (int rc = rte_eth_dev_start(io.port); rc != 0) {
    die("cannot start port " + std::to_string(io.port) + ": " + rte_strerror(-rc));
  }
  rte_eth_promiscuous_enable(io.port);  // best effort: af_packet is promiscuous anyway
  rte_ether_addr port_mac{};
  rte_eth_macaddr_get(io.port, &port_mac);
  net::mac_address our_mac;
  std::memcpy(our_mac.bytes.data(), port_mac.addr_bytes, 6);
  if (o.local_mac) {
    our_mac = *o.local_mac;
  }
  load::traffic_counters traffic;
  io.traffic = &traffic;

  const std::uint64_t hz = rte_get_tsc_hz();
  const auto ns_since = [hz](std::uint64_t from, std::uint64_t to) {
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(to - from) * 1'000'000'000U / hz);
  };
  std::array<rte_mbuf*, rx_burst> rx;

  // The target's MAC: given, or resolved with ARP (a request every 200 ms, for 5 s).
  net::mac_address target_mac;
  if (o.target_mac) {
    target_mac = *o.target_mac;
  } else {
    bool resolved = false;
    const std::uint64_t give_up = rte_rdtsc() + 5 * hz;
    std::uint64_t next_request = 0;
    while (!resolved && rte_rdtsc() < give_up && g_stop == 0) {
      if (rte_rdtsc() >= next_request) {
        rte_mbuf* m = io.frame();
        if (m != nullptr) {
          net::arp_packet request{net::arp_op::request, our_mac, o.local_ip, {}, o.target_ip};
          io.queue(m, load::build_arp_frame(std::span(rte_pktmbuf_mtod(m, std::byte*), rte_pktmbuf_tailroom(m)),
                                            net::mac_address::broadcast(), request));
          io.flush();
        }
        next_request = rte_rdtsc() + hz / 5;
      }
      const std::uint16_t n = rte_eth_rx_burst(io.port, 0, rx.data(), rx_burst);
      for (std::uint16_t i = 0; i < n; ++i) {
        const load::rx_frame f = load::parse_frame(
            std::span(rte_pktmbuf_mtod(rx[i], const std::byte*), rte_pktmbuf_data_len(rx[i])));
        if (f.what == load::rx_frame::kind::arp && f.arp.operation == net::arp_op::reply &&
            f.arp.sender_ip == o.target_ip) {
          target_mac = f.arp.sender_mac;
          resolved = true;
        }
      }
      rte_pktmbuf_free_bulk(rx.data(), n);
    }
    if (!resolved) {
      die("no ARP reply from " + o.target_ip.to_string() +
          " within 5 s on this port (check the link, --target-ip, the peer's address; or give --target-mac)");
    }
  }

  std::optional<load::engine_cost_reading> cost_start;
  std::optional<std::map<std::string, std::uint64_t>> counters_start;
  if (!o.telemetry.empty()) {
    cost_start = read_cost(o.telemetry);
    counters_start = read_counters(o.telemetry);
    if (!cost_start || !counters_start) {
      die("cannot read rampart's telemetry at " + o.telemetry +
          " (is rampart running, with that eal.file_prefix? /rampart/cost needs a rampart with cost accounting)");
    }
  }

  // Legitimate clients.
  load::client_settings settings_template;
  settings_template.server_port = o.target_port;
  settings_template.requests = o.requests;
  settings_template.keep_alive = !o.http_close;
  settings_template.request = load::http_request(o.host, o.path, o.http_close);
  settings_template.deadline_ns = static_cast<std::uint64_t>(o.timeout_s * 1e9);
  std::vector<load::client_settings> settings(o.profiles.size(), settings_template);
  for (std::size_t i = 0; i < o.profiles.size(); ++i) {
    settings[i].options = o.profiles[i];
  }
  std::vector<load::client> clients(o.legit_concurrency);
  std::vector<std::uint32_t> free_slots;
  for (std::uint32_t i = o.legit_concurrency; i > 0; --i) {
    free_slots.push_back(i - 1);
  }
  std::vector<std::uint32_t> slot_of_port(65536, 0);  // port → slot + 1
  std::uint16_t next_port = first_client_port;
  std::uint64_t profile_turn = 0;
  client_sink sink(io, {our_mac, target_mac}, o.local_ip, o.target_ip);
  load::load_stats total;
  load::load_stats second;  // this second's, merged into total at each second's end

  load::flood_target flood{{our_mac, target_mac}, o.target_ip, o.target_port, o.flood_prefix, std::nullopt};
  const auto cookie_tick = [] { return static_cast<std::uint32_t>(std::time(nullptr) / 16); };
  flood.cookie_tick = cookie_tick();
  load::xorshift64 rng(o.seed);

  const std::uint64_t start = rte_rdtsc();
  const std::uint64_t end = start + static_cast<std::uint64_t>(o.duration_s * static_cast<double>(hz));
  // A stall of up to 500 ms (a loaded machine deschedules the generator for many time slices;
  // 100 ms was not enough at a load average of 12 on 2 CPUs) is caught up at most one burst
  // per turn; a longer one is written off as forfeited.
  const auto backlog = [&o](std::uint64_t rate) {
    return std::max<std::uint64_t>(o.burst, rate == load::rate_max ? o.burst : rate / 2);
  };
  load::rate_pacer syn_pacer(o.syn_rate == load::rate_max ? 1 : std::max<std::uint64_t>(o.syn_rate, 1), hz, start,
                             backlog(o.syn_rate));
  load::rate_pacer ack_pacer(o.ack_rate == load::rate_max ? 1 : std::max<std::uint64_t>(o.ack_rate, 1), hz, start,
                             backlog(o.ack_rate));
  load::rate_pacer ping_pacer(o.ping_rate == load::rate_max ? 1 : std::max<std::uint64_t>(o.ping_rate, 1), hz, start,
                              backlog(o.ping_rate));
  load::rate_pacer legit_pacer(o.legit_rate == load::rate_max ? 1 : std::max<std::uint64_t>(o.legit_rate, 1), hz,
                               start, o.legit_concurrency);

  std::vector<load::second_sample> seconds;
  load::traffic_counters traffic_mark = traffic;
  std::uint64_t second_mark = start;
  std::uint64_t next_second = start + hz;
  std::optional<load::engine_cost_reading> cost_mark = cost_start;
  std::uint64_t next_clock = start;
  std::vector<rte_mbuf*> flood_frames(o.burst);
  std::uint64_t drain_end = 0;
  bool interrupted = false;

  using flood_builder = std::size_t (*)(std::span<std::byte>, const load::flood_target&, load::xorshift64&) noexcept;
  // Without --drop-on-full the pacer is told only of the frames the queue took, so it sends the
  // refused ones again; with it, every frame built counts as sent, refused or not.
  const auto flood_burst = [&](load::rate_pacer& pacer, std::uint64_t rate, std::uint64_t now, flood_builder build,
                               std::uint64_t& accepted, std::uint64_t& refused) {
    if (rate == 0) {
      return;
    }
    const std::uint64_t due = rate == load::rate_max ? o.burst : std::min<std::uint64_t>(pacer.due(now), o.burst);
    if (due == 0) {
      return;
    }
    const auto n = static_cast<unsigned>(due);
    if (rte_pktmbuf_alloc_bulk(io.pool, flood_frames.data(), n) != 0) {
      ++traffic.mbuf_exhausted;
      return;
    }
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = flood_frames[i];
      const std::span<std::byte> out(rte_pktmbuf_mtod(m, std::byte*), rte_pktmbuf_tailroom(m));
      const std::size_t length = build(out, flood, rng);
      m->data_len = static_cast<std::uint16_t>(length);
      m->pkt_len = static_cast<std::uint32_t>(length);
    }
    const std::uint16_t sent = rte_eth_tx_burst(io.port, 0, flood_frames.data(), static_cast<std::uint16_t>(n));
    if (sent < n) {
      refused += n - sent;
      rte_pktmbuf_free_bulk(flood_frames.data() + sent, n - sent);
    }
    pacer.sent(o.drop_on_full ? n : sent);
    accepted += sent;
  };

  const auto read_rx_missed = [&] {
    rte_eth_stats st{};
    if (rte_eth_stats_get(io.port, &st) == 0) {
      traffic.rx_missed = st.imissed;
    }
  };
  const auto close_second = [&](std::uint64_t now, bool full) {
    read_rx_missed();
    load::second_sample s;
    s.full = full;
    s.t = static_cast<double>(now - start) / static_cast<double>(hz);
    s.seconds = static_cast<double>(now - second_mark) / static_cast<double>(hz);
    s.traffic = load::traffic_minus(traffic, traffic_mark);
    s.attempted = second.attempted;
    s.completed = second.completed;
    s.failed = second.failed;
    s.open = o.legit_concurrency - free_slots.size();
    s.connect = second.connect;
    if (!o.telemetry.empty()) {
      if (auto c = read_cost(o.telemetry)) {
        if (cost_mark) {
          s.engine = load::cost_between(*cost_mark, *c);
        }
        cost_mark = c;
      }
    }
    total.merge(second);
    second = load::load_stats{};
    traffic_mark = traffic;
    second_mark = now;
    std::printf("%s\n", load::second_json(s).c_str());
    std::fflush(stdout);
    if (o.progress) {
      std::fprintf(stderr, "%s\n", load::progress_line(s).c_str());
    }
    seconds.push_back(std::move(s));
  };

  for (;;) {
    const std::uint64_t now = rte_rdtsc();
    const bool traffic_on = now < end && g_stop == 0;
    if (!traffic_on && drain_end == 0) {
      interrupted = g_stop != 0 && now < end;
      drain_end = now + static_cast<std::uint64_t>(o.drain_s * static_cast<double>(hz));
    }
    if (!traffic_on && (free_slots.size() == o.legit_concurrency || now >= drain_end || g_stop != 0)) {
      break;
    }
    const std::uint64_t now_ns = ns_since(start, now);
    // Once the traffic time is over the flood has stopped: the clients' last frames (the final
    // ACKs of their FIN exchanges) wait for the queue again, whatever the mode, so the target
    // is not left holding connections the next run's clients would collide with.
    io.drop_refused = o.drop_on_full && traffic_on;
    io.flush();  // last turn's client frames first, then the flood
    if (traffic_on) {
      flood_burst(syn_pacer, o.syn_rate, now, load::build_syn_flood_frame, traffic.syn_offered, traffic.syn_refused);
      flood_burst(ack_pacer, o.ack_rate, now, load::build_ack_flood_frame, traffic.ack_offered, traffic.ack_refused);
      flood_burst(ping_pacer, o.ping_rate, now, load::build_ping_flood_frame, traffic.ping_offered,
                  traffic.ping_refused);
      if (o.legit_rate != 0) {
        // Closed loop at max: every slot a connection ended has freed starts a new one.
        std::uint64_t due = o.legit_rate == load::rate_max ? free_slots.size() : legit_pacer.due(now);
        std::uint64_t started = 0;
        while (due-- > 0 && !free_slots.empty()) {
          while (slot_of_port[next_port] != 0) {  // the port of a connection still open
            next_port = next_port == last_client_port ? first_client_port : next_port + 1;
          }
          const std::uint32_t slot = free_slots.back();
          free_slots.pop_back();
          slot_of_port[next_port] = slot + 1;
          clients[slot].start(settings[profile_turn++ % settings.size()], next_port,
                              static_cast<std::uint32_t>(rng.next()), now_ns, second, sink);
          next_port = next_port == last_client_port ? first_client_port : next_port + 1;
          ++started;
        }
        legit_pacer.sent(started);
      }
    }
    const std::uint16_t n = rte_eth_rx_burst(io.port, 0, rx.data(), rx_burst);
    traffic.rx_frames += n;
    for (std::uint16_t i = 0; i < n; ++i) {
      const load::rx_frame f =
          load::parse_frame(std::span(rte_pktmbuf_mtod(rx[i], const std::byte*), rte_pktmbuf_data_len(rx[i])));
      switch (f.what) {
        case load::rx_frame::kind::tcp: {
          const net::ipv4_address to = f.tcp.destination_ip;
          if (to == o.local_ip) {
            const std::uint32_t slot = slot_of_port[f.tcp.header.destination_port];
            if (slot == 0) {
              ++traffic.rx_unmatched;
              break;
            }
            load::client& c = clients[slot - 1];
            c.on_segment(f.tcp.header, f.tcp.options, f.tcp.payload, now_ns, second, sink);
            if (!c.active()) {
              slot_of_port[c.local_port()] = 0;
              free_slots.push_back(slot - 1);
            }
          } else if (load::in_prefix(to, o.flood_prefix)) {
            const auto& h = f.tcp.header;
            if (h.has(net::tcp_flag::syn) && h.has(net::tcp_flag::ack)) {
              ++traffic.syn_acks;
            } else if (h.has(net::tcp_flag::rst)) {
              ++traffic.rsts;
            } else {
              ++traffic.flood_other;
            }
          }
          break;
        }
        case load::rx_frame::kind::echo_reply:
          if (load::in_prefix(f.echo_reply.destination_ip, o.flood_prefix)) {
            ++traffic.echo_replies;
          }
          break;
        case load::rx_frame::kind::arp:
          if (f.arp.operation == net::arp_op::request &&
              (f.arp.target_ip == o.local_ip || load::in_prefix(f.arp.target_ip, o.flood_prefix))) {
            reply_arp(io, f.arp, our_mac, traffic);
          }
          break;
        case load::rx_frame::kind::malformed:
          ++traffic.rx_malformed;
          break;
        case load::rx_frame::kind::other:
          break;
      }
    }
    rte_pktmbuf_free_bulk(rx.data(), n);
    if (now >= next_clock) {  // retransmissions and deadlines, every millisecond
      next_clock = now + hz / 1000;
      for (std::uint32_t slot = 0; slot < clients.size(); ++slot) {
        load::client& c = clients[slot];
        if (c.active()) {
          c.on_clock(now_ns, second, sink);
          if (!c.active()) {
            slot_of_port[c.local_port()] = 0;
            free_slots.push_back(slot);
          }
        }
      }
    }
    io.flush();
    if (now >= next_second && now < end) {
      flood.cookie_tick = cookie_tick();
      close_second(now, true);
      next_second += hz;
    }
  }
  // The last turn's client frames may still wait for a full TX queue: the final ACKs of the
  // FIN exchanges. Lost, they would leave the target holding those connections in LAST-ACK,
  // and the next run's clients, which start on the same ports, would collide with them. The
  // flood has stopped, so the queue drains; give it up to 100 ms.
  io.drop_refused = false;
  for (const std::uint64_t give_up = rte_rdtsc() + hz / 10; !io.pending.empty() && rte_rdtsc() < give_up;) {
    io.flush();
  }
  traffic.client_tx_dropped += io.pending.size();
  rte_pktmbuf_free_bulk(io.pending.data(), static_cast<unsigned>(io.pending.size()));
  io.pending.clear();
  const std::uint64_t finished = rte_rdtsc();
  const std::uint64_t traffic_end = std::min(finished, end);
  if (traffic_end > second_mark) {
    close_second(finished, false);  // the last, partial second (it includes the drain)
  }

  read_rx_missed();
  load::run_summary r;
  r.target = o.target_ip.to_string() + ":" + std::to_string(o.target_port);
  r.duration_s = static_cast<double>(traffic_end - start) / static_cast<double>(hz);
  r.drain_s = finished > end ? static_cast<double>(finished - end) / static_cast<double>(hz) : 0;
  r.syn_rate = o.syn_rate;
  r.ack_rate = o.ack_rate;
  r.ping_rate = o.ping_rate;
  r.legit_rate = o.legit_rate;
  r.requests = o.requests;
  r.drop_on_full = o.drop_on_full;
  r.tsc_hz = hz;
  r.traffic = traffic;
  r.legit = &total;
  r.open_at_end = o.legit_concurrency - free_slots.size();
  r.seconds = std::move(seconds);
  if (!o.telemetry.empty()) {
    const auto cost_end = read_cost(o.telemetry);
    const auto counters_end = read_counters(o.telemetry);
    if (cost_end && cost_start) {
      r.engine = load::cost_between(*cost_start, *cost_end);
    }
    if (counters_end && counters_start) {
      std::map<std::string, std::uint64_t> delta;
      for (const auto& [name, value] : *counters_end) {
        const auto it = counters_start->find(name);
        // Gauges (tcp_connections_active) are reported as read at the end, counters as deltas.
        delta[name] = name == "tcp_connections_active" || it == counters_start->end() ? value : value - it->second;
      }
      r.engine_counters = std::move(delta);
    }
  }
  std::string report = load::final_json(r);
  if (interrupted) {
    report.insert(report.size() - 1, ",\"interrupted\":true");
  }
  std::printf("%s\n", report.c_str());
  std::fflush(stdout);
  if (!o.report.empty()) {
    std::ofstream out(o.report);
    out << report << "\n";
    if (!out) {
      std::fprintf(stderr, "rampart-load: cannot write the report to %s\n", o.report.c_str());
    }
  }
  // Linger before the link goes down: the target may not have read the last frames yet (a
  // memif server drops what is left in the rings when its client disconnects), and a lost
  // final ACK leaves it a connection in LAST-ACK on a port the next run will use.
  rte_delay_us_sleep(200 * 1000);
  rte_eth_dev_stop(io.port);
  rte_eth_dev_close(io.port);
  rte_eal_cleanup();
  return 0;
}
