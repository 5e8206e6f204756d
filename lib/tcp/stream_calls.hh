#pragma once
// What an app's stream calls do to a connection (stream.hh documents each call; tcp_stream in
// app_calls.hh forwards to these). Sends only queue: the code that ran the callback sends what
// was queued when it returns (output, connection_output.hh), so one callback's several send()
// calls leave as full segments. An abort from inside a callback is carried out when the callback
// returns (call_app), since the code that called it still uses the control block.
#include <cstddef>
#include <optional>
#include <span>

#include "packet/buffer.hh"
#include "tcp/stream.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

std::size_t send_space(const lcore_state& lcore, const connection& c, const event_context& ctx) noexcept;
std::size_t queue_send(lcore_state& lcore, connection& c, std::span<const std::byte> data, event_context& ctx) noexcept;
bool queue_buffer(lcore_state& lcore, connection& c, const packet::buffer& buffer, event_context& ctx) noexcept;
std::optional<packet::buffer> allocate_send_buffer(lcore_state& lcore, connection& c) noexcept;
void hold_received(lcore_state& lcore, connection& c, const data_view& view) noexcept;
void release_received(lcore_state& lcore, connection& c, const data_view& view, const event_context& ctx) noexcept;
void request_close(connection& c, const event_context& ctx) noexcept;
void request_abort(event_context& ctx) noexcept;

}  // namespace rampart::tcp
