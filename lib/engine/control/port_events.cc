#include "engine/port_events.hh"

#include <array>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include <rte_ethdev.h>

#include "engine/log.hh"
#include "engine/port.hh"

namespace rampart::engine {

namespace {

constexpr std::array events{RTE_ETH_EVENT_INTR_LSC, RTE_ETH_EVENT_INTR_RESET, RTE_ETH_EVENT_ERR_RECOVERING,
                            RTE_ETH_EVENT_RECOVERY_SUCCESS, RTE_ETH_EVENT_RECOVERY_FAILED};

int dispatch(std::uint16_t, rte_eth_event_type event, void* self, void*) {
  static_cast<port_events*>(self)->on_event(event);
  return 0;
}

std::string changes_text(std::uint64_t changes) {
  return std::to_string(changes) + (changes == 1 ? " change" : " changes") + " since start";
}

}  // namespace

port_events::port_events(port& p) : _port(p) {
  for (const rte_eth_event_type event : events) {
    if (const int rc = rte_eth_dev_callback_register(p.info().port_id, event, dispatch, this); rc != 0) {
      log_warning("cannot register for event " + std::to_string(event) + " of " + p.info().name + ": " +
                  rte_strerror(-rc) + "; link changes are still polled");
    }
  }
}

port_events::~port_events() {
  for (const rte_eth_event_type event : events) {
    // -EAGAIN: the callback runs right now on the interrupt thread; it returns soon.
    while (rte_eth_dev_callback_unregister(_port.info().port_id, event, dispatch, this) == -EAGAIN) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

void port_events::observe_link() {
  const link_state now = _port.link();
  if (_port.health().observe(now, std::chrono::system_clock::now())) {
    log_info("link " + now.text() + " (" + changes_text(_port.health().read().link_changes) + ")");
  }
}

void port_events::on_event(int event) {
  const std::string& name = _port.info().name;
  switch (event) {
    case RTE_ETH_EVENT_INTR_LSC:
      observe_link();
      break;
    case RTE_ETH_EVENT_INTR_RESET:
      log_warning(name + ": the driver asks for a reset (RTE_ETH_EVENT_INTR_RESET)");
      _reset_requested.store(true, std::memory_order_release);
      break;
    case RTE_ETH_EVENT_ERR_RECOVERING:
      // The PMD swapped its burst functions for ones that move nothing until it is done: the
      // workers go on polling, and no control call may be made meanwhile (rte_ethdev.h).
      log_warning(name + ": the driver is recovering the port from an error by itself "
                         "(RTE_ETH_EVENT_ERR_RECOVERING): no frame in or out until it reports the result");
      break;
    case RTE_ETH_EVENT_RECOVERY_SUCCESS:
      log_info(name + ": the driver recovered the port (RTE_ETH_EVENT_RECOVERY_SUCCESS); "
                      "its configuration is as before");
      break;
    case RTE_ETH_EVENT_RECOVERY_FAILED:
      log_warning(name + ": the driver could not recover the port (RTE_ETH_EVENT_RECOVERY_FAILED): "
                         "resetting it");
      _reset_requested.store(true, std::memory_order_release);
      break;
    default:
      break;
  }
}

}  // namespace rampart::engine
