#pragma once
// A worker's route table from the config: the port's subnet (port.ip), `routes` and
// port.gateway. lib/route reads no config; the config module has validated every entry.
#include "config/config.hh"
#include "route/route_table.hh"

namespace rampart::engine {

route::route_table route_table_of(const config::engine_config& cfg);

}  // namespace rampart::engine
