#include "engine/mbuf_io.hh"

#include <algorithm>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace rampart::engine {

std::optional<packet::buffer> mbuf_pool::allocate() noexcept {
  rte_mbuf* m = rte_pktmbuf_alloc(_pool);
  if (m == nullptr) {
    return std::nullopt;
  }
  return packet::buffer{m, rte_pktmbuf_mtod(m, std::byte*), 0, static_cast<std::uint16_t>(rte_pktmbuf_tailroom(m))};
}

void mbuf_pool::retain(void* handle) noexcept { rte_mbuf_refcnt_update(static_cast<rte_mbuf*>(handle), 1); }

void mbuf_pool::release(void* handle) noexcept { rte_pktmbuf_free(static_cast<rte_mbuf*>(handle)); }

bool tx_staging::push(const packet::buffer& frame, const packet::tx_offload_request& offload) noexcept {
  if (_count == capacity) {
    return false;
  }
  auto* m = static_cast<rte_mbuf*>(frame.handle);
  m->data_len = frame.length;
  m->pkt_len = frame.length;
  std::uint64_t flags = 0;
  if (offload.ipv4_checksum) {
    flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
  }
  if (offload.tcp_checksum) {
    flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  }
  m->ol_flags = flags;
  m->l2_len = offload.l2_length;
  m->l3_len = offload.l3_length;
  _mbufs[_count++] = m;
  return true;
}

std::uint16_t tx_staging::flush(std::uint16_t port_id, std::uint16_t queue_id, stats::lcore_stats& stats) noexcept {
  if (_count == 0) {
    return 0;
  }
  std::uint64_t bytes = 0;
  for (std::uint16_t i = 0; i < _count; ++i) {
    bytes += _mbufs[i]->pkt_len;  // read before tx_burst: a sent mbuf may be recycled at once
  }
  const std::uint16_t sent = rte_eth_tx_burst(port_id, queue_id, _mbufs.data(), _count);
  std::uint64_t unsent_bytes = 0;
  for (std::uint16_t i = sent; i < _count; ++i) {
    unsent_bytes += _mbufs[i]->pkt_len;
  }
  stats.tx_packets.add(sent);
  stats.tx_bytes.add(bytes - unsent_bytes);
  std::copy(_mbufs.begin() + sent, _mbufs.begin() + _count, _mbufs.begin());
  _count = static_cast<std::uint16_t>(_count - sent);
  return sent;
}

std::uint16_t tx_staging::discard() noexcept {
  const std::uint16_t n = _count;
  if (n != 0) {
    rte_pktmbuf_free_bulk(_mbufs.data(), n);
  }
  _count = 0;
  return n;
}

}  // namespace rampart::engine
