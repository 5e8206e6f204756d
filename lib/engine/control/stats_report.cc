#include "engine/stats_report.hh"

#include <algorithm>
#include <cstdio>

#include "engine/log.hh"

namespace rampart::engine {

std::vector<std::string> final_report_lines(const stats::snapshot& total, const driver_counters& driver) {
  std::vector<std::string> lines;
#define RAMPART_X(name, description) lines.push_back(std::string(#name) + " " + std::to_string(total.name));
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
    if (total.drops[i] != 0) {
      lines.push_back("drop." + std::string(stats::drop_reason_names[i]) + " " + std::to_string(total.drops[i]));
    }
  }
#define RAMPART_X(name, description) lines.push_back("port." #name " " + std::to_string(driver.name));
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  return lines;
}

void log_counters(std::string_view heading, const stats::snapshot& total, const driver_counters& driver) {
  log_info(heading);
  for (const std::string& line : final_report_lines(total, driver)) {
    log_info("  " + line);
  }
}

std::string periodic_line(const stats::snapshot& current, const stats::snapshot& previous,
                          const driver_counters& driver_now, const driver_counters& driver_before,
                          double seconds) {
  const auto plus = [](std::uint64_t now, std::uint64_t before) { return "+" + std::to_string(now - before); };
  const auto rate = [seconds](std::uint64_t now, std::uint64_t before) {
    return std::to_string(static_cast<std::uint64_t>(static_cast<double>(now - before) / seconds));
  };
  char interval[32];
  std::snprintf(interval, sizeof interval, "+%.1fs", seconds);
  std::string line = std::string("stats ") + interval + ": rx " + plus(current.rx_packets, previous.rx_packets) +
                     " pkt (" + rate(current.rx_packets, previous.rx_packets) + " pps) tx " +
                     plus(current.tx_packets, previous.tx_packets) + " pkt (" +
                     rate(current.tx_packets, previous.tx_packets) + " pps) consumed " +
                     plus(current.consumed, previous.consumed) + " dropped " + plus(current.dropped, previous.dropped);
  std::string drops;
  for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
    if (current.drops[i] != previous.drops[i]) {
      drops += (drops.empty() ? "" : ", ") + std::string("drop.") + std::string(stats::drop_reason_names[i]) + " " +
               plus(current.drops[i], previous.drops[i]);
    }
  }
  if (!drops.empty()) {
    line += " [" + drops + "]";
  }
  line += " port: imissed " + plus(driver_now.imissed, driver_before.imissed) + " ierrors " +
          plus(driver_now.ierrors, driver_before.ierrors) + " rx_nombuf " +
          plus(driver_now.rx_nombuf, driver_before.rx_nombuf) + " oerrors " +
          plus(driver_now.oerrors, driver_before.oerrors) + "; connections " +
          std::to_string(current.tcp_connections_active);
  return line;
}

std::string backends_part(std::span<const backend_total> current, std::span<const backend_total> previous) {
  if (current.empty()) {
    return {};
  }
  std::string part = "; backends [";
  for (std::size_t k = 0; k < current.size(); ++k) {
    const stats::backend_snapshot& now = current[k].counters;
    // By key: a SIGHUP that adds backends to one listener shifts the places of the next ones.
    const auto was = std::find_if(previous.begin(), previous.end(),
                                  [&](const backend_total& b) { return b.key == current[k].key; });
    const stats::backend_snapshot before = was != previous.end() ? was->counters : stats::backend_snapshot{};
    const std::uint64_t failed = now.connect_failures + now.connect_timeouts;
    part += (k == 0 ? "" : ", ") + current[k].key + " " + current[k].address + " open " + std::to_string(now.open) +
            " connects +" + std::to_string(now.connects - before.connects) + " failed +" +
            std::to_string(failed - before.connect_failures - before.connect_timeouts) +
            (now.health_up == 0 ? " down" : "") + (now.draining != 0 ? " draining" : "") +
            (now.removed != 0 ? " removed" : "");
  }
  return part + "]";
}

std::string link_part(const link_state& link, std::uint64_t changes) {
  return std::string("; link ") + link.word() + ", " +
         std::to_string(changes) + (changes == 1 ? " change" : " changes");
}

std::uint64_t connections_to_drain(const stats::snapshot& total) noexcept {
  return total.tcp_connections_active > total.tcp_time_wait_active
             ? total.tcp_connections_active - total.tcp_time_wait_active
             : 0;
}

}  // namespace rampart::engine
