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

// Stores big-endian 16- and 32-bit words from p on and keeps their partial sum (checksum.hh),
// so the writers below sum what they write in the same place they lay it out. Every option
// group is a whole number of 16-bit words, so the words are the checksum's words.
class word_writer {
 public:
  explicit word_writer(std::byte* p) noexcept : _p(p) {}
  void put16(std::uint16_t v) noexcept {
    store_be16(_p, v);
    _p += 2;
    _sum += v;
  }
  void put_bytes(std::uint8_t high, std::uint8_t low) noexcept { put16(static_cast<std::uint16_t>(high << 8 | low)); }
  void put32(std::uint32_t v) noexcept {
    store_be32(_p, v);
    _p += 4;
    _sum += (v >> 16) + (v & 0xffffU);
  }
  std::uint32_t sum() const noexcept { return _sum; }

 private:
  std::byte* _p;
  std::uint32_t _sum = 0;
};

// Writes the options at p, which has room for tcp_options_length(options) bytes, and returns
// their partial sum. Shared by write_tcp_options and write_tcp_header so the length is computed
// once per header (it ran three times per SYN-ACK).
std::uint32_t put_tcp_options(std::byte* p, const tcp_options& options) noexcept {
  word_writer w{p};
  if (options.mss) {
    w.put_bytes(tcp_option_kind::mss, 4);
    w.put16(*options.mss);
  }
  if (options.timestamps) {
    if (options.sack_permitted) {
      w.put_bytes(tcp_option_kind::sack_permitted, 2);
    } else {
      w.put_bytes(tcp_option_kind::nop, tcp_option_kind::nop);
    }
    w.put_bytes(tcp_option_kind::timestamps, 10);
    w.put32(options.timestamps->value);
    w.put32(options.timestamps->echo_reply);
  } else if (options.sack_permitted) {
    w.put_bytes(tcp_option_kind::nop, tcp_option_kind::nop);
    w.put_bytes(tcp_option_kind::sack_permitted, 2);
  }
  if (options.window_scale) {
    w.put_bytes(tcp_option_kind::nop, tcp_option_kind::window_scale);
    w.put_bytes(3, *options.window_scale);
  }
  if (options.sack_block_count) {
    w.put_bytes(tcp_option_kind::nop, tcp_option_kind::nop);
    w.put_bytes(tcp_option_kind::sack, static_cast<std::uint8_t>(2 + 8 * options.sack_block_count));
    for (const sack_block& block : options.sacks()) {
      w.put32(block.left.raw());
      w.put32(block.right.raw());
    }
  }
  return w.sum();
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

written_tcp_header write_tcp_header_summed(std::span<std::byte> out, const tcp_header& header,
                                           const tcp_options& options) noexcept {
  const std::size_t options_length = tcp_options_length(options);
  const std::size_t length = tcp_min_header_length + options_length;
  if (out.size() < length) {
    return {};
  }
  word_writer w{out.data()};
  w.put16(header.source_port);
  w.put16(header.destination_port);
  w.put32(header.sequence.raw());
  w.put32(header.acknowledgment.raw());
  w.put_bytes(static_cast<std::uint8_t>((length / 4) << 4), header.flags);
  w.put16(header.window);
  w.put16(header.checksum);
  w.put16(header.urgent_pointer);
  return {length, w.sum() + put_tcp_options(out.data() + tcp_min_header_length, options)};
}

std::size_t write_tcp_header(std::span<std::byte> out, const tcp_header& header,
                             const tcp_options& options) noexcept {
  return write_tcp_header_summed(out, header, options).length;
}

}  // namespace rampart::net
