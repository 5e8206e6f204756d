// The out-of-order queue (reassembly.hh): insertion with overlap resolution, in-order removal,
// and the SACK blocks of RFC 2018 §4.
#include "reassembly.hh"

#include <algorithm>
#include <array>

namespace rampart::tcp {

namespace {

using net::seq32;
constexpr std::uint32_t none = reassembly_queue::none;

// Stamps come from a wrapping counter: newer means ahead by less than half the space.
bool newer(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(a - b) > 0; }

}  // namespace

reassembly_pool::reassembly_pool(std::uint32_t capacity)
    : _capacity(capacity), _nodes(std::make_unique<node[]>(capacity == 0 ? 1 : capacity)) {
  for (std::uint32_t i = capacity; i-- > 0;) {
    _nodes[i].next = _free;
    _free = i;
  }
}

std::uint32_t reassembly_pool::allocate() noexcept {
  const std::uint32_t index = _free;
  _free = _nodes[index].next;
  ++_in_use;
  return index;
}

void reassembly_pool::free_node(std::uint32_t index) noexcept {
  _nodes[index].next = _free;
  _free = index;
  --_in_use;
}

reassembly_pool::insert_result reassembly_pool::insert(reassembly_queue& q, const stream_piece& piece,
                                                       std::uint16_t connection_cap,
                                                       packet::buffer_pool& buffers) noexcept {
  const seq32 piece_end = piece.seq + piece.length;
  std::uint32_t length = piece.length;
  bool fin = piece.fin;

  // The end of the stream, when a FIN is queued: bytes past it are not part of the stream, and
  // one stream has one FIN. A FIN before queued data is ignored the same way. Only then is the
  // tail walked to.
  std::uint32_t last = none;
  if (q.fin || fin) {
    for (std::uint32_t i = q.head; i != none; i = _nodes[i].next) {
      last = i;
    }
  }
  if (last != none) {
    const node& tail = _nodes[last];
    const seq32 tail_end = end_of(tail);
    if (tail.fin) {
      length = piece.seq >= tail_end ? 0 : std::min<std::uint32_t>(length, static_cast<std::uint32_t>(tail_end - piece.seq));
      fin = false;  // queued already, or a second FIN elsewhere: ignored
    } else if (fin && tail_end > piece_end) {
      fin = false;
    }
  }
  const seq32 s = piece.seq;
  const seq32 e = piece.seq + length;

  // The last piece starting at or before s (it may overlap our left part).
  std::uint32_t prev = none;
  std::uint32_t cur = q.head;
  while (cur != none && _nodes[cur].seq <= s) {
    prev = cur;
    cur = _nodes[cur].next;
  }
  const std::uint32_t stamp = ++_clock;
  insert_result result;
  seq32 ns = s;  // the new bytes: [ns, ne)
  seq32 ne = e;
  if (prev != none && end_of(_nodes[prev]) > ns) {
    const seq32 covered_to = std::min(end_of(_nodes[prev]), ne);
    if (covered_to > ns) {
      result.duplicate = net::sack_block{ns, covered_to};
      _nodes[prev].stamp = stamp;
    }
    ns = std::max(ns, covered_to);
  }
  // Pieces starting inside [ns, ne): wholly covered ones are replaced by the new piece, one
  // reaching past ne trims its right part. Count what is already there to spot a duplicate.
  std::uint32_t already = 0;
  std::uint32_t inside = 0;  // pieces wholly inside [ns, ne)
  for (std::uint32_t i = cur; i != none && _nodes[i].seq < ne; i = _nodes[i].next) {
    node& n = _nodes[i];
    n.stamp = stamp;
    const seq32 overlap_end = std::min(end_of(n), ne);
    if (overlap_end > n.seq) {
      if (!result.duplicate) {
        result.duplicate = net::sack_block{n.seq, overlap_end};
      } else if (result.duplicate->right == n.seq) {
        result.duplicate->right = overlap_end;  // one D-SACK block for a contiguous duplicate
      }
    }
    if (end_of(n) > ne) {
      ne = n.seq;  // keep the queued bytes; only the last piece considered can reach past ne
      break;
    }
    already += n.length;
    ++inside;
  }
  const bool new_bytes = ne > ns && already < static_cast<std::uint32_t>(ne - ns);

  if (!new_bytes && !fin) {
    // Every byte is queued already (or beyond our FIN), and the FIN too if it carried one.
    result.status = insert_status::duplicate;
    return result;
  }
  if (!new_bytes) {
    // Only the FIN is new: it follows the last queued piece when that ends where the FIN is.
    if (last != none && end_of(_nodes[last]) == piece_end) {
      _nodes[last].fin = true;
      _nodes[last].stamp = stamp;
      q.fin = true;
      return result;
    }
  }
  // A node for the new piece: reuse one the piece covers whole, else take one from the budget.
  if (inside == 0 || !new_bytes) {
    if (q.pieces >= connection_cap) {
      return {insert_status::connection_budget, {}};
    }
    if (_free == none) {
      return {insert_status::lcore_budget, {}};
    }
  }
  if (!new_bytes) {
    // A bare FIN (or one whose bytes were all duplicates) beyond a hole: a node without data.
    ns = piece_end;
    ne = piece_end;
  }
  // Unlink and release the pieces wholly inside [ns, ne).
  std::uint32_t* link = prev == none ? &q.head : &_nodes[prev].next;
  bool inherits_fin = false;  // a replaced last piece hands its FIN on
  if (new_bytes) {
    while (*link != none && _nodes[*link].seq < ne && end_of(_nodes[*link]) <= ne) {
      const std::uint32_t gone = *link;
      inherits_fin = inherits_fin || _nodes[gone].fin;
      *link = _nodes[gone].next;
      if (_nodes[gone].buffer != nullptr) {
        buffers.release(_nodes[gone].buffer);
      }
      free_node(gone);
      --q.pieces;
    }
  }
  const std::uint32_t index = allocate();
  node& n = _nodes[index];
  n.seq = ns;
  n.length = static_cast<std::uint16_t>(ne - ns);
  n.data = new_bytes ? piece.data + static_cast<std::uint32_t>(ns - piece.seq) : nullptr;
  n.buffer = new_bytes ? piece.buffer : nullptr;
  n.fin = (fin && ne == piece_end) || inherits_fin;
  q.fin = q.fin || n.fin;
  n.stamp = stamp;
  n.next = *link;
  *link = index;
  ++q.pieces;
  if (n.buffer != nullptr) {
    buffers.retain(n.buffer);
  }
  return result;
}

std::optional<stream_piece> reassembly_pool::pop_ready(reassembly_queue& q, seq32 rcv_nxt) noexcept {
  if (q.head == none || _nodes[q.head].seq > rcv_nxt) {
    return std::nullopt;
  }
  const std::uint32_t index = q.head;
  const node& n = _nodes[index];
  stream_piece p{n.seq, n.length, n.data, n.buffer, n.fin};
  const auto behind = static_cast<std::uint32_t>(rcv_nxt - n.seq);
  if (behind > p.length) {
    p.fin = false;  // in-order data went past where this FIN claimed the stream ends
  }
  const std::uint32_t skip = std::min(behind, p.length);
  p.seq = rcv_nxt;
  p.length -= skip;
  p.data = p.length == 0 ? nullptr : p.data + skip;
  q.head = n.next;
  --q.pieces;
  if (n.fin) {
    q.fin = false;
  }
  free_node(index);
  return p;
}

void reassembly_pool::clear(reassembly_queue& q, packet::buffer_pool& buffers) noexcept {
  while (q.head != none) {
    const std::uint32_t index = q.head;
    q.head = _nodes[index].next;
    if (_nodes[index].buffer != nullptr) {
      buffers.release(_nodes[index].buffer);
    }
    free_node(index);
  }
  q.pieces = 0;
  q.fin = false;
}

std::size_t reassembly_pool::blocks(const reassembly_queue& q, std::span<net::sack_block> out) const noexcept {
  // The best out.size() runs by stamp, kept sorted (newest first) by insertion: a queue has a
  // few runs and out at most 4 entries.
  constexpr std::size_t most = 8;
  std::array<std::uint32_t, most> stamps{};
  const std::size_t limit = std::min(out.size(), most);
  std::size_t count = 0;
  const auto offer = [&](net::sack_block run, std::uint32_t stamp) noexcept {
    std::size_t at = count;
    while (at > 0 && newer(stamp, stamps[at - 1])) {
      --at;
    }
    if (at >= limit) {
      return;
    }
    const std::size_t moved = std::min(count, limit - 1);
    for (std::size_t k = moved; k > at; --k) {
      out[k] = out[k - 1];
      stamps[k] = stamps[k - 1];
    }
    out[at] = run;
    stamps[at] = stamp;
    count = std::min(count + 1, limit);
  };
  bool open = false;
  net::sack_block run{};
  std::uint32_t run_stamp = 0;
  for (std::uint32_t i = q.head; i != none; i = _nodes[i].next) {
    const node& n = _nodes[i];
    if (n.length == 0) {
      continue;  // a bare FIN: no data to report
    }
    if (open && n.seq == run.right) {
      run.right = end_of(n);
      run_stamp = newer(n.stamp, run_stamp) ? n.stamp : run_stamp;
      continue;
    }
    if (open) {
      offer(run, run_stamp);
    }
    open = true;
    run = {n.seq, end_of(n)};
    run_stamp = n.stamp;
  }
  if (open) {
    offer(run, run_stamp);
  }
  return count;
}

}  // namespace rampart::tcp
