#pragma once
// How the replies to a connection a worker opens (the proxy's connections to its backends) come
// back to that worker's RX queue, decided from the port plan and what the started port reports
// of its RSS set-up. Pure: port.cc reads the key and the RETA from the driver; this decides, and
// gives each worker its flow::rss_steering (drivers-notes/README.md, "Active opens").
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hh"
#include "engine/port_plan.hh"
#include "flow/rss_steering.hh"

namespace rampart::engine {

// What the started port reported; a vector stays empty when the driver cannot tell (-ENOTSUP).
struct rss_readback {
  std::vector<std::uint8_t> key;    // rte_eth_dev_rss_hash_conf_get
  std::vector<std::uint16_t> reta;  // rte_eth_dev_rss_reta_query: queue per entry
};

enum class reply_steering_mode : std::uint8_t {
  one_queue,      // one worker: every reply arrives on its queue
  toeplitz,       // RSS with a readable key and RETA: each worker picks local ports whose replies
                  // the NIC hashes to its own queue
  unpredictable,  // several queues, but rampart cannot compute which one a reply arrives on
};

struct reply_steering {
  reply_steering_mode mode = reply_steering_mode::one_queue;
  std::vector<std::uint8_t> key;    // toeplitz only
  std::vector<std::uint16_t> reta;  // toeplitz only
  bool hash_in_mbuf = false;        // toeplitz only: segments carry the hash (RX offload RSS_HASH)
  // unpredictable: why, and what a connection a worker opens risks (logged at start).
  std::string reason;
  std::vector<std::string> warnings;
};

// Decides for the port `plan` describes, started with `readback`:
//  - one queue pair: one_queue;
//  - several queues without RSS, RSS without the TCP ports in the hash, a key shorter than the
//    IPv4/TCP hash needs, a RETA the driver does not report, whose size is not a power of two or
//    that names a queue the port does not have: unpredictable, with the reason;
//  - else toeplitz; a queue no RETA entry points at adds a warning (its worker can open nothing).
reply_steering plan_reply_steering(const port_plan& plan, const rss_readback& readback);

// The steering of the worker polling `queue`: Toeplitz over the port's key and RETA, or "no RSS"
// (every reply lands here; the flow table's software hash) unless the mode is toeplitz.
flow::rss_steering steering_for_queue(const reply_steering& steering, std::uint16_t queue);

// A listener whose app opens connections of its own (`proxy`) cannot run on a port whose
// steering is unpredictable: its backends' replies would reach workers that do not know the
// connection. The message naming the listener, the reason and the fix, or nullopt.
std::optional<std::string> check_active_opens(const reply_steering& steering,
                                              std::span<const config::listener_config> listeners);

// "toeplitz (key 40 bytes, RETA 128 entries, hash in mbuf)", "one queue", "unpredictable".
std::string describe(const reply_steering& steering);

}  // namespace rampart::engine
