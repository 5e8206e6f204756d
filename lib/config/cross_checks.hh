#pragma once
// Rules between keys, and the defaults computed from other keys (tcp.mss, tcp.send_budget,
// tcp.reassembly_budget): explicit code, run once the keys they involve are read.
#include <vector>

#include "config/config.hh"
#include "reader.hh"

namespace rampart::config {

// Every rule between the keys of the whole document; fills in the computed defaults.
void check_cross_fields(const context& ctx, engine_config& config);

// A listener (listeners.back(), just read from `item`) against its own keys and the listeners
// before it: a port listened on once, `plugin` given exactly when app is plugin.
void check_listener(const context& ctx, const field& item, const std::vector<listener_config>& listeners);

// A route (routes.back(), just read from `item`) against the routes before it: each prefix once.
void check_route(const context& ctx, const field& item, const std::vector<route_config>& routes);

}  // namespace rampart::config
