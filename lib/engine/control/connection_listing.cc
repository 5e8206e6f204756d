#include "engine/connection_listing.hh"

#include <thread>

namespace rampart::engine {

connection_lister::connection_lister(std::vector<target> targets, std::function<bool(unsigned)> running)
    : _targets(std::move(targets)), _running(std::move(running)) {
  for (std::size_t i = 0; i < _targets.size(); ++i) {
    _requests.push_back(std::make_unique<listing_request>());
  }
}

void connection_lister::collect(const connection_query& query, std::chrono::milliseconds timeout,
                                const std::function<void(std::span<const lcore_listing>)>& use) {
  const std::lock_guard lock(_mutex);
  std::vector<lcore_listing> answers(_targets.size());
  for (std::size_t i = 0; i < _targets.size(); ++i) {
    const target& t = _targets[i];
    listing_request& r = *_requests[i];
    answers[i].lcore = t.lcore;
    if (!_running(t.lcore)) {
      answers[i].result = lcore_listing::status::stopped;
      continue;
    }
    if (r.outstanding && !r.done.load(std::memory_order_acquire)) {
      answers[i].result = lcore_listing::status::busy;
      continue;
    }
    r.filter = query.filter;
    r.limit = query.limit;
    r.done.store(false, std::memory_order_relaxed);
    r.outstanding = t.channel->post(r);  // the queue's release publishes filter, limit and done
    answers[i].result = r.outstanding ? lcore_listing::status::timeout : lcore_listing::status::busy;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool waiting = false;
    for (std::size_t i = 0; i < _targets.size(); ++i) {
      listing_request& r = *_requests[i];
      if (answers[i].result == lcore_listing::status::timeout && r.done.load(std::memory_order_acquire)) {
        r.outstanding = false;
        answers[i].result = lcore_listing::status::ok;
        answers[i].rows = std::span<const tcp::connection_summary>(r.rows.get(), r.scan.written);
        answers[i].matched = r.scan.matched;
      }
      waiting = waiting || answers[i].result == lcore_listing::status::timeout;
    }
    if (!waiting || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  use(answers);
}

}  // namespace rampart::engine
