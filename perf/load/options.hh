#pragma once
// rampart-load's command line (the part after EAL's "--"), parsed without EAL so tests feed it
// argument lists. Every error names the option and the fix.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "client.hh"
#include "net/addresses.hh"

namespace rampart::load {

class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint64_t rate_max = ~std::uint64_t{0};  // "as fast as it can"

struct load_options {
  net::ipv4_address target_ip;
  std::uint16_t target_port = 80;
  std::optional<net::mac_address> target_mac;  // none: ARP for target_ip
  net::ipv4_address local_ip;                   // legitimate clients' source; answered in ARP
  std::optional<net::mac_address> local_mac;    // none: the port's MAC
  double duration_s = 10;
  double drain_s = 3;
  std::uint64_t syn_rate = 0;  // per second; 0: no SYN flood; rate_max: as fast as possible
  std::uint64_t ack_rate = 0;
  std::uint64_t ping_rate = 0;  // ICMP echo requests from the flood prefix (a baseline for the SYN flood)
  net::ipv4_interface_address flood_prefix{{0x0a630000U}, 16};  // 10.99.0.0/16
  std::uint64_t legit_rate = 0;  // connections started per second; rate_max: closed loop
  unsigned legit_concurrency = 64;
  unsigned requests = 0;         // HTTP requests per connection; 0: handshake only
  bool http_close = false;       // "Connection: close" (requires requests <= 1)
  std::string host;              // Host header; default: the target address
  std::string path = "/";
  std::vector<option_profile> profiles{option_profile{}};
  double timeout_s = 5;
  std::string telemetry;         // rampart's telemetry socket; empty: no engine figures
  std::string report;            // final JSON report file; empty: stdout only
  bool progress = true;          // the per-second progress line on stderr
  // Frames the TX queue refuses are freed and counted, never retried (flood, pings, clients'
  // segments alike), as a wire would lose them: legitimate clients then recover only by their
  // own retransmission, so they compete with the flood honestly. Off: client frames wait for
  // the next turn and the pacers send refused flood frames again.
  bool drop_on_full = false;
  std::uint16_t burst = 32;
  std::uint64_t seed = 1;
};

// args: the options without the program name. Throws usage_error.
load_options parse_options(const std::vector<std::string>& args);

// "mss=1460,ts,ws=7,sack;mss=536,nots,nows,nosack": profiles separated by ';', each a list of
// mss=N|nomss, ts|nots, ws=N|nows, sack|nosack over the default (mss 1460, ts, ws 7, sack).
// Throws usage_error.
std::vector<option_profile> parse_profiles(const std::string& text);

std::string usage_text();

}  // namespace rampart::load
