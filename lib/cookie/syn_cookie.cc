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
static_assert(mss_table.size() == 4, "the cookie has 2 MSS bits");

}  // namespace

// Three 8-byte words: the specialised siphash24_words form (perf/bench/cookie measures it against
// the generic one).
std::uint32_t detail::cookie_mac(const siphash_key& key, const four_tuple& t, std::uint32_t client_isn,
                                 std::uint64_t tick, std::uint64_t options, std::uint8_t mss_index) noexcept {
  const std::uint64_t w0 = std::uint64_t{t.client_ip} << 32 | t.server_ip;
  const std::uint64_t w1 =
      std::uint64_t{t.client_port} << 48 | std::uint64_t{t.server_port} << 32 | client_isn;
  const std::uint64_t w2 = tick << 16 | options << 8 | mss_index;
  return static_cast<std::uint32_t>(siphash24_words(key, w0, w1, w2)) & hash_mask;
}

check_result check_syn_cookie(const ack_fields& ack, std::uint64_t now_unix_ns, const key_set& keys) noexcept {
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
  return check_result::accept({mss_table[mss_index], options, tick});
}

}  // namespace rampart::cookie
