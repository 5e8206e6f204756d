#include "report.hh"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "options.hh"
#include "stats/cost.hh"

namespace rampart::load {

engine_cost_delta cost_between(const engine_cost_reading& before, const engine_cost_reading& after) noexcept {
  const std::uint64_t packets = after.busy_packets - before.busy_packets;
  const stats::cost_figures c = stats::cost_of(after.busy_cycles - before.busy_cycles, packets,
                                               after.uptime_cycles - before.uptime_cycles, after.workers);
  return {c.cycles_per_packet, c.busy_fraction, packets};
}

namespace {

class json_reader {
 public:
  explicit json_reader(std::string_view text) : _s(text) {}

  bool object(const std::string& prefix, std::map<std::string, std::uint64_t>& out) {
    if (!eat('{')) {
      return false;
    }
    if (eat('}')) {
      return true;
    }
    do {
      std::string key;
      if (!string(key) || !eat(':')) {
        return false;
      }
      if (!value(prefix.empty() ? key : prefix + "." + key, out)) {
        return false;
      }
    } while (eat(','));
    return eat('}');
  }

  bool at_end() {
    space();
    return _i == _s.size();
  }

 private:
  void space() {
    while (_i < _s.size() && std::isspace(static_cast<unsigned char>(_s[_i]))) {
      ++_i;
    }
  }
  bool eat(char c) {
    space();
    if (_i < _s.size() && _s[_i] == c) {
      ++_i;
      return true;
    }
    return false;
  }
  bool string(std::string& out) {
    if (!eat('"')) {
      return false;
    }
    while (_i < _s.size() && _s[_i] != '"') {
      if (_s[_i] == '\\') {
        ++_i;  // keep the escaped character as is: names here are plain ASCII
        if (_i >= _s.size()) {
          return false;
        }
      }
      out.push_back(_s[_i++]);
    }
    return eat('"');
  }
  bool value(const std::string& path, std::map<std::string, std::uint64_t>& out) {
    space();
    if (_i >= _s.size()) {
      return false;
    }
    const char c = _s[_i];
    if (c == '{') {
      return object(path, out);
    }
    if (c == '"') {
      std::string ignored;
      return string(ignored);
    }
    if (c == '[') {
      ++_i;
      if (eat(']')) {
        return true;
      }
      do {
        std::map<std::string, std::uint64_t> ignored;
        if (!value(path, ignored)) {
          return false;
        }
      } while (eat(','));
      return eat(']');
    }
    const std::size_t start = _i;
    while (_i < _s.size() && (std::isalnum(static_cast<unsigned char>(_s[_i])) || _s[_i] == '-' || _s[_i] == '.' ||
                              _s[_i] == '+')) {
      ++_i;
    }
    const std::string_view token = _s.substr(start, _i - start);
    if (token == "true" || token == "false" || token == "null") {
      return true;
    }
    if (token.empty()) {
      return false;
    }
    if (token.find_first_not_of("0123456789") == std::string_view::npos && token.size() <= 20) {
      out[path] = std::stoull(std::string(token));
    } else {
      try {
        const double d = std::stod(std::string(token));
        if (d >= 0 && d < 1.8e19) {
          out[path] = static_cast<std::uint64_t>(d);
        }
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  }

  std::string_view _s;
  std::size_t _i = 0;
};

std::string number(double v, int decimals = 1) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string u(std::uint64_t v) { return std::to_string(v); }

std::string rate_text(std::uint64_t rate) { return rate == rate_max ? "\"max\"" : u(rate); }

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string traffic_json(const traffic_counters& t, double seconds) {
  const auto per_s = [seconds](std::uint64_t n) { return number(seconds > 0 ? static_cast<double>(n) / seconds : 0); };
  return "{\"syn_offered\":" + u(t.syn_offered) + ",\"ack_offered\":" + u(t.ack_offered) +
         ",\"syn_acks\":" + u(t.syn_acks) + ",\"rsts\":" + u(t.rsts) + ",\"flood_other\":" + u(t.flood_other) +
         ",\"syn_offered_per_s\":" + per_s(t.syn_offered) + ",\"ack_offered_per_s\":" + per_s(t.ack_offered) +
         ",\"syn_acks_per_s\":" + per_s(t.syn_acks) + ",\"rsts_per_s\":" + per_s(t.rsts) +
         ",\"ping_offered\":" + u(t.ping_offered) + ",\"echo_replies\":" + u(t.echo_replies) +
         ",\"ping_offered_per_s\":" + per_s(t.ping_offered) + ",\"echo_replies_per_s\":" + per_s(t.echo_replies) +
         ",\"tx_full\":" + u(t.tx_full) + ",\"client_tx_dropped\":" + u(t.client_tx_dropped) + ",\"rx_frames\":" + u(t.rx_frames) +
         ",\"rx_malformed\":" + u(t.rx_malformed) + ",\"rx_unmatched\":" + u(t.rx_unmatched) +
         ",\"arp_answered\":" + u(t.arp_answered) + ",\"mbuf_exhausted\":" + u(t.mbuf_exhausted) +
         ",\"rx_missed\":" + u(t.rx_missed) + "}";
}

std::string engine_json(const std::optional<engine_cost_delta>& e) {
  if (!e) {
    return "null";
  }
  return "{\"cycles_per_packet\":" + number(e->cycles_per_packet) + ",\"busy_fraction\":" +
         number(e->busy_fraction, 4) + ",\"packets\":" + u(e->packets) + "}";
}


// The rate check over the full seconds of the run, each against its measured length (a
// second closes at the first loop turn after its end).
std::string rate_check_json(std::uint64_t rate, const std::vector<second_sample>& seconds,
                            std::uint64_t traffic_counters::*offered) {
  if (rate == 0) {
    return "null";
  }
  if (rate == rate_max) {
    return "{\"mode\":\"max\"}";
  }
  double worst = 0;
  unsigned full = 0;
  for (const second_sample& s : seconds) {
    if (s.full) {
      worst = std::max(worst, rate_error(s.traffic.*offered, rate, s.seconds));
      ++full;
    }
  }
  const bool reachable = full > 0 && worst < 0.01;
  return std::string("{\"mode\":\"fixed\",\"full_seconds\":") + u(full) + ",\"worst_error\":" + number(worst, 5) +
         ",\"reachable\":" + (reachable ? "true" : "false") + "}";
}

}  // namespace

std::optional<std::map<std::string, std::uint64_t>> flatten_json_numbers(std::string_view json) {
  std::map<std::string, std::uint64_t> out;
  json_reader r(json);
  if (!r.object("", out) || !r.at_end()) {
    return std::nullopt;
  }
  return out;
}

std::optional<engine_cost_reading> cost_from_reply(const std::map<std::string, std::uint64_t>& reply) {
  engine_cost_reading c;
  const std::pair<const char*, std::uint64_t*> fields[] = {
      {"/rampart/cost.tsc_hz", &c.tsc_hz},           {"/rampart/cost.uptime_cycles", &c.uptime_cycles},
      {"/rampart/cost.workers", &c.workers},         {"/rampart/cost.busy_cycles", &c.busy_cycles},
      {"/rampart/cost.busy_packets", &c.busy_packets},
  };
  for (const auto& [name, field] : fields) {
    const auto it = reply.find(name);
    if (it == reply.end()) {
      return std::nullopt;
    }
    *field = it->second;
  }
  return c;
}

double rate_error(std::uint64_t offered, std::uint64_t rate, double seconds) noexcept {
  if (rate == 0 || seconds <= 0) {
    return 0;
  }
  const double want = static_cast<double>(rate) * seconds;
  return std::fabs(static_cast<double>(offered) - want) / want;
}

std::string latency_json(const histogram& h) {
  std::string buckets;
  for (const histogram::bucket& b : h.nonempty_buckets()) {
    buckets += (buckets.empty() ? "[" : ",[") + number(us(b.highest), 3) + "," + u(b.count) + "]";
  }
  return "{\"count\":" + u(h.count()) + ",\"min_us\":" + number(us(h.min())) + ",\"mean_us\":" +
         number(h.mean() / 1000.0) + ",\"p50_us\":" + number(us(h.percentile(0.5))) + ",\"p99_us\":" +
         number(us(h.percentile(0.99))) + ",\"p99_9_us\":" + number(us(h.percentile(0.999))) + ",\"max_us\":" +
         number(us(h.max())) + ",\"buckets_us\":[" + buckets + "]}";
}

std::string second_json(const second_sample& s) {
  return "{\"t\":" + number(s.t, 3) + ",\"seconds\":" + number(s.seconds, 3) + ",\"traffic\":" +
         traffic_json(s.traffic, s.seconds) + ",\"legit\":{\"attempted\":" + u(s.attempted) + ",\"completed\":" +
         u(s.completed) + ",\"failed\":" + u(s.failed) + ",\"open\":" + u(s.open) +
         ",\"connect_p50_us\":" + number(us(s.connect.percentile(0.5))) + ",\"connect_p99_us\":" +
         number(us(s.connect.percentile(0.99))) + "},\"engine\":" + engine_json(s.engine) + "}";
}

std::string progress_line(const second_sample& s) {
  const double sec = s.seconds > 0 ? s.seconds : 1;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "[%6.1fs] offered syn %.0f/s ack %.0f/s | answered syn-ack %.0f/s rst %.0f/s | legit %llu ok %llu "
                "failed %llu open | connect p50 %.2f ms p99 %.2f ms",
                s.t, static_cast<double>(s.traffic.syn_offered) / sec, static_cast<double>(s.traffic.ack_offered) / sec,
                static_cast<double>(s.traffic.syn_acks) / sec, static_cast<double>(s.traffic.rsts) / sec,
                static_cast<unsigned long long>(s.completed), static_cast<unsigned long long>(s.failed),
                static_cast<unsigned long long>(s.open), us(s.connect.percentile(0.5)) / 1000.0,
                us(s.connect.percentile(0.99)) / 1000.0);
  std::string line = buf;
  if (s.engine) {
    std::snprintf(buf, sizeof buf, " | engine %.0f cyc/pkt busy %.1f%%", s.engine->cycles_per_packet,
                  s.engine->busy_fraction * 100.0);
    line += buf;
  }
  return line;
}

std::string final_json(const run_summary& r) {
  const load_stats empty;
  const load_stats& l = r.legit != nullptr ? *r.legit : empty;
  std::string failures;
  for (std::size_t i = 0; i < failure_count; ++i) {
    failures += (failures.empty() ? "" : ",") + std::string("\"") + failure_names[i] + "\":" + u(l.failures[i]);
  }
  failures += ",\"unfinished\":" + u(r.open_at_end);
  const std::uint64_t failed = l.failed + r.open_at_end;
  const std::uint64_t attempted = l.attempted;
  const std::string success =
      attempted == 0 ? "null" : number(static_cast<double>(l.completed) / static_cast<double>(attempted), 6);
  std::string per_second;
  for (const second_sample& s : r.seconds) {
    per_second += (per_second.empty() ? "" : ",") + second_json(s);
  }
  std::string counters = "null";
  if (r.engine_counters) {
    counters.clear();
    for (const auto& [name, value] : *r.engine_counters) {
      counters += (counters.empty() ? "{" : ",") + std::string("\"") + name + "\":" + u(value);
    }
    counters += counters.empty() ? "{}" : "}";
  }
  return "{\"final\":true,\"tool\":\"rampart-load\",\"target\":\"" + r.target + "\",\"duration_s\":" +
         number(r.duration_s, 3) + ",\"drain_s\":" + number(r.drain_s, 3) + ",\"config\":{\"syn_rate\":" +
         rate_text(r.syn_rate) + ",\"ack_rate\":" + rate_text(r.ack_rate) +
         ",\"ping_rate\":" + rate_text(r.ping_rate) + ",\"legit_rate\":" + rate_text(r.legit_rate) +
         ",\"requests\":" + u(r.requests) + "},\"traffic\":" + traffic_json(r.traffic, r.duration_s) +
         ",\"syn_rate_check\":" + rate_check_json(r.syn_rate, r.seconds, &traffic_counters::syn_offered) +
         ",\"ack_rate_check\":" + rate_check_json(r.ack_rate, r.seconds, &traffic_counters::ack_offered) +
         ",\"ping_rate_check\":" + rate_check_json(r.ping_rate, r.seconds, &traffic_counters::ping_offered) +
         ",\"legit\":{\"attempted\":" + u(attempted) + ",\"completed\":" + u(l.completed) + ",\"failed\":" +
         u(failed) + ",\"success_rate\":" + success + ",\"failures\":{" + failures + "},\"handshakes\":" +
         u(l.handshakes) + ",\"requests_sent\":" + u(l.requests_sent) + ",\"responses\":" + u(l.responses) +
         ",\"retransmits\":" + u(l.retransmits) + ",\"syn_sent_resets\":" + u(l.syn_sent_resets) +
         "},\"latency\":{\"syn_to_syn_ack\":" +
         latency_json(l.syn_to_syn_ack) + ",\"connect\":" + latency_json(l.connect) + ",\"request\":" +
         latency_json(l.request) + ",\"connection\":" + latency_json(l.connection) + "},\"engine\":" +
         engine_json(r.engine) + ",\"engine_counters\":" + counters + ",\"per_second\":[" + per_second + "]}";
}

traffic_counters traffic_minus(const traffic_counters& a, const traffic_counters& b) {
  return {a.syn_offered - b.syn_offered, a.ack_offered - b.ack_offered, a.syn_acks - b.syn_acks,
          a.rsts - b.rsts,               a.flood_other - b.flood_other,
          a.ping_offered - b.ping_offered, a.echo_replies - b.echo_replies, a.tx_full - b.tx_full,
          a.client_tx_dropped - b.client_tx_dropped,
          a.rx_frames - b.rx_frames,     a.rx_malformed - b.rx_malformed, a.rx_unmatched - b.rx_unmatched,
          a.arp_answered - b.arp_answered, a.mbuf_exhausted - b.mbuf_exhausted, a.rx_missed - b.rx_missed};
}

}  // namespace rampart::load
