#pragma once
// SIGINT / SIGTERM handling: the handler only sets an atomic flag (async-signal-safe); the
// control lcore polls it.
namespace rampart::engine {

// Installs the handlers (sigaction, SA_RESTART). Returns false if sigaction failed.
bool install_stop_signal_handlers() noexcept;

// True once SIGINT or SIGTERM arrived.
bool stop_requested() noexcept;

// The signal that asked to stop (0 if none), for the log.
int stop_signal() noexcept;

}  // namespace rampart::engine
