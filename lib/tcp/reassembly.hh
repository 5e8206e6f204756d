#pragma once
// The out-of-order data of one lcore's connections (RFC 9293 §3.10.7.4 "segment text": data
// beyond RCV.NXT is kept until the hole before it fills), held without a copy: each queued piece
// is a reference to the receive buffer (the mbuf) the segment arrived in, and the bytes stay
// where the NIC wrote them.
//
// Memory: a connection carries only a reassembly_queue (8 bytes in its control block); the
// pieces live in this per-lcore pool of `capacity` nodes (32 bytes each, allocated at start-up),
// one node per buffer reference, so the pool's capacity is the lcore's budget in mbufs
// (tcp.reassembly_budget, docs/tcp.md). A connection holds nodes only while it has a hole.
//
// Invariants of a queue: pieces sorted by sequence number, never overlapping, each within the
// window it was accepted in; a FIN, if any, follows the last piece. Overlaps are resolved on
// insert (the new piece is trimmed where queued data already covers it; queued pieces it covers
// whole are replaced by it), so no byte is ever queued twice and a piece never needs splitting.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "net/seq32.hh"
#include "net/tcp_header.hh"
#include "packet/buffer.hh"

namespace rampart::tcp {

// A connection's handle on its out-of-order data: inline in the control block.
struct reassembly_queue {
  static constexpr std::uint32_t none = UINT32_MAX;
  std::uint32_t head = none;  // node of the lowest piece
  std::uint16_t pieces = 0;   // nodes held (buffer references, plus a bare FIN's node)
  bool fin = false;           // the last piece carries the FIN (inserts need the tail only then)
  bool empty() const noexcept { return head == none; }
};

// Received stream bytes [seq, seq + length) at `data`, inside `buffer` (a packet::buffer handle;
// null for a bare FIN), and whether a FIN follows them (at seq + length).
struct stream_piece {
  net::seq32 seq;
  std::uint32_t length = 0;
  const std::byte* data = nullptr;
  void* buffer = nullptr;
  bool fin = false;
};

class reassembly_pool {
 public:
  // `capacity` nodes: the most buffers all queues of the lcore together may hold (0: nothing is
  // ever queued). Allocates (start-up only); throws std::bad_alloc.
  explicit reassembly_pool(std::uint32_t capacity);
  reassembly_pool(const reassembly_pool&) = delete;
  reassembly_pool& operator=(const reassembly_pool&) = delete;

  std::uint32_t capacity() const noexcept { return _capacity; }
  std::uint32_t in_use() const noexcept { return _in_use; }

  enum class insert_status : std::uint8_t {
    queued,             // held (a buffer reference taken), or merged into what is held
    duplicate,          // every byte (and the FIN) was already queued: nothing taken
    lcore_budget,       // refused: the pool is exhausted (nothing taken)
    connection_budget,  // refused: the queue holds `connection_cap` nodes already (nothing taken)
  };
  struct insert_result {
    insert_status status = insert_status::queued;
    // The part of the piece that was already queued, [left, right): a D-SACK block (RFC 2883).
    std::optional<net::sack_block> duplicate;
  };
  // Queues `piece`, which starts beyond RCV.NXT and ends within the receive window (the caller
  // checked both). Retains piece.buffer in `buffers` when it keeps a reference. Data beyond a
  // queued FIN is not queued; a FIN before queued data is ignored (a broken or hostile peer).
  insert_result insert(reassembly_queue& q, const stream_piece& piece, std::uint16_t connection_cap,
                       packet::buffer_pool& buffers) noexcept;

  // The lowest piece when it starts at or before `rcv_nxt`, unlinked from the queue and trimmed
  // to start at rcv_nxt (its length is 0 when RCV.NXT already passed all of it). The caller now
  // owns its buffer reference (release it after use). nullopt while a hole remains before it.
  std::optional<stream_piece> pop_ready(reassembly_queue& q, net::seq32 rcv_nxt) noexcept;

  // Releases every buffer and node of the queue (the connection closed, whatever the reason).
  void clear(reassembly_queue& q, packet::buffer_pool& buffers) noexcept;

  // The queue's contiguous blocks of data, the one holding the most recently received piece
  // first, then the others from the most to the least recently changed (RFC 2018 §4), at most
  // out.size() of them. Returns how many were written.
  std::size_t blocks(const reassembly_queue& q, std::span<net::sack_block> out) const noexcept;

 private:
  struct node {
    const std::byte* data;
    void* buffer;
    net::seq32 seq;
    std::uint32_t next;
    std::uint32_t stamp;    // when the piece (or a duplicate of it) last arrived: recency for SACK
    std::uint16_t length;   // a segment's payload: at most 65535 bytes
    bool fin;
  };
  static_assert(sizeof(node) <= 32, "a node per queued mbuf: keep it small (docs/tcp.md)");

  std::uint32_t allocate() noexcept;
  void free_node(std::uint32_t index) noexcept;
  net::seq32 end_of(const node& n) const noexcept { return n.seq + n.length; }

  std::uint32_t _capacity;
  std::unique_ptr<node[]> _nodes;
  std::uint32_t _free = reassembly_queue::none;  // free list through node::next
  std::uint32_t _in_use = 0;
  std::uint32_t _clock = 0;  // bumped for each arrival; node::stamp
};

}  // namespace rampart::tcp
