#include "report.hh"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "options.hh"
#include "stats/cost.hh"

namespace rampart::load {

engine_cost_delta cost_between(const engine_cost_reading& before, const engine_cost_reading& after) noexcept {
  const std::uint64_t elapsed = after.uptime_cycles - before.uptime_cycles;
  const std::uint64_t packets = after.busy_packets - before.busy_packets;
  const std::uint64_t answers = after.tx_packets - before.tx_packets;
  const stats::cost_figures engine = stats::cost_of(after.busy_cycles - before.busy_cycles, packets, elapsed, after.workers);
  const stats::cost_figures worker =
      stats::cost_of(after.worker_cycles - before.worker_cycles, answers, elapsed, after.workers);
  return {engine.cycles_per_packet, engine.busy_fraction, packets,
          worker.cycles_per_packet, worker.busy_fraction, answers};
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
         ",\"client_tx_refused\":" + u(t.client_tx_refused) + ",\"legit_syn_refused\":" + u(t.legit_syn_refused) +
         ",\"client_tx_dropped\":" + u(t.client_tx_dropped) + ",\"rx_frames\":" + u(t.rx_frames) +
         ",\"rx_malformed\":" + u(t.rx_malformed) + ",\"rx_unmatched\":" + u(t.rx_unmatched) +
         ",\"arp_answered\":" + u(t.arp_answered) + ",\"mbuf_exhausted\":" + u(t.mbuf_exhausted) +
         ",\"rx_missed\":" + u(t.rx_missed) + "}";
}

std::string fate_json(const flow_fate& f, double seconds) {
  const auto per_s = [seconds](double n) { return number(seconds > 0 ? n / seconds : 0); };
  return "{\"attempted\":" + u(f.attempted()) + ",\"accepted\":" + u(f.accepted) + ",\"answered\":" +
         u(f.answered) + ",\"lost\":" + std::to_string(f.lost()) + ",\"refused\":" + u(f.refused) +
         ",\"unanswered\":" + std::to_string(f.unanswered()) + ",\"attempted_per_s\":" +
         per_s(static_cast<double>(f.attempted())) + ",\"accepted_per_s\":" + per_s(static_cast<double>(f.accepted)) +
         ",\"answered_per_s\":" + per_s(static_cast<double>(f.answered)) +
         ",\"lost_per_s\":" + per_s(static_cast<double>(f.lost())) + "}";
}

// Attempted, accepted by the link, answered and lost for each kind of traffic (README, Output).
std::string flows_json(const traffic_counters& t, std::uint64_t legit_attempted, std::uint64_t legit_completed,
                       std::uint64_t legit_failed, double seconds) {
  return "{\"syn_flood\":" + fate_json(syn_flood_fate(t), seconds) + ",\"ack_flood\":" +
         fate_json(ack_flood_fate(t), seconds) + ",\"ping_flood\":" + fate_json(ping_flood_fate(t), seconds) +
         ",\"legit\":{\"attempted\":" + u(legit_attempted) + ",\"completed\":" + u(legit_completed) +
         ",\"failed\":" + u(legit_failed) + ",\"syn_refused\":" + u(t.legit_syn_refused) +
         ",\"frames_refused\":" + u(t.client_tx_refused) + "}}";
}

std::string engine_json(const std::optional<engine_cost_delta>& e) {
  if (!e) {
    return "null";
  }
  return "{\"cycles_per_packet\":" + number(e->cycles_per_packet) + ",\"busy_fraction\":" +
         number(e->busy_fraction, 4) + ",\"packets\":" + u(e->packets) + ",\"worker_cycles_per_answer\":" +
         number(e->worker_cycles_per_answer) + ",\"worker_busy_fraction\":" + number(e->worker_busy_fraction, 4) +
         ",\"answers\":" + u(e->answers) + "}";
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
      {"/rampart/cost.worker_cycles", &c.worker_cycles}, {"/rampart/stats.tx_packets", &c.tx_packets},
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
         traffic_json(s.traffic, s.seconds) + ",\"flows\":" +
         flows_json(s.traffic, s.attempted, s.completed, s.failed, s.seconds) + ",\"legit\":{\"attempted\":" +
         u(s.attempted) + ",\"completed\":" + u(s.completed) + ",\"failed\":" + u(s.failed) + ",\"open\":" + u(s.open) +
         ",\"connect_p50_us\":" + number(us(s.connect.percentile(0.5))) + ",\"connect_p99_us\":" +
         number(us(s.connect.percentile(0.99))) + "},\"engine\":" + engine_json(s.engine) + "}";
}

std::string progress_line(const second_sample& s) {
  const double sec = s.seconds > 0 ? s.seconds : 1;
  const auto per_s = [sec](double n) { return n / sec; };
  char buf[320];
  std::snprintf(buf, sizeof buf, "[%6.1fs]", s.t);
  std::string line = buf;
  const std::pair<const char*, flow_fate> kinds[] = {
      {"syn", syn_flood_fate(s.traffic)}, {"ack", ack_flood_fate(s.traffic)}, {"ping", ping_flood_fate(s.traffic)}};
  for (const auto& [name, f] : kinds) {
    if (f.attempted() != 0) {
      std::snprintf(buf, sizeof buf, " %s/s attempted %.0f accepted %.0f answered %.0f lost %.0f |", name,
                    per_s(static_cast<double>(f.attempted())), per_s(static_cast<double>(f.accepted)),
                    per_s(static_cast<double>(f.answered)), per_s(static_cast<double>(f.lost())));
      line += buf;
    }
  }
  std::snprintf(buf, sizeof buf,
                " legit %llu ok %llu failed %llu open %llu syn refused | connect p50 %.2f ms p99 %.2f ms",
                static_cast<unsigned long long>(s.completed), static_cast<unsigned long long>(s.failed),
                static_cast<unsigned long long>(s.open), static_cast<unsigned long long>(s.traffic.legit_syn_refused),
                us(s.connect.percentile(0.5)) / 1000.0, us(s.connect.percentile(0.99)) / 1000.0);
  line += buf;
  if (s.engine) {
    std::snprintf(buf, sizeof buf, " | engine %.0f cyc/pkt busy %.1f%% | worker %.0f cyc/answer busy %.1f%%",
                  s.engine->cycles_per_packet, s.engine->busy_fraction * 100.0, s.engine->worker_cycles_per_answer,
                  s.engine->worker_busy_fraction * 100.0);
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
         ",\"requests\":" + u(r.requests) + ",\"drop_on_full\":" + (r.drop_on_full ? "true" : "false") +
         "},\"tsc_hz\":" + u(r.tsc_hz) + ",\"traffic\":" + traffic_json(r.traffic, r.duration_s) +
         ",\"flows\":" + flows_json(r.traffic, attempted, l.completed, failed, r.duration_s) +
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
  return {a.syn_offered - b.syn_offered,
          a.syn_refused - b.syn_refused,
          a.ack_offered - b.ack_offered,
          a.ack_refused - b.ack_refused,
          a.syn_acks - b.syn_acks,
          a.rsts - b.rsts,
          a.flood_other - b.flood_other,
          a.ping_offered - b.ping_offered,
          a.ping_refused - b.ping_refused,
          a.echo_replies - b.echo_replies,
          a.client_tx_refused - b.client_tx_refused,
          a.legit_syn_refused - b.legit_syn_refused,
          a.client_tx_dropped - b.client_tx_dropped,
          a.rx_frames - b.rx_frames,
          a.rx_malformed - b.rx_malformed,
          a.rx_unmatched - b.rx_unmatched,
          a.arp_answered - b.arp_answered,
          a.mbuf_exhausted - b.mbuf_exhausted,
          a.rx_missed - b.rx_missed};
}

}  // namespace rampart::load
