#pragma once
// An app_host over fake_streams for app tests: client connections the test opens, connections
// the app opens with connect() (the test then completes or fails them), find() by id, and a clock
// the test sets. Timers are recorded, not fired: a test that needs them runs on the real
// lcore_tcp (test/unit/tcp). Like fake_stream, it does at once what the engine may defer (a
// send, close or abort on another stream than the callback's), the harder case for an app.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "fake_stream.hh"
#include "tcp/app_host.hh"

namespace rampart::test {

class fake_host final : public tcp::app_host {
 public:
  // Streams get `send_space` bytes of send buffer each.
  fake_host(tcp::application& app, std::size_t send_space) : _app(app), _space(send_space) { app.attach(*this); }
  // Ends every stream still open (engine shutdown) while the app is there to hear it.
  ~fake_host() {
    for (bool again = true; again;) {
      again = false;
      for (auto& s : _streams) {
        if (!s->ended) {
          s->end(tcp::close_reason::shutdown);
          again = true;
        }
      }
    }
  }

  // --- what the engine would do ---
  // A client's handshake completed: a new stream from 10.0.0.1:client_port to 10.0.0.2:8080.
  fake_stream& open_client(std::uint16_t client_port = 40000, std::uint32_t client_ip = 0x0a000001) {
    fake_stream& s = add({client_ip, 0x0a000002, client_port, 8080}, false);
    s.open();
    return s;
  }
  // The i-th connection the app opened (in connect() order).
  fake_stream& outbound(std::size_t i) {
    REQUIRE(i < _outbound.size());
    return *_outbound[i];
  }
  std::size_t outbound_count() const { return _outbound.size(); }
  // The next connect() fails at once with `error`.
  void fail_next_connect(tcp::connect_error error) { _next_error = error; }
  void set_now(std::uint64_t ns) { _now = ns; }
  // Deadlines of the armed timers.
  std::size_t armed_timers() const { return _armed.size(); }

  // --- tcp::app_host ---
  tcp::connect_result connect(const tcp::connect_request& r) noexcept override {
    if (_next_error) {
      const tcp::connect_error error = *_next_error;
      _next_error.reset();
      return {{}, error};
    }
    connect_timeouts.push_back(r.timeout_ns);
    fake_stream& s = add({r.remote.value, 0x0a000002, r.port, static_cast<std::uint16_t>(50000 + _outbound.size())}, true);
    s.set_context(r.context);
    _outbound.push_back(&s);
    return {s.id(), std::nullopt};
  }
  tcp::stream* find(tcp::stream_id id) noexcept override {
    if (!id.valid() || id.index >= _streams.size() || _streams[id.index]->ended) {
      return nullptr;
    }
    return _streams[id.index].get();
  }
  // A view retained from a stream that has ended: back to that stream's buffers.
  void release_buffer(const tcp::data_view& view) noexcept override {
    for (auto& s : _streams) {
      if (s->holds(view)) {
        s->release_buffer(view);
        return;
      }
    }
    CHECK(false);  // released twice, or never retained
  }
  void arm(tcp::app_timer& t, std::uint64_t) noexcept override {
    if (std::find(_armed.begin(), _armed.end(), &t) == _armed.end()) {
      _armed.push_back(&t);
    }
  }
  void cancel(tcp::app_timer& t) noexcept override { std::erase(_armed, &t); }
  std::uint64_t now_ns() const noexcept override { return _now; }

  std::vector<std::uint64_t> connect_timeouts;  // of every connect() that started

 private:
  fake_stream& add(flow::flow_key key, bool outbound) {
    const tcp::stream_id id{static_cast<std::uint32_t>(_streams.size()), 1};
    _streams.push_back(std::make_unique<fake_stream>(_app, _space, id, key, outbound));
    return *_streams.back();
  }

  tcp::application& _app;
  std::size_t _space;
  std::deque<std::unique_ptr<fake_stream>> _streams;  // by stream_id::index
  std::vector<fake_stream*> _outbound;
  std::vector<tcp::app_timer*> _armed;
  std::optional<tcp::connect_error> _next_error;
  std::uint64_t _now = 1'000'000'000;
};

}  // namespace rampart::test
