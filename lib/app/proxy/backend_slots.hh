#pragma once
// Where each backend sits in a proxy listener's per-backend tables (its counters, its health on
// the board, its telemetry key "8080/1"), across SIGHUP changes of `backends` (docs/proxy.md,
// "Operations"). A backend is identified by its address and port: one kept by a reload keeps its
// place, and with it its counters, health and drain flag; one added takes the next free place;
// one removed keeps its place, takes no new connection while its open ones finish, and stays
// listed with its counters (`removed` 1). Places are never reused for another address, so a
// reader on another thread (telemetry) sees a place's name written once and never again: the
// tables only grow, up to max_backends places over the process's life.
#include <span>
#include <vector>

#include "backend_list.hh"

namespace rampart::app::proxy {

struct backend_slot {
  backend_entry entry;   // the weight is the current one, or the last one before removal
  bool removed = false;  // not in the listener's current `backends`
};

// The slots of a listener started with `backends`, in their order.
std::vector<backend_slot> initial_slots(std::span<const backend_entry> backends);

// The slots after a reload to `next`: every running slot in its place, its weight from `next`
// (or marked removed when `next` lacks it; a removed one in `next` again comes back in its old
// place), then each backend new to the listener, in the order of `next`. Throws app_error ("...
// N backends since start-up, more than 256; restart rampart to start again from backends")
// when the places would exceed max_backends.
std::vector<backend_slot> merge_slots(std::span<const backend_slot> running, std::span<const backend_entry> next);

}  // namespace rampart::app::proxy
