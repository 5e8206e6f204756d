// worker_tcp (engine/worker_tcp.hh): the worker's TCP set-up, and the order in which its parts go
// away, over heap buffers instead of mbufs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "engine/worker_tcp.hh"
#include "fake_io.hh"
#include "tcp_script.hh"

namespace {

using namespace rampart;

// Heap buffers that check, when destroyed, that every buffer came back. A worker_tcp that
// destroyed its pool before its lcore_tcp, whose connections still hold buffers, fails here; and
// the lcore_tcp's late release is then a heap-use-after-free, which the ASan build reports.
class checked_pool final : public packet::buffer_pool {
 public:
  checked_pool() = default;
  ~checked_pool() override { CHECK(_heap.in_use() == 0); }
  std::optional<packet::buffer> allocate() noexcept override { return _heap.allocate(); }
  void retain(void* handle) noexcept override { _heap.retain(handle); }
  void release(void* handle) noexcept override { _heap.release(handle); }
  std::size_t in_use() const noexcept { return _heap.in_use(); }

 private:
  test::heap_buffer_pool _heap;
};

// Keeps what lib/tcp sends, as the worker's tx_staging does until the turn's tx_burst.
struct holding_staging final : packet::frame_sink {
  bool push(const packet::buffer& frame, const packet::tx_offload_request&) noexcept override {
    frames.push_back(frame);
    return true;
  }
  std::vector<packet::buffer> frames;
};

constexpr std::uint64_t t0_ns = 1'700'000'000'000'000'000ULL;
constexpr std::uint16_t echo_port = 7;

// One worker's datapath state with an echo listener, the worker's TCP started as the engine does.
struct worker_fixture {
  worker_fixture() {
    context.identity = {test::server_mac, {test::tcp_segment_spec{}.destination, 24}};
    context.stats = &stats;
    tcp::tcp_settings settings = engine::tcp_settings_of(config::engine_config{}, {});  // the config's defaults
    settings.connections = 64;
    settings.local_mac = test::server_mac;
    tcp->start({settings, engine::tcp_listeners_of(listeners), listeners, cookie::key_schedule::random(64).keys_at(t0_ns)}, stats,
               1, t0_ns, context);
  }

  // One segment through the pipeline in a buffer of the worker's pool, freed after the burst as the
  // worker loop frees its mbufs; returns the verdict and keeps the frame as it left (a reply).
  packet::verdict send(const test::tcp_segment_spec& spec) {
    const std::vector<std::byte> bytes = test::build_tcp_frame(spec);
    const std::optional<packet::buffer> b = tcp->buffers.allocate();
    REQUIRE(b);
    std::copy(bytes.begin(), bytes.end(), b->data);
    packet::frame f{b->data, static_cast<std::uint16_t>(bytes.size()), b->capacity};
    f.buffer = b->handle;
    packet::verdict v{};
    pipeline::process_burst(context, {&f, 1}, {&v, 1}, t0_ns);
    last_frame.assign(f.data, f.data + f.length);
    tcp->buffers.release(b->handle);
    return v;
  }

  // The segments the worker's TCP staged since the last call, decoded; their buffers go back to
  // the pool as a transmitted mbuf's do.
  std::vector<test::decoded_frame> sent() {
    std::vector<test::decoded_frame> decoded;
    for (const packet::buffer& b : tcp->staging.frames) {
      decoded.push_back(test::decode_tcp_frame({b.data, b.length}));
      tcp->buffers.release(b.handle);
    }
    tcp->staging.frames.clear();
    return decoded;
  }

  // Handshake, then `payload`, which the echo app sends back: returns the echo as it was staged.
  test::decoded_frame open_and_echo(const std::vector<std::byte>& payload) {
    test::tcp_client client;
    client.base.destination_port = echo_port;
    REQUIRE(send(client.syn()).what == packet::action::transmit);
    const test::decoded_frame syn_ack = test::decode_tcp_frame(last_frame);
    REQUIRE(syn_ack.has(net::tcp_flag::syn));
    REQUIRE(syn_ack.has(net::tcp_flag::ack));
    REQUIRE(send(client.ack_of(syn_ack)).what == packet::action::consume);
    test::tcp_segment_spec data = client.segment(net::tcp_flag::ack, syn_ack.tcp.sequence.raw());
    data.payload = payload;
    send(data);
    std::vector<test::decoded_frame> echoed = sent();
    REQUIRE(echoed.size() == 1);
    return echoed.front();
  }

  // Declared before `tcp`, which refers to them until it is destroyed.
  std::vector<config::listener_config> listeners{{echo_port, "echo", {}}};
  stats::lcore_stats stats;
  pipeline::lcore_context context;
  std::unique_ptr<engine::worker_tcp<checked_pool, holding_staging>> tcp =
      std::make_unique<engine::worker_tcp<checked_pool, holding_staging>>();
  std::vector<std::byte> last_frame;
};

const std::vector<std::byte> hello{std::byte{'h'}, std::byte{'e'}, std::byte{'l'}, std::byte{'l'}, std::byte{'o'}};

}  // namespace

TEST_CASE("worker_tcp: start registers TCP in the pipeline and each listener's app", "[unit][engine]") {
  worker_fixture f;
  REQUIRE(f.tcp->apps.size() == 1);
  CHECK(f.context.tcp.context == f.tcp->lcore.get());
  CHECK(f.context.tcp_icmp_error.context == f.tcp->lcore.get());

  const test::decoded_frame echo = f.open_and_echo(hello);
  CHECK(echo.tcp.source_port == echo_port);
  CHECK(echo.payload == hello);
  CHECK(f.tcp->lcore->connection_count() == 1);
}

TEST_CASE("worker_tcp: destroyed with a connection open, the lcore_tcp releases its buffers before the pool goes",
          "[unit][engine]") {
  worker_fixture f;
  f.open_and_echo(hello);
  // The echo is not acknowledged: its bytes stay in the connection's send queue, in a pool buffer.
  REQUIRE(f.tcp->buffers.in_use() == 1);
  f.tcp.reset();  // checked_pool's destructor checks that nothing is still in use
}
