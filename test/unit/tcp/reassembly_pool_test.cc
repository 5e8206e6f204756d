// reassembly_pool (lib/tcp/reassembly.hh) on its own: overlap resolution, in-order removal, SACK
// block order, FIN handling and both budgets, with real reference counting (heap_buffer_pool),
// then against a model with random segments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "fake_io.hh"
#include "tcp/reassembly.hh"

using namespace rampart;
using rampart::net::seq32;
using rampart::tcp::reassembly_pool;
using rampart::tcp::reassembly_queue;
using rampart::tcp::stream_piece;
using status = rampart::tcp::reassembly_pool::insert_status;

namespace {

// A stream of distinct bytes; a segment of it lives in a pool buffer as a received frame would.
struct stream_source {
  test::heap_buffer_pool buffers;
  std::string bytes;
  seq32 base{0xfffffff0};  // the sequence number of bytes[0]: close to the wrap on purpose

  explicit stream_source(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      bytes.push_back(static_cast<char>('a' + (i * 7 + i / 26) % 26));
    }
  }
  // The piece [offset, offset + length) in a fresh buffer; the caller releases it after insert
  // (as the worker frees the frame after the burst), so only the queue's reference remains.
  stream_piece piece(std::uint32_t offset, std::uint32_t length, bool fin = false) {
    const auto b = buffers.allocate();
    REQUIRE(b);
    std::copy_n(reinterpret_cast<const std::byte*>(bytes.data()) + offset, length, b->data + 60);
    return {base + offset, length, b->data + 60, b->handle, fin};
  }
  reassembly_pool::insert_result insert(reassembly_pool& pool, reassembly_queue& q, std::uint32_t offset,
                                        std::uint32_t length, bool fin = false, std::uint16_t cap = 100) {
    const stream_piece p = piece(offset, length, fin);
    const auto r = pool.insert(q, p, cap, buffers);
    buffers.release(p.buffer);
    return r;
  }
  net::sack_block block(std::uint32_t from, std::uint32_t to) const { return {base + from, base + to}; }
};

std::vector<net::sack_block> blocks_of(const reassembly_pool& pool, const reassembly_queue& q, std::size_t n = 4) {
  std::vector<net::sack_block> out(n);
  out.resize(pool.blocks(q, out));
  return out;
}

// Pops everything RCV.NXT reaches, appending the bytes; returns RCV.NXT after, and whether a FIN came.
struct drained {
  std::string bytes;
  seq32 rcv_nxt;
  bool fin = false;
};
drained drain(reassembly_pool& pool, reassembly_queue& q, seq32 rcv_nxt, test::heap_buffer_pool& buffers) {
  drained d{{}, rcv_nxt};
  while (const auto p = pool.pop_ready(q, d.rcv_nxt)) {
    CHECK(p->seq == d.rcv_nxt);
    d.bytes.append(reinterpret_cast<const char*>(p->data), p->length);
    d.rcv_nxt += p->length;
    if (p->buffer != nullptr) {
      buffers.release(p->buffer);
    }
    if (p->fin && p->seq + p->length == d.rcv_nxt) {
      d.fin = true;
      d.rcv_nxt += 1;
    }
  }
  return d;
}

}  // namespace

TEST_CASE("reassembly_pool: disjoint pieces, blocks most recent first, in-order release", "[unit][tcp][reassembly]") {
  stream_source s(1000);
  reassembly_pool pool(16);
  reassembly_queue q;
  CHECK(s.insert(pool, q, 300, 100).status == status::queued);
  CHECK(s.insert(pool, q, 100, 100).status == status::queued);
  CHECK(s.insert(pool, q, 500, 100).status == status::queued);
  CHECK(pool.in_use() == 3);
  CHECK(q.pieces == 3);
  CHECK(s.buffers.in_use() == 3);  // one reference each, the frames' own released
  CHECK(blocks_of(pool, q) == std::vector{s.block(500, 600), s.block(100, 200), s.block(300, 400)});
  CHECK(blocks_of(pool, q, 2) == std::vector{s.block(500, 600), s.block(100, 200)});
  // Joining two blocks makes one, and it is now the most recent.
  CHECK(s.insert(pool, q, 200, 100).status == status::queued);
  CHECK(blocks_of(pool, q) == std::vector{s.block(100, 400), s.block(500, 600)});
  // Nothing is ready before the hole at 0..100 fills.
  CHECK_FALSE(pool.pop_ready(q, s.base));
  CHECK(drain(pool, q, s.base + 100, s.buffers).bytes == s.bytes.substr(100, 300));
  CHECK(blocks_of(pool, q) == std::vector{s.block(500, 600)});
  pool.clear(q, s.buffers);
  CHECK(q.empty());
  CHECK(pool.in_use() == 0);
  CHECK(s.buffers.in_use() == 0);
}

TEST_CASE("reassembly_pool: overlaps are trimmed, covered pieces replaced, duplicates reported", "[unit][tcp][reassembly]") {
  stream_source s(1000);
  reassembly_pool pool(16);
  reassembly_queue q;
  REQUIRE(s.insert(pool, q, 200, 100).status == status::queued);  // [200, 300)
  SECTION("left overlap: the new piece starts where the queued one ends") {
    const auto r = s.insert(pool, q, 250, 100);
    CHECK(r.status == status::queued);
    CHECK(r.duplicate == s.block(250, 300));
    CHECK(q.pieces == 2);
    CHECK(blocks_of(pool, q) == std::vector{s.block(200, 350)});
  }
  SECTION("right overlap: the new piece ends where the queued one starts") {
    const auto r = s.insert(pool, q, 150, 100);
    CHECK(r.status == status::queued);
    CHECK(r.duplicate == s.block(200, 250));
    CHECK(q.pieces == 2);
    CHECK(blocks_of(pool, q) == std::vector{s.block(150, 300)});
  }
  SECTION("both sides and a covered piece: replaced, one node per buffer") {
    REQUIRE(s.insert(pool, q, 400, 50).status == status::queued);   // [400, 450)
    REQUIRE(s.insert(pool, q, 500, 100).status == status::queued);  // [500, 600)
    const auto r = s.insert(pool, q, 250, 300);                     // [250, 550)
    CHECK(r.status == status::queued);
    CHECK(r.duplicate == s.block(250, 300));
    CHECK(q.pieces == 3);  // [200,300) [300,500) [500,600): [400,450) was replaced
    CHECK(s.buffers.in_use() == 3);
    CHECK(blocks_of(pool, q) == std::vector{s.block(200, 600)});
  }
  SECTION("an exact or inner duplicate takes nothing") {
    auto r = s.insert(pool, q, 200, 100);
    CHECK(r.status == status::duplicate);
    CHECK(r.duplicate == s.block(200, 300));
    r = s.insert(pool, q, 220, 10);
    CHECK(r.status == status::duplicate);
    CHECK(r.duplicate == s.block(220, 230));
    CHECK(q.pieces == 1);
    CHECK(s.buffers.in_use() == 1);
  }
  SECTION("a duplicate spanning two adjacent pieces is still a duplicate, and refreshes their block") {
    REQUIRE(s.insert(pool, q, 300, 100).status == status::queued);
    REQUIRE(s.insert(pool, q, 600, 100).status == status::queued);
    CHECK(blocks_of(pool, q) == std::vector{s.block(600, 700), s.block(200, 400)});
    const auto r = s.insert(pool, q, 200, 200);
    CHECK(r.status == status::duplicate);
    CHECK(r.duplicate == s.block(200, 400));  // one block for the contiguous duplicate
    CHECK(blocks_of(pool, q) == std::vector{s.block(200, 400), s.block(600, 700)});
  }
  SECTION("pop_ready trims what RCV.NXT already passed") {
    const auto d = drain(pool, q, s.base + 250, s.buffers);
    CHECK(d.bytes == s.bytes.substr(250, 50));
    CHECK(d.rcv_nxt == s.base + 300);
  }
  pool.clear(q, s.buffers);
  CHECK(s.buffers.in_use() == 0);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("reassembly_pool: the FIN is kept at the end of the stream", "[unit][tcp][reassembly]") {
  stream_source s(1000);
  reassembly_pool pool(16);
  reassembly_queue q;
  SECTION("with the last piece; data beyond it is not queued") {
    REQUIRE(s.insert(pool, q, 200, 100, true).status == status::queued);
    CHECK(s.insert(pool, q, 300, 50).status == status::duplicate);
    const auto r = s.insert(pool, q, 250, 100);  // its part before the FIN is a duplicate
    CHECK(r.status == status::duplicate);
    CHECK(s.insert(pool, q, 100, 100).status == status::queued);
    const auto d = drain(pool, q, s.base + 100, s.buffers);
    CHECK(d.bytes == s.bytes.substr(100, 200));
    CHECK(d.fin);
    CHECK(d.rcv_nxt == s.base + 301);
  }
  SECTION("a bare FIN beyond a hole takes a node without a buffer") {
    REQUIRE(s.insert(pool, q, 100, 100).status == status::queued);
    CHECK(s.insert(pool, q, 300, 0, true).status == status::queued);
    CHECK(pool.in_use() == 2);
    CHECK(s.buffers.in_use() == 1);
    CHECK(blocks_of(pool, q) == std::vector{s.block(100, 200)});  // no block for the FIN
    CHECK(s.insert(pool, q, 200, 100).status == status::queued);
    const auto d = drain(pool, q, s.base + 100, s.buffers);
    CHECK(d.bytes == s.bytes.substr(100, 200));
    CHECK(d.fin);
  }
  SECTION("a piece replacing the last one keeps its FIN") {
    REQUIRE(s.insert(pool, q, 200, 100, true).status == status::queued);
    CHECK(s.insert(pool, q, 150, 150).status == status::queued);
    CHECK(pool.in_use() == 1);
    const auto d = drain(pool, q, s.base + 150, s.buffers);
    CHECK(d.bytes == s.bytes.substr(150, 150));
    CHECK(d.fin);
    CHECK(d.rcv_nxt == s.base + 301);
  }
  SECTION("a FIN after the last piece is attached to it") {
    REQUIRE(s.insert(pool, q, 100, 100).status == status::queued);
    CHECK(s.insert(pool, q, 100, 100, true).status == status::queued);
    CHECK(pool.in_use() == 1);
    CHECK(drain(pool, q, s.base + 100, s.buffers).fin);
  }
  SECTION("a FIN before queued data is ignored") {
    REQUIRE(s.insert(pool, q, 300, 100).status == status::queued);
    CHECK(s.insert(pool, q, 100, 100, true).status == status::queued);
    const auto d = drain(pool, q, s.base + 100, s.buffers);
    CHECK_FALSE(d.fin);
    CHECK(d.rcv_nxt == s.base + 200);
  }
  pool.clear(q, s.buffers);
  CHECK(s.buffers.in_use() == 0);
}

TEST_CASE("reassembly_pool: the lcore budget and the connection cap refuse without taking", "[unit][tcp][reassembly]") {
  stream_source s(1000);
  reassembly_pool pool(3);
  reassembly_queue a;
  reassembly_queue b;
  CHECK(s.insert(pool, a, 100, 10, false, 2).status == status::queued);
  CHECK(s.insert(pool, a, 200, 10, false, 2).status == status::queued);
  CHECK(s.insert(pool, a, 300, 10, false, 2).status == status::connection_budget);
  CHECK(s.insert(pool, b, 100, 10).status == status::queued);
  CHECK(s.insert(pool, b, 200, 10).status == status::lcore_budget);
  CHECK(s.buffers.in_use() == 3);
  // A piece replacing one it covers needs no new node, even at the limit.
  CHECK(s.insert(pool, b, 90, 30).status == status::queued);
  CHECK(pool.in_use() == 3);
  // Freed nodes serve the next queue.
  pool.clear(a, s.buffers);
  CHECK(s.insert(pool, b, 200, 10).status == status::queued);
  pool.clear(b, s.buffers);
  CHECK(pool.in_use() == 0);
  CHECK(s.buffers.in_use() == 0);
  reassembly_pool none(0);
  CHECK(s.insert(none, a, 100, 10).status == status::lcore_budget);
}

TEST_CASE("reassembly_pool: random segments give back exactly the stream, in order", "[unit][tcp][reassembly]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    stream_source s(4000);
    reassembly_pool pool(64);
    reassembly_queue q;
    seq32 rcv_nxt = s.base;
    std::string delivered;
    for (int i = 0; i < 300 && rcv_nxt - s.base < 4000; ++i) {
      const auto offset = static_cast<std::uint32_t>(rng() % 4000);
      const auto length = std::min<std::uint32_t>(1 + rng() % 300, 4000 - offset);
      const auto rcv = static_cast<std::uint32_t>(rcv_nxt - s.base);
      if (offset + length <= rcv) {
        continue;  // old: the connection answers it before the queue
      }
      if (offset <= rcv) {
        // In order: delivered at once (as connection_input does), then the queue.
        delivered += s.bytes.substr(rcv, offset + length - rcv);
        rcv_nxt = s.base + offset + length;
      } else {
        s.insert(pool, q, offset, length, false, 40);
      }
      const auto d = drain(pool, q, rcv_nxt, s.buffers);
      delivered += d.bytes;
      rcv_nxt = d.rcv_nxt;
      REQUIRE(delivered == s.bytes.substr(0, delivered.size()));
      REQUIRE(s.buffers.in_use() == pool.in_use());
      REQUIRE(q.pieces <= 40);
      // Blocks: disjoint, above RCV.NXT, at most what was asked.
      for (const auto& b : blocks_of(pool, q)) {
        REQUIRE(b.left > rcv_nxt);
        REQUIRE(b.right > b.left);
      }
    }
    pool.clear(q, s.buffers);
    REQUIRE(s.buffers.in_use() == 0);
  }
}
