#pragma once
// Text forms of the counters for the console: the periodic line and the final report printed
// at shutdown. Names are exactly those of counters.hh and drop_reason.hh (drops prefixed
// "drop."), the same keys telemetry uses, so logs and /rampart/stats grep alike.
#include <string>
#include <vector>

#include "stats/counters.hh"

namespace rampart::engine {

// Every event counter, "name value", then each non-zero drop reason, "drop.name value";
// one entry per line, in declaration order.
std::vector<std::string> final_report_lines(const stats::snapshot& total);

// "stats: rx 1200 pkt (120 pps) tx 1100 pkt (110 pps) dropped 100 [drop.eth_not_for_us 90, ...]"
// over the interval [previous, current]; seconds > 0. Rates are integers (floor).
std::string periodic_line(const stats::snapshot& current, const stats::snapshot& previous, double seconds);

}  // namespace rampart::engine
