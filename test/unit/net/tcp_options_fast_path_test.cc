// Pins the Linux-SYN fast path of parse_tcp_options (lib/net/tcp_header.cc,
// parse_linux_syn_options): the exact 20-byte list Linux sends
//   02 04 mm mm  04 02 08 0a  <TSval>  <TSecr>  01 03 03 ws
// must give the fields the general option loop gives for the same bytes, and every list that
// only resembles it (a length byte changed, another order, 19 or 21 bytes, EOL early) must still
// be refused or parsed as RFC 9293 §3.1 says. The fast path is invisible from outside, so the
// test compares results: against literal expectations, and against a reference parser written
// here over ~100k mutations of the Linux layout (docs/performance.md, "What makes it this fast", 2).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "net/tcp_header.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

// The captured Linux SYN's list (test/support captured::tcp_syn): MSS 1460, SACK-permitted,
// TSval 2429538155, TSecr 0, WS 10.
constexpr std::string_view linux_syn = "02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a";

std::optional<net::tcp_options> parsed(const test::bytes& list) {
  const auto options = net::parse_tcp_options(list);
  if (!options) {
    // The only error parse_tcp_options may give (tcp_header.hh).
    REQUIRE(options.error() == drop_reason::tcp_bad_options);
    return std::nullopt;
  }
  return *options;
}

std::optional<net::tcp_options> parsed(std::string_view hex) { return parsed(from_hex(hex)); }

net::tcp_options linux_fields(std::uint16_t mss, std::uint32_t tsval, std::uint32_t tsecr,
                              std::uint8_t ws) {
  net::tcp_options o;
  o.mss = mss;
  o.sack_permitted = true;
  o.timestamps = net::tcp_timestamps{tsval, tsecr};
  o.window_scale = ws;
  return o;
}

// A deliberately plain option parser, written from RFC 9293 §3.1 and the contract in
// tcp_header.hh rather than from tcp_header.cc: one option at a time, lengths checked before
// any value byte is read, the last of a repeated kind wins, WS clamped to 14 (RFC 7323 §2.3).
// nullopt means tcp_bad_options.
std::optional<net::tcp_options> reference_parse(const test::bytes& list) {
  net::tcp_options o;
  const auto at = [&list](std::size_t i) { return std::to_integer<unsigned>(list[i]); };
  std::size_t i = 0;
  while (i < list.size()) {
    const unsigned kind = at(i);
    if (kind == 0) {
      return o;  // EOL: the rest is padding
    }
    if (kind == 1) {
      i += 1;  // NOP
      continue;
    }
    if (i + 2 > list.size()) {
      return std::nullopt;  // no length byte
    }
    const unsigned length = at(i + 1);
    if (length < 2 || i + length > list.size()) {
      return std::nullopt;
    }
    if (kind == 2) {
      if (length != 4) {
        return std::nullopt;
      }
      o.mss = static_cast<std::uint16_t>(at(i + 2) << 8 | at(i + 3));
    } else if (kind == 3) {
      if (length != 3) {
        return std::nullopt;
      }
      o.window_scale = static_cast<std::uint8_t>(std::min(at(i + 2), 14U));
    } else if (kind == 4) {
      if (length != 2) {
        return std::nullopt;
      }
      o.sack_permitted = true;
    } else if (kind == 8) {
      if (length != 10) {
        return std::nullopt;
      }
      std::uint32_t words[2] = {0, 0};
      for (std::size_t w = 0; w < 2; ++w) {
        for (std::size_t b = 0; b < 4; ++b) {
          words[w] = words[w] << 8 | at(i + 2 + 4 * w + b);
        }
      }
      o.timestamps = net::tcp_timestamps{words[0], words[1]};
    } else if (kind == 5) {
      // RFC 2018 §3: 2 + 8n bytes, n >= 1.
      if (length < 10 || (length - 2) % 8 != 0) {
        return std::nullopt;
      }
      const auto word = [&at](std::size_t p) {
        return net::seq32{static_cast<std::uint32_t>(at(p) << 24 | at(p + 1) << 16 | at(p + 2) << 8 | at(p + 3))};
      };
      o.sack_block_count = static_cast<std::uint8_t>((length - 2) / 8);
      for (std::size_t b = 0; b < o.sack_block_count; ++b) {
        o.sack_blocks[b] = net::sack_block{word(i + 2 + 8 * b), word(i + 6 + 8 * b)};
      }
    }
    i += length;
  }
  return o;
}

std::string hex_of(const test::bytes& list) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (const std::byte b : list) {
    const auto v = std::to_integer<unsigned>(b);
    s += digits[v >> 4];
    s += digits[v & 15];
    s += ' ';
  }
  return s;
}

}  // namespace

TEST_CASE("Options fast path: the exact Linux SYN layout", "[unit][net]") {
  CHECK(parsed(linux_syn) == linux_fields(1460, 2429538155U, 0, 10));
  // Every field taken from its own bytes (distinct values, high bits set).
  CHECK(parsed("02 04 ff fe 04 02 08 0a 81 82 83 84 f1 f2 f3 f4 01 03 03 00") ==
        linux_fields(0xfffe, 0x81828384U, 0xf1f2f3f4U, 0));
  CHECK(parsed("02 04 00 00 04 02 08 0a 00 00 00 00 00 00 00 00 01 03 03 0e") ==
        linux_fields(0, 0, 0, 14));
}

TEST_CASE("Options fast path: window scale above 14 is 14 (RFC 7323 §2.3)", "[unit][net]") {
  for (const unsigned ws : {15U, 16U, 0x7fU, 0x80U, 0xffU}) {
    test::bytes list = from_hex(linux_syn);
    list[19] = std::byte{static_cast<std::uint8_t>(ws)};
    INFO("ws " << ws);
    CHECK(parsed(list) == linux_fields(1460, 2429538155U, 0, 14));
  }
  for (unsigned ws = 0; ws <= 14; ++ws) {
    test::bytes list = from_hex(linux_syn);
    list[19] = std::byte{static_cast<std::uint8_t>(ws)};
    CHECK(parsed(list)->window_scale == std::optional<std::uint8_t>{static_cast<std::uint8_t>(ws)});
  }
}

TEST_CASE("Options fast path: a bad length byte inside the 20 bytes is refused", "[unit][net]") {
  // Each is the Linux layout with one length byte changed: the general loop must refuse it
  // (RFC 9293 §3.1 MUST-7), so a fast path that matched on kinds alone would be wrong.
  const std::array<std::string_view, 11> bad = {
      "02 05 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // MSS length 5
      "02 03 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // MSS length 3
      "02 00 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // MSS length 0
      "02 04 05 b4 04 03 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // SACK-perm length 3
      "02 04 05 b4 04 01 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // SACK-perm length 1
      "02 04 05 b4 04 02 08 09 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // TS length 9
      "02 04 05 b4 04 02 08 0b 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // TS length 11
      "02 04 05 b4 04 02 08 12 90 cf cf 6b 00 00 00 00 01 03 03 0a",  // TS length overruns
      "02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 04 0a",  // WS length 4 overruns
      "02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 02 0a",  // WS length 2
      "02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 00 0a",  // WS length 0
  };
  for (const std::string_view hex : bad) {
    INFO(hex);
    CHECK_FALSE(parsed(hex));
  }
  // A changed kind byte that stays valid: SACK-permitted's slot read as an unknown 2-byte kind;
  // as a SACK option (kind 5) the same length is refused (RFC 2018 §3: at least one block).
  net::tcp_options no_sack = linux_fields(1460, 2429538155U, 0, 10);
  no_sack.sack_permitted = false;
  CHECK(parsed("02 04 05 b4 fe 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a") == no_sack);
  CHECK_FALSE(parsed("02 04 05 b4 05 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a"));
}

TEST_CASE("Options fast path: other orders and near misses parse by the general rules", "[unit][net]") {
  const net::tcp_options all = linux_fields(1460, 2429538155U, 0, 10);
  // The same options in other 20-byte orders.
  CHECK(parsed("01 03 03 0a 02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00") == all);
  CHECK(parsed("04 02 08 0a 90 cf cf 6b 00 00 00 00 02 04 05 b4 01 03 03 0a") == all);
  // TS first, no SACK-permitted: a trailing NOP is fine, a trailing kind 4 has no length byte.
  net::tcp_options no_sack = all;
  no_sack.sack_permitted = false;
  CHECK(parsed("01 01 08 0a 90 cf cf 6b 00 00 00 00 02 04 05 b4 03 03 0a 01") == no_sack);
  CHECK_FALSE(parsed("01 01 08 0a 90 cf cf 6b 00 00 00 00 02 04 05 b4 03 03 0a 04"));
  // Right first and last words, no TS in between: the timestamps must not appear.
  net::tcp_options no_ts = all;
  no_ts.timestamps.reset();
  CHECK(parsed("02 04 05 b4 01 01 01 01 01 01 01 01 04 02 01 01 01 03 03 0a") == no_ts);
  // Right first two words, EOL where the NOP sits: the WS after it is padding.
  net::tcp_options no_ws = all;
  no_ws.window_scale.reset();
  CHECK(parsed("02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 00 03 03 0a") == no_ws);
  // EOL at the very start: nothing at all, whatever follows.
  CHECK(parsed("00 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a") == net::tcp_options{});
  // EOL after MSS.
  net::tcp_options mss_only;
  mss_only.mss = 1460;
  CHECK(parsed("02 04 05 b4 00 02 08 0a 90 cf cf 6b 00 00 00 00 01 03 03 0a") == mss_only);
  // Last word not NOP-WS: another kind of length 3 is skipped, and WS is absent.
  CHECK(parsed("02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 01 fd 03 0a") == no_ws);
  // Repeats in 40 bytes: two Linux lists, the last one's values win.
  CHECK(parsed(std::string(linux_syn) + " 02 04 02 18 04 02 08 0a 00 00 00 01 00 00 00 02 01 03 03 02") ==
        linux_fields(0x218, 1, 2, 2));
}

TEST_CASE("Options fast path: 19 and 21 bytes, and truncations", "[unit][net]") {
  const net::tcp_options all = linux_fields(1460, 2429538155U, 0, 10);
  // 19 bytes: the Linux list without its NOP is still the same options.
  CHECK(parsed("02 04 05 b4 04 02 08 0a 90 cf cf 6b 00 00 00 00 03 03 0a") == all);
  // 21 bytes: a trailing EOL or NOP changes nothing; a trailing kind without a length is refused.
  CHECK(parsed(std::string(linux_syn) + " 00") == all);
  CHECK(parsed(std::string(linux_syn) + " 01") == all);
  CHECK_FALSE(parsed(std::string(linux_syn) + " 02"));
  CHECK_FALSE(parsed(std::string(linux_syn) + " 08"));
  // The Linux list cut at every length.
  const test::bytes full = from_hex(linux_syn);
  for (std::size_t n = 0; n < full.size(); ++n) {
    const test::bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("first " << n << " bytes: " << hex_of(cut));
    CHECK(parsed(cut) == reference_parse(cut));
  }
  // The cuts that land on option boundaries keep what came before.
  net::tcp_options mss_only;
  mss_only.mss = 1460;
  CHECK(parsed(test::bytes(full.begin(), full.begin() + 4)) == mss_only);
  net::tcp_options no_ws = all;
  no_ws.window_scale.reset();
  CHECK(parsed(test::bytes(full.begin(), full.begin() + 16)) == no_ws);
  CHECK(parsed(test::bytes(full.begin(), full.begin() + 17)) == no_ws);
  // Mid-option cuts are refused: inside MSS, inside TS, WS without its value.
  CHECK_FALSE(parsed(test::bytes(full.begin(), full.begin() + 3)));
  CHECK_FALSE(parsed(test::bytes(full.begin(), full.begin() + 12)));
  CHECK_FALSE(parsed(test::bytes(full.begin(), full.begin() + 18)));
  CHECK_FALSE(parsed(test::bytes(full.begin(), full.begin() + 19)));
}

TEST_CASE("Options fast path: differential check against a reference parser", "[unit][net]") {
  // Seeded, so a failure reproduces; the mutations stay close to the Linux layout, where a wrong
  // fast path (a mask too loose, a field at the wrong offset, a missing clamp) would show.
  std::mt19937_64 rng{0x72616d70617274ULL};
  const auto below = [&rng](std::uint64_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::array<std::uint8_t, 14> interesting = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 0x80, 0xff};
  const auto random_byte = [&]() {
    return std::byte{below(2) == 0 ? interesting[below(interesting.size())] : static_cast<std::uint8_t>(rng())};
  };

  constexpr std::size_t cases = 100'000;
  std::size_t exact_layout = 0;
  std::size_t accepted = 0;
  std::size_t refused = 0;
  for (std::size_t c = 0; c < cases; ++c) {
    // The Linux layout with random values.
    test::bytes list = from_hex("02 04 00 00 04 02 08 0a 00 00 00 00 00 00 00 00 01 03 03 00");
    for (std::size_t i : {2U, 3U, 8U, 9U, 10U, 11U, 12U, 13U, 14U, 15U}) {
      list[i] = std::byte{static_cast<std::uint8_t>(rng())};
    }
    list[19] = std::byte{static_cast<std::uint8_t>(below(4) == 0 ? rng() : below(17))};
    switch (below(8)) {
      case 0:
      case 1:
        break;  // unchanged: the fast path itself
      case 2:
      case 3:
      case 4: {  // one to three bytes anywhere replaced
        const std::size_t changes = 1 + below(3);
        for (std::size_t k = 0; k < changes; ++k) {
          list[below(list.size())] = random_byte();
        }
        break;
      }
      case 5:  // truncated, possibly to nothing
        list.resize(below(list.size()));
        break;
      case 6: {  // extended (to 21 bytes and beyond: padding, NOPs or junk)
        const std::size_t extra = 1 + below(20);
        for (std::size_t k = 0; k < extra; ++k) {
          list.push_back(random_byte());
        }
        break;
      }
      case 7: {  // the options reordered, sometimes with one byte replaced
        std::vector<test::bytes> parts = {{list.begin(), list.begin() + 4},
                                          {list.begin() + 4, list.begin() + 6},
                                          {list.begin() + 6, list.begin() + 16},
                                          {list.begin() + 16, list.begin() + 17},
                                          {list.begin() + 17, list.end()}};
        std::shuffle(parts.begin(), parts.end(), rng);
        list.clear();
        for (const test::bytes& p : parts) {
          list.insert(list.end(), p.begin(), p.end());
        }
        if (below(2) == 0) {
          list[below(list.size())] = random_byte();
        }
        break;
      }
    }
    const test::bytes linux_prefix = from_hex("02 04 00 00 04 02 08 0a");
    if (list.size() == 20 && list[0] == linux_prefix[0] && list[1] == linux_prefix[1] &&
        std::equal(linux_prefix.begin() + 4, linux_prefix.end(), list.begin() + 4) &&
        list[16] == std::byte{1} && list[17] == std::byte{3} && list[18] == std::byte{3}) {
      ++exact_layout;
    }

    const auto expected = reference_parse(list);
    const auto got = net::parse_tcp_options(list);
    const bool same = expected ? (got && *got == *expected)
                               : (!got && got.error() == drop_reason::tcp_bad_options);
    if (!same) {
      FAIL("case " << c << ": " << hex_of(list) << "-> parse_tcp_options "
                   << (got ? "accepted" : "refused") << ", reference " << (expected ? "accepted" : "refused"));
    }
    (expected ? accepted : refused) += 1;
  }
  // The generator must have exercised both paths and both outcomes, or the test proves nothing.
  CHECK(exact_layout > cases / 5);
  CHECK(accepted > cases / 3);
  CHECK(refused > cases / 10);
}
