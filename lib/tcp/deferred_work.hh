#pragma once
// What an app asked of a connection from another connection's callback (app_host.hh): its
// output, its FIN, an abort. It waits for the end of the event, when no connection is in the
// middle of being handled and no callback runs, so a callback never runs inside another.
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

// c has work waiting (queued data, a FIN, a window update, abort_due): once per connection.
void defer_work(lcore_state& lcore, connection& c) noexcept;

// Carries out the waiting work, oldest first, including what it causes (an abort's on_close may
// act on further connections); connections gone meanwhile are skipped.
void run_deferred_work(lcore_state& lcore, event_context& ctx) noexcept;

// At the end of every event of a turn.
inline void finish_event(lcore_state& lcore, event_context& ctx) noexcept {
  if (lcore.deferred.count != 0) {
    run_deferred_work(lcore, ctx);
  }
}

}  // namespace rampart::tcp
