#pragma once
// The built-in apps, as the registry sees them: each one reads its args (throwing app_error with
// the listener named) and builds an instance for one lcore. docs/apps.md documents the args.
#include <memory>

#include "app/registry.hh"
#include "args.hh"

namespace rampart::app {

// echo (RFC 862). Args: max_held_bytes, max_held_segments.
struct echo_settings {
  // Held bytes close the connection's receive window (stream::retain_buffer), so a peer that
  // reads never makes echo hold more than tcp.receive_window (256 KiB by default, about 180
  // full segments): the defaults leave room for that and abort only a peer beyond it.
  std::uint32_t max_held_bytes = 512 * 1024;
  std::uint32_t max_held_segments = 512;
};
echo_settings read_echo_args(arg_reader& args);
std::unique_ptr<tcp::application> make_echo(const echo_settings& settings, const app_context& context);

// discard (RFC 863). No args.
std::unique_ptr<tcp::application> make_discard(const app_context& context);

// http: see http_app.cc for the args.
struct http_settings;
std::shared_ptr<const http_settings> read_http_args(arg_reader& args);
std::unique_ptr<tcp::application> make_http(std::shared_ptr<const http_settings> settings,
                                            const app_context& context);

}  // namespace rampart::app
