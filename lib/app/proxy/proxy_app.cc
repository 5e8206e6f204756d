// The proxy's splice: every client connection gets a pair, which opens a connection to a backend
// and relays bytes both ways until both sides are closed (docs/proxy.md, "The splice").
//
// Per pair: both stream ids, the backend, and per direction the bytes the receiving side's send
// buffer has not taken yet, held in their receive buffers (held_views.hh). What a pair holds is
// bounded by the two receive windows (held bytes close the window of the side that sent them);
// what the engine holds for it by the two send buffers. Nothing is copied but into send buffers.
//
// Closing. A side's FIN is passed on (close() of the other side) once every byte it sent before
// it has been passed on; the other direction keeps flowing (half-close, RFC 9293 §3.6). A FIN
// towards a side whose own bytes are still held waits until they have gone, so that side's
// connection cannot finish closing while we hold its data. A side that ends any other way (RST,
// timeout, abort) takes the other side down with a RST, as does an orderly end that leaves bytes
// undelivered (proxy_relay_cut): the other peer must not take a cut stream for a whole one.
//
// Idle timeout: one app timer per pair, re-armed lazily: bytes moving only stamp the time, and
// the timer, when it fires, either finds the pair idle or moves to the stamp plus the timeout.
// A coarse per-lcore sweep would walk every pair each period; this costs one timer event per
// pair per idle_timeout at most, whatever the number of pairs.
#include "proxy_app.hh"

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "app/backend_counters.hh"
#include "app/backend_drain.hh"
#include "app/live_args.hh"
#include "backend_pool.hh"
#include "health_board.hh"
#include "health_checker.hh"
#include "held_views.hh"
#include "proxy_header.hh"
#include "proxy_reload.hh"
#include "state_pool.hh"
#include "stream_owner.hh"
#include "tcp/app_host.hh"

namespace rampart::app::proxy {

namespace {

constexpr std::uint64_t ns_per_ms = 1'000'000;
constexpr std::uint64_t ns_per_second = 1'000'000'000;

class proxy_app;

struct pair : stream_owner {
  explicit pair(proxy_app& a) : stream_owner{kind::pair}, app(&a), idle(&on_idle, this) {}

  // state_pool: the pair as a new client finds it (its idle timer is already cancelled).
  void reset() noexcept {
    client = {};
    backend = {};
    client_key = {};
    backend_key = {};
    backend_index = 0;
    attempts = 0;
    backend_connected = false;
    client_fin = backend_fin = false;
    client_fin_passed = backend_fin_passed = false;
    to_backend = {};
    to_client = {};
    last_activity_ns = 0;
  }

  static void on_idle(void* p) noexcept;

  proxy_app* app;
  tcp::stream_id client;   // invalid once the client's on_close ran
  tcp::stream_id backend;  // invalid while none is open (between attempts) and once it ended
  flow::flow_key client_key;   // the connections' 4-tuples, for the listing (relay_of)
  flow::flow_key backend_key;
  std::uint16_t backend_index = 0;
  std::uint32_t attempts = 0;     // connects started for this client
  bool backend_connected = false;
  bool client_fin = false;        // the client's FIN arrived
  bool backend_fin = false;
  bool client_fin_passed = false;   // ... and was passed on (backend close() called)
  bool backend_fin_passed = false;  // the backend's FIN was passed on (client close() called)
  held_queue to_backend;          // the client's bytes the backend has not taken yet
  held_queue to_client;
  std::uint64_t last_activity_ns = 0;
  tcp::app_timer idle;
};

// The longest "ADDRESS:PORT": "255.255.255.255:65535".
constexpr std::size_t max_backend_name = 21;

class proxy_app final : public tcp::application, public backend_counters, public backend_drain, public live_args {
 public:
  proxy_app(std::shared_ptr<const proxy_settings> settings, const app_context& context,
            std::uint16_t listener_port)
      : _settings(std::move(settings)),
        _stats(context.stats),
        _backend_stats(max_backends),
        _backend_names(max_backends),
        _listed(_settings->backends.size()),
        _backends(_settings->backends, _settings->balance, _settings->max_connections),
        _pairs([this] { return std::make_unique<pair>(*this); }),
        _idle_ns(std::uint64_t{_settings->idle_timeout_seconds} * ns_per_second) {
    for (std::string& name : _backend_names) {
      name.reserve(max_backend_name);  // so apply_args writes a new slot's name without allocating
    }
    for (std::size_t b = 0; b < _settings->backends.size(); ++b) {
      _backend_names[b] = backend_name(_settings->backends[b].endpoint);
    }
    bool writer = false;
    _board = board_for_listener(listener_port, _settings->backends.size(), writer);
    if (writer) {
      _checker = std::make_unique<health_checker>(*_settings, *_board, _backend_stats);
    }
  }

  // --- backend_counters ---
  // Slots only grow, and a slot's name is written before _listed covers it (backend_slots.hh).
  std::span<const stats::backend_stats> backend_stats() const noexcept override {
    return std::span(_backend_stats).first(_listed.load(std::memory_order_acquire));
  }
  std::span<const std::string> backend_names() const noexcept override {
    return std::span(_backend_names).first(_listed.load(std::memory_order_acquire));
  }

  // --- live_args ---
  // Between bursts: the new pool takes over each kept backend's connections, health and drain
  // flag; pairs keep their slot index, so connections to a removed backend finish on it.
  void apply_args(args_update& u) noexcept override {
    auto& update = static_cast<proxy_update&>(u);
    follow_board();
    update.pool.take_state_from(_backends);
    std::swap(_backends, update.pool);
    std::swap(_settings, update.settings);
    const std::size_t listed = _listed.load(std::memory_order_relaxed);
    for (std::size_t b = listed; b < _backends.size(); ++b) {
      _backend_names[b].assign(update.names[b]);  // fits the reserved capacity: no allocation
    }
    _listed.store(_backends.size(), std::memory_order_release);
    for (std::uint16_t b = 0; b < _backends.size(); ++b) {
      _backend_stats[b].removed.set(_backends.state(b).removed ? 1 : 0);
    }
    _idle_ns = std::uint64_t{_settings->idle_timeout_seconds} * ns_per_second;
    if (_checker) {
      _checker->apply(*_settings, update.slots, update.check_requests);
    }
  }

  // --- backend_drain ---
  bool set_backend_draining(std::uint16_t backend, bool draining) noexcept override {
    if (backend >= _backends.size()) {
      return false;
    }
    _backends.set_draining(backend, draining);
    _backend_stats[backend].draining.set(draining ? 1 : 0);
    return true;
  }

  // --- tcp::application ---
  void attach(tcp::app_host& host) noexcept override {
    _host = &host;
    if (_checker) {
      _checker->start(host);
    }
  }

  void on_open(tcp::stream& s) noexcept override {
    pair* p = _host != nullptr ? _pairs.acquire() : nullptr;
    if (p == nullptr) {
      s.set_context(nullptr);
      _stats.app_state_alloc_failures.add();
      s.abort();
      return;
    }
    p->client = s.id();
    p->client_key = s.key();
    s.set_context(static_cast<stream_owner*>(p));
    touch(*p);
    if (_idle_ns != 0) {
      _host->arm(p->idle, p->last_activity_ns + _idle_ns);
    }
    connect_backend(*p, s);
  }

  void on_connected(tcp::stream& s) noexcept override {
    if (owner_of(s).role == stream_owner::kind::check) {
      _checker->on_connected(s);
      return;
    }
    auto& p = static_cast<pair&>(owner_of(s));
    p.backend_connected = true;
    _backend_stats[p.backend_index].connected.add();
    tcp::stream* client = _host->find(p.client);
    if (client == nullptr) {
      s.abort();  // the client is gone: nothing to relay to (its on_close resets this stream too)
      return;
    }
    relay(p, p.to_backend, *client, s);
    pass_fins(p);
  }

  void on_data(tcp::stream& s, tcp::data_view data) noexcept override {
    if (owner_of(s).role == stream_owner::kind::check) {
      _checker->on_data(s, data);
      return;
    }
    auto& p = static_cast<pair&>(owner_of(s));
    const bool from_client = !s.outbound();
    held_queue& queue = from_client ? p.to_backend : p.to_client;
    const tcp::stream_id to_id = from_client ? p.backend : p.client;
    if (!to_id.valid()) {
      return;  // the other side is gone and this one is being reset: nowhere to relay to
    }
    touch(p);
    std::uint32_t offset = 0;
    const bool can_send = queue.empty() && (!from_client || p.backend_connected);
    if (tcp::stream* to = can_send ? _host->find(to_id) : nullptr; to != nullptr) {
      offset = static_cast<std::uint32_t>(to->send(data.bytes()));
      count_bytes(p, from_client, offset);
      if (offset == data.length) {
        return;
      }
    }
    switch (hold(_held, queue, s, data, offset)) {
      case hold_result::held:
        return;
      case hold_result::too_many_segments:
        _stats.proxy_held_aborts.add();
        break;
      case hold_result::no_memory:
        _stats.app_state_alloc_failures.add();
        break;
    }
    s.abort();  // the pair ends in on_close; p is not touched after this
  }

  void on_writable(tcp::stream& s) noexcept override {
    if (owner_of(s).role == stream_owner::kind::check) {
      return;
    }
    auto& p = static_cast<pair&>(owner_of(s));
    const bool to_client = !s.outbound();
    tcp::stream* from = _host->find(to_client ? p.backend : p.client);
    if (from == nullptr) {
      return;  // the sending side is gone: what it sent was discarded with it
    }
    relay(p, to_client ? p.to_client : p.to_backend, *from, s);
    pass_fins(p);
  }

  void on_peer_closed(tcp::stream& s) noexcept override {
    if (owner_of(s).role == stream_owner::kind::check) {
      return;  // the check decides on data or on close
    }
    auto& p = static_cast<pair&>(owner_of(s));
    (s.outbound() ? p.backend_fin : p.client_fin) = true;
    pass_fins(p);
  }

  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept override {
    if (s.context() == nullptr) {
      return;  // a client refused in on_open
    }
    if (owner_of(s).role == stream_owner::kind::check) {
      _checker->on_close(s, reason);
      return;
    }
    auto& p = static_cast<pair&>(owner_of(s));
    s.set_context(nullptr);
    if (s.outbound()) {
      backend_closed(p, s, reason);
    } else {
      client_closed(p, s, reason);
    }
  }

  std::optional<flow::flow_key> relay_of(const void* context, bool outbound) const noexcept override {
    const auto* owner = static_cast<const stream_owner*>(context);
    if (owner->role != stream_owner::kind::pair) {
      return std::nullopt;  // a health check relays nothing
    }
    const auto& p = static_cast<const pair&>(*owner);
    if (outbound) {
      return p.client.valid() ? std::optional(p.client_key) : std::nullopt;
    }
    return p.backend.valid() ? std::optional(p.backend_key) : std::nullopt;
  }

  void idle_check(pair& p) noexcept {
    if (_idle_ns == 0) {
      return;  // a SIGHUP turned the timeout off
    }
    const std::uint64_t deadline = p.last_activity_ns + _idle_ns;
    if (_host->now_ns() < deadline) {
      _host->arm(p.idle, deadline);
      return;
    }
    _stats.proxy_idle_timeouts.add();
    // One reset: the other side follows from its on_close.
    tcp::stream* s = _host->find(p.client.valid() ? p.client : p.backend);
    if (s != nullptr) {
      s->abort();
    }
  }

 private:
  void touch(pair& p) noexcept { p.last_activity_ns = _host->now_ns(); }

  void count_bytes(const pair& p, bool from_client, std::uint64_t n) noexcept {
    stats::backend_stats& b = _backend_stats[p.backend_index];
    (from_client ? b.bytes_to_backend : b.bytes_from_backend).add(n);
  }

  // The next backend for this client, until one connect starts; the client is reset when none
  // can (all down or full, or `retries` connects failed), and p may be gone on return.
  void connect_backend(pair& p, tcp::stream& client) noexcept {
    follow_board();
    const flow::flow_key key = client.key();
    while (p.attempts <= _settings->retries) {
      const std::optional<std::uint16_t> b = _backends.acquire(net::ipv4_address{key.remote_ip}, p.attempts);
      if (!b) {
        break;
      }
      ++p.attempts;
      stats::backend_stats& counters = _backend_stats[*b];
      counters.connects.add();
      counters.open.set(_backends.state(*b).active);
      const backend_entry& backend = _backends.state(*b).entry;
      // Nagle off toward the backend: the proxy relays what it gets when it gets it (as HAProxy
      // sets TCP_NODELAY); a short request must not wait behind the PROXY header's ACK.
      const tcp::connect_result r = _host->connect(
          {backend.endpoint.address, backend.endpoint.port, static_cast<stream_owner*>(&p),
           std::uint64_t{_settings->connect_timeout_ms} * ns_per_ms, false});
      if (r) {
        p.backend = r.id;
        p.backend_index = *b;
        if (const tcp::stream* backend_stream = _host->find(r.id); backend_stream != nullptr) {
          p.backend_key = backend_stream->key();
        }
        send_proxy_header(p, key);
        return;
      }
      counters.connect_failures.add();
      release_backend(*b);
    }
    (p.attempts == 0 ? _stats.proxy_clients_no_backend : _stats.proxy_clients_connect_failed).add();
    client.abort();
  }

  // The PROXY header goes first on the backend connection, queued before ESTABLISHED (stream.hh):
  // the client's addresses as the backend would have seen them (spec §2).
  void send_proxy_header(const pair& p, const flow::flow_key& client) noexcept {
    if (_settings->proxy_protocol == proxy_protocol_version::off) {
      return;
    }
    const ipv4_endpoints endpoints{net::ipv4_address{client.remote_ip}, net::ipv4_address{client.local_ip},
                                   client.remote_port, client.local_port};
    std::array<std::byte, proxy_v1_max_length> header{};
    const std::size_t length = _settings->proxy_protocol == proxy_protocol_version::v1
                                   ? write_proxy_v1(header, endpoints)
                                   : write_proxy_v2(header, endpoints);
    if (tcp::stream* backend = _host->find(p.backend); backend != nullptr) {
      backend->send(std::span(header.data(), length));
    }
  }

  void release_backend(std::uint16_t b) noexcept {
    _backends.release(b);
    _backend_stats[b].open.set(_backends.state(b).active);
  }

  // Health as the board says, applied to this lcore's pool when it changed since last time.
  void follow_board() noexcept {
    const std::uint64_t generation = _board->generation();
    if (generation == _board_generation) {
      return;
    }
    _board_generation = generation;
    for (std::uint16_t b = 0; b < _backends.size(); ++b) {
      if (_backends.state(b).up != _board->up(b)) {
        _backends.set_up(b, _board->up(b));
      }
    }
  }

  void relay(pair& p, held_queue& queue, tcp::stream& from, tcp::stream& to) noexcept {
    if (queue.empty()) {
      return;
    }
    const std::uint64_t sent = drain(_held, queue, from, to);
    count_bytes(p, &queue == &p.to_backend, sent);
    if (sent != 0) {
      touch(p);
    }
  }

  // Passes each side's FIN on once its bytes have gone, unless the other side still has bytes
  // held for it (see the file comment).
  void pass_fins(pair& p) noexcept {
    if (p.client_fin && !p.client_fin_passed && p.backend_connected && p.to_backend.empty() &&
        !(p.backend_fin && !p.to_client.empty())) {
      if (tcp::stream* backend = _host->find(p.backend); backend != nullptr) {
        p.client_fin_passed = true;
        backend->close();
      }
    }
    if (p.backend_fin && !p.backend_fin_passed && p.to_client.empty() &&
        !(p.client_fin && !p.to_backend.empty())) {
      if (tcp::stream* client = _host->find(p.client); client != nullptr) {
        p.backend_fin_passed = true;
        client->close();
      }
    }
  }

  void client_closed(pair& p, tcp::stream& client, tcp::close_reason reason) noexcept {
    p.client = {};
    const bool cut = !p.to_backend.empty();
    discard(_held, p.to_backend, client);
    side_ended(p, p.client_fin, p.backend, reason, cut);
  }

  void backend_closed(pair& p, tcp::stream& backend, tcp::close_reason reason) noexcept {
    const std::uint16_t b = p.backend_index;
    p.backend = {};
    release_backend(b);
    const bool cut = !p.to_client.empty();
    discard(_held, p.to_client, backend);
    if (!p.backend_connected) {
      backend_failed(p, b, reason);
      return;
    }
    side_ended(p, p.backend_fin, p.client, reason, cut);
  }

  // What one side's end (its stream already detached) means for the other side, `other`.
  // `cut`: bytes the ended side sent were still held, and are lost.
  void side_ended(pair& p, bool& ended_side_fin, tcp::stream_id other, tcp::close_reason reason, bool cut) noexcept {
    if (!other.valid()) {
      free_pair(p);
      return;
    }
    // An orderly end with nothing left to pass on. Its FIN may have come after ours, with no
    // on_peer_closed (FIN-WAIT to TIME-WAIT): pass it on now, if not yet done.
    if (reason == tcp::close_reason::closed && !cut) {
      ended_side_fin = true;
      pass_fins(p);
      return;
    }
    if (reason == tcp::close_reason::closed) {
      _stats.proxy_relay_cut.add();
    }
    abort_other(other, p);
  }

  // A connect that never reached ESTABLISHED: the next attempt, while the client is there.
  void backend_failed(pair& p, std::uint16_t b, tcp::close_reason reason) noexcept {
    const bool failed = reason == tcp::close_reason::refused || reason == tcp::close_reason::unreachable ||
                        reason == tcp::close_reason::timeout;
    if (failed) {
      (reason == tcp::close_reason::timeout ? _backend_stats[b].connect_timeouts
                                            : _backend_stats[b].connect_failures)
          .add();
    }
    tcp::stream* client = p.client.valid() ? _host->find(p.client) : nullptr;
    if (client == nullptr) {
      free_pair(p);
      return;
    }
    if (failed) {
      connect_backend(p, *client);
    } else {
      client->abort();  // the engine stops, or we reset it ourselves
    }
  }

  // Resets the pair's other side; its on_close ends the pair (maybe before abort() returns).
  void abort_other(tcp::stream_id other, pair& p) noexcept {
    if (tcp::stream* s = _host->find(other); s != nullptr) {
      s->abort();
      return;
    }
    free_pair(p);
  }

  void free_pair(pair& p) noexcept {
    _host->cancel(p.idle);  // a no-op when it is not armed (a SIGHUP may have changed _idle_ns since)
    _pairs.release(&p);
  }

  std::shared_ptr<const proxy_settings> _settings;
  stats::lcore_stats& _stats;
  std::vector<stats::backend_stats> _backend_stats;  // by slot, max_backends, never resized (read by telemetry)
  std::vector<std::string> _backend_names;           // by slot, the same
  std::atomic<std::size_t> _listed;                  // slots in use: the prefix telemetry reads
  backend_pool _backends;
  held_view_pool _held;
  state_pool<pair> _pairs;
  std::uint64_t _idle_ns;
  std::shared_ptr<health_board> _board;
  std::uint64_t _board_generation = 0;
  std::unique_ptr<health_checker> _checker;  // on the board's writer only
  tcp::app_host* _host = nullptr;
};

void pair::on_idle(void* p) noexcept {
  auto* self = static_cast<pair*>(p);
  self->app->idle_check(*self);
}

}  // namespace

std::unique_ptr<tcp::application> make_proxy(std::shared_ptr<const proxy_settings> settings,
                                             const app_context& context, std::uint16_t listener_port) {
  return std::make_unique<proxy_app>(std::move(settings), context, listener_port);
}

}  // namespace rampart::app::proxy
