#include "engine/telemetry.hh"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include "app/backend_counters.hh"
#include "engine/backend_drain_mailbox.hh"
#include "engine/capture.hh"
#include "engine/connection_listing.hh"
#include "engine/connection_query.hh"
#include "engine/log.hh"
#include "engine/port.hh"
#include "engine/worker.hh"
#include "route/lcore_routes.hh"
#include "stats/cost.hh"

namespace rampart::engine {

namespace {

// A request increments _readers, then loads _source; detach stores null, then waits for
// _readers to drain. Both sides use sequentially consistent operations, so either the request
// sees null, or detach sees its increment and waits (the store-load pairs cannot both be
// reordered under seq_cst).
std::atomic<const telemetry_source*> g_source{nullptr};
std::atomic<int> g_readers{0};

class source_guard {
 public:
  source_guard() noexcept {
    g_readers.fetch_add(1);
    _source = g_source.load();
  }
  ~source_guard() { g_readers.fetch_sub(1); }
  source_guard(const source_guard&) = delete;
  source_guard& operator=(const source_guard&) = delete;
  const telemetry_source* get() const noexcept { return _source; }

 private:
  const telemetry_source* _source = nullptr;
};

void add_counters(rte_tel_data* d, const stats::snapshot& s) {
#define RAMPART_X(name, description) rte_tel_data_add_dict_u64(d, #name, s.name);
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
}

// Drop reasons as a dict; only the non-zero ones when nonzero_only. Returns null on allocation
// failure (the caller then leaves the entry out).
rte_tel_data* drops_dict(const stats::snapshot& s, bool nonzero_only) {
  rte_tel_data* d = rte_tel_data_alloc();
  if (d == nullptr) {
    return nullptr;
  }
  rte_tel_data_start_dict(d);
  for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
    if (!nonzero_only || s.drops[i] != 0) {
      rte_tel_data_add_dict_u64(d, std::string(stats::drop_reason_names[i]).c_str(), s.drops[i]);
    }
  }
  return d;
}

// The driver's counters (rte_eth_stats) by their ethdev names; null on allocation failure.
rte_tel_data* driver_dict(const driver_counters& driver) {
  rte_tel_data* d = rte_tel_data_alloc();
  if (d == nullptr) {
    return nullptr;
  }
  rte_tel_data_start_dict(d);
#define RAMPART_X(name, description) rte_tel_data_add_dict_u64(d, #name, driver.name);
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  return d;
}

void add_container(rte_tel_data* d, const char* name, rte_tel_data* child) {
  if (child != nullptr && rte_tel_data_add_dict_container(d, name, child, 0) != 0) {
    rte_tel_data_free(child);
  }
}

int handle_stats(const char*, const char*, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const stats::snapshot total = total_of(guard.get()->workers);
  rte_tel_data_start_dict(d);
  add_counters(d, total);
  add_container(d, "drops", drops_dict(total, false));
  if (guard.get()->served_port != nullptr) {
    add_container(d, "port", driver_dict(guard.get()->served_port->driver_stats()));
  }
  return 0;
}

int handle_lcore_stats(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const std::span<worker* const> workers = guard.get()->workers;
  if (params == nullptr || *params == '\0') {
    rte_tel_data_start_dict(d);
    rte_tel_data* ids = rte_tel_data_alloc();
    if (ids != nullptr) {
      rte_tel_data_start_array(ids, RTE_TEL_INT_VAL);
      for (const worker* w : workers) {
        rte_tel_data_add_array_int(ids, static_cast<int>(w->lcore_id));
      }
      add_container(d, "lcores", ids);
    }
    return 0;
  }
  unsigned lcore = 0;
  const char* end = params + std::strlen(params);
  const auto [ptr, ec] = std::from_chars(params, end, lcore);
  if (ec != std::errc{} || ptr != end) {
    return -EINVAL;
  }
  for (const worker* w : workers) {
    if (w->lcore_id == lcore) {
      stats::snapshot one;
      one.accumulate(w->stats);
      rte_tel_data_start_dict(d);
      rte_tel_data_add_dict_int(d, "lcore", static_cast<int>(w->lcore_id));
      rte_tel_data_add_dict_int(d, "queue", w->queue_id);
      add_counters(d, one);
      add_container(d, "drops", drops_dict(one, false));
      return 0;
    }
  }
  return -EINVAL;  // not a worker lcore
}

int handle_drops(const char*, const char*, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const stats::snapshot total = total_of(guard.get()->workers);
  rte_tel_data_start_dict(d);
  add_container(d, "nonzero", drops_dict(total, true));
  add_container(d, "all", drops_dict(total, false));
  return 0;
}

int handle_port(const char*, const char*, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr || guard.get()->served_port == nullptr) {
    return -ENODEV;
  }
  const port& p = *guard.get()->served_port;
  const port_info& info = p.info();
  const port_health_snapshot health = p.health().read();
  const link_state& link = health.link;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "name", info.name.c_str());
  rte_tel_data_add_dict_string(d, "driver", info.driver.c_str());
  rte_tel_data_add_dict_int(d, "port_id", info.port_id);
  rte_tel_data_add_dict_string(d, "mac", info.mac.to_string().c_str());
  rte_tel_data_add_dict_string(d, "ip", info.ip.to_string().c_str());
  // "" without port.ipv6, so the keys are the same on every port.
  rte_tel_data_add_dict_string(d, "ipv6", info.ipv6 ? info.ipv6->global.to_string().c_str() : "");
  rte_tel_data_add_dict_string(d, "ipv6_link_local", info.ipv6 ? info.ipv6->link_local.to_string().c_str() : "");
  rte_tel_data_add_dict_int(d, "mtu", info.mtu);
  rte_tel_data_add_dict_int(d, "rx_queues", info.plan.queues);
  rte_tel_data_add_dict_int(d, "tx_queues", info.plan.queues);
  rte_tel_data_add_dict_int(d, "rx_descriptors", info.rx_descriptors);
  rte_tel_data_add_dict_int(d, "tx_descriptors", info.tx_descriptors);
  rte_tel_data_add_dict_string(d, "rss", info.plan.rss ? "on" : "off");
  rte_tel_data_add_dict_string(d, "rss_hf", describe_rss_hf(info.plan.rss_hf).c_str());
  rte_tel_data_add_dict_string(d, "tx_offloads", describe_tx_offloads(info.plan.tx_offloads).c_str());
  rte_tel_data_add_dict_string(d, "link", link.word());
  rte_tel_data_add_dict_u64(d, "link_speed_mbps", link.speed_mbps);
  rte_tel_data_add_dict_u64(d, "link_changes", health.link_changes);
  rte_tel_data_add_dict_u64(
      d, "link_last_change_unix",
      health.last_link_change
          ? static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(health.last_link_change->time_since_epoch()).count())
          : 0);
  rte_tel_data_add_dict_u64(d, "reconnect_attempts", health.reconnect_attempts);
  rte_tel_data_add_dict_u64(d, "reconnects", health.reconnects);
  rte_tel_data_add_dict_u64(d, "resets", health.device_resets);
  rte_tel_data_add_dict_u64(d, "reset_failures", health.device_reset_failures);
  const mbuf_usage mbufs = mbufs_of(guard.get()->workers);
  rte_tel_data_add_dict_u64(d, "mbufs_in_use", mbufs.in_use);
  rte_tel_data_add_dict_u64(d, "mbufs_total", mbufs.total);
  return 0;
}

int handle_capture(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr || guard.get()->capture == nullptr) {
    return -ENODEV;
  }
  capture_session& capture = *guard.get()->capture;
  rte_tel_data_start_dict(d);
  if (params != nullptr && *params != '\0') {
    std::string error;
    const std::optional<capture_request> request = parse_capture_request(params, capture.directory(), error);
    if (request) {
      error = capture.start(*request);
    }
    if (!error.empty()) {
      rte_tel_data_add_dict_string(d, "error", error.c_str());
      return 0;
    }
  }
  const capture_status status = capture.status();
  rte_tel_data_add_dict_string(d, "state", status.active ? "capturing" : "idle");
  rte_tel_data_add_dict_string(d, "file", status.path.c_str());
  rte_tel_data_add_dict_u64(d, "requested", status.requested);
  rte_tel_data_add_dict_u64(d, "written", status.written);
  rte_tel_data_add_dict_u64(d, "missed", status.missed);
  return 0;
}

int handle_cost(const char*, const char*, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const telemetry_source& source = *guard.get();
  const stats::snapshot total = total_of(source.workers);
  const std::uint64_t uptime = rte_rdtsc() - source.started_tsc;
  const stats::cost_figures cost = stats::cost_of(total.busy_cycles, total.busy_packets, uptime, source.workers.size());
  const stats::cost_figures whole = stats::cost_of(total.worker_cycles, total.rx_packets, uptime, source.workers.size());
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
  rte_tel_data_add_dict_u64(d, "uptime_cycles", uptime);
  rte_tel_data_add_dict_u64(d, "workers", source.workers.size());
  rte_tel_data_add_dict_u64(d, "busy_cycles", total.busy_cycles);
  rte_tel_data_add_dict_u64(d, "busy_packets", total.busy_packets);
  rte_tel_data_add_dict_u64(d, "busy_turns", total.busy_turns);
  rte_tel_data_add_dict_u64(d, "busy_turns_interrupted", total.busy_turns_interrupted);
  rte_tel_data_add_dict_u64(d, "worker_cycles", total.worker_cycles);
  rte_tel_data_add_dict_u64(d, "worker_turns", total.worker_turns);
  rte_tel_data_add_dict_u64(d, "worker_turns_interrupted", total.worker_turns_interrupted);
  // rte_telemetry 22.11 has no floating-point values: rounded cycles, busy in parts per million.
  rte_tel_data_add_dict_u64(d, "cycles_per_packet", static_cast<std::uint64_t>(cost.cycles_per_packet + 0.5));
  rte_tel_data_add_dict_u64(d, "busy_ppm", static_cast<std::uint64_t>(cost.busy_fraction * 1e6 + 0.5));
  rte_tel_data_add_dict_u64(d, "worker_busy_ppm", static_cast<std::uint64_t>(whole.busy_fraction * 1e6 + 0.5));
  return 0;
}

// The optional port of /rampart/listeners and /rampart/backends: 0 when absent (every port),
// nullopt when it is not a number.
std::optional<unsigned> port_parameter(const char* params) noexcept {
  unsigned port = 0;
  if (params != nullptr && *params != '\0') {
    const char* end = params + std::strlen(params);
    const auto [ptr, ec] = std::from_chars(params, end, port);
    if (ec != std::errc{} || ptr != end) {
      return std::nullopt;
    }
  }
  return port;
}

// A listener is about 120 bytes of the 16 KiB reply: with more than ~120 listeners, ask for one
// port at a time (the metrics endpoint has them all).
int handle_listeners(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const telemetry_source& source = *guard.get();
  const std::optional<unsigned> only = port_parameter(params);
  if (!only) {
    return -EINVAL;
  }
  rte_tel_data_start_dict(d);
  for (std::size_t i = 0; i < source.listeners.size() && i < stats::max_listeners; ++i) {
    if (*only != 0 && source.listeners[i].port != *only) {
      continue;
    }
    stats::listener_snapshot total;
    for (const worker* w : source.workers) {
      total.accumulate(w->stats.listeners[i]);
    }
    rte_tel_data* one = rte_tel_data_alloc();
    if (one == nullptr) {
      continue;
    }
    rte_tel_data_start_dict(one);
    rte_tel_data_add_dict_string(one, "app", source.listeners[i].app.c_str());
#define RAMPART_X(name, description) rte_tel_data_add_dict_u64(one, #name, total.name);
    RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
    add_container(d, std::to_string(source.listeners[i].port).c_str(), one);
  }
  return 0;
}

// Per backend of every proxy listener (or of one port), summed over lcores. Telemetry keys allow
// only letters, digits, '_' and '/', so each backend is keyed "PORT/INDEX" (its place in the
// listener's `backends`) and carries its address as "backend":
// {"8080/0": {"backend": "10.0.0.5:80", "connects": ..., ...}, ...}.
int handle_backends(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  const telemetry_source& source = *guard.get();
  const std::optional<unsigned> only = port_parameter(params);
  if (!only) {
    return -EINVAL;
  }
  rte_tel_data_start_dict(d);
  std::vector<std::uint16_t> ports;
  for (const config::listener_config& l : source.listeners) {
    ports.push_back(l.port);
  }
  for (const backend_total& total : backend_totals(source.workers, ports)) {
    if (*only != 0 && total.port != *only) {
      continue;
    }
    rte_tel_data* one = rte_tel_data_alloc();
    if (one == nullptr) {
      continue;
    }
    rte_tel_data_start_dict(one);
    rte_tel_data_add_dict_string(one, "backend", total.address.c_str());
#define RAMPART_X(name, description) rte_tel_data_add_dict_u64(one, #name, total.counters.name);
    RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
    add_container(d, total.key.c_str(), one);
  }
  return 0;
}

// "PORT,INDEX,on|off": the request, or why not (one line naming the fix). Workers build their
// apps alike, so the first worker's app tells how many backends the listener has.
std::optional<backend_drain_request> parse_backend_drain(const telemetry_source& source, std::string_view params,
                                                         std::string& error) {
  constexpr std::string_view usage = "give PORT,INDEX,on|off: /rampart/backend_drain,8080,0,on";
  const std::size_t first = params.find(',');
  const std::size_t second = first == std::string_view::npos ? first : params.find(',', first + 1);
  unsigned port = 0;
  unsigned index = 0;
  const auto number = [](std::string_view text, unsigned& value) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && ptr == text.data() + text.size() && !text.empty();
  };
  const std::string_view state = second == std::string_view::npos ? std::string_view() : params.substr(second + 1);
  if (second == std::string_view::npos || !number(params.substr(0, first), port) ||
      !number(params.substr(first + 1, second - first - 1), index) || (state != "on" && state != "off")) {
    error = usage;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < source.listeners.size(); ++i) {
    if (source.listeners[i].port != port) {
      continue;
    }
    const worker* w = source.workers.front();
    const app::backend_counters* b = i < w->tcp.apps.size() ? app::backend_counters_of(*w->tcp.apps[i]) : nullptr;
    if (b == nullptr) {
      error = "listener on port " + std::to_string(port) + " has no backends: drain a backend of a proxy listener";
      return std::nullopt;
    }
    if (index >= b->backend_names().size()) {
      error = "listener on port " + std::to_string(port) + " has backends 0.." +
              std::to_string(b->backend_names().size() - 1) + ": see /rampart/backends," + std::to_string(port);
      return std::nullopt;
    }
    return backend_drain_request{static_cast<std::uint16_t>(i), static_cast<std::uint16_t>(index), state == "on"};
  }
  error = "no listener on port " + std::to_string(port) + ": see /rampart/listeners";
  return std::nullopt;
}

// Posts the request for the control lcore, which sends it to every worker at its next tick
// (within control_loop::tick): {"backend": "PORT/INDEX", "address", "draining": "on"|"off"};
// then /rampart/backends shows `draining` 1 per worker.
int handle_backend_drain(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr || guard.get()->workers.empty() || guard.get()->backend_drains == nullptr) {
    return -ENODEV;
  }
  const telemetry_source& source = *guard.get();
  rte_tel_data_start_dict(d);
  std::string error;
  const std::optional<backend_drain_request> request =
      parse_backend_drain(source, params == nullptr ? std::string_view() : std::string_view(params), error);
  if (!request) {
    rte_tel_data_add_dict_string(d, "error", error.c_str());
    return 0;
  }
  source.backend_drains->post(*request);
  const app::backend_counters& b = *app::backend_counters_of(*source.workers.front()->tcp.apps[request->listener]);
  const std::string key =
      std::to_string(source.listeners[request->listener].port) + "/" + std::to_string(request->backend);
  rte_tel_data_add_dict_string(d, "backend", key.c_str());
  rte_tel_data_add_dict_string(d, "address", b.backend_names()[request->backend].c_str());
  rte_tel_data_add_dict_string(d, "draining", request->draining ? "on" : "off");
  return 0;
}

// How long /rampart/connections waits for the workers: a worker answers within a few loop turns
// (microseconds each), so only a stuck or preempted one takes this long.
constexpr std::chrono::milliseconds listing_timeout{500};

// Adds a row's fields (connection_query.hh describe_row) to a telemetry dict.
struct tel_row_writer {
  rte_tel_data* d;
  void number(const char* name, std::uint64_t value) { rte_tel_data_add_dict_u64(d, name, value); }
  void text(const char* name, std::string_view value) { rte_tel_data_add_dict_string(d, name, std::string(value).c_str()); }
};

int handle_connections(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr || guard.get()->lister == nullptr) {
    return -ENODEV;
  }
  rte_tel_data_start_dict(d);
  std::string error;
  const std::optional<connection_query> query = parse_connection_query(params == nullptr ? "" : params, error);
  if (!query) {
    rte_tel_data_add_dict_string(d, "error", error.c_str());
    return 0;
  }
  guard.get()->lister->collect(*query, listing_timeout, [&](std::span<const lcore_listing> answers) {
    std::size_t budget = row_budget(answers.size());
    std::uint64_t matched = 0;
    std::uint32_t shown = 0;
    std::uint32_t omitted = 0;
    bool complete = true;
    rte_tel_data* statuses = rte_tel_data_alloc();
    rte_tel_data* rows = rte_tel_data_alloc();
    if (rows != nullptr) {
      rte_tel_data_start_dict(rows);
    }
    if (statuses != nullptr) {
      rte_tel_data_start_dict(statuses);
    }
    for (const lcore_listing& a : answers) {
      if (statuses != nullptr) {
        rte_tel_data_add_dict_string(statuses, std::to_string(a.lcore).c_str(), to_string(a.result));
      }
      complete = complete && a.result == lcore_listing::status::ok;
      matched += a.matched;
      for (const tcp::connection_summary& s : a.rows) {
        if (shown + omitted == query->limit) {
          break;
        }
        const std::size_t length = row_json(s, a.lcore, shown).size();
        if (rows == nullptr || length > budget) {
          ++omitted;
          continue;
        }
        rte_tel_data* row = rte_tel_data_alloc();
        if (row == nullptr) {
          ++omitted;
          continue;
        }
        rte_tel_data_start_dict(row);
        tel_row_writer writer{row};
        describe_row(s, a.lcore, writer);
        add_container(rows, std::to_string(shown).c_str(), row);
        budget -= length;
        ++shown;
      }
    }
    rte_tel_data_add_dict_string(d, "complete", complete ? "yes" : "no");
    rte_tel_data_add_dict_u64(d, "matched", matched);
    rte_tel_data_add_dict_u64(d, "shown", shown);
    rte_tel_data_add_dict_u64(d, "omitted", omitted);
    rte_tel_data_add_dict_u64(d, "limit", query->limit);
    add_container(d, "lcores", statuses);
    add_container(d, "connections", rows);
  });
  return 0;
}

// How long /rampart/neighbours waits for each worker (see listing_timeout), and how long
// /rampart/resolve waits for a next hop to answer: the resolver's three requests a second apart,
// and the last one's second.
constexpr std::chrono::milliseconds neighbours_timeout{500};
constexpr std::chrono::milliseconds resolve_timeout{
    route::neighbour_resolver::max_requests * route::neighbour_resolver::retry_interval_ns / 1'000'000 + 500};

const char* to_string(route::resolution::status s) noexcept {
  switch (s) {
    case route::resolution::status::reachable:
      return "reachable";
    case route::resolution::status::pending:
      return "resolving";
    case route::resolution::status::unreachable:
      return "failed";
    case route::resolution::status::no_room:
      return "no_room";
  }
  return "?";
}

// A row is about 100 bytes of telemetry's 16 KiB reply: past this many, rows are counted in
// `omitted` instead (a full table is 80 rows per worker).
constexpr std::uint32_t max_neighbour_rows = 120;

// Every worker's neighbours, as rows {lcore, ip, mac, age_ms, state} numbered from 0 over the
// workers, each worker's status ("ok", or "timeout" when it did not answer), and how many rows
// did not fit.
int handle_neighbours(const char*, const char*, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr) {
    return -ENODEV;
  }
  rte_tel_data_start_dict(d);
  rte_tel_data* statuses = rte_tel_data_alloc();
  rte_tel_data* rows = rte_tel_data_alloc();
  if (statuses == nullptr || rows == nullptr) {
    rte_tel_data_free(statuses);
    rte_tel_data_free(rows);
    return -ENOMEM;
  }
  rte_tel_data_start_dict(statuses);
  rte_tel_data_start_dict(rows);
  std::uint32_t shown = 0;
  std::uint32_t omitted = 0;
  for (worker* w : guard.get()->workers) {
    const bool answered = w->neighbour_requests.ask(std::nullopt, neighbours_timeout, [&](const auto& answer) {
      for (const route::neighbour_row& r : answer.rows) {
        rte_tel_data* row = shown < max_neighbour_rows ? rte_tel_data_alloc() : nullptr;
        if (row == nullptr) {
          ++omitted;
          continue;
        }
        rte_tel_data_start_dict(row);
        rte_tel_data_add_dict_int(row, "lcore", static_cast<int>(w->lcore_id));
        rte_tel_data_add_dict_string(row, "ip", r.ip.to_string().c_str());
        rte_tel_data_add_dict_string(row, "mac", r.mac.to_string().c_str());
        rte_tel_data_add_dict_u64(row, "age_ms", r.age_ns / 1'000'000);
        rte_tel_data_add_dict_string(row, "state", route::to_string(r.state));
        add_container(rows, std::to_string(shown++).c_str(), row);
      }
    });
    rte_tel_data_add_dict_string(statuses, std::to_string(w->lcore_id).c_str(), answered ? "ok" : "timeout");
  }
  add_container(d, "lcores", statuses);
  add_container(d, "neighbours", rows);
  rte_tel_data_add_dict_u64(d, "omitted", omitted);
  return 0;
}

// Asks every worker to resolve the next hop of an address and waits until each knows it, gave
// up, or resolve_timeout passed: {ip, next_hop, lcores: {id: state[ mac]}}.
int handle_resolve(const char*, const char* params, rte_tel_data* d) {
  const source_guard guard;
  if (guard.get() == nullptr || guard.get()->workers.empty()) {
    return -ENODEV;
  }
  const std::optional<net::ipv4_address> address =
      net::ipv4_address::parse(params == nullptr ? std::string_view() : std::string_view(params));
  rte_tel_data_start_dict(d);
  if (!address) {
    rte_tel_data_add_dict_string(d, "error", "give an IPv4 address: /rampart/resolve,a.b.c.d");
    return 0;
  }
  rte_tel_data_add_dict_string(d, "ip", address->to_string().c_str());
  // Route tables are read-only once the workers run, and the same on every worker.
  const std::optional<net::ipv4_address> next_hop = guard.get()->workers.front()->routes->table().next_hop(*address);
  if (!next_hop) {
    rte_tel_data_add_dict_string(d, "next_hop", "none");
    rte_tel_data_add_dict_string(d, "error", "no route: add one to routes or set port.gateway");
    return 0;
  }
  rte_tel_data_add_dict_string(d, "next_hop", next_hop->to_string().c_str());
  rte_tel_data* states = rte_tel_data_alloc();
  if (states == nullptr) {
    return -ENOMEM;
  }
  rte_tel_data_start_dict(states);
  // Every worker is asked in each round, so each sends its first request at once; a worker's
  // state is settled once it is anything but resolving.
  const std::span<worker* const> workers = guard.get()->workers;
  std::vector<std::string> answers(workers.size(), "timeout");
  std::vector<bool> settled(workers.size(), false);
  const auto deadline = std::chrono::steady_clock::now() + resolve_timeout;
  for (;;) {
    bool waiting = false;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      if (settled[i]) {
        continue;
      }
      workers[i]->neighbour_requests.ask(*address, neighbours_timeout, [&](const auto& answer) {
        if (const std::optional<route::resolution>& r = answer.resolved) {
          answers[i] = to_string(r->what);
          if (r->what == route::resolution::status::reachable) {
            answers[i] += " " + r->mac.to_string();
          }
          settled[i] = r->what != route::resolution::status::pending;
        }
      });
      waiting = waiting || !settled[i];
    }
    if (!waiting || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::size_t i = 0; i < workers.size(); ++i) {
    rte_tel_data_add_dict_string(states, std::to_string(workers[i]->lcore_id).c_str(), answers[i].c_str());
  }
  add_container(d, "lcores", states);
  return 0;
}

}  // namespace

bool register_telemetry() {
  struct command {
    const char* name;
    telemetry_cb handler;
    const char* help;
  };
  static constexpr command commands[] = {
      {"/rampart/stats", handle_stats, "Counters summed over workers, with drops. Takes no parameters."},
      {"/rampart/lcore_stats", handle_lcore_stats, "Counters of one worker. Parameter: lcore id (none: list)."},
      {"/rampart/drops", handle_drops, "Drop reasons: nonzero and all. Takes no parameters."},
      {"/rampart/port", handle_port, "Port name, driver, MAC, IP, queues, RSS, offloads, link and its changes, restarts."},
      {"/rampart/capture", handle_capture,
       "Write the next frames to pcapng. Parameters: frames,/abs/file.pcapng[,host=a.b.c.d][,port=n]; none: state."},
      {"/rampart/cost", handle_cost, "Cost accounting since start: busy cycles, cycles/packet, busy ppm."},
      {"/rampart/listeners", handle_listeners,
       "Per listening port: app, accepted, active, refused, bytes in/out. Parameter: a port (none: all)."},
      {"/rampart/backends", handle_backends,
       "Per backend of each proxy listener: connects, failures, open, bytes, health. Parameter: a port (none: all)."},
      {"/rampart/backend_drain", handle_backend_drain,
       "Drain a proxy backend (no new client, open ones finish) or put it back. Parameters: port,index,on|off."},
      {"/rampart/connections", handle_connections,
       "Connections. Parameters: [remote=a.b.c.d][,rport=n][,lport=n][,state=name][,limit=1..50]."},
      {"/rampart/neighbours", handle_neighbours, "Each worker's next hops: ip, mac, age_ms, state. No parameters."},
      {"/rampart/resolve", handle_resolve,
       "Resolve the next hop of an address on every worker (ARP), waiting up to 3.5 s. Parameter: a.b.c.d."},
  };
  bool ok = true;
  for (const command& c : commands) {
    if (const int rc = rte_telemetry_register_cmd(c.name, c.handler, c.help); rc != 0) {
      log_warning(std::string("cannot register telemetry command ") + c.name + ": " + std::strerror(-rc));
      ok = false;
    }
  }
  return ok;
}

void attach_telemetry(const telemetry_source* source) noexcept { g_source.store(source); }

void detach_telemetry() noexcept {
  g_source.store(nullptr);
  while (g_readers.load() != 0) {
    rte_pause();
  }
}

std::vector<backend_total> backend_totals(std::span<worker* const> workers, std::span<const std::uint16_t> ports) {
  std::vector<backend_total> totals;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::size_t first = totals.size();
    for (const worker* w : workers) {
      const app::backend_counters* b = i < w->tcp.apps.size() ? app::backend_counters_of(*w->tcp.apps[i]) : nullptr;
      if (b == nullptr) {
        continue;
      }
      for (std::size_t k = 0; k < b->backend_names().size(); ++k) {
        if (first + k == totals.size()) {
          totals.push_back({ports[i], std::to_string(ports[i]) + "/" + std::to_string(k), b->backend_names()[k], {}});
        }
        totals[first + k].counters.accumulate(b->backend_stats()[k]);
      }
    }
  }
  return totals;
}

stats::snapshot total_of(std::span<worker* const> workers) noexcept {
  stats::snapshot total;
  for (const worker* w : workers) {
    total.accumulate(w->stats);
  }
  return total;
}

mbuf_usage mbufs_of(std::span<worker* const> workers) noexcept {
  mbuf_usage usage;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const rte_mempool* pool = workers[i]->pool;
    const bool counted = std::any_of(workers.begin(), workers.begin() + static_cast<std::ptrdiff_t>(i),
                                     [pool](const worker* w) { return w->pool == pool; });
    if (!counted) {
      usage.in_use += rte_mempool_in_use_count(pool);
      usage.total += pool->size;
    }
  }
  return usage;
}

}  // namespace rampart::engine
