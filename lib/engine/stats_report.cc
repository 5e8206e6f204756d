#include "engine/stats_report.hh"

#include <cstdint>

namespace rampart::engine {

std::vector<std::string> final_report_lines(const stats::snapshot& total) {
  std::vector<std::string> lines;
#define RAMPART_X(name, description) lines.push_back(std::string(#name) + " " + std::to_string(total.name));
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
    if (total.drops[i] != 0) {
      lines.push_back("drop." + std::string(stats::drop_reason_names[i]) + " " + std::to_string(total.drops[i]));
    }
  }
  return lines;
}

std::string periodic_line(const stats::snapshot& current, const stats::snapshot& previous, double seconds) {
  const auto rate = [seconds](std::uint64_t now, std::uint64_t before) {
    return std::to_string(static_cast<std::uint64_t>(static_cast<double>(now - before) / seconds));
  };
  std::string line = "stats: rx " + std::to_string(current.rx_packets) + " pkt (" +
                     rate(current.rx_packets, previous.rx_packets) + " pps) tx " +
                     std::to_string(current.tx_packets) + " pkt (" + rate(current.tx_packets, previous.tx_packets) +
                     " pps) dropped " + std::to_string(current.dropped);
  std::string drops;
  for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
    if (current.drops[i] != 0) {
      drops += (drops.empty() ? "" : ", ") + std::string("drop.") + std::string(stats::drop_reason_names[i]) + " " +
               std::to_string(current.drops[i]);
    }
  }
  if (!drops.empty()) {
    line += " [" + drops + "]";
  }
  return line;
}

}  // namespace rampart::engine
