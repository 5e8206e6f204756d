#include "cookie/syn_cookie.hh"

namespace rampart::cookie {

namespace {

using detail::hash_mask;
using detail::mss_shift;
using detail::options_word;
using detail::tick_modulus;
using detail::tick_shift;

// The tick bits must disambiguate the whole acceptance window plus a margin that separates
// "expired" from "future" in the error report.
static_assert(max_age_ticks + max_future_ticks + 1 < tick_modulus / 2);
static_assert(mss_table.size() == 4 && mss_table6.size() == 4, "the cookie has 2 MSS bits");

// The words both families end with (layout in syn_cookie.hh): ports and ISN, then the tick,
// options and MSS index.
std::uint64_t ports_and_isn(std::uint16_t client_port, std::uint16_t server_port, std::uint32_t client_isn) noexcept {
  return std::uint64_t{client_port} << 48 | std::uint64_t{server_port} << 32 | client_isn;
}

std::uint64_t tick_options_mss(std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept {
  return tick << 16 | options << 8 | mss_index;
}

// Bytes [offset, offset + 8) of an address as SipHash reads a message: a little-endian word, the
// same on every host (nodes sharing a master secret must agree on the MAC). On x86 a plain load;
// assembling a big-endian word byte by byte cost about 9 ns of a 39-ns check (perf/bench/cookie).
std::uint64_t address_word(const net::ipv6_address& address, std::size_t offset) noexcept {
  return detail::load_le64(address.bytes.data() + offset);
}

template <typename Tuple>
check_result check(const basic_ack_fields<Tuple>& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept {
  const std::uint64_t now_tick = tick_at(now_unix_ns);
  const std::uint64_t cookie_tick_bits = ack.cookie >> tick_shift;
  // Age modulo 64: how many ticks ago a tick with these low bits last occurred.
  const std::uint64_t age = (now_tick - cookie_tick_bits) % tick_modulus;
  std::uint64_t tick;
  if (age <= max_age_ticks && age <= now_tick) {
    tick = now_tick - age;
  } else if (age >= tick_modulus - max_future_ticks) {
    tick = now_tick + (tick_modulus - age);
  } else if (age < tick_modulus / 2) {
    return check_result::reject(cookie_error::expired);
  } else {
    return check_result::reject(cookie_error::future);
  }

  const siphash_key* key = keys.find_for_tick(tick);
  if (key == nullptr) {
    return check_result::reject(cookie_error::no_key);
  }
  const auto mss_index = static_cast<std::uint8_t>((ack.cookie >> mss_shift) & 0x3);
  std::optional<cookie_options> options;
  if (ack.tsecr) {
    options = decode_tsecr(*ack.tsecr);
  }
  const std::uint32_t mac = detail::cookie_mac(*key, ack.tuple, ack.client_isn, tick, options_word(options), mss_index);
  if (mac != (ack.cookie & hash_mask)) {
    return check_result::reject(cookie_error::bad_hash);
  }
  return check_result::accept({mss_table_of(ack.tuple)[mss_index], options, tick});
}

}  // namespace

// Three 8-byte words: the specialised siphash24_words form (perf/bench/cookie measures it against
// the generic one).
std::uint32_t detail::cookie_mac(const siphash_key& key, const four_tuple& t, std::uint32_t client_isn,
                                 std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept {
  const std::uint64_t w0 = std::uint64_t{t.client_ip} << 32 | t.server_ip;
  return static_cast<std::uint32_t>(siphash24_words(key, w0, ports_and_isn(t.client_port, t.server_port, client_isn),
                                                    tick_options_mss(tick, options, mss_index))) &
         hash_mask;
}

// Six words: the two addresses take four, the rest is the IPv4 form's tail.
std::uint32_t detail::cookie_mac(const siphash_key& key, const four_tuple6& t, std::uint32_t client_isn,
                                 std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept {
  return static_cast<std::uint32_t>(siphash24_words(
             key, address_word(t.client_ip, 0), address_word(t.client_ip, 8), address_word(t.server_ip, 0),
             address_word(t.server_ip, 8), ports_and_isn(t.client_port, t.server_port, client_isn),
             tick_options_mss(tick, options, mss_index))) &
         hash_mask;
}

check_result check_syn_cookie(const ack_fields& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept {
  return check(ack, now_unix_ns, keys);
}

check_result check_syn_cookie(const ack_fields6& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept {
  return check(ack, now_unix_ns, keys);
}

}  // namespace rampart::cookie
