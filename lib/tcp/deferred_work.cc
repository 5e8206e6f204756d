#include "deferred_work.hh"

#include "connection_lifetime.hh"
#include "connection_output.hh"

namespace rampart::tcp {

void defer_work(lcore_state& lcore, connection& c) noexcept {
  if (c.deferred) {
    return;
  }
  c.deferred = true;
  lcore.deferred.push(lcore.id_of(c));  // never full: sized in lcore_state's constructor
}

void run_deferred_work(lcore_state& lcore, event_context& ctx) noexcept {
  while (lcore.deferred.count != 0) {
    ctx.next_event();
    connection* c = lcore.find(lcore.deferred.pop());
    if (c == nullptr) {
      continue;  // closed since
    }
    c->deferred = false;
    if (c->abort_due) {
      c->abort_due = false;
      reset_and_erase(lcore, *c, close_reason::aborted, ctx);  // RFC 9293 §3.10.5 ABORT
      continue;
    }
    bool ack_now = false;
    if (c->window_update_due) {
      c->window_update_due = false;
      lcore.stats.tcp_window_updates_sent.add();
      ack_now = true;
    }
    output(lcore, *c, ack_now, ctx);
  }
}

}  // namespace rampart::tcp
