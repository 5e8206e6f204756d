#include "net/tcp_header.hh"

#include <algorithm>
#include <optional>

#include "net/byte_order.hh"

namespace rampart::net {

namespace {

std::uint8_t u8(std::byte b) noexcept { return std::to_integer<std::uint8_t>(b); }

// The option list Linux puts in every SYN (tcp_options_write, and what RFC 7323 Appendix A
// suggests): MSS, SACK-permitted, Timestamps, NOP, Window Scale -- 20 bytes:
//   02 04 mm mm  04 02 08 0a  <TSval>  <TSecr>  01 03 03 ws
// Recognised with three masked word compares; anything else takes the general loop, and the
// result is the one the loop gives for these bytes (same fields, WS clamped to 14). Option
// parsing was 22% of the SYN -> SYN-ACK path before it (docs/performance.md, "What makes it this
// fast", 2).
// Pinned by test/unit/net/tcp_options_fast_path_test.cc. Returns false (options untouched) when
// the list is anything else.
bool parse_linux_syn_options(std::span<const std::byte> list, tcp_options& options) noexcept {
  if (list.size() != 20) {
    return false;
  }
  const std::byte* p = list.data();
  if ((load_be32(p) & 0xffff0000U) != 0x02040000U || load_be32(p + 4) != 0x0402080aU ||
      (load_be32(p + 16) & 0xffffff00U) != 0x01030300U) {
    return false;
  }
  options.mss = load_be16(p + 2);
  options.sack_permitted = true;
  options.timestamps = tcp_timestamps{load_be32(p + 8), load_be32(p + 12)};
  options.window_scale = std::min(u8(p[19]), tcp_max_window_scale);
  return true;
}

// parse_tcp_options writing into `options` (which must start empty): the in-place form lets
// parse_tcp_header fill a caller's segment without copying a result through (docs/performance.md,
// "What makes it this fast", 6). Returns false for tcp_bad_options; `options` is then unspecified.
bool parse_tcp_options_into(std::span<const std::byte> list, tcp_options& options) noexcept {
  if (parse_linux_syn_options(list, options)) {
    return true;
  }
  std::size_t i = 0;
  while (i < list.size()) {
    const std::uint8_t kind = u8(list[i]);
    if (kind == tcp_option_kind::end) {
      break;  // RFC 9293 §3.1: end of the option list; the rest is padding
    }
    if (kind == tcp_option_kind::nop) {
      ++i;
      continue;
    }
    if (i + 1 >= list.size()) {
      return false;  // no room for the length byte
    }
    const std::uint8_t length = u8(list[i + 1]);
    if (length < 2 || length > list.size() - i) {
      return false;  // zero/one would loop forever; too long overruns
    }
    const std::byte* value = list.data() + i + 2;
    switch (kind) {
      case tcp_option_kind::mss:
        if (length != 4) {
          return false;
        }
        options.mss = load_be16(value);
        break;
      case tcp_option_kind::window_scale:
        if (length != 3) {
          return false;
        }
        options.window_scale = std::min(u8(value[0]), tcp_max_window_scale);
        break;
      case tcp_option_kind::sack_permitted:
        if (length != 2) {
          return false;
        }
        options.sack_permitted = true;
        break;
      case tcp_option_kind::timestamps:
        if (length != 10) {
          return false;
        }
        options.timestamps = tcp_timestamps{load_be32(value), load_be32(value + 4)};
        break;
      case tcp_option_kind::sack: {
        // RFC 2018 §3: 2 + 8n bytes. n can only reach 4 in a 40-byte option list.
        if ((length - 2) % 8 != 0 || length == 2) {
          return false;
        }
        const std::size_t count = (length - 2) / 8;
        options.sack_block_count = static_cast<std::uint8_t>(count);
        for (std::size_t b = 0; b < count; ++b) {
          options.sack_blocks[b] = sack_block{seq32{load_be32(value + 8 * b)}, seq32{load_be32(value + 8 * b + 4)}};
        }
        break;
      }
      default:
        break;  // unknown or unused (MD5, TFO...): skip by its length
    }
    i += length;
  }
  return true;
}

}  // namespace

parse_result<tcp_options> parse_tcp_options(std::span<const std::byte> list) noexcept {
  tcp_options options;
  if (!parse_tcp_options_into(list, options)) {
    return stats::drop_reason::tcp_bad_options;
  }
  return options;
}

namespace {

// Writes the options at p, which has room for tcp_options_length(options) bytes. Shared by
// write_tcp_options and write_tcp_header so the length is computed once per header (it ran
// three times per SYN-ACK).
void put_tcp_options(std::byte* p, const tcp_options& options) noexcept {
  const auto put = [&p](std::uint8_t b) { *p++ = std::byte{b}; };
  if (options.mss) {
    put(tcp_option_kind::mss);
    put(4);
    store_be16(p, *options.mss);
    p += 2;
  }
  if (options.timestamps) {
    if (options.sack_permitted) {
      put(tcp_option_kind::sack_permitted);
      put(2);
    } else {
      put(tcp_option_kind::nop);
      put(tcp_option_kind::nop);
    }
    put(tcp_option_kind::timestamps);
    put(10);
    store_be32(p, options.timestamps->value);
    store_be32(p + 4, options.timestamps->echo_reply);
    p += 8;
  } else if (options.sack_permitted) {
    put(tcp_option_kind::nop);
    put(tcp_option_kind::nop);
    put(tcp_option_kind::sack_permitted);
    put(2);
  }
  if (options.window_scale) {
    put(tcp_option_kind::nop);
    put(tcp_option_kind::window_scale);
    put(3);
    put(*options.window_scale);
  }
  if (options.sack_block_count) {
    put(tcp_option_kind::nop);
    put(tcp_option_kind::nop);
    put(tcp_option_kind::sack);
    put(static_cast<std::uint8_t>(2 + 8 * options.sack_block_count));
    for (const sack_block& block : options.sacks()) {
      store_be32(p, block.left.raw());
      store_be32(p + 4, block.right.raw());
      p += 8;
    }
  }
}

}  // namespace

std::size_t write_tcp_options(std::span<std::byte> out, const tcp_options& options) noexcept {
  const std::size_t length = tcp_options_length(options);
  if (out.size() < length) {
    return 0;
  }
  put_tcp_options(out.data(), options);
  return length;
}

parse_result<std::size_t> parse_tcp_header(std::span<const std::byte> segment, tcp_header& header,
                                           tcp_options& options) noexcept {
  using stats::drop_reason;
  if (segment.size() < tcp_min_header_length) {
    return drop_reason::tcp_truncated;
  }
  const std::byte* p = segment.data();
  const std::size_t header_length = static_cast<std::size_t>(u8(p[12]) >> 4) * 4;
  if (header_length < tcp_min_header_length || header_length > segment.size()) {
    return drop_reason::tcp_bad_data_offset;
  }
  options = tcp_options{};
  if (!parse_tcp_options_into(segment.subspan(tcp_min_header_length, header_length - tcp_min_header_length),
                              options)) {
    return drop_reason::tcp_bad_options;
  }
  header.source_port = load_be16(p);
  header.destination_port = load_be16(p + 2);
  header.sequence = seq32{load_be32(p + 4)};
  header.acknowledgment = seq32{load_be32(p + 8)};
  header.header_length = static_cast<std::uint8_t>(header_length);
  header.flags = u8(p[13]);
  header.window = load_be16(p + 14);
  header.checksum = load_be16(p + 16);
  header.urgent_pointer = load_be16(p + 18);
  return header_length;
}

parse_result<tcp_view> tcp_view::parse(std::span<const std::byte> segment) noexcept {
  tcp_header h;
  tcp_options o;
  const auto length = parse_tcp_header(segment, h, o);
  if (!length) {
    return length.error();
  }
  return tcp_view{segment, h, o};
}

std::uint32_t tcp_view::sequence_length() const noexcept {
  return static_cast<std::uint32_t>(payload().size()) + (_header.has(tcp_flag::syn) ? 1 : 0) +
         (_header.has(tcp_flag::fin) ? 1 : 0);
}

std::size_t write_tcp_header(std::span<std::byte> out, const tcp_header& header,
                             const tcp_options& options) noexcept {
  const std::size_t options_length = tcp_options_length(options);
  const std::size_t length = tcp_min_header_length + options_length;
  if (out.size() < length) {
    return 0;
  }
  std::byte* p = out.data();
  store_be16(p, header.source_port);
  store_be16(p + 2, header.destination_port);
  store_be32(p + 4, header.sequence.raw());
  store_be32(p + 8, header.acknowledgment.raw());
  p[12] = std::byte{static_cast<std::uint8_t>((length / 4) << 4)};
  p[13] = std::byte{header.flags};
  store_be16(p + 14, header.window);
  store_be16(p + 16, header.checksum);
  store_be16(p + 18, header.urgent_pointer);
  put_tcp_options(p + tcp_min_header_length, options);
  return length;
}

}  // namespace rampart::net
