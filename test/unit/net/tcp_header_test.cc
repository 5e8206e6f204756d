#include <catch2/catch.hpp>

#include "net/checksum.hh"
#include "net/tcp_header.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

test::bytes captured_segment() {
  const auto frame = from_hex(test::captured::tcp_syn);
  return test::bytes(frame.begin() + 34, frame.end());
}

drop_reason options_error(std::string_view hex) {
  const auto list = from_hex(hex);
  const auto options = net::parse_tcp_options(list);
  REQUIRE_FALSE(options);
  return options.error();
}

net::tcp_options options_of(std::string_view hex) {
  const auto list = from_hex(hex);
  const auto options = net::parse_tcp_options(list);
  REQUIRE(options);
  return *options;
}

}  // namespace

TEST_CASE("TCP view of a captured SYN with options", "[unit][net]") {
  const auto segment = captured_segment();
  const auto tcp = net::tcp_view::parse(segment);
  REQUIRE(tcp);
  const net::tcp_header& h = tcp->header();
  CHECK(h.source_port == 44768);
  CHECK(h.destination_port == 80);
  CHECK(h.sequence == net::seq32{2426473038U});
  CHECK(h.acknowledgment == net::seq32{0});
  CHECK(h.header_length == 40);
  CHECK(h.flags == net::tcp_flag::syn);
  CHECK(h.has(net::tcp_flag::syn));
  CHECK_FALSE(h.has(net::tcp_flag::ack));
  CHECK(h.window == 64240);
  CHECK(h.checksum == 0x14f7);
  CHECK(h.urgent_pointer == 0);
  const net::tcp_options& o = tcp->options();
  CHECK(o.mss == std::optional<std::uint16_t>{1460});
  CHECK(o.sack_permitted);
  REQUIRE(o.timestamps);
  CHECK(o.timestamps->value == 2429538155U);
  CHECK(o.timestamps->echo_reply == 0);
  CHECK(o.window_scale == std::optional<std::uint8_t>{10});
  CHECK(tcp->payload().empty());
  CHECK(tcp->sequence_length() == 1);  // the SYN occupies one sequence number
}

TEST_CASE("TCP parse truncated at every length", "[unit][net]") {
  const auto segment = captured_segment();
  for (std::size_t length = 0; length < segment.size(); ++length) {
    INFO("length " << length);
    const auto tcp = net::tcp_view::parse(std::span{segment}.first(length));
    REQUIRE_FALSE(tcp);
    // Below 20 bytes there is no fixed header; 20..39 cannot hold the 40-byte header.
    CHECK(tcp.error() == (length < 20 ? drop_reason::tcp_truncated : drop_reason::tcp_bad_data_offset));
  }
}

TEST_CASE("TCP parse: data offset below 5", "[unit][net]") {
  for (std::uint8_t doff = 0; doff < 5; ++doff) {
    auto segment = captured_segment();
    segment[12] = std::byte(doff << 4);
    CHECK(net::tcp_view::parse(segment).error() == drop_reason::tcp_bad_data_offset);
  }
}

TEST_CASE("TCP payload and sequence length", "[unit][net]") {
  test::tcp_fields f;
  f.flags = net::tcp_flag::fin | net::tcp_flag::ack;
  f.data = from_hex("68 65 6c 6c 6f");
  const auto segment = test::tcp_segment(f, test::ipv4(1, 2, 3, 4), test::ipv4(5, 6, 7, 8));
  const auto tcp = net::tcp_view::parse(segment);
  REQUIRE(tcp);
  CHECK(tcp->payload().size() == 5);
  CHECK(tcp->sequence_length() == 6);  // five octets and the FIN
  CHECK(net::ipv4_l4_checksum_verifies(test::ipv4(1, 2, 3, 4), test::ipv4(5, 6, 7, 8), 6, segment));
}

TEST_CASE("TCP options: malformed lists", "[unit][net]") {
  CHECK(options_error("02 00 05 b4") == drop_reason::tcp_bad_options);  // length 0
  CHECK(options_error("02 01 05 b4") == drop_reason::tcp_bad_options);  // length 1
  CHECK(options_error("02 08 05 b4") == drop_reason::tcp_bad_options);  // overruns the list
  CHECK(options_error("01 01 01 02") == drop_reason::tcp_bad_options);  // kind without length byte
  CHECK(options_error("02 03 05 00") == drop_reason::tcp_bad_options);  // MSS must be 4
  CHECK(options_error("03 04 07 00") == drop_reason::tcp_bad_options);  // WS must be 3
  CHECK(options_error("04 03 00 00") == drop_reason::tcp_bad_options);  // SACK-perm must be 2
  CHECK(options_error("08 08 00 00 00 01 00 00") == drop_reason::tcp_bad_options);  // TS must be 10
  CHECK(options_error("fe 06 00 00") == drop_reason::tcp_bad_options);  // unknown kind overruns
  CHECK(options_error("05 02") == drop_reason::tcp_bad_options);  // SACK with no block
  CHECK(options_error("05 06 00 00 00 01") == drop_reason::tcp_bad_options);  // SACK not 2 + 8n
  CHECK(options_error("05 0b 00 00 00 01 00 00 00 02 00") == drop_reason::tcp_bad_options);
  // Through the segment view too.
  auto segment = captured_segment();
  segment[21] = std::byte{0};  // MSS length 0
  CHECK(net::tcp_view::parse(segment).error() == drop_reason::tcp_bad_options);
}

TEST_CASE("TCP options: NOP, EOL, unknown kinds, clamping, repeats", "[unit][net]") {
  CHECK(options_of("") == net::tcp_options{});
  CHECK(options_of("01 01 01 01") == net::tcp_options{});
  // EOL ends the list: what follows is padding, even if it looks like garbage.
  const auto eol = options_of("02 04 02 18 00 02 00 ff");
  CHECK(eol.mss == std::optional<std::uint16_t>{0x218});
  CHECK_FALSE(eol.window_scale);
  // Unknown kinds (here TFO cookie, 34) are skipped by length.
  const auto skipped = options_of("22 06 01 02 03 04 03 03 07 00");
  CHECK(skipped.window_scale == std::optional<std::uint8_t>{7});
  CHECK_FALSE(skipped.mss);
  // RFC 7323 §2.3: shift counts above 14 are used as 14.
  CHECK(options_of("03 03 0f 00").window_scale == std::optional<std::uint8_t>{14});
  CHECK(options_of("03 03 ff 00").window_scale == std::optional<std::uint8_t>{14});
  CHECK(options_of("03 03 0e 00").window_scale == std::optional<std::uint8_t>{14});
  CHECK(options_of("02 04 05 b4 02 04 02 00").mss == std::optional<std::uint16_t>{512});  // last wins
}

TEST_CASE("TCP options: SACK blocks in the order carried", "[unit][net]") {
  const auto one = options_of("01 01 05 0a 00 00 00 0a 00 00 00 14");
  REQUIRE(one.sack_block_count == 1);
  CHECK(one.sacks()[0] == net::sack_block{net::seq32{10}, net::seq32{20}});
  // Four blocks fill 34 of the 40 option bytes; the edges are kept as sent (even reversed ones:
  // judging them is the sender's job, RFC 2018 §4).
  const auto four = options_of(
      "01 01 05 22 00 00 00 1e 00 00 00 28 00 00 00 0a 00 00 00 14 ff ff ff f0 00 00 00 05"
      " 00 00 00 64 00 00 00 32");
  REQUIRE(four.sack_block_count == 4);
  CHECK(four.sacks()[0] == net::sack_block{net::seq32{30}, net::seq32{40}});
  CHECK(four.sacks()[1] == net::sack_block{net::seq32{10}, net::seq32{20}});
  CHECK(four.sacks()[2] == net::sack_block{net::seq32{0xfffffff0U}, net::seq32{5}});
  CHECK(four.sacks()[3] == net::sack_block{net::seq32{100}, net::seq32{50}});
}

TEST_CASE("TCP options writer: SACK blocks after timestamps", "[unit][net]") {
  net::tcp_options o;
  o.timestamps = net::tcp_timestamps{7, 8};
  o.sack_block_count = 3;
  o.sack_blocks = {net::sack_block{net::seq32{1}, net::seq32{2}}, net::sack_block{net::seq32{3}, net::seq32{4}},
                   net::sack_block{net::seq32{5}, net::seq32{6}}, net::sack_block{}};
  REQUIRE(net::tcp_options_length(o) == net::tcp_max_header_length - net::tcp_min_header_length);
  test::bytes out(40);
  REQUIRE(net::write_tcp_options(out, o) == 40);
  CHECK(test::to_hex(out) ==
        "01 01 08 0a 00 00 00 07 00 00 00 08 01 01 05 1a 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04"
        " 00 00 00 05 00 00 00 06");
  const auto parsed = net::parse_tcp_options(out);
  REQUIRE(parsed);
  CHECK(*parsed == o);
  net::tcp_options four;
  four.sack_block_count = 4;
  four.sack_blocks[3] = net::sack_block{net::seq32{9}, net::seq32{10}};
  REQUIRE(net::tcp_options_length(four) == 36);
  REQUIRE(net::write_tcp_options(out, four) == 36);
  CHECK(*net::parse_tcp_options(std::span{out}.first(36)) == four);
}

TEST_CASE("TCP options writer: layouts, lengths and round trip", "[unit][net]") {
  net::tcp_options all;
  all.mss = 1460;
  all.window_scale = 7;
  all.sack_permitted = true;
  all.timestamps = net::tcp_timestamps{0x01020304, 0x90cfcf6b};
  test::bytes out(40, std::byte{0xcc});
  REQUIRE(net::tcp_options_length(all) == 20);
  REQUIRE(net::write_tcp_options(out, all) == 20);
  CHECK(test::to_hex(std::span{out}.first(20)) ==
        "02 04 05 b4 04 02 08 0a 01 02 03 04 90 cf cf 6b 01 03 03 07");
  CHECK(out[20] == std::byte{0xcc});  // nothing written past the returned length

  struct layout {
    net::tcp_options options;
    std::string hex;
  };
  net::tcp_options ts_only;
  ts_only.timestamps = net::tcp_timestamps{5, 6};
  net::tcp_options sack_only;
  sack_only.sack_permitted = true;
  net::tcp_options mss_ws;
  mss_ws.mss = 536;
  mss_ws.window_scale = 0;
  const layout layouts[] = {
      {net::tcp_options{}, ""},
      {ts_only, "01 01 08 0a 00 00 00 05 00 00 00 06"},
      {sack_only, "01 01 04 02"},
      {mss_ws, "02 04 02 18 01 03 03 00"},
  };
  for (const auto& l : layouts) {
    test::bytes buffer(40);
    const std::size_t n = net::write_tcp_options(buffer, l.options);
    REQUIRE(n == net::tcp_options_length(l.options));
    REQUIRE(n % 4 == 0);
    CHECK(test::to_hex(std::span{buffer}.first(n)) == l.hex);
    const auto parsed = net::parse_tcp_options(std::span{buffer}.first(n));
    REQUIRE(parsed);
    CHECK(*parsed == l.options);
  }
  // Round trip of the full set.
  const auto parsed = net::parse_tcp_options(std::span{out}.first(20));
  REQUIRE(parsed);
  CHECK(*parsed == all);
  test::bytes too_short(19);
  CHECK(net::write_tcp_options(too_short, all) == 0);
}

TEST_CASE("TCP header writer builds a segment that parses and checksums", "[unit][net]") {
  net::tcp_header h;
  h.source_port = 80;
  h.destination_port = 44768;
  h.sequence = net::seq32{0xdeadbeef};
  h.acknowledgment = net::seq32{2426473039U};
  h.flags = net::tcp_flag::syn | net::tcp_flag::ack;
  h.window = 65535;
  net::tcp_options o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = net::tcp_timestamps{1, 2429538155U};
  o.window_scale = 7;
  test::bytes segment(40);
  REQUIRE(net::write_tcp_header(segment, h, o) == 40);
  const auto src = test::captured::peer_ip;
  const auto dst = test::captured::host_ip;
  test::set16(segment, 16, net::ipv4_l4_checksum(src, dst, 6, segment));
  // Cross-check against the independent checksum of the test builder.
  test::tcp_fields f;
  f.source_port = 80;
  f.destination_port = 44768;
  f.sequence = 0xdeadbeef;
  f.acknowledgment = 2426473039U;
  f.flags = 0x12;
  f.window = 65535;
  f.options = from_hex("02 04 05 b4 04 02 08 0a 00 00 00 01 90 cf cf 6b 01 03 03 07");
  CHECK(test::to_hex(segment) == test::to_hex(test::tcp_segment(f, src, dst)));

  const auto tcp = net::tcp_view::parse(segment);
  REQUIRE(tcp);
  CHECK(tcp->header().sequence == h.sequence);
  CHECK(tcp->header().acknowledgment == h.acknowledgment);
  CHECK(tcp->header().flags == h.flags);
  CHECK(tcp->header().header_length == 40);
  CHECK(tcp->options() == o);
  test::bytes too_short(39);
  CHECK(net::write_tcp_header(too_short, h, o) == 0);
}

TEST_CASE("TCP header writer: the sum it returns is the sum of the bytes it wrote", "[unit][net]") {
  // write_segment (lib/tcp/reply.cc) checksums every segment rampart sends with this sum, so
  // it must equal a pass over the bytes for every option the writer lays out.
  net::tcp_header h;
  h.source_port = 0xfffe;
  h.destination_port = 443;
  h.sequence = net::seq32{0xffffffffU};
  h.acknowledgment = net::seq32{0x8000ffffU};
  h.window = 0xffff;
  h.checksum = 0x1234;
  h.urgent_pointer = 7;
  for (unsigned mask = 0; mask < 32; ++mask) {
    net::tcp_options o;
    if (mask & 1) {
      o.mss = 0xffff;
    }
    if (mask & 2) {
      o.window_scale = 14;
    }
    if (mask & 4) {
      o.sack_permitted = true;
    }
    if (mask & 8) {
      o.timestamps = net::tcp_timestamps{0xfffffffeU, 0x0001ffffU};
    }
    if (mask & 16) {
      o.sack_block_count = (mask & 8) ? 3 : 4;  // what fits beside timestamps, or without
      for (std::uint8_t b = 0; b < o.sack_block_count; ++b) {
        o.sack_blocks[b] = {net::seq32{0xffff0000U + b}, net::seq32{0xfffffff0U - b}};
      }
    }
    h.flags = static_cast<std::uint8_t>(0xff - mask);
    test::bytes segment(80, std::byte{0xcc});  // all options at once exceed 40 bytes: the writer does not check
    const net::written_tcp_header written = net::write_tcp_header_summed(segment, h, o);
    INFO("options mask " << mask);
    REQUIRE(written.length == net::tcp_min_header_length + net::tcp_options_length(o));
    CHECK(written.length == net::write_tcp_header(segment, h, o));
    const std::span<const std::byte> bytes = std::span{segment}.first(written.length);
    CHECK(net::checksum_fold(written.sum) == net::checksum_fold(net::checksum_add(bytes)));
  }
  test::bytes too_short(19);
  CHECK(net::write_tcp_header_summed(too_short, h, {}).length == 0);
}
