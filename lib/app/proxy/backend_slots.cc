#include "backend_slots.hh"

#include <algorithm>
#include <string>

#include "app/registry.hh"

namespace rampart::app::proxy {

std::vector<backend_slot> initial_slots(std::span<const backend_entry> backends) {
  std::vector<backend_slot> slots;
  slots.reserve(backends.size());
  for (const backend_entry& b : backends) {
    slots.push_back({b, false});
  }
  return slots;
}

std::vector<backend_slot> merge_slots(std::span<const backend_slot> running, std::span<const backend_entry> next) {
  std::vector<backend_slot> slots(running.begin(), running.end());
  for (backend_slot& slot : slots) {
    const auto kept = std::find_if(next.begin(), next.end(),
                                   [&](const backend_entry& b) { return b.endpoint == slot.entry.endpoint; });
    slot.removed = kept == next.end();
    if (!slot.removed) {
      slot.entry.weight = kept->weight;
    }
  }
  for (const backend_entry& b : next) {
    const bool known = std::any_of(running.begin(), running.end(),
                                   [&](const backend_slot& s) { return s.entry.endpoint == b.endpoint; });
    if (!known) {
      slots.push_back({b, false});
    }
  }
  if (slots.size() > max_backends) {
    throw app_error(std::to_string(slots.size()) + " different backends since start-up, more than " +
                    std::to_string(max_backends) + " (a removed backend keeps its place and counters); restart "
                    "rampart to start again from the current backends");
  }
  return slots;
}

}  // namespace rampart::app::proxy
