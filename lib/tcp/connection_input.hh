#pragma once
// Segments of a known connection: RFC 9293 §3.10.7.4 (connection_input.cc).
#include "packet/frame.hh"
#include "tcp/stream.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

// The state machine of c for seg, which the table found for it (or the listener path handed on
// after opening c from a cookie).
packet::verdict connection_input(lcore_state& lcore, connection& c, segment& seg, event_context& ctx) noexcept;

// ESTABLISHED reached (from SYN-RECEIVED or a cookie): congestion control, the idle timer, the
// app's on_open. False: the app aborted the connection.
bool establish(lcore_state& lcore, connection& c, event_context& ctx) noexcept;
// In-order data to the app; false when the app aborted the connection meanwhile.
bool deliver(lcore_state& lcore, connection& c, const data_view& view, event_context& ctx) noexcept;
// §3.10.7.4 eighth check: the FIN at RCV.NXT. False: the app aborted the connection.
bool take_fin(lcore_state& lcore, connection& c, event_context& ctx) noexcept;

}  // namespace rampart::tcp
