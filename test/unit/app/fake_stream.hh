#pragma once
// A tcp::stream over memory for app tests: records what the app sends, enforces a send-space
// limit the test moves (as the peer's ACKs would), hands the app receive buffers that are really
// freed when the last reference goes (so ASan sees an app that reads a buffer it did not
// retain), and calls on_close synchronously inside abort(), the worst case the API allows.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tcp/stream.hh"

namespace rampart::test {

class fake_stream final : public tcp::stream {
 public:
  fake_stream(tcp::application& app, std::size_t send_space) : _app(app), _space(send_space) {}
  // A stream with a name and addresses of its own (fake_host.hh): a client's, or one the app
  // opened (outbound).
  fake_stream(tcp::application& app, std::size_t send_space, tcp::stream_id id, flow::flow_key key, bool outbound)
      : _app(app), _space(send_space), _id(id), _key(key), _outbound(outbound) {}
  // Ends the connection (engine shutdown) if the test did not, then checks that the app released
  // every buffer it retained.
  ~fake_stream() {
    if (!ended) {
      end(tcp::close_reason::shutdown);
    }
    CHECK(_buffers.empty());
  }

  // --- What the engine would do ---
  void open() { _app.on_open(*this); }
  // A connection the app opened reached ESTABLISHED.
  void connected() { _app.on_connected(*this); }
  // One in-order segment: a fresh receive buffer holding `bytes`, passed to on_data; the
  // engine's own reference goes after the callback.
  void deliver(std::string_view bytes) {
    REQUIRE(!ended);
    auto owned = std::make_unique<std::byte[]>(bytes.size() + 1);
    std::memcpy(owned.get(), bytes.data(), bytes.size());
    void* handle = owned.get();
    _buffers[handle] = {std::move(owned), 1};
    const tcp::data_view view{static_cast<const std::byte*>(handle), static_cast<std::uint32_t>(bytes.size()), handle};
    _app.on_data(*this, view);
    release_buffer(view);
  }
  // The peer acknowledged (read) n more bytes: send space grows, on_writable follows.
  void ack(std::size_t n) {
    _space += n;
    if (!ended) {
      _app.on_writable(*this);
    }
  }
  // Send space grows before the engine got to call on_writable (an ACK and data in one burst).
  void grant(std::size_t n) { _space += n; }
  void peer_close() { _app.on_peer_closed(*this); }
  void end(tcp::close_reason reason) {
    REQUIRE(!ended);
    ended = true;
    _app.on_close(*this, reason);
  }

  // --- tcp::stream ---
  std::size_t send(std::span<const std::byte> data) noexcept override {
    if (closed || aborted) {
      return 0;
    }
    const std::size_t n = std::min(_space, data.size());
    sent.append(reinterpret_cast<const char*>(data.data()), n);
    _space -= n;
    ++send_calls;
    return n;
  }
  std::size_t send_space() const noexcept override { return closed || aborted ? 0 : _space; }
  bool send_buffer(const packet::buffer&) noexcept override { return false; }
  std::optional<packet::buffer> allocate_buffer() noexcept override { return std::nullopt; }
  void retain_buffer(const tcp::data_view& view) noexcept override {
    auto it = _buffers.find(view.buffer);
    CHECK(it != _buffers.end());
    if (it != _buffers.end()) {
      ++it->second.references;
    }
  }
  bool holds(const tcp::data_view& view) const { return _buffers.contains(view.buffer); }
  void release_buffer(const tcp::data_view& view) noexcept override {
    auto it = _buffers.find(view.buffer);
    CHECK(it != _buffers.end());
    if (it != _buffers.end() && --it->second.references == 0) {
      _buffers.erase(it);
    }
  }
  void close() noexcept override {
    CHECK(!closed);  // an app closes once
    closed = true;
  }
  void abort() noexcept override {
    CHECK(!aborted);
    aborted = true;
    if (!ended) {
      ended = true;
      _app.on_close(*this, tcp::close_reason::aborted);
    }
  }
  void* context() const noexcept override { return _context; }
  void set_context(void* context) noexcept override { _context = context; }
  flow::flow_key key() const noexcept override { return _key; }
  tcp::stream_id id() const noexcept override { return _id; }
  bool outbound() const noexcept override { return _outbound; }

  std::size_t retained_buffers() const { return _buffers.size(); }

  std::string sent;
  std::size_t send_calls = 0;
  bool closed = false;
  bool aborted = false;
  bool ended = false;

 private:
  struct receive_buffer {
    std::unique_ptr<std::byte[]> bytes;
    int references = 0;
  };
  tcp::application& _app;
  std::size_t _space;
  void* _context = nullptr;
  std::map<void*, receive_buffer> _buffers;
  tcp::stream_id _id{0, 1};
  flow::flow_key _key{0x0a000001, 0x0a000002, 40000, 80};
  bool _outbound = false;
};

}  // namespace rampart::test
