#include "tcp_script.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "packet/tcp_batch.hh"
#include "tcp/tcp_input.hh"

namespace rampart::test {

std::vector<std::byte> build_tcp_frame(const tcp_segment_spec& spec) {
  const std::size_t options_length = net::tcp_options_length(spec.options);
  const std::size_t tcp_length = net::tcp_min_header_length + options_length + spec.payload.size();
  const std::size_t ip_length = net::ipv4_min_header_length + tcp_length;
  std::vector<std::byte> frame(net::ethernet_header_length + ip_length);
  const std::span<std::byte> out{frame};
  net::write_ethernet_header(out, {server_mac, client_mac, net::ether_type::ipv4});

  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(ip_length);
  ip.identification = 0x1234;
  ip.dont_fragment = true;
  ip.protocol = net::ip_protocol::tcp;
  ip.source = spec.source;
  ip.destination = spec.destination;
  const std::span<std::byte> l3 = out.subspan(net::ethernet_header_length);
  REQUIRE(net::write_ipv4_header(l3, ip, true) == net::ipv4_min_header_length);

  net::tcp_header tcp;
  tcp.source_port = spec.source_port;
  tcp.destination_port = spec.destination_port;
  tcp.sequence = net::seq32{spec.sequence};
  tcp.acknowledgment = net::seq32{spec.acknowledgment};
  tcp.flags = spec.flags;
  tcp.window = spec.window;
  const std::span<std::byte> l4 = l3.subspan(net::ipv4_min_header_length);
  const std::size_t header_length = net::write_tcp_header(l4, tcp, spec.options);
  REQUIRE(header_length == net::tcp_min_header_length + options_length);
  std::copy(spec.payload.begin(), spec.payload.end(), l4.begin() + static_cast<std::ptrdiff_t>(header_length));
  net::store_be16(l4.data() + 16, net::ipv4_l4_checksum(ip.source, ip.destination, net::ip_protocol::tcp, l4));
  return frame;
}

decoded_frame decode_tcp_frame(std::span<const std::byte> frame) {
  decoded_frame d;
  d.frame_length = frame.size();
  const auto eth = net::ethernet_view::parse(frame);
  REQUIRE(eth.ok());
  d.eth_source = eth->source();
  d.eth_destination = eth->destination();
  d.ether_type = eth->ether_type();
  // Recompute the IPv4 checksum here rather than trusting ipv4_view's verdict alone.
  const std::span<const std::byte> l3 = frame.subspan(net::ethernet_header_length);
  REQUIRE(l3.size() >= net::ipv4_min_header_length);
  d.ip_checksum_ok = net::checksum_verifies(l3.first(net::ipv4_min_header_length));
  const auto ip = net::ipv4_view::parse(l3);
  REQUIRE(ip.ok());
  d.ip = ip->header();
  const auto tcp = net::tcp_view::parse(ip->payload());
  REQUIRE(tcp.ok());
  d.tcp = tcp->header();
  d.options = tcp->options();
  const std::span<const std::byte> option_bytes =
      tcp->segment().subspan(net::tcp_min_header_length, d.tcp.header_length - net::tcp_min_header_length);
  d.option_bytes.assign(option_bytes.begin(), option_bytes.end());
  d.payload_length = tcp->payload().size();
  d.payload.assign(tcp->payload().begin(), tcp->payload().end());
  d.tcp_checksum_ok =
      net::ipv4_l4_checksum_verifies(d.ip.source, d.ip.destination, net::ip_protocol::tcp, ip->payload());
  return d;
}

std::vector<packet::verdict> tcp_script::send_burst(const std::vector<tcp_segment_spec>& specs) {
  _buffers.clear();
  for (const tcp_segment_spec& spec : specs) {
    _buffers.push_back(build_tcp_frame(spec));
  }
  _frames.clear();
  _verdicts.assign(_buffers.size(), packet::verdict{});
  packet::tcp_segment_batch batch;
  std::vector<void*> pooled;
  for (std::size_t i = 0; i < _buffers.size(); ++i) {
    std::vector<std::byte>& b = _buffers[i];
    const auto length = static_cast<std::uint16_t>(b.size());
    b.resize(2048);  // an mbuf's data room: replies may be longer than what arrived
    packet::frame f{b.data(), length, static_cast<std::uint16_t>(b.size())};
    if (_pool != nullptr) {
      const auto held = _pool->allocate();
      REQUIRE(held);
      std::copy(b.begin(), b.end(), held->data);
      f.data = held->data;
      f.buffer = held->handle;
      f.capacity = held->capacity;
      pooled.push_back(held->handle);
    }
    _frames.push_back(f);
    const auto ip = net::ipv4_view::parse({f.data + net::ethernet_header_length,
                                           static_cast<std::size_t>(length - net::ethernet_header_length)});
    REQUIRE(ip.ok());
    batch.push(packet::describe_tcp_segment(static_cast<std::uint32_t>(i), *ip));
  }
  snapshot_counters();
  _replies_seen.assign(_frames.size(), false);
  tcp::tcp_input_burst(_tcp, _frames, _verdicts, batch.view(), _now_ns);
  if (_pool != nullptr) {
    // Keep the replies readable for expect_reply, then free the frames as the worker does.
    for (std::size_t i = 0; i < _frames.size(); ++i) {
      std::copy(_frames[i].data, _frames[i].data + _frames[i].capacity, _buffers[i].begin());
      _frames[i].data = _buffers[i].data();
      _frames[i].buffer = nullptr;
    }
    for (void* handle : pooled) {
      _pool->release(handle);
    }
  }
  return _verdicts;
}

packet::verdict tcp_script::send_frame(std::vector<std::byte> frame) {
  const auto length = static_cast<std::uint16_t>(frame.size());
  frame.resize(2048);
  _buffers.clear();
  _buffers.push_back(std::move(frame));
  std::vector<std::byte>& b = _buffers.front();
  _frames.assign(1, packet::frame{b.data(), length, static_cast<std::uint16_t>(b.size())});
  _verdicts.assign(1, packet::verdict{});
  const auto ip = net::ipv4_view::parse({b.data() + net::ethernet_header_length, length - net::ethernet_header_length});
  REQUIRE(ip.ok());
  packet::tcp_segment_batch batch;
  batch.push({0, static_cast<std::uint16_t>(net::ethernet_header_length),
              static_cast<std::uint16_t>(net::ethernet_header_length + ip->header_length()),
              ip->header().payload_length(), ip->header()});
  snapshot_counters();
  _replies_seen.assign(1, false);
  tcp::tcp_input_burst(_tcp, _frames, _verdicts, batch.view(), _now_ns);
  return _verdicts.front();
}

decoded_frame tcp_script::expect_reply(std::size_t index) const {
  REQUIRE(index < _verdicts.size());
  INFO("drop reason: " << stats::name_of(_verdicts[index].reason));
  REQUIRE(_verdicts[index].what == packet::action::transmit);
  _replies_seen[index] = true;
  const decoded_frame d = decode_tcp_frame(frame_bytes(index));
  CHECK(d.ip_checksum_ok);
  CHECK(d.tcp_checksum_ok);
  // Replies go back where the frame came from, from our address, as a fresh DF datagram.
  CHECK(d.eth_destination == client_mac);
  CHECK(d.eth_source == server_mac);
  CHECK(d.ip.ttl == 64);
  CHECK(d.ip.dont_fragment);
  CHECK(d.frame_length >= net::ethernet_min_frame_length);
  return d;
}

std::vector<decoded_frame> tcp_script::sent() {
  std::vector<decoded_frame> out;
  if (_sink == nullptr) {
    return out;
  }
  for (const auto& bytes : _sink->take()) {
    decoded_frame d = decode_tcp_frame(bytes);
    CHECK(d.ip_checksum_ok);
    CHECK(d.tcp_checksum_ok);
    CHECK(d.eth_destination == client_mac);
    CHECK(d.eth_source == server_mac);
    CHECK(d.ip.dont_fragment);
    out.push_back(d);
  }
  return out;
}

std::vector<decoded_frame> tcp_script::expect_sent(std::size_t n) {
  std::vector<decoded_frame> out = sent();
  REQUIRE(out.size() == n);
  return out;
}

void tcp_script::expect_sent_nothing() {
  expect_sent(0);
  for (std::size_t i = 0; i < _verdicts.size(); ++i) {
    INFO("frame " << i << " of the last send was answered in place");
    CHECK((_verdicts[i].what != packet::action::transmit || _replies_seen[i]));
  }
}

void tcp_script::expect_drop(stats::drop_reason reason, std::size_t index) const {
  REQUIRE(index < _verdicts.size());
  REQUIRE(_verdicts[index].what == packet::action::drop);
  CHECK(stats::name_of(_verdicts[index].reason) == stats::name_of(reason));
  if (_stats != nullptr) {
    const auto same = std::count_if(_verdicts.begin(), _verdicts.end(), [&](const packet::verdict& v) {
      return v.what == packet::action::drop && v.reason == reason;
    });
    CHECK(_stats->drops_of(reason) - _drops_before[static_cast<std::size_t>(reason)] ==
          static_cast<std::uint64_t>(same));
  }
}

void tcp_script::expect_consumed(std::size_t index) const {
  REQUIRE(index < _verdicts.size());
  REQUIRE(_verdicts[index].what == packet::action::consume);
  if (_stats != nullptr) {
    const auto same = std::count_if(_verdicts.begin(), _verdicts.end(), [](const packet::verdict& v) {
      return v.what == packet::action::consume;
    });
    CHECK(_stats->consumed.read() - _consumed_before == static_cast<std::uint64_t>(same));
  }
}

void tcp_script::snapshot_counters() {
  if (_stats != nullptr) {
    for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
      _drops_before[i] = _stats->drops[i].read();
    }
    _consumed_before = _stats->consumed.read();
  }
}

std::span<const std::byte> tcp_script::frame_bytes(std::size_t index) const {
  return {_frames.at(index).data, _frames.at(index).length};
}

tcp_segment_spec tcp_client::syn() const {
  tcp_segment_spec s = base;
  s.sequence = isn;
  s.acknowledgment = 0;
  s.flags = net::tcp_flag::syn;
  return s;
}

tcp_segment_spec tcp_client::ack_of(const decoded_frame& syn_ack) const {
  tcp_segment_spec s = base;
  s.options = {};
  if (base.options.timestamps && syn_ack.options.timestamps) {
    s.options.timestamps = net::tcp_timestamps{base.options.timestamps->value + 1, syn_ack.options.timestamps->value};
  }
  s.sequence = isn + 1;
  s.acknowledgment = syn_ack.tcp.sequence.raw() + 1;
  s.flags = net::tcp_flag::ack;
  return s;
}

tcp_segment_spec tcp_client::segment(std::uint8_t flags, std::uint32_t server_isn, std::uint32_t offset,
                                     std::uint32_t ack_offset) const {
  tcp_segment_spec s = base;
  s.options = {};
  s.sequence = isn + 1 + offset;
  s.acknowledgment = server_isn + 1 + ack_offset;
  s.flags = flags;
  return s;
}

}  // namespace rampart::test
