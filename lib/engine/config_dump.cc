#include "engine/config_dump.hh"

#include <yaml-cpp/yaml.h>

namespace rampart::engine {

namespace {

void emit_string_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
  out << YAML::Key << key << YAML::Value;
  if (values.empty()) {
    out << YAML::Flow;
  }
  out << YAML::BeginSeq;
  for (const std::string& v : values) {
    out << v;
  }
  out << YAML::EndSeq;
}

void emit_eal(YAML::Emitter& out, const config::eal_config& eal) {
  out << YAML::Key << "eal" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "lcores" << YAML::Value << YAML::DoubleQuoted << eal.lcores;
  out << YAML::Key << "memory_mb" << YAML::Value << eal.memory_mb;
  out << YAML::Key << "no_huge" << YAML::Value << eal.no_huge;
  out << YAML::Key << "no_pci" << YAML::Value << eal.no_pci;
  emit_string_list(out, "vdevs", eal.vdevs);
  emit_string_list(out, "pci_allow", eal.pci_allow);
  out << YAML::Key << "file_prefix" << YAML::Value << eal.file_prefix;
  out << YAML::Key << "in_memory" << YAML::Value << eal.in_memory;
  out << YAML::Key << "log_level" << YAML::Value << eal.log_level;
  emit_string_list(out, "extra_args", eal.extra_args);
  out << YAML::EndMap;
}

void emit_port(YAML::Emitter& out, const config::port_config& port) {
  out << YAML::Key << "port" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "device" << YAML::Value << port.device;
  out << YAML::Key << "ip" << YAML::Value << port.ip.to_string();
  if (port.mac) {
    out << YAML::Key << "mac" << YAML::Value << port.mac->to_string();
  }
  out << YAML::Key << "mtu" << YAML::Value << port.mtu;
  out << YAML::Key << "rx_descriptors" << YAML::Value << port.rx_descriptors;
  out << YAML::Key << "tx_descriptors" << YAML::Value << port.tx_descriptors;
  out << YAML::Key << "mbufs" << YAML::Value << port.mbufs;
  out << YAML::Key << "burst_size" << YAML::Value << port.burst_size;
  out << YAML::EndMap;
}

void emit_listeners(YAML::Emitter& out, const std::vector<config::listener_config>& listeners) {
  out << YAML::Key << "listeners" << YAML::Value;
  if (listeners.empty()) {
    out << YAML::Flow;
  }
  out << YAML::BeginSeq;
  for (const config::listener_config& l : listeners) {
    out << YAML::BeginMap;
    out << YAML::Key << "port" << YAML::Value << l.port;
    out << YAML::Key << "app" << YAML::Value << l.app;
    out << YAML::Key << "nagle" << YAML::Value << l.nagle;
    out << YAML::Key << "idle_timeout_seconds" << YAML::Value << l.idle_timeout_seconds;
    if (!l.plugin.empty()) {
      out << YAML::Key << "plugin" << YAML::Value << l.plugin;
    }
    if (!l.args.empty()) {
      out << YAML::Key << "args" << YAML::Value << YAML::BeginMap;
      for (const auto& [name, value] : l.args) {
        // Quoted: app arguments are strings, even when they look like numbers or booleans.
        out << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emit_tcp(YAML::Emitter& out, const config::tcp_config& tcp) {
  out << YAML::Key << "tcp" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mss" << YAML::Value << tcp.mss;
  // uint8_t would be emitted as a character.
  out << YAML::Key << "window_scale" << YAML::Value << static_cast<unsigned>(tcp.window_scale);
  out << YAML::Key << "receive_window" << YAML::Value << tcp.receive_window;
  out << YAML::Key << "connections_per_lcore" << YAML::Value << tcp.connections_per_lcore;
  out << YAML::Key << "drain_timeout_seconds" << YAML::Value << tcp.drain_timeout_seconds;
  out << YAML::Key << "send_buffer" << YAML::Value << tcp.send_buffer;
  out << YAML::Key << "rto_min_ms" << YAML::Value << tcp.rto_min_ms;
  out << YAML::Key << "rto_initial_ms" << YAML::Value << tcp.rto_initial_ms;
  out << YAML::Key << "rto_max_ms" << YAML::Value << tcp.rto_max_ms;
  out << YAML::Key << "max_retransmissions" << YAML::Value << static_cast<unsigned>(tcp.max_retransmissions);
  out << YAML::Key << "delayed_ack_ms" << YAML::Value << tcp.delayed_ack_ms;
  out << YAML::Key << "time_wait_seconds" << YAML::Value << tcp.time_wait_seconds;
  out << YAML::Key << "challenge_acks_per_second" << YAML::Value << tcp.challenge_acks_per_second;
  out << YAML::Key << "challenge_acks_per_second_lcore" << YAML::Value << tcp.challenge_acks_per_second_lcore;
  out << YAML::Key << "rst_per_second" << YAML::Value << tcp.rst_per_second;
  const config::syn_cookie_config& c = tcp.syn_cookies;
  out << YAML::Key << "syn_cookies" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << YAML::DoubleQuoted << std::string(config::to_string(c.mode));
  out << YAML::Key << "rotation_seconds" << YAML::Value << c.rotation_seconds;
  out << YAML::Key << "master_secret_file" << YAML::Value << c.master_secret_file;
  out << YAML::Key << "backlog_per_lcore" << YAML::Value << c.backlog_per_lcore;
  out << YAML::Key << "auto_threshold" << YAML::Value << c.auto_threshold;
  out << YAML::EndMap;
  out << YAML::EndMap;
}

}  // namespace

std::string dump_config(const config::engine_config& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_eal(out, cfg.eal);
  emit_port(out, cfg.port);
  emit_listeners(out, cfg.listeners);
  emit_tcp(out, cfg.tcp);
  out << YAML::Key << "stats" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "interval_seconds" << YAML::Value << cfg.stats.interval_seconds;
  out << YAML::Key << "metrics_listen" << YAML::Value << cfg.stats.metrics_listen;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace rampart::engine
