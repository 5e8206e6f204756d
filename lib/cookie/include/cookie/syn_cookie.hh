#pragma once
// Stateless SYN cookies: the ISN of our SYN-ACK is a MAC over the client's SYN, so the listener
// keeps no state until the client's ACK proves it received that SYN-ACK (RFC 4987 §3.6).
//
// Layout of the 32-bit cookie (our ISN; the client's ACK returns it as SEG.ACK - 1):
//
//    31           26 25   24 23                                             0
//   +---------------+-------+-----------------------------------------------+
//   | tick mod 64   |  mss  |  low 24 bits of SipHash-2-4(k_epoch, w0, w1, w2) |
//   +---------------+-------+-----------------------------------------------+
//
//   IPv4, 24 bytes:  w0 = client_ip << 32 | server_ip
//                    w1 = client_port << 48 | server_port << 32 | client_isn
//                    w2 = tick << 16 | options << 8 | mss
//   IPv6, 48 bytes:  w0..w3 = client_ip, then server_ip: their 32 bytes in wire order, read
//                             as SipHash reads a message (little-endian 8-byte words)
//                    w4, w5 = w1, w2 of the IPv4 form
//
//   Both families share the keys, the tick and the 32-bit layout; only the MAC input differs.
//   The two inputs never coincide: they are byte strings of different lengths (24 and 48), and
//   SipHash's last block carries the length (siphash.hh), so an IPv4 and an IPv6 tuple are
//   distinct messages to the PRF even when their addresses agree in every bit they share (an
//   IPv4-mapped address, say). A cookie made for one family therefore verifies for the other
//   with the same 2^-24 chance as a forgery.
//
//   tick     Unix time / 16 s (key_set.hh). The cookie carries 6 bits; the checker rebuilds the
//            full tick as the unique value in [n - 3, n + 1] (n = its own tick) with those low
//            bits. 64 > 3 + 1 + 1, so that value is unique, and the full tick is hashed, so a
//            cookie that aliases after 64 ticks (17 min) fails the MAC.
//   mss      index into the family's MSS table below (mss_table, mss_table6). The cookie does not
//            say which table: the family of the ACK that returns it does.
//   options  0 when the SYN had no Timestamps option, else 0x80 | the 6 option bits that also
//            travel in our TSval (encode_tsval below), so the options a client returns in TSecr
//            are integrity-protected: altering them, or stripping Timestamps from the ACK,
//            fails the MAC.
//   k_epoch  the key of the epoch containing `tick` (key_set.hh): exactly one key per check.
//
// Validity: made in tick c, accepted while the checker's tick n is in [c - 1, c + 3]. Lifetime
// is therefore more than 48 s and at most 64 s (made at the start of c), plus up to 16 s of
// tolerated skew between nodes. Beyond it, check reports `expired` (n > c + 3) or `future`.
//
// False accept: a forged ACK is accepted only if its 24 hash bits equal the low 24 bits of
// SipHash-2-4 under a secret key over an input no genuine SYN-ACK carried. Everything else in
// the cookie (tick, mss index) is public or guessable, and exactly one MAC value is compared per
// ACK, so under the PRF assumption for SipHash-2-4 each forged ACK succeeds with probability
// 2^-24 (about 6e-8), and q forged ACKs with at most q * 2^-24. docs/syncookies.md has the
// derivation and what it means at line rate.
//
// All functions are pure (plain values in, plain values out), allocate nothing and never throw.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "cookie/key_set.hh"
#include "net/addresses.hh"

namespace rampart::cookie {

// Linux's table (net/ipv4/syncookies.c), chosen from measured SYN MSS distributions: 1460 is
// Ethernet (1500 - 40), 1440 covers PPPoE (1452) and common tunnels, 1300 the VPN / IPv6-tunnel
// range, 536 the RFC 9293 §3.7.1 default for a SYN with no MSS option. A client gets the largest
// entry not above its own MSS. Clients below 536 get 536: RFC 1122 §3.3.3 makes every IPv4 host
// accept 576-byte datagrams, and honouring tiny MSS values is itself an attack vector (one
// segment per few bytes).
using mss_table_type = std::array<std::uint16_t, 4>;
inline constexpr mss_table_type mss_table = {536, 1300, 1440, 1460};

// IPv6 (every entry is an MTU minus 40 bytes of IPv6 and 20 of TCP header): 1220 is RFC 8200 §5's
// minimum link MTU of 1280, below which no IPv6 path goes, and RFC 9293 §3.7.1's default for a
// SYN with no MSS option; 1360 is WireGuard's default tunnel MTU (1420), a widespread VPN;
// 1420 is 6in4 / 6rd tunnels (MTU 1480) and takes PPPoE's 1432 (MTU 1492) at a loss of 12
// bytes; 1440 is Ethernet. Linux (net/ipv6/syncookies.c) spends its second slot on 9000-byte
// jumbo frames instead of WireGuard: the Internet clients a front-end serves are not on jumbo
// links, and the IPv4 table has no jumbo entry either. Clients below 1220 get 1220: no IPv6 link
// carries less than 1280 bytes (RFC 8200 §5), so a smaller MSS is no path property.
inline constexpr mss_table_type mss_table6 = {1220, 1360, 1420, 1440};

// Index into `table` for a client's MSS option (0 = the SYN had none).
constexpr std::uint8_t mss_index_in(const mss_table_type& table, std::uint16_t client_mss) noexcept {
  std::uint8_t index = table.size() - 1;
  while (index > 0 && client_mss < table[index]) {
    --index;
  }
  return index;
}

constexpr std::uint8_t mss_index_for(std::uint16_t client_mss) noexcept {
  return mss_index_in(mss_table, client_mss);
}

constexpr std::uint8_t mss_index_for6(std::uint16_t client_mss) noexcept {
  return mss_index_in(mss_table6, client_mss);
}

// The SYN options a cookie handshake keeps when the client sent Timestamps (RFC 7323): they ride
// in the low 6 bits of our SYN-ACK's TSval and come back in the ACK's TSecr.
//
//    5     4     3         0
//   +-----+-----+-----------+
//   | ecn | sack|  wscale   |   wscale 0..14; 15 = the SYN had no Window Scale option
//   +-----+-----+-----------+
struct cookie_options {
  std::optional<std::uint8_t> window_scale;  // client's shift count; > 14 is clamped to 14 (RFC 7323 §2.3)
  bool sack_permitted = false;               // SYN carried SACK-permitted (RFC 2018 §2)
  bool ecn = false;                          // ECN-setup SYN, ECE and CWR set (RFC 3168 §6.1.1)

  friend bool operator==(const cookie_options&, const cookie_options&) = default;
};

inline constexpr std::uint32_t tsval_option_bits = 6;
inline constexpr std::uint32_t tsval_option_mask = (1U << tsval_option_bits) - 1;

// The 6-bit code of `options` (layout above).
constexpr std::uint32_t option_code(const cookie_options& options) noexcept {
  const std::uint32_t wscale =
      options.window_scale ? (*options.window_scale > 14 ? 14U : *options.window_scale) : 15U;
  return wscale | (options.sack_permitted ? 1U << 4 : 0U) | (options.ecn ? 1U << 5 : 0U);
}

// Decodes the low 6 bits of a TSecr. All 64 codes are meaningful, so this cannot fail; whether
// the code is genuine is for check_syn_cookie, which hashes it.
constexpr cookie_options decode_tsecr(std::uint32_t tsecr) noexcept {
  cookie_options options;
  const std::uint32_t wscale = tsecr & 0xf;
  if (wscale != 15) {
    options.window_scale = static_cast<std::uint8_t>(wscale);
  }
  options.sack_permitted = (tsecr >> 4) & 1;
  options.ecn = (tsecr >> 5) & 1;
  return options;
}

// Our SYN-ACK's TSval: `tsval_now` (our timestamp clock) with its low 6 bits replaced by the
// option code, stepped back 64 if that would put it ahead of `tsval_now`. The result is in
// (tsval_now - 64, tsval_now], so the TSvals the connection sends later never go backwards
// (RFC 7323 §5.4: TSval is monotonic). Arithmetic is mod 2^32 like the clock itself.
constexpr std::uint32_t encode_tsval(std::uint32_t tsval_now, const cookie_options& options) noexcept {
  std::uint32_t tsval = (tsval_now & ~tsval_option_mask) | option_code(options);
  if ((tsval & tsval_option_mask) > (tsval_now & tsval_option_mask)) {
    tsval -= tsval_option_mask + 1;
  }
  return tsval;
}

// Host-order 4-tuple as seen from our side: the client is the SYN's source.
struct four_tuple {
  std::uint32_t client_ip = 0;
  std::uint32_t server_ip = 0;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;

  friend bool operator==(const four_tuple&, const four_tuple&) = default;
};

// The same over IPv6: addresses in wire order, ports in host order.
struct four_tuple6 {
  net::ipv6_address client_ip;
  net::ipv6_address server_ip;
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;

  friend bool operator==(const four_tuple6&, const four_tuple6&) = default;
};

// The MSS table of a tuple's family.
constexpr const mss_table_type& mss_table_of(const four_tuple&) noexcept { return mss_table; }
constexpr const mss_table_type& mss_table_of(const four_tuple6&) noexcept { return mss_table6; }

// What make_syn_cookie needs from a SYN; Tuple is four_tuple or four_tuple6.
template <typename Tuple>
struct basic_syn_fields {
  Tuple tuple;
  std::uint32_t client_isn = 0;  // the SYN's SEG.SEQ
  std::uint16_t client_mss = 0;  // its MSS option; 0 when absent
  // Set iff the SYN carried a Timestamps option; then the caller must also put
  // encode_tsval(now, *timestamp_options) in the SYN-ACK's TSval.
  std::optional<cookie_options> timestamp_options;
};
using syn_fields = basic_syn_fields<four_tuple>;
using syn_fields6 = basic_syn_fields<four_tuple6>;

namespace detail {

// The cookie's fields (layout above).
inline constexpr unsigned hash_bits = 24;
inline constexpr std::uint32_t hash_mask = (1U << hash_bits) - 1;
inline constexpr unsigned mss_shift = 24;
inline constexpr unsigned tick_shift = 26;
inline constexpr std::uint64_t tick_modulus = 64;  // 6 bits of tick in the cookie

// w2's options byte: 0 without Timestamps, else 0x80 | the option code.
constexpr std::uint64_t options_word(const std::optional<cookie_options>& options) noexcept {
  return options ? (0x80U | option_code(*options)) : 0U;
}

// The low 24 bits of SipHash-2-4 over the family's words (layout above).
std::uint32_t cookie_mac(const siphash_key& key, const four_tuple& tuple, std::uint32_t client_isn,
                         std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept;
std::uint32_t cookie_mac(const siphash_key& key, const four_tuple6& tuple, std::uint32_t client_isn,
                         std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept;

}  // namespace detail

// The cookie, i.e. our ISN for the SYN-ACK. nullopt only when `keys` lacks the key of the current
// epoch (the control thread has not delivered it: count and drop the SYN).
// Inline so that the caller holds the optional in registers: returned from another translation
// unit, GCC 12 wrote it to the stack byte by byte and read it back whole, a failed store-to-load
// forward that took half of make_syn_cookie's samples in BM_syn_flood/32
// (perf/bench/tcp/stream_bench).
template <typename Tuple>
inline std::optional<std::uint32_t> make_syn_cookie(const basic_syn_fields<Tuple>& syn, std::uint64_t now_unix_ns,
                                                    const key_set& keys) noexcept {
  const std::uint64_t tick = tick_at(now_unix_ns);
  const siphash_key* key = keys.find_for_tick(tick);
  if (key == nullptr) {
    return std::nullopt;
  }
  const std::uint8_t mss_index = mss_index_in(mss_table_of(syn.tuple), syn.client_mss);
  const std::uint32_t mac = detail::cookie_mac(*key, syn.tuple, syn.client_isn, tick,
                                               detail::options_word(syn.timestamp_options), mss_index);
  return static_cast<std::uint32_t>(tick % detail::tick_modulus) << detail::tick_shift |
         std::uint32_t{mss_index} << detail::mss_shift | mac;
}

// What check_syn_cookie needs from the client's ACK (the first segment of a flow the table
// does not know, with ACK set and SYN/RST clear).
template <typename Tuple>
struct basic_ack_fields {
  Tuple tuple;
  std::uint32_t cookie = 0;      // SEG.ACK - 1
  std::uint32_t client_isn = 0;  // SEG.SEQ - 1
  std::optional<std::uint32_t> tsecr;  // set iff the ACK carries a Timestamps option
};
using ack_fields = basic_ack_fields<four_tuple>;
using ack_fields6 = basic_ack_fields<four_tuple6>;

// Why an ACK's cookie was refused. Classification of tick bits happens before the MAC, so for a
// random (forged) value the reason is arbitrary; only `accepted` carries meaning for security.
enum class cookie_error : std::uint8_t {
  bad_hash,  // MAC mismatch: forged, or altered (tuple, ISNs, ACK number, options, Timestamps stripped)
  expired,   // tick older than the window (n > c + max_age_ticks)
  future,    // tick newer than the tolerated skew (n < c - max_future_ticks)
  no_key,    // tick in the window but its epoch's key is not in the key set
};

constexpr std::string_view name_of(cookie_error error) noexcept {
  switch (error) {
    case cookie_error::bad_hash:
      return "bad_hash";
    case cookie_error::expired:
      return "expired";
    case cookie_error::future:
      return "future";
    case cookie_error::no_key:
      return "no_key";
  }
  return "unknown";
}

// What a valid cookie restores.
struct accepted_cookie {
  std::uint16_t mss = mss_table[0];  // the client's MSS, rounded down to its family's table
  // Set iff the handshake carried Timestamps: the client's window scale, SACK and ECN. Unset:
  // no window scaling, no SACK, no ECN (RFC 7323 §2.2: scaling needs both SYNs to carry it;
  // the SYN's options are gone).
  std::optional<cookie_options> timestamp_options;
  std::uint64_t tick = 0;  // the tick the cookie was made in
};

// std::expected-like: either an accepted_cookie or a cookie_error.
class check_result {
 public:
  static constexpr check_result accept(const accepted_cookie& cookie) noexcept {
    check_result r;
    r._cookie = cookie;
    r._ok = true;
    return r;
  }
  static constexpr check_result reject(cookie_error error) noexcept {
    check_result r;
    r._error = error;
    return r;
  }
  constexpr bool ok() const noexcept { return _ok; }
  constexpr explicit operator bool() const noexcept { return _ok; }
  // Precondition: ok().
  constexpr const accepted_cookie& value() const noexcept { return _cookie; }
  // Precondition: !ok().
  constexpr cookie_error error() const noexcept { return _error; }

 private:
  accepted_cookie _cookie{};
  cookie_error _error = cookie_error::bad_hash;
  bool _ok = false;
};

// Checks the cookie an ACK returns. Errors: expired, future (tick outside the window), no_key
// (epoch key absent from `keys`), bad_hash (everything else that is not genuine). The MSS is
// read from the table of the ACK's family.
check_result check_syn_cookie(const ack_fields& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept;
check_result check_syn_cookie(const ack_fields6& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept;

}  // namespace rampart::cookie
