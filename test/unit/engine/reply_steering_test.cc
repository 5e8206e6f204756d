#include <catch2/catch.hpp>

#include <rte_ethdev.h>

#include <numeric>

#include "engine/reply_steering.hh"

using namespace rampart::engine;

namespace {

port_plan rss_plan(std::uint16_t queues) {
  port_plan plan;
  plan.queues = queues;
  plan.rss = true;
  plan.rss_hf = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP;
  plan.rx_offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
  return plan;
}

// A 40-byte key and a 128-entry round-robin RETA over `queues`, as ixgbe reports them.
rss_readback nic_readback(std::uint16_t queues) {
  rss_readback r;
  r.key.resize(40);
  std::iota(r.key.begin(), r.key.end(), std::uint8_t{1});
  r.reta.resize(128);
  for (std::size_t i = 0; i < r.reta.size(); ++i) {
    r.reta[i] = static_cast<std::uint16_t>(i % queues);
  }
  return r;
}

bool warns(const reply_steering& steering, const std::string& text) {
  return steering.warnings.size() == 1 && steering.warnings[0].find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("one queue: every reply lands on the one worker", "[unit][engine]") {
  port_plan plan;
  plan.queues = 1;
  const reply_steering steering = plan_reply_steering(plan, {});
  CHECK(steering.mode == reply_steering_mode::one_queue);
  CHECK(steering.warnings.empty());
  CHECK_FALSE(steering_for_queue(steering, 0).uses_rss());
  CHECK(describe(steering) == "one queue");
}

TEST_CASE("RSS with a readable key and RETA: Toeplitz steering per queue", "[unit][engine]") {
  const reply_steering steering = plan_reply_steering(rss_plan(4), nic_readback(4));
  REQUIRE(steering.mode == reply_steering_mode::toeplitz);
  CHECK(steering.warnings.empty());
  CHECK(steering.hash_in_mbuf);
  CHECK(describe(steering) == "toeplitz (key 40 bytes, RETA 128 entries, hash in mbuf)");
  const rampart::flow::rss_steering worker2 = steering_for_queue(steering, 2);
  CHECK(worker2.uses_rss());
  CHECK(worker2.queue() == 2);
  CHECK(worker2.reta_size() == 128);

  port_plan no_hash_offload = rss_plan(4);
  no_hash_offload.rx_offloads = 0;
  CHECK_FALSE(plan_reply_steering(no_hash_offload, nic_readback(4)).hash_in_mbuf);
}

TEST_CASE("a queue no RETA entry points at is a warning", "[unit][engine]") {
  const reply_steering steering = plan_reply_steering(rss_plan(3), nic_readback(2));
  CHECK(steering.mode == reply_steering_mode::toeplitz);
  CHECK(warns(steering, "no RSS redirection table entry points at queue 2"));
}

TEST_CASE("steering rampart cannot compute is unpredictable, with the reason", "[unit][engine]") {
  port_plan no_rss;
  no_rss.queues = 2;
  CHECK(warns(plan_reply_steering(no_rss, {}), "the port has 2 queues and no RSS"));

  port_plan addresses_only = rss_plan(2);
  addresses_only.rss_hf = RTE_ETH_RSS_IPV4;
  CHECK(warns(plan_reply_steering(addresses_only, nic_readback(2)), "RSS does not hash the TCP ports"));

  rss_readback no_key = nic_readback(2);  // net_tap: no rss_hash_conf_get
  no_key.key.clear();
  CHECK(warns(plan_reply_steering(rss_plan(2), no_key), "the driver does not report its RSS key"));

  rss_readback short_key = nic_readback(2);
  short_key.key.resize(8);
  CHECK(warns(plan_reply_steering(rss_plan(2), short_key), "an RSS key of 8 bytes"));

  rss_readback no_reta = nic_readback(2);
  no_reta.reta.clear();
  CHECK(warns(plan_reply_steering(rss_plan(2), no_reta), "does not report its RSS redirection table"));

  rss_readback odd_reta = nic_readback(2);
  odd_reta.reta.resize(96);
  CHECK(warns(plan_reply_steering(rss_plan(2), odd_reta), "96 entries, not a power of two"));

  CHECK(warns(plan_reply_steering(rss_plan(2), nic_readback(4)), "names queue 2 of 2"));

  const reply_steering unknown = plan_reply_steering(no_rss, {});
  CHECK(unknown.mode == reply_steering_mode::unpredictable);
  CHECK(describe(unknown) == "unpredictable");
  CHECK_FALSE(steering_for_queue(unknown, 1).uses_rss());
  CHECK(unknown.warnings[0].find("run one worker") != std::string::npos);
}

TEST_CASE("a proxy listener refuses a port whose reply steering is unpredictable", "[unit][engine]") {
  port_plan no_rss;
  no_rss.queues = 2;
  const std::vector<rampart::config::listener_config> proxy{{80, "http", {}}, {8080, "proxy", {}}};
  const std::vector<rampart::config::listener_config> http{{80, "http", {}}};
  const auto problem = check_active_opens(plan_reply_steering(no_rss, {}), proxy);
  REQUIRE(problem);
  CHECK(*problem ==
        "listener on port 8080 (app proxy) opens connections to its backends, whose replies must reach the worker "
        "that opened them; this port cannot steer them (the port has 2 queues and no RSS): run one worker lcore "
        "(eal.lcores) or use a port whose RSS key and RETA are readable (drivers-notes/README.md, \"Active opens\")");
  CHECK_FALSE(check_active_opens(plan_reply_steering(no_rss, {}), http));  // nothing opens connections
  port_plan one;
  one.queues = 1;
  CHECK_FALSE(check_active_opens(plan_reply_steering(one, {}), proxy));
  CHECK_FALSE(check_active_opens(plan_reply_steering(rss_plan(2), nic_readback(2)), proxy));
}
