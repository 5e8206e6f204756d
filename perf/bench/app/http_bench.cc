// The http app's per-request cost in memory, against a same-run baseline: finding the end of the
// request's headers with std::string_view::find (the least any HTTP/1 server does) and copying
// the response into a send buffer (what any server's send does). docs/apps.md quotes the figures
// as ratios to that baseline. Build with -Dbuildtype=release:
//   meson setup build-rel --buildtype=release -Dtests=false && ninja -C build-rel perf/bench/app/app_bench
//   build-rel/perf/bench/app/app_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "app/http_parser.hh"
#include "app/registry.hh"

namespace {

// What wrk sends (its default request), and what curl 7.88 sends.
constexpr std::string_view wrk_request = "GET / HTTP/1.1\r\nHost: 10.77.0.2:80\r\n\r\n";
constexpr std::string_view curl_request =
    "GET / HTTP/1.1\r\nHost: 10.77.0.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
// The default response of the http app (docs/apps.md).
constexpr std::string_view response =
    "HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// A stream whose send() copies into a buffer that is reused every request, as a send buffer
// emptied by ACKs would be.
class bench_stream final : public rampart::tcp::stream {
 public:
  std::size_t send(std::span<const std::byte> data) noexcept override {
    if (_used + data.size() > _buffer.size()) {
      _used = 0;
    }
    std::memcpy(_buffer.data() + _used, data.data(), data.size());
    _used += data.size();
    return data.size();
  }
  std::size_t send_space() const noexcept override { return _buffer.size(); }
  bool send_buffer(const rampart::packet::buffer&) noexcept override { return false; }
  std::optional<rampart::packet::buffer> allocate_buffer() noexcept override { return std::nullopt; }
  void retain_buffer(const rampart::tcp::data_view&) noexcept override {}
  void release_buffer(const rampart::tcp::data_view&) noexcept override {}
  void close() noexcept override {}
  void abort() noexcept override {}
  void* context() const noexcept override { return _context; }
  void set_context(void* context) noexcept override { _context = context; }
  rampart::flow::flow_key key() const noexcept override { return {}; }
  rampart::tcp::stream_id id() const noexcept override { return {}; }
  bool outbound() const noexcept override { return false; }

 private:
  std::array<std::byte, 65536> _buffer{};
  std::size_t _used = 0;
  void* _context = nullptr;
};

void bm_baseline_find_and_copy(benchmark::State& state, std::string_view request) {
  bench_stream s;
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    const std::size_t end = request.find("\r\n\r\n");
    benchmark::DoNotOptimize(end);
    s.send(bytes(response));
  }
  state.SetItemsProcessed(state.iterations());
}

// The parser alone. Each iteration must read one whole request: the loop counts those (a compare
// and an add beside the parse) and the run fails when any other came out, so a parser stuck in
// an error state, or stopping short, cannot pass for a fast one.
void bm_parser(benchmark::State& state, std::string_view request) {
  using rampart::app::http::request_parser;
  request_parser parser;
  std::int64_t whole_requests = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    const auto result = parser.feed(bytes(request));
    benchmark::DoNotOptimize(result);
    whole_requests += result.outcome == request_parser::status::complete && result.consumed == request.size();
  }
  const rampart::app::http::request& parsed = parser.current();
  if (whole_requests != state.iterations() || parsed.verb != rampart::app::http::method::get ||
      parsed.version_minor != 1 || !parsed.keep_alive || parsed.content_length != 0) {
    state.SkipWithError("the parser did not read every request as the keep-alive HTTP/1.1 GET it is");
  }
  state.SetItemsProcessed(state.iterations());
}

// The whole app: parse the request, pick the response, send it.
void bm_http_app(benchmark::State& state, std::string_view request) {
  rampart::config::listener_config listener;
  listener.port = 80;
  listener.app = "http";
  rampart::stats::lcore_stats stats;
  const auto app = rampart::app::make_application(listener, {stats, 0});
  bench_stream s;
  app->on_open(s);
  const rampart::tcp::data_view view{reinterpret_cast<const std::byte*>(request.data()),
                                     static_cast<std::uint32_t>(request.size()), nullptr};
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    app->on_data(s, view);
  }
  app->on_close(s, rampart::tcp::close_reason::closed);
  if (stats.http_requests.read() != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("a request was not answered");
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(bm_baseline_find_and_copy, wrk, wrk_request);
BENCHMARK_CAPTURE(bm_parser, wrk, wrk_request);
BENCHMARK_CAPTURE(bm_http_app, wrk, wrk_request);
BENCHMARK_CAPTURE(bm_baseline_find_and_copy, curl, curl_request);
BENCHMARK_CAPTURE(bm_parser, curl, curl_request);
BENCHMARK_CAPTURE(bm_http_app, curl, curl_request);

BENCHMARK_MAIN();
