#pragma once
// What lib/tcp keeps while it handles one event: a received segment, a fired timer, an ICMP
// error, a wake-up of the send budget's waiters. It lives on the stack of the function that
// handles the events of one turn (a burst's segments, a poll's timers) and is passed down; that
// function calls next_event() between two events, so nothing of one survives into the next.
#include <cstdint>

#include "net/tcp_header.hh"
#include "connection.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

struct event_context {
  std::uint64_t now_ns = 0;  // the burst clock (Unix epoch, ns)

  // RFC 2883: a segment that arrived again is reported as a D-SACK block by the ACK that answers
  // it, and by no later one (connection_reassembly.cc).
  const connection* dsack_for = nullptr;
  net::sack_block dsack;
  // The last ACK built for this connection had no room for every SACK block: output() follows
  // an owed ACK on data with a pure ACK carrying them all.
  const connection* sack_cut_for = nullptr;

  // While an app callback runs (app_calls.hh): whose it is. Stream calls that would free that
  // connection are deferred until it returns, and on_close may read its context but not send.
  // Calls on other connections wait for the end of the event (lcore_state::deferred).
  const connection* in_callback = nullptr;
  bool abort_requested = false;
  bool in_on_close = false;

  explicit event_context(std::uint64_t now) noexcept : now_ns(now) {}

  // The next event of the turn begins. (One context a turn rather than one an event: building
  // one for every segment cost 7 instructions a SYN, BM_syn_flood.)
  void next_event() noexcept {
    dsack_for = nullptr;
    sack_cut_for = nullptr;
  }

  // c's on_close is running: it may not send, close or abort any more.
  bool closing(const connection& c) const noexcept { return in_on_close && in_callback == &c; }

  // The connection leaves the table: nothing of this event may point at it any more (its pool
  // slot may serve another connection before the event ends).
  void forget(const connection& c) noexcept {
    if (dsack_for == &c) {
      dsack_for = nullptr;
    }
    if (sack_cut_for == &c) {
      sack_cut_for = nullptr;
    }
  }
};

// One turn of an lcore (an input burst, a poll, a shutdown step): its event context, published
// in lcore_state::turn while it lasts, so that app_host calls made from callbacks find it.
class turn_scope {
 public:
// GCC warns that the address of a local outlives it; the destructor takes it back first.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
  turn_scope(lcore_state& lcore, std::uint64_t now_ns) noexcept : _lcore(lcore), ctx(now_ns) { lcore.turn = &ctx; }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  ~turn_scope() { _lcore.turn = nullptr; }
  turn_scope(const turn_scope&) = delete;
  turn_scope& operator=(const turn_scope&) = delete;

 private:
  lcore_state& _lcore;

 public:
  event_context ctx;
};

}  // namespace rampart::tcp
