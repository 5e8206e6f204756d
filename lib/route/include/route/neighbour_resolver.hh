#pragma once
// Resolution of the next hops rampart sends to (RFC 826, RFC 1122 §2.3.2): the MAC of a next
// hop comes from the lcore's neighbour_table, or from another worker's (the port hands every
// ARP reply to one queue: neighbour_table.hh); an unknown one gets an ARP request, and the
// frames for it wait in a small bounded queue until the reply is learned (then they leave, in
// the order they came) or the next hop proves unreachable (then they are dropped).
//
//   resolve(ip) ── in the table (ours, or a peer's: copied) ──▶ reachable (its MAC)
//        │ unknown: a pending entry, an ARP request now
//        ▼
//   resolving ── ARP reply (resolved), or a peer learned it (poll) ──▶ frames sent ──▶ reachable
//        │ no reply retry_interval_ns after each of max_requests requests
//        ▼
//   failed (hold_down_ns) ── frames dropped, new ones refused ──▶ freed: the next resolve asks again
//
// RFC 1122 §2.3.2.1 asks a host to "prevent ARP flooding": one request per next hop at a time,
// a second at most retry_interval_ns later, none while failed; an unknown next hop asked for by
// every segment of a busy lcore still costs one request a second. Per lcore, fixed size: no
// allocation, lock or system call after construction.
//
// TODO(reachability): a learned neighbour is trusted until ARP refreshes or evicts it; entries
// in use are not probed again (RFC 1122 §2.3.2.1's "unicast poll"), so a next hop that changed
// its MAC silently is found only by its own ARP traffic.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/addresses.hh"
#include "packet/buffer.hh"
#include "route/neighbour_table.hh"
#include "stats/counters.hh"

namespace rampart::route {

enum class neighbour_state : std::uint8_t {
  reachable,  // learned from ARP: in the neighbour table
  resolving,  // ARP request sent, no reply yet
  failed,     // no reply to max_requests requests: unreachable for the hold-down
};
const char* to_string(neighbour_state state) noexcept;

// One next hop as listings show it (the /rampart/neighbours telemetry command).
struct neighbour_row {
  net::ipv4_address ip;
  net::mac_address mac;       // zero unless reachable
  std::uint64_t age_ns = 0;   // since it was learned or refreshed, or since resolving began / failed
  neighbour_state state = neighbour_state::reachable;
};

// What the caller may do with a frame for a next hop.
struct resolution {
  enum class status : std::uint8_t {
    reachable,    // `mac` is the next hop's
    pending,      // an ARP request is out (this call may have sent it): queue the frame
    unreachable,  // the next hop did not answer: it is in its hold-down
    no_room,      // max_pending next hops are resolving already: nothing can wait for this one
  };
  status what = status::no_room;
  net::mac_address mac;
};

// What send() did with a frame.
enum class send_result : std::uint8_t {
  sent,        // its destination MAC written, pushed to the sink
  queued,      // waiting for the next hop's ARP reply
  dropped,     // released and counted: neighbour_queue_full or neighbour_unreachable
  sink_full,   // the next hop is known but the sink refused: the buffer is still the caller's
};

class neighbour_resolver {
 public:
  // Linux's defaults for the same job (mcast_solicit 3, retrans_time 1 s); the hold-down keeps a
  // dead backend from costing a request a second while clients keep asking for it.
  static constexpr std::uint64_t retry_interval_ns = 1'000'000'000;
  static constexpr std::uint32_t max_requests = 3;
  static constexpr std::uint64_t hold_down_ns = 20'000'000'000;
  // Next hops resolving or failed at once, frames waiting for one of them, and for all of them.
  static constexpr std::size_t max_pending = 16;
  static constexpr std::size_t queue_per_next_hop = 8;
  static constexpr std::size_t queue_total = 64;

  // ARP requests leave from `our_mac` / `our_ip` through `sink`, in buffers from `pool`; frames
  // that cannot wait are released to `pool`. `table` is the lcore's (lib/pipeline's ARP input
  // learns into it, then calls resolved(); what a peer's table holds is copied into it). Every
  // reference must outlive this object, whose destructor releases the frames still waiting.
  neighbour_resolver(neighbour_table& table, net::mac_address our_mac, net::ipv4_address our_ip,
                     packet::buffer_pool& pool, packet::frame_sink& sink, stats::lcore_stats& stats) noexcept;
  ~neighbour_resolver();

  // The other workers' tables, read with neighbour_table::peek. Set once, before the lcores run.
  void set_peers(std::span<const neighbour_table* const> peers);
  neighbour_resolver(const neighbour_resolver&) = delete;
  neighbour_resolver& operator=(const neighbour_resolver&) = delete;

  // The MAC of `next_hop`, or what keeps it from being known. An unknown next hop becomes
  // pending and gets its first ARP request now (arp_requests_sent; a request the pool or the
  // sink refused is tried again at the next poll). A failed one whose hold-down is over starts
  // again the same way.
  resolution resolve(net::ipv4_address next_hop, std::uint64_t now_ns) noexcept;

  // Hands `frame` (a whole Ethernet frame; its destination MAC is written here) to the next hop:
  // pushed to the sink when it is reachable, else queued while it resolves (counted in
  // neighbour_frames_queued), else released and dropped: neighbour_queue_full (its queue, the
  // lcore's, or the pending entries are full), neighbour_unreachable (the next hop is in its
  // hold-down). Takes the buffer in every case but sink_full.
  send_result send(net::ipv4_address next_hop, const packet::buffer& frame, const packet::tx_offload_request& offload,
                   std::uint64_t now_ns) noexcept;

  // The neighbour table learned `ip` (ARP input calls this after each learn or refresh): if it
  // was pending, its frames leave now, oldest first, with `mac` written in (neighbour_resolutions;
  // one the sink refuses is dropped as neighbour_tx_staging_full), and its entry is freed.
  void resolved(net::ipv4_address ip, net::mac_address mac) noexcept;

  // Every loop turn: a next hop a peer has learned resolves (as resolved() does); a request
  // again after retry_interval_ns; after max_requests
  // unanswered ones the next hop fails (neighbour_resolution_failures; its frames dropped as
  // neighbour_unreachable); a hold-down that is over frees its entry. Returns at once when no
  // next hop is pending.
  void poll(std::uint64_t now_ns) noexcept;

  // The port's link came back up: what was learned before may be wrong now (the peer behind a
  // memif or a VF restarted with another MAC, a failover moved an address), and a next hop
  // that failed while the link was down failed for that reason alone. So the lcore's table
  // forgets every entry, failed next hops leave their hold-down, and those resolving ask again
  // now: each next hop costs one ARP exchange, its frames waiting meanwhile (Linux flushes a
  // device's neighbours on carrier loss for the same reason: neigh_carrier_down).
  void link_restored(std::uint64_t now_ns) noexcept;

  // Writes the pending next hops (resolving and failed) to `out`; returns how many fit.
  std::size_t list_pending(std::span<neighbour_row> out, std::uint64_t now_ns) const noexcept;
  std::size_t frames_waiting() const noexcept { return _queued_total; }

 private:
  struct waiting_frame {
    packet::buffer frame;
    packet::tx_offload_request offload;
  };
  struct pending {
    net::ipv4_address ip;
    neighbour_state state = neighbour_state::resolving;  // resolving or failed while in use
    bool used = false;
    std::uint32_t requests_sent = 0;
    std::uint64_t since_ns = 0;  // resolving began, or failed
    std::uint64_t next_ns = 0;   // resolving: the next request (or failure); failed: the end of the hold-down
    std::array<waiting_frame, queue_per_next_hop> queue{};
    std::uint8_t queued = 0;     // queue[0 .. queued), oldest first
  };

  pending* find(net::ipv4_address ip) noexcept;
  std::optional<net::mac_address> from_peers(net::ipv4_address ip, std::uint64_t now_ns) noexcept;
  pending* start(net::ipv4_address ip, std::uint64_t now_ns) noexcept;
  void ask(pending& p, std::uint64_t now_ns) noexcept;
  void drop_queue(pending& p, stats::drop_reason reason) noexcept;
  void release(const packet::buffer& frame, stats::drop_reason reason) noexcept;

  neighbour_table& _table;
  std::vector<const neighbour_table*> _peers;
  net::mac_address _our_mac;
  net::ipv4_address _our_ip;
  packet::buffer_pool& _pool;
  packet::frame_sink& _sink;
  stats::lcore_stats& _stats;
  std::array<pending, max_pending> _pending{};
  std::size_t _in_use = 0;        // pending entries used
  std::size_t _queued_total = 0;  // frames in every queue
};

// Writes an ARP request for `target` (RFC 826: broadcast, our addresses as sender, target MAC
// zero) into buffer, zero padded to the 60-byte Ethernet minimum; returns 60, or 0 when the
// buffer is shorter.
std::uint16_t build_arp_request(net::mac_address our_mac, net::ipv4_address our_ip, net::ipv4_address target,
                                std::span<std::byte> buffer) noexcept;

}  // namespace rampart::route
