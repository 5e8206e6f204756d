// echo (RFC 862): every byte received is sent back, in order.
//
// Back-pressure: when send() takes less than a segment, the rest stays in the segment's receive
// buffer (stream::retain_buffer, no copy) in a per-connection ring, and on_writable sends it.
// Held bytes count against the receive window the connection advertises, so a peer that sends
// without reading sees the window close. The window bounds bytes, not buffers (tiny segments pin
// one packet buffer each), so a connection holds at most max_held_segments and max_held_bytes;
// past either it is aborted (RST) and counted in echo_aborts.
#include <vector>

#include "builtin_apps.hh"
#include "state_pool.hh"

namespace rampart::app {

namespace {

// Bytes not yet accepted by send(), in arrival order; each entry pins one receive buffer.
struct held_bytes {
  const std::byte* data = nullptr;
  std::uint32_t length = 0;
  void* buffer = nullptr;
  std::uint32_t retained = 0;  // the view's whole length, as retain_buffer counted it

  // What release_buffer must be given back: the view as it was retained.
  tcp::data_view view() const noexcept { return {nullptr, retained, buffer}; }
};

struct echo_connection {
  explicit echo_connection(std::uint32_t capacity) : ring(capacity) {}
  void reset() noexcept {
    head = 0;
    count = 0;
    bytes = 0;
    peer_closed = false;
  }
  std::vector<held_bytes> ring;  // capacity max_held_segments, allocated once per pooled state
  std::uint32_t head = 0;
  std::uint32_t count = 0;
  std::uint64_t bytes = 0;
  bool peer_closed = false;
};

class echo_app final : public tcp::application {
 public:
  echo_app(const echo_settings& settings, const app_context& context)
      : _settings(settings),
        _stats(context.stats),
        _pool([capacity = settings.max_held_segments] {
          return std::make_unique<echo_connection>(capacity);
        }) {}

  // State is made only when a connection first has bytes to hold, so an echo connection that
  // keeps up costs nothing here.
  void on_open(tcp::stream& s) noexcept override { s.set_context(nullptr); }

  void on_data(tcp::stream& s, tcp::data_view data) noexcept override {
    auto* c = static_cast<echo_connection*>(s.context());
    // Held bytes go first: keep the order.
    if (c != nullptr && c->count > 0 && !drain(s, *c)) {
      hold(s, c, data, 0);
      return;
    }
    const std::size_t sent = s.send(data.bytes());
    _stats.echo_bytes.add(sent);
    if (sent < data.length) {
      hold(s, c, data, static_cast<std::uint32_t>(sent));
    }
  }

  void on_writable(tcp::stream& s) noexcept override {
    auto* c = static_cast<echo_connection*>(s.context());
    if (c != nullptr && drain(s, *c) && c->peer_closed) {
      s.close();
    }
  }

  // The peer sends no more: FIN once what we hold has gone out.
  void on_peer_closed(tcp::stream& s) noexcept override {
    auto* c = static_cast<echo_connection*>(s.context());
    if (c == nullptr || c->count == 0) {
      s.close();
      return;
    }
    c->peer_closed = true;
  }

  void on_close(tcp::stream& s, tcp::close_reason) noexcept override {
    auto* c = static_cast<echo_connection*>(s.context());
    if (c == nullptr) {
      return;
    }
    s.set_context(nullptr);
    for (; c->count > 0; --c->count) {
      s.release_buffer(c->ring[c->head].view());
      c->head = (c->head + 1) % c->ring.size();
    }
    _pool.release(c);
  }

 private:
  // Sends held bytes until send() takes less; true when nothing is held any more.
  bool drain(tcp::stream& s, echo_connection& c) noexcept {
    while (c.count > 0) {
      held_bytes& h = c.ring[c.head];
      const std::size_t sent = s.send({h.data, h.length});
      _stats.echo_bytes.add(sent);
      c.bytes -= sent;
      if (sent < h.length) {
        h.data += sent;
        h.length -= static_cast<std::uint32_t>(sent);
        return false;
      }
      s.release_buffer(h.view());
      c.head = (c.head + 1) % c.ring.size();
      --c.count;
    }
    return true;
  }

  // Keeps data[offset..] for on_writable, or aborts the connection past the bounds.
  void hold(tcp::stream& s, echo_connection* c, const tcp::data_view& data,
            std::uint32_t offset) noexcept {
    if (c == nullptr) {
      c = _pool.acquire();
      if (c == nullptr) {
        _stats.app_state_alloc_failures.add();
        s.abort();
        return;
      }
      s.set_context(c);
    }
    const std::uint32_t length = data.length - offset;
    if (c->count == c->ring.size() || c->bytes + length > _settings.max_held_bytes) {
      _stats.echo_aborts.add();
      s.abort();  // on_close may run inside: c is not touched after this
      return;
    }
    s.retain_buffer(data);
    c->ring[(c->head + c->count) % c->ring.size()] = {data.data + offset, length, data.buffer, data.length};
    ++c->count;
    c->bytes += length;
  }

  echo_settings _settings;
  stats::lcore_stats& _stats;
  state_pool<echo_connection> _pool;
};

}  // namespace

echo_settings read_echo_args(arg_reader& args) {
  echo_settings settings;
  settings.max_held_bytes = static_cast<std::uint32_t>(
      args.number("max_held_bytes", settings.max_held_bytes, 1, 64ULL * 1024 * 1024));
  settings.max_held_segments = static_cast<std::uint32_t>(
      args.number("max_held_segments", settings.max_held_segments, 1, 65536));
  return settings;
}

std::unique_ptr<tcp::application> make_echo(const echo_settings& settings,
                                            const app_context& context) {
  return std::make_unique<echo_app>(settings, context);
}

}  // namespace rampart::app
