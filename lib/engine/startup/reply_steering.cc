#include "engine/reply_steering.hh"

#include <rte_ethdev.h>

namespace rampart::engine {

namespace {

reply_steering unpredictable(std::string why) {
  reply_steering steering;
  steering.mode = reply_steering_mode::unpredictable;
  steering.reason = why;
  steering.warnings.push_back(
      why + ": replies to connections a worker opens (proxy backends) may arrive on another worker's queue, "
            "which does not know them; run one worker, or see drivers-notes/README.md, \"Active opens\"");
  return steering;
}

}  // namespace

reply_steering plan_reply_steering(const port_plan& plan, const rss_readback& readback) {
  if (plan.queues <= 1) {
    return {};
  }
  if (!plan.rss) {
    return unpredictable("the port has " + std::to_string(plan.queues) + " queues and no RSS");
  }
  if ((plan.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0) {
    return unpredictable("RSS does not hash the TCP ports, so no local port can choose the queue");
  }
  if (readback.key.size() < flow::rss_steering::min_key_bytes) {
    return unpredictable(readback.key.empty() ? std::string("the driver does not report its RSS key")
                                              : "the driver reports an RSS key of " +
                                                    std::to_string(readback.key.size()) + " bytes");
  }
  const std::size_t entries = readback.reta.size();
  if (entries == 0) {
    return unpredictable("the driver does not report its RSS redirection table");
  }
  if ((entries & (entries - 1)) != 0) {
    return unpredictable("the RSS redirection table has " + std::to_string(entries) +
                         " entries, not a power of two");
  }
  std::vector<bool> pointed_at(plan.queues, false);
  for (const std::uint16_t queue : readback.reta) {
    if (queue >= plan.queues) {
      return unpredictable("the RSS redirection table names queue " + std::to_string(queue) + " of " +
                           std::to_string(plan.queues));
    }
    pointed_at[queue] = true;
  }
  reply_steering steering;
  steering.mode = reply_steering_mode::toeplitz;
  steering.key = readback.key;
  steering.reta = readback.reta;
  steering.hash_in_mbuf = (plan.rx_offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0;
  for (std::uint16_t queue = 0; queue < plan.queues; ++queue) {
    if (!pointed_at[queue]) {
      steering.warnings.push_back("no RSS redirection table entry points at queue " + std::to_string(queue) +
                                  ": its worker receives nothing and can open no connection");
    }
  }
  return steering;
}

flow::rss_steering steering_for_queue(const reply_steering& steering, std::uint16_t queue) {
  if (steering.mode != reply_steering_mode::toeplitz) {
    return {};
  }
  return flow::rss_steering(steering.key, steering.reta, queue, steering.hash_in_mbuf);
}

std::optional<std::string> check_active_opens(const reply_steering& steering,
                                              std::span<const config::listener_config> listeners) {
  if (steering.mode != reply_steering_mode::unpredictable) {
    return std::nullopt;
  }
  for (const config::listener_config& listener : listeners) {
    if (listener.app == "proxy") {
      return "listener on port " + std::to_string(listener.port) +
             " (app proxy) opens connections to its backends, whose replies must reach the worker that "
             "opened them; this port cannot steer them (" +
             steering.reason +
             "): run one worker lcore (eal.lcores) or use a port whose RSS key and RETA are readable "
             "(drivers-notes/README.md, \"Active opens\")";
    }
  }
  return std::nullopt;
}

std::string describe(const reply_steering& steering) {
  switch (steering.mode) {
    case reply_steering_mode::one_queue:
      return "one queue";
    case reply_steering_mode::toeplitz:
      return "toeplitz (key " + std::to_string(steering.key.size()) + " bytes, RETA " +
             std::to_string(steering.reta.size()) + " entries, " +
             (steering.hash_in_mbuf ? "hash in mbuf" : "software flow hash") + ")";
    case reply_steering_mode::unpredictable:
      return "unpredictable";
  }
  return "unknown";
}

}  // namespace rampart::engine
