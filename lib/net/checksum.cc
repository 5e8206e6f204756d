#include "net/checksum.hh"

// rte_ip.h pulls in rte_mbuf.h and its spinlocks, which use `++` on volatile (deprecated in
// C++20); the warning is DPDK's, not ours.
#pragma GCC diagnostic push
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wdeprecated-volatile"
#else
#pragma GCC diagnostic ignored "-Wvolatile"
#endif
#include <rte_byteorder.h>
#include <rte_ip.h>
#pragma GCC diagnostic pop

namespace rampart::net {

std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum) noexcept {
  // __rte_raw_cksum accumulates in 32 bits without folding: safe up to 2^17 bytes (65535 words
  // of at most 0xffff each), more than any IPv4 datagram. Folding to 16 bits before the swap
  // keeps the byte-order trick exact (RFC 1071 §2(B)).
  const std::uint16_t native = __rte_raw_cksum_reduce(__rte_raw_cksum(bytes.data(), bytes.size(), 0));
  return sum + rte_be_to_cpu_16(native);
}

}  // namespace rampart::net
