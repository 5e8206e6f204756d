#pragma once
// Segments that match no connection: RFC 9293 §3.10.7.1-2 with SYN cookies (listen_input.cc).
#include "packet/frame.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

packet::verdict listen_input(lcore_state& lcore, segment& seg, event_context& ctx) noexcept;

// <SEQ=SEG.ACK><CTL=RST> (or RST,ACK) written over the segment's frame (reset_for), if the
// lcore's RST budget has a token; else drop tcp_rst_rate_limited.
packet::verdict answer_with_reset(lcore_state& lcore, segment& seg, event_context& ctx) noexcept;

}  // namespace rampart::tcp
