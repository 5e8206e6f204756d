#include "health_checker.hh"

#include <algorithm>
#include <array>

#include "proxy_header.hh"

namespace rampart::app::proxy {

namespace {

constexpr std::uint64_t ns_per_ms = 1'000'000;

std::string http_check_request(const proxy_settings& settings, const backend_entry& backend) {
  const health_check_settings& check = settings.health_check;
  return check.method + " " + check.path + " HTTP/1.1\r\nHost: " + backend_name(backend.endpoint) +
         "\r\nConnection: close\r\nUser-Agent: rampart-health-check\r\n\r\n";
}

// The PROXY header of a check, the proxy's own connection: v2's LOCAL (§2.2), or a v1 line with
// the check connection's own addresses (§2.1 prefers them to UNKNOWN, which some servers refuse).
std::size_t check_proxy_header(proxy_protocol_version version, const flow::flow_key& key,
                               std::span<std::byte> out) noexcept {
  switch (version) {
    case proxy_protocol_version::off:
      return 0;
    case proxy_protocol_version::v1:
      return write_proxy_v1(out, {net::ipv4_address{key.local_ip}, net::ipv4_address{key.remote_ip}, key.local_port,
                                  key.remote_port});
    case proxy_protocol_version::v2:
      return write_proxy_v2_local(out);
  }
  return 0;
}

}  // namespace

std::vector<std::string> health_check_requests(const proxy_settings& settings, std::span<const backend_slot> slots) {
  std::vector<std::string> requests;
  for (const backend_slot& s : slots) {
    requests.push_back(settings.health_check.type == health_check_settings::kind::http
                           ? http_check_request(settings, s.entry)
                           : std::string());
  }
  return requests;
}

health_checker::health_checker(const proxy_settings& settings, health_board& board,
                               std::span<stats::backend_stats> stats)
    : _settings(&settings),
      _board(board),
      _stats(stats),
      _requests(health_check_requests(settings, initial_slots(settings.backends))),
      _connect_timeout_ns(std::min(settings.connect_timeout_ms, settings.health_interval_ms) * ns_per_ms),
      _timer(&on_round, this) {
  _checks.reserve(max_backends);
  for (std::size_t b = 0; b < settings.backends.size(); ++b) {
    _checks.emplace_back(static_cast<std::uint16_t>(b), settings.backends[b].endpoint, settings.health_rise,
                         settings.health_fall);
    _stats[b].health_up.set(1);  // health_state.hh: a backend starts up
  }
}

void health_checker::apply(const proxy_settings& settings, std::span<const backend_slot> slots,
                           std::vector<std::string>& requests) noexcept {
  _settings = &settings;
  _connect_timeout_ns = std::min(settings.connect_timeout_ms, settings.health_interval_ms) * ns_per_ms;
  _requests.swap(requests);
  for (std::size_t b = 0; b < slots.size(); ++b) {
    if (b == _checks.size()) {
      _checks.emplace_back(static_cast<std::uint16_t>(b), slots[b].entry.endpoint, settings.health_rise,
                           settings.health_fall);
      _stats[b].health_up.set(1);  // as at start-up; the board's flag starts up too
    }
    _checks[b].removed = slots[b].removed;
    _checks[b].health.set_thresholds(settings.health_rise, settings.health_fall);
  }
}

void health_checker::start(tcp::app_host& host) noexcept {
  _host = &host;
  _host->arm(_timer, _host->now_ns());
}

void health_checker::on_round(void* self) noexcept { static_cast<health_checker*>(self)->round(); }

void health_checker::round() noexcept {
  for (check& c : _checks) {
    if (c.stream.valid()) {
      finish(c, false, _host->find(c.stream));  // no verdict within a whole interval
    }
    if (!c.removed) {
      begin(c);
    }
  }
  _host->arm(_timer, _host->now_ns() + _settings->health_interval_ms * ns_per_ms);
}

void health_checker::begin(check& c) noexcept {
  const tcp::connect_result r =
      _host->connect({c.address.address, c.address.port, static_cast<stream_owner*>(&c), _connect_timeout_ns});
  if (!r) {
    finish(c, false, nullptr);
    return;
  }
  c.stream = r.id;
  c.reader = {};
  const std::string& request = _requests[c.backend];
  tcp::stream* s = request.empty() ? nullptr : _host->find(r.id);
  if (s != nullptr) {
    // Queued until ESTABLISHED (stream.hh).
    std::array<std::byte, proxy_v1_max_length> header{};
    s->send(std::span(header.data(), check_proxy_header(_settings->proxy_protocol, s->key(), header)));
    s->send(std::as_bytes(std::span(request)));
  }
}

void health_checker::on_connected(tcp::stream& s) noexcept {
  auto& c = static_cast<check&>(owner_of(s));
  if (_requests[c.backend].empty()) {
    finish(c, true, &s);
  }
}

void health_checker::on_data(tcp::stream& s, tcp::data_view data) noexcept {
  auto& c = static_cast<check&>(owner_of(s));
  if (c.stream != s.id()) {
    return;  // a check already decided, whose reset is under way
  }
  if (c.reader.feed(data.bytes()) != http_status_reader::result::need_more) {
    finish(c, http_check_passed(c.reader, _settings->health_check.expected_status), &s);
  }
}

void health_checker::on_close(tcp::stream& s, tcp::close_reason) noexcept {
  auto& c = static_cast<check&>(owner_of(s));
  if (c.stream == s.id()) {
    finish(c, false, nullptr);  // refused, unreachable, timed out, or ended before a verdict
  }
}

void health_checker::finish(check& c, bool passed, tcp::stream* s) noexcept {
  c.stream = {};
  stats::backend_stats& counters = _stats[c.backend];
  if (!passed) {
    counters.checks_failed.add();
  }
  const health_state::change change = c.health.record(passed);
  if (change != health_state::change::none) {
    const bool up = change == health_state::change::went_up;
    (up ? counters.went_up : counters.went_down).add();
    counters.health_up.set(up ? 1 : 0);
    _board.publish(c.backend, up);
  }
  if (s != nullptr) {
    s->abort();  // on_close follows and finds no running check
  }
}

}  // namespace rampart::app::proxy
