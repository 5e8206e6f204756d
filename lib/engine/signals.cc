#include "engine/signals.hh"

#include <atomic>
#include <csignal>

namespace rampart::engine {

namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");

extern "C" void on_stop_signal(int signo) { g_stop_signal.store(signo, std::memory_order_relaxed); }

}  // namespace

bool install_stop_signal_handlers() noexcept {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

bool stop_requested() noexcept { return g_stop_signal.load(std::memory_order_relaxed) != 0; }

int stop_signal() noexcept { return g_stop_signal.load(std::memory_order_relaxed); }

}  // namespace rampart::engine
