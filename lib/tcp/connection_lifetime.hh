#pragma once
// A control block's way into and out of the lcore's table: taken from the pool and inserted for a
// segment's flow, then erased (with or without a RST to the peer).
#include <cstdint>

#include "flow/flow_key.hh"
#include "tcp/stream.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

// A fresh control block in the table for (key, hash) owned by `listener`'s app (CLOSED: the
// caller fills it, then moves it to its first state with set_state), or nullptr when the pool or
// the table is full.
connection* insert(lcore_state& lcore, const flow::flow_key& key, std::uint32_t hash, std::uint8_t listener,
                   std::uint64_t now_ns) noexcept;
// The same for seg's flow and listener, answering the neighbour seg came from (answer_sender).
connection* insert(lcore_state& lcore, const segment& seg, std::uint64_t now_ns) noexcept;
// Segments c builds from now on go to the neighbour seg came from.
void answer_sender(connection& c, const segment& seg) noexcept;

// Removes the connection: set_state(closed, reason) (the app's on_close when it was open),
// buffers released, timer cancelled, table entry erased.
void erase(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept;

// RFC 9293 §3.10.5 ABORT / §3.8.3 R2: sends <SEQ=SND.NXT><CTL=RST> from scratch, then erases
// (app abort, retry limit, idle, engine stop).
void reset_and_erase(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept;

// RFC 6528: the ISN of a SYN backlog entry or an active open, M + F(4-tuple, secret) with M a 4 µs clock.
std::uint32_t initial_sequence(const lcore_state& lcore, const flow::flow_key& key, std::uint64_t now_ns) noexcept;

}  // namespace rampart::tcp
