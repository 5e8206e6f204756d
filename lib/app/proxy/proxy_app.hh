#pragma once
// The proxy app: each client connection is spliced to a connection the app opens to a backend
// (docs/proxy.md). The registry builds one instance per worker lcore per listener.
#include <cstdint>
#include <memory>

#include "app/registry.hh"
#include "proxy_args.hh"

namespace rampart::app::proxy {

// `listener_port` names the listener's shared health board (health_board.hh).
std::unique_ptr<tcp::application> make_proxy(std::shared_ptr<const proxy_settings> settings,
                                             const app_context& context, std::uint16_t listener_port);

}  // namespace rampart::app::proxy
