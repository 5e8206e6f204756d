#include "options.hh"

#include <charconv>
#include <sstream>

namespace rampart::load {

namespace {

template <class T>
T parse_number(const std::string& option, const std::string& value, T low, T high) {
  T n{};
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || ptr != value.data() + value.size() || n < low || n > high) {
    std::ostringstream s;
    s << option << " " << value << ": expected a number from " << +low << " to " << +high;
    throw usage_error(s.str());
  }
  return n;
}

double parse_seconds(const std::string& option, const std::string& value, double low) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || !(d >= low) || d > 86400) {
    throw usage_error(option + " " + value + ": expected seconds from " + std::to_string(low) + " to 86400");
  }
  return d;
}

std::uint64_t parse_rate(const std::string& option, const std::string& value) {
  if (value == "max") {
    return rate_max;
  }
  return parse_number<std::uint64_t>(option, value, 0, 1'000'000'000);
}

net::ipv4_address parse_ip(const std::string& option, const std::string& value) {
  const auto ip = net::ipv4_address::parse(value);
  if (!ip) {
    throw usage_error(option + " " + value + ": expected an IPv4 address a.b.c.d");
  }
  return *ip;
}

net::mac_address parse_mac(const std::string& option, const std::string& value) {
  const auto mac = net::mac_address::parse(value);
  if (!mac) {
    throw usage_error(option + " " + value + ": expected a MAC address aa:bb:cc:dd:ee:ff");
  }
  return *mac;
}

}  // namespace

std::vector<option_profile> parse_profiles(const std::string& text) {
  std::vector<option_profile> profiles;
  std::istringstream all(text);
  std::string one;
  while (std::getline(all, one, ';')) {
    option_profile p;
    std::istringstream items(one);
    std::string item;
    while (std::getline(items, item, ',')) {
      if (item.rfind("mss=", 0) == 0) {
        p.mss = parse_number<std::uint16_t>("--client-options mss", item.substr(4), 88, 65535);
      } else if (item == "nomss") {
        p.mss = 0;
      } else if (item == "ts") {
        p.timestamps = true;
      } else if (item == "nots") {
        p.timestamps = false;
      } else if (item.rfind("ws=", 0) == 0) {
        p.window_scale = static_cast<std::int8_t>(parse_number<int>("--client-options ws", item.substr(3), 0, 14));
      } else if (item == "nows") {
        p.window_scale = -1;
      } else if (item == "sack") {
        p.sack_permitted = true;
      } else if (item == "nosack") {
        p.sack_permitted = false;
      } else if (!item.empty()) {
        throw usage_error("--client-options: unknown item \"" + item +
                          "\" (use mss=N, nomss, ts, nots, ws=N, nows, sack, nosack; ';' between profiles)");
      }
    }
    profiles.push_back(p);
  }
  if (profiles.empty()) {
    throw usage_error("--client-options: no profile given (example: \"mss=1460,ts,ws=7,sack;mss=536,nots\")");
  }
  return profiles;
}

load_options parse_options(const std::vector<std::string>& args) {
  load_options o;
  bool have_target = false;
  bool have_local = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) {
        throw usage_error(a + " needs a value (see --help)");
      }
      return args[++i];
    };
    if (a == "--target-ip") {
      o.target_ip = parse_ip(a, value());
      have_target = true;
    } else if (a == "--target-port") {
      o.target_port = parse_number<std::uint16_t>(a, value(), 1, 65535);
    } else if (a == "--target-mac") {
      o.target_mac = parse_mac(a, value());
    } else if (a == "--local-ip") {
      o.local_ip = parse_ip(a, value());
      have_local = true;
    } else if (a == "--local-mac") {
      o.local_mac = parse_mac(a, value());
    } else if (a == "--duration") {
      o.duration_s = parse_seconds(a, value(), 0.1);
    } else if (a == "--drain") {
      o.drain_s = parse_seconds(a, value(), 0);
    } else if (a == "--syn-rate") {
      o.syn_rate = parse_rate(a, value());
    } else if (a == "--ack-rate") {
      o.ack_rate = parse_rate(a, value());
    } else if (a == "--ping-rate") {
      o.ping_rate = parse_rate(a, value());
    } else if (a == "--flood-prefix") {
      const auto p = net::ipv4_interface_address::parse(value());
      if (!p || p->prefix_length < 8) {
        throw usage_error(a + " " + args[i] + ": expected a prefix a.b.c.d/len with len 8..32, e.g. 10.99.0.0/16");
      }
      o.flood_prefix = *p;
    } else if (a == "--legit-rate") {
      const std::string& rate = value();
      o.legit_rate = rate == "max" ? rate_max : parse_number<std::uint64_t>(a, rate, 0, 10'000'000);
    } else if (a == "--legit-concurrency") {
      o.legit_concurrency = parse_number<unsigned>(a, value(), 1, 60000);
    } else if (a == "--requests") {
      o.requests = parse_number<unsigned>(a, value(), 0, 1'000'000);
    } else if (a == "--http-close") {
      o.http_close = true;
    } else if (a == "--host") {
      o.host = value();
    } else if (a == "--path") {
      o.path = value();
      if (o.path.empty() || o.path[0] != '/' || o.path.find_first_of(" \r\n") != std::string::npos) {
        throw usage_error("--path " + o.path + ": expected an absolute path without spaces, e.g. /index.html");
      }
    } else if (a == "--client-options") {
      o.profiles = parse_profiles(value());
    } else if (a == "--timeout") {
      o.timeout_s = parse_seconds(a, value(), 0.01);
    } else if (a == "--telemetry") {
      o.telemetry = value();
    } else if (a == "--report") {
      o.report = value();
    } else if (a == "--drop-on-full") {
      o.drop_on_full = true;
    } else if (a == "--no-progress") {
      o.progress = false;
    } else if (a == "--burst") {
      o.burst = parse_number<std::uint16_t>(a, value(), 1, 256);
    } else if (a == "--seed") {
      o.seed = parse_number<std::uint64_t>(a, value(), 0, ~std::uint64_t{0});
    } else {
      throw usage_error("unknown option \"" + a + "\" (see --help)");
    }
  }
  if (!have_target) {
    throw usage_error("--target-ip is required: the address of the system under test");
  }
  if (!have_local) {
    throw usage_error("--local-ip is required: the legitimate clients' source address (an unused one on the link)");
  }
  if (o.requests > 1 && o.http_close) {
    throw usage_error("--http-close with --requests " + std::to_string(o.requests) +
                      ": a closed connection carries one request; drop --http-close or use --requests 1");
  }
  if (o.syn_rate == 0 && o.ack_rate == 0 && o.ping_rate == 0 && o.legit_rate == 0) {
    throw usage_error("no traffic: give --syn-rate, --ack-rate, --ping-rate and/or --legit-rate");
  }
  if ((o.local_ip.value & o.flood_prefix.netmask()) == (o.flood_prefix.address.value & o.flood_prefix.netmask())) {
    throw usage_error("--local-ip " + o.local_ip.to_string() + " lies inside --flood-prefix " +
                      o.flood_prefix.to_string() + ": pick a flood prefix that excludes it");
  }
  if (o.host.empty()) {
    o.host = o.target_ip.to_string();
  }
  return o;
}

std::string usage_text() {
  return R"(usage: rampart-load [EAL options] -- --target-ip IP --local-ip IP [options]

Traffic (combinable; at least one):
  --syn-rate N|max        spoofed SYN flood, packets/s (sources random in --flood-prefix)
  --ack-rate N|max        ACK flood with forged cookies, packets/s
  --ping-rate N|max       ICMP echo flood from the same sources, packets/s: the frames in and
                          out of a SYN flood without its TCP work, to measure against
  --legit-rate N|max      legitimate connections started per second; max: closed loop, a new
                          connection as soon as one of --legit-concurrency ends
Target and link:
  --target-ip IP          the system under test (required)
  --target-port P         its listening port (80)
  --target-mac MAC        its MAC (default: resolved with ARP)
  --local-ip IP           the clients' source address, answered in ARP (required)
  --local-mac MAC         the source MAC (default: the port's)
  --flood-prefix CIDR     spoofed sources (10.99.0.0/16)
Legitimate clients:
  --legit-concurrency N   connections open at once, at most (64)
  --requests N            HTTP GETs per connection, keep-alive; 0 = handshake only (0)
  --http-close            one request with "Connection: close"
  --host NAME, --path P   Host header (the target address) and path (/)
  --client-options LIST   option matrix, profiles used in turn: "mss=1460,ts,ws=7,sack;mss=536,nots"
  --timeout S             per-connection deadline (5)
Run:
  --duration S            traffic time, always honoured (10)
  --drain S               after it, time left for open connections to finish (3)
  --telemetry PATH        rampart's telemetry socket: engine counters and cycles/packet
  --report FILE           write the final JSON report there too
  --drop-on-full          frames the TX queue refuses are dropped and counted, never retried
                          (clients recover by their own retransmission, as on a wire)
  --no-progress           no progress line on stderr
  --burst N               TX burst (32); --seed N: PRNG seed (1)
Output: a progress line per second on stderr; one JSON object per second on stdout, then the
final report (a JSON object with "final": true). Exit 0 when the run completed (whatever the
success rate), 1 when it could not run, 2 on a usage error.
)";
}

}  // namespace rampart::load
