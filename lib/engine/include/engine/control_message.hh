#pragma once
// Messages from the main (control) lcore to one worker. Each worker owns one bounded
// single-producer/single-consumer queue: the control lcore is the only writer, the worker the
// only reader, so neither side ever takes a lock or allocates (boost::lockfree::spsc_queue with
// compile-time capacity keeps its ring inline). Workers poll their queue once per loop turn.
//
// Extending: add a kind, and if it carries data, a member of the payload union that is trivially
// copyable (the queue copies messages by value).
#include <atomic>
#include <cstdint>
#include <type_traits>

#include <boost/lockfree/spsc_queue.hpp>

#include "cookie/key_set.hh"

namespace rampart::app {
class args_update;
}

namespace rampart::engine {

enum class control_kind : std::uint8_t {
  announce,             // announce the port's addresses → MAC on this worker's TX queue (announcement_frames)
  stop,                 // leave the loop; the worker returns from its lcore function
  install_cookie_keys,  // replace the SYN-cookie key set (payload.keys) at a key rotation
  set_draining,         // payload.draining: true stops answering new SYNs (SIGTERM drain)
  drain_backend,        // payload.backend: drain one backend of a listener's app, or put it back
  apply_args,           // payload.args: a listener's app takes new args (SIGHUP, app/live_args.hh)
  pause,                // payload.gate: wait at the gate, touching no queue, until it opens
  set_link,             // payload.link_up: the port's link changed (what TCP builds while down is freed)
};

// The control lcore's hold on every worker while it stops and starts the port
// (worker_set::pause). Each worker takes its `pause` message between two turns, with no burst in
// hand, counts itself in and spins until the gate opens, then counts itself out; the control
// lcore owns the gate and waits for the count to reach zero before it is reused.
struct pause_gate {
  std::atomic<std::uint32_t> waiting{0};
  std::atomic<bool> open{true};
};

// /rampart/backend_drain (app/backend_drain.hh): which backend of which listener's app.
struct backend_drain_request {
  std::uint16_t listener = 0;  // the listener's index in the config
  std::uint16_t backend = 0;   // the backend's index (its key in /rampart/backends)
  bool draining = false;
};

// SIGHUP's new args for one listener's app on this worker. The control lcore owns the update; the
// worker flags it applied, and the control lcore frees it then.
struct args_request {
  std::uint16_t listener = 0;  // the listener's index in the config
  app::args_update* update = nullptr;
};

struct control_message {
  control_kind kind = control_kind::stop;
  // Payload for kinds that carry data.
  union payload_t {
    std::uint64_t reserved = 0;
    cookie::key_set keys;  // install_cookie_keys
    bool draining;         // set_draining
    backend_drain_request backend;  // drain_backend
    args_request args;              // apply_args
    pause_gate* gate;               // pause
    bool link_up;                   // set_link
  } payload{};

  static constexpr control_message announce() noexcept { return {control_kind::announce, {}}; }
  static constexpr control_message stop() noexcept { return {control_kind::stop, {}}; }
  static control_message cookie_keys(const cookie::key_set& keys) noexcept {
    control_message m{control_kind::install_cookie_keys, {}};
    m.payload.keys = keys;
    return m;
  }
  static control_message drain(bool draining) noexcept {
    control_message m{control_kind::set_draining, {}};
    m.payload.draining = draining;
    return m;
  }
  static control_message drain_backend(const backend_drain_request& request) noexcept {
    control_message m{control_kind::drain_backend, {}};
    m.payload.backend = request;
    return m;
  }
  static control_message pause(pause_gate& gate) noexcept {
    control_message m{control_kind::pause, {}};
    m.payload.gate = &gate;
    return m;
  }
  static control_message link(bool up) noexcept {
    control_message m{control_kind::set_link, {}};
    m.payload.link_up = up;
    return m;
  }
  static control_message apply_args(const args_request& request) noexcept {
    control_message m{control_kind::apply_args, {}};
    m.payload.args = request;
    return m;
  }
};

static_assert(std::is_trivially_copyable_v<control_message>, "the SPSC queue copies messages by value");
// A key set is three 128-bit keys with their epochs; a message stays a few cache lines, copied
// a handful of times per rotation period, so by-value transfer costs nothing measurable.
static_assert(sizeof(control_message) <= 192, "keep control messages small: the ring holds them inline");

// The frames one `announce` sends: a gratuitous ARP (RFC 5227 §3) and, when the port has IPv6,
// for each of its two addresses (global, link-local) a Duplicate Address Detection probe
// (RFC 4862 §5.4.2) and an unsolicited Neighbor Advertisement (RFC 4861 §7.2.6). Each takes an
// mbuf of the worker's pool until the driver sent it: the mempool plan leaves room for them.
constexpr unsigned announcement_frames(bool ipv6) noexcept { return ipv6 ? 1 + 2 * 2 : 1; }

// 64 slots: the control lcore sends at most a handful of messages per second; a full queue means
// the worker is stuck, which the sender reports rather than blocks on.
inline constexpr std::size_t control_queue_capacity = 64;
using control_queue = boost::lockfree::spsc_queue<control_message, boost::lockfree::capacity<control_queue_capacity>>;

}  // namespace rampart::engine
