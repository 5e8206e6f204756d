#pragma once
// The TCP entry point of the pure datapath: the pipeline hands over the TCP segments of one
// burst (packet/tcp_batch.hh) and gets a verdict for each frame they sit in.
#include <cstdint>
#include <span>

#include "packet/frame.hh"
#include "packet/tcp_batch.hh"
#include "tcp/lcore_tcp.hh"

namespace rampart::tcp {

// For every segment s of `segments` (at most tcp_segment_batch::capacity), writes
// verdicts[s.frame_index] and, on a transmit verdict, the reply into frames[s.frame_index].
// Stages: validate every segment (length, data offset, options, checksum with the IPv4
// pseudo-header) and hash its flow (the NIC's RSS hash when frame.rss_hash_valid); look the whole
// burst up in the connection table at once; then run each segment through its connection's state
// machine (hit) or the listener path (miss). now_ns is the burst clock (Unix epoch, ns): cookie
// ticks, backlog expiry and our TSval derive from it.
// Drop reasons written: tcp_truncated, tcp_bad_data_offset, tcp_bad_options, tcp_bad_checksum,
// and those of the steps (listen_input.cc, connection_input.cc, reply.hh). Every drop is counted
// here (lcore_stats::count_drop), with the TCP event counters: the caller only applies verdicts.
//
void tcp_input_burst(lcore_tcp& tcp, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                     std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept;

// tcp_input_burst in the shape of pipeline::tcp_handler::function (context: the lcore_tcp), so the
// engine can register it with the pipeline without the pipeline knowing lib/tcp.
void tcp_input_handler(void* context, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                       std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept;

}  // namespace rampart::tcp
