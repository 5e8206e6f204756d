#pragma once
// Signal handling. Handlers only touch lock-free atomics (async-signal-safe); the control lcore
// polls them every tick and does the work (docs/operations.md, "Signals"):
//   SIGTERM         first: graceful drain; second: stop at once
//   SIGINT, and every other catchable signal whose default action ends the process (SIGQUIT,
//   SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT): stop at once
//   SIGHUP          re-read the config file and apply what can change while running
//   SIGUSR1         print the counters
//   SIGPIPE         ignored (a monitoring client that hangs up must not end the engine)
// SIGIO and the real-time signals belong to the drivers (net_tap) and are left alone; fault
// signals (SIGSEGV, SIGBUS, ...) keep their default action: the process state is not trusted.
#include <string>

namespace rampart::engine {

// Installs every handler above (sigaction, SA_RESTART). Returns false if one sigaction failed.
bool install_signal_handlers() noexcept;

// How many SIGTERMs arrived so far.
int terminate_requests() noexcept;

// The signal that asked to stop at once (a second SIGTERM, SIGINT, ...), 0 if none.
int stop_now_signal() noexcept;

// True once per SIGHUP burst (reading clears it: two SIGHUPs between ticks reload once).
bool take_reload_request() noexcept;

// True once per SIGUSR1 burst (reading clears it).
bool take_print_request() noexcept;

// For the log: "SIGTERM", "SIGINT", ... ("signal N" when the C library has no name).
std::string signal_name(int signo);

}  // namespace rampart::engine
