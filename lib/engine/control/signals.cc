#include "engine/signals.hh"

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

namespace rampart::engine {

namespace {

std::atomic<int> g_terminate_count{0};
std::atomic<int> g_stop_now{0};
std::atomic<bool> g_reload{false};
std::atomic<bool> g_print{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

// Catchable signals whose default action ends the process, other than SIGTERM, SIGHUP, SIGUSR1
// (handled on their own), SIGPIPE (ignored) and SIGIO / SIGRTMIN.. (the drivers' own).
constexpr int stop_now_signals[] = {SIGINT,  SIGQUIT, SIGUSR2, SIGALRM, SIGVTALRM,
                                    SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR,  SIGSTKFLT};

extern "C" void on_signal(int signo) {
  switch (signo) {
    case SIGTERM:
      if (g_terminate_count.fetch_add(1, std::memory_order_relaxed) >= 1) {
        g_stop_now.store(SIGTERM, std::memory_order_relaxed);
      }
      break;
    case SIGHUP:
      g_reload.store(true, std::memory_order_relaxed);
      break;
    case SIGUSR1:
      g_print.store(true, std::memory_order_relaxed);
      break;
    default:
      g_stop_now.store(signo, std::memory_order_relaxed);
      break;
  }
}

bool install(int signo, void (*handler)(int)) noexcept {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return sigaction(signo, &action, nullptr) == 0;
}

}  // namespace

bool install_signal_handlers() noexcept {
  bool ok = install(SIGTERM, on_signal) && install(SIGHUP, on_signal) && install(SIGUSR1, on_signal) &&
            install(SIGPIPE, SIG_IGN);
  for (const int s : stop_now_signals) {
    ok = install(s, on_signal) && ok;
  }
  return ok;
}

int terminate_requests() noexcept { return g_terminate_count.load(std::memory_order_relaxed); }

int stop_now_signal() noexcept { return g_stop_now.load(std::memory_order_relaxed); }

bool take_reload_request() noexcept { return g_reload.exchange(false, std::memory_order_relaxed); }

bool take_print_request() noexcept { return g_print.exchange(false, std::memory_order_relaxed); }

std::string signal_name(int signo) {
  const char* abbrev = sigabbrev_np(signo);  // "TERM"; the log wants the name operators type
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

}  // namespace rampart::engine
