#include "engine/route_settings.hh"

#include <vector>

namespace rampart::engine {

route::route_table route_table_of(const config::engine_config& cfg) {
  std::vector<route::static_route> routes;
  for (const config::route_config& r : cfg.routes) {
    routes.push_back({r.prefix, r.via});
  }
  return route::route_table(cfg.port.ip, routes, cfg.port.gateway);
}

}  // namespace rampart::engine
