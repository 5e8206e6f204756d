#pragma once
// The driver's events for the port, registered for as long as this object lives (docs/operations.md,
// "Failures and what rampart does"): link status changes (RTE_ETH_EVENT_INTR_LSC, where the driver
// raises it: port::lsc_interrupt), reset requests (RTE_ETH_EVENT_INTR_RESET: a VF whose PF was
// reset), and the recovery a PMD makes by itself (RTE_ETH_EVENT_ERR_RECOVERING, then
// RTE_ETH_EVENT_RECOVERY_SUCCESS or _FAILED, DPDK 22.11). The callbacks run on EAL's interrupt
// thread: they record, log and raise a flag; the control loop acts on its next tick.
#include <atomic>
#include <cstdint>

namespace rampart::engine {

class port;

class port_events {
 public:
  explicit port_events(port& p);
  ~port_events();
  port_events(const port_events&) = delete;
  port_events& operator=(const port_events&) = delete;

  // Reads the link and records it in port_health: a change is counted and logged
  // ("link down (1 change since start)"). Any thread: the LSC callback, and the control loop on
  // every tick for drivers that raise no LSC (or lose it: net_tap moved to another namespace).
  void observe_link();
  // Whether the driver asked for a reset (or failed its own recovery) since the last call.
  bool take_reset_request() noexcept { return _reset_requested.exchange(false, std::memory_order_acq_rel); }

  // What the registered callback does with one event (an rte_eth_event_type).
  void on_event(int event);

 private:
  port& _port;
  std::atomic<bool> _reset_requested{false};
};

}  // namespace rampart::engine
