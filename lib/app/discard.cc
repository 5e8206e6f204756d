#include "builtin_apps.hh"

namespace rampart::app {

namespace {

// discard (RFC 863): received bytes are counted and dropped; nothing is ever sent.
class discard_app final : public tcp::application {
 public:
  explicit discard_app(const app_context& context) : _stats(context.stats) {}
  void on_open(tcp::stream&) noexcept override {}
  void on_data(tcp::stream&, tcp::data_view data) noexcept override {
    _stats.discard_bytes.add(data.length);
  }
  void on_close(tcp::stream&, tcp::close_reason) noexcept override {}

 private:
  stats::lcore_stats& _stats;
};

}  // namespace

std::unique_ptr<tcp::application> make_discard(const app_context& context) {
  return std::make_unique<discard_app>(context);
}

}  // namespace rampart::app
