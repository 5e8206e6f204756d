#pragma once
// Per-lcore connection table: flow_key -> connection_handle, one writer (the owning lcore), any
// number of lock-free readers on other threads (telemetry, connection dumps). docs/flow-table.md
// has the design, the measurements and the comparison with rte_hash.
//
// Layout: an array of 128-byte buckets (two cache lines), each holding 7 entries inline:
//
//   offset  0  version   u32   seqlock counter, odd while the writer is changing this bucket
//           4  overflow  u32   keys whose probe path passed this bucket (it was full) and which
//                              lie further along that path
//           8  tags      u64   byte i = 8-bit tag of slot i (0 = empty), byte 7 unused (0)
//          16  values    7 x u32
//          44  keys      7 x 12 bytes (remote ip, local ip, remote port << 16 | local port)
//         128
//
// Placement: the 32-bit hash picks the home bucket (multiply-shift over a prime bucket count, so
// the table is sized to a load factor, not to a power of two) and an 8-bit tag (low byte, never 0).
// Insert takes the first bucket with a free slot on the key's probe path (home, home + s,
// home + 2s, ... modulo the bucket count, s odd and taken from the tag) and adds 1 to `overflow`
// of every bucket it walked past. Lookup walks from home and
// stops at the first bucket whose `overflow` is 0: no key lies beyond it on any path through it. Erase
// clears the slot and subtracts the 1 again. Entries never move after insertion (no tombstones,
// no displacement, no rehash): that is what makes reader-side lookup and iteration simple.
//
// Concurrency: every field is a std::atomic; consistency across the fields of a bucket comes
// from a per-bucket seqlock. Following H.-J. Boehm ("Can seqlocks get along with programming
// language memory models?", MSPC 2012), the ordering rides on the data accesses themselves rather
// than on standalone fences (which ThreadSanitizer does not model, so it could not check them):
//
//   writer (one thread)                          reader (any thread)
//     v = version (relaxed, own value)             v1 = version.load(acquire)    // retry if odd
//     version.store(v + 1, relaxed)                ... field loads, each acquire ...
//     ... field stores, each release ...           v2 = version.load(relaxed)
//     version.store(v + 2, release)                retry unless v1 == v2
//
// Why a validated read is a snapshot: say v1 == 2j is the value stored at the end of write section
// j. (1) v1 was read with acquire from that release store, so every store of sections <= j happens
// before the reader's field loads: no field can read an older value. (2) If a field load reads a
// store of a later section k, that store is a release sequenced after section k's odd version
// store, and the load is an acquire: the odd store happens before the reader's v2 load, so by
// coherence v2 >= 2k - 1 > v1 and the reader retries. The acquire field loads also keep the v2
// load from moving above them. So every field of a validated read holds its value as of the end of
// section j: never a torn key or a key with another entry's value. The writer never waits for
// readers; a reader retries at most as often as the writer rewrites that one bucket. On x86-64
// (TSO) release stores and acquire loads are plain movs: the owner pays two version stores per
// bucket it modifies and nothing per lookup (its own reads, single writer, use relaxed loads).
//
// Cross-bucket guarantee: a key present for the whole of a concurrent_lookup is found, because
// it never moves and every bucket between its home and its slot keeps overflow >= 1 meanwhile
// (each insert/erase changes overflow only by its own contribution). A key inserted or erased
// during the call may or may not be found.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "flow/flow_key.hh"

namespace rampart::flow {

// Index into the lcore's connection_pool (connection_pool.hh).
using connection_handle = std::uint32_t;

enum class insert_status : std::uint8_t {
  inserted,
  duplicate,    // the key is already present; its value is unchanged
  table_full,   // size() == capacity(); nothing changed
  probe_limit,  // no free slot within max_probe buckets of the key's home; nothing changed.
                // With a random seed this needs ~capacity occupancy; with an external (RSS)
                // hash it is what a collision flood runs into instead of an O(n) walk.
};

struct flow_table_options {
  std::uint32_t capacity = 65536;  // most entries held at once (config: connections_per_lcore)
  double max_load = 0.8;           // entries / slots at capacity; sets the bucket count
  std::uint32_t max_probe = 64;    // buckets an insert may walk from home (bounds every walk)
  std::optional<hash_seed> seed;   // nullopt: hash_seed::random() at construction
};

class flow_table {
 public:
  static constexpr std::uint32_t slots_per_bucket = 7;
  static constexpr std::size_t max_burst = 64;  // lookup_bulk handles at most this many keys

  // Allocates and zeroes every bucket (so no page fault happens later on the worker).
  // Throws std::invalid_argument for capacity 0, max_load outside (0, 1] or max_probe 0, and
  // std::bad_alloc; start-up only.
  explicit flow_table(const flow_table_options& options = {});
  flow_table(const flow_table&) = delete;
  flow_table& operator=(const flow_table&) = delete;

  // The software hash keyed with this table's seed. Use it, or the NIC's RSS hash, but the same
  // function for every insert, lookup and erase of a table: the hash picks the bucket, and a key
  // hashed differently is looked for in the wrong place (a miss, never a wrong value).
  std::uint32_t hash(const flow_key& key) const noexcept { return flow_hash(key, _seed); }

  // ---- Owner lcore only (single writer). No allocation, lock, syscall or exception. ----

  // Errors: table_full (checked first), duplicate, probe_limit (see insert_status); nothing
  // changes on error.
  insert_status insert(const flow_key& key, connection_handle value, std::uint32_t hash) noexcept;
  insert_status insert(const flow_key& key, connection_handle value) noexcept {
    return insert(key, value, hash(key));
  }

  // Removes the key; returns its value, or nullopt when absent. A caller that erases from a timer
  // (no packet, no RSS hash) keeps the hash it inserted with, e.g. in the control block.
  std::optional<connection_handle> erase(const flow_key& key, std::uint32_t hash) noexcept;
  std::optional<connection_handle> erase(const flow_key& key) noexcept { return erase(key, hash(key)); }

  // nullopt on a miss.
  std::optional<connection_handle> lookup(const flow_key& key, std::uint32_t hash) const noexcept;
  std::optional<connection_handle> lookup(const flow_key& key) const noexcept {
    return lookup(key, hash(key));
  }

  // Looks up keys[0 .. n) with n = min(keys.size(), max_burst): hashes them all (or takes
  // `hashes`, same length as keys, when not empty), prefetches every home bucket, then compares
  // tags and keys. Bit i of the result is set when keys[i] was found, and values[i] then holds
  // its value (values[i] is unspecified on a miss). `values` has at least n elements.
  std::uint64_t lookup_bulk(std::span<const flow_key> keys, std::span<const std::uint32_t> hashes,
                            connection_handle* values) const noexcept;

  // ---- Any thread, concurrently with the owner. Never blocks the owner. ----

  // Like lookup, from another thread: a validated snapshot per bucket (see the header comment for
  // what it guarantees across buckets).
  std::optional<connection_handle> concurrent_lookup(const flow_key& key, std::uint32_t hash) const noexcept;

  // Calls visit(const flow_key&, connection_handle) for the entries, bucket by bucket, outside any
  // retry loop (visit may be slow; it runs on a copy of the bucket).
  // Guarantees, while the owner keeps inserting and erasing:
  //  - every pair passed to visit was in the table, that key with that value, at one instant
  //    during the call (never a torn key or value);
  //  - an entry present during the whole call is visited exactly once (entries never move);
  //  - an entry inserted or erased during the call is visited at most once per insertion: a key
  //    erased and inserted again into a slot not yet visited can appear twice, a key that comes
  //    and goes may be missed.
  template <class Visit>
  void concurrent_for_each(Visit&& visit) const;

  // Entries now; exact on the owner, a recent value on other threads.
  std::uint32_t size() const noexcept { return _size.load(std::memory_order_relaxed); }
  std::uint32_t capacity() const noexcept { return _capacity; }
  std::uint32_t bucket_count() const noexcept { return _bucket_count; }
  std::uint32_t slot_count() const noexcept { return _bucket_count * slots_per_bucket; }
  std::uint32_t max_probe() const noexcept { return _max_probe; }
  // Longest walk (in buckets past home) any insert has needed so far; 0 when every key sits in
  // its home bucket. A figure for docs and telemetry, readable from any thread.
  std::uint32_t longest_probe() const noexcept { return _longest_probe.load(std::memory_order_relaxed); }

 private:
  // 128-aligned, not just 64: the two lines form one aligned pair, the unit the L2 adjacent-line
  // (Intel) or up/down (AMD) prefetcher completes after a miss on either half. Free to do, so not
  // measured on its own; lookup_bulk prefetches both lines explicitly anyway.
  struct alignas(128) bucket {
    std::atomic<std::uint32_t> version{0};
    std::atomic<std::uint32_t> overflow{0};
    std::atomic<std::uint64_t> tags{0};
    std::atomic<std::uint32_t> values[slots_per_bucket]{};
    std::atomic<std::uint32_t> keys[slots_per_bucket][3]{};
  };
  static_assert(sizeof(bucket) == 128, "a bucket is exactly two cache lines (prefetched together)");

  struct entry {
    flow_key key;
    connection_handle value;
  };

  static constexpr std::uint64_t tag_lanes = 0x00ff'ffff'ffff'ffffULL;  // bytes 0..6: slots
  static constexpr std::uint64_t low_bits = 0x0101'0101'0101'0101ULL;
  static constexpr std::uint64_t high_bits = 0x8080'8080'8080'8080ULL;

  std::uint32_t home_of(std::uint32_t hash) const noexcept {
    // Multiply-shift range reduction (Lemire): uses the hash's high bits, any bucket count.
    return static_cast<std::uint32_t>((std::uint64_t{hash} * _bucket_count) >> 32);
  }
  static std::uint8_t tag_of(std::uint32_t hash) noexcept {
    const auto low = static_cast<std::uint8_t>(hash);
    return low == 0 ? 1 : low;  // 0 marks an empty slot
  }
  // Probe step: odd, from the tag (as in folly's F14), so keys that share a home bucket leave it
  // along different paths. Measured at 1M entries: linear probing (step 1) makes clusters whose
  // longest walk is 122 buckets at 90% load; per-tag steps cut it to the figure in
  // docs/flow-table.md. Small tables reduce the step modulo the bucket count (cold: a division).
  std::uint32_t stride_of(std::uint8_t tag) const noexcept {
    const std::uint32_t step = 2 * std::uint32_t{tag} + 1;
    return step < _bucket_count ? step : small_table_stride(step);
  }
  std::uint32_t small_table_stride(std::uint32_t step) const noexcept;
  std::uint32_t next(std::uint32_t b, std::uint32_t stride) const noexcept {
    b += stride;  // no overflow: b, stride < _bucket_count <= 2^32 / 7
    return b >= _bucket_count ? b - _bucket_count : b;
  }

  // High bit of byte i set iff byte i of x is zero (exact: no borrow between bytes).
  static std::uint64_t zero_bytes(std::uint64_t x) noexcept {
    const std::uint64_t y = (x & ~high_bits) + ~high_bits;
    return ~(y | x | ~high_bits);
  }
  // Slots of `tags` holding `tag`, one high bit per slot.
  static std::uint64_t match_mask(std::uint64_t tags, std::uint8_t tag) noexcept {
    return zero_bytes(tags ^ (low_bits * tag)) & high_bits & tag_lanes;
  }
  static std::uint64_t free_mask(std::uint64_t tags) noexcept { return zero_bytes(tags) & high_bits & tag_lanes; }
  static unsigned slot_of(std::uint64_t mask) noexcept { return static_cast<unsigned>(__builtin_ctzll(mask)) / 8; }

  // Field loads take `order`: relaxed on the owner (its own stores), acquire in reader paths
  // (the seqlock argument above).
  static bool key_equals(const bucket& b, unsigned slot, const flow_key& key, std::memory_order order) noexcept {
    return b.keys[slot][0].load(order) == key.remote_ip && b.keys[slot][1].load(order) == key.local_ip &&
           b.keys[slot][2].load(order) == key.ports_word();
  }
  static flow_key key_at(const bucket& b, unsigned slot, std::memory_order order) noexcept {
    const std::uint32_t ports = b.keys[slot][2].load(order);
    return flow_key{b.keys[slot][0].load(order), b.keys[slot][1].load(order), static_cast<std::uint16_t>(ports >> 16),
                    static_cast<std::uint16_t>(ports)};
  }
  // Slot of `key` in bucket b, or -1.
  static int find_in(const bucket& b, std::uint64_t tags, std::uint8_t tag, const flow_key& key,
                     std::memory_order order = std::memory_order_relaxed) noexcept {
    for (std::uint64_t m = match_mask(tags, tag); m != 0; m &= m - 1) {
      const unsigned slot = slot_of(m);
      if (key_equals(b, slot, key, order)) {
        return static_cast<int>(slot);
      }
    }
    return -1;
  }

  // Between write_begin and write_end every field store is memory_order_release.
  static void write_begin(bucket& b) noexcept {
    b.version.store(b.version.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  static void write_end(bucket& b) noexcept {
    b.version.store(b.version.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Between read_begin and read_retry every field load is memory_order_acquire.
  static std::uint32_t read_begin(const bucket& b) noexcept;
  static bool read_retry(const bucket& b, std::uint32_t v1) noexcept {
    return b.version.load(std::memory_order_relaxed) != v1;
  }

  void prefetch_bucket(std::uint32_t b) const noexcept {
    const char* line = reinterpret_cast<const char*>(&_buckets[b]);
    __builtin_prefetch(line, 0, 3);
    __builtin_prefetch(line + 64, 0, 3);
  }

  // Walks on from the home bucket after a miss there, when its overflow is not 0.
  std::optional<connection_handle> lookup_beyond_home(std::uint32_t home, std::uint8_t tag,
                                                      const flow_key& key) const noexcept;

  std::unique_ptr<bucket[]> _buckets;
  std::uint32_t _bucket_count = 0;
  std::uint32_t _capacity = 0;
  std::uint32_t _max_probe = 0;
  hash_seed _seed;
  alignas(64) std::atomic<std::uint32_t> _size{0};
  std::atomic<std::uint32_t> _longest_probe{0};
};

// ---- inline hot paths ----

inline std::uint32_t flow_table::read_begin(const bucket& b) noexcept {
  for (;;) {
    const std::uint32_t v = b.version.load(std::memory_order_acquire);
    if ((v & 1) == 0) {
      return v;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

inline std::optional<connection_handle> flow_table::lookup(const flow_key& key, std::uint32_t hash) const noexcept {
  const std::uint32_t home = home_of(hash);
  const std::uint8_t tag = tag_of(hash);
  const bucket& b = _buckets[home];
  // The owner is the only writer: its own reads need no seqlock.
  const int slot = find_in(b, b.tags.load(std::memory_order_relaxed), tag, key);
  if (slot >= 0) {
    return b.values[slot].load(std::memory_order_relaxed);
  }
  if (b.overflow.load(std::memory_order_relaxed) == 0) {
    return std::nullopt;
  }
  return lookup_beyond_home(home, tag, key);
}

inline std::uint64_t flow_table::lookup_bulk(std::span<const flow_key> keys, std::span<const std::uint32_t> hashes,
                                             connection_handle* values) const noexcept {
  const std::size_t n = keys.size() < max_burst ? keys.size() : max_burst;
  std::uint32_t homes[max_burst];
  std::uint8_t tags[max_burst];
  // Stage 1: hash everything and start every bucket's two lines on their way, so the misses of
  // the whole burst overlap instead of queueing behind each other.
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t h = hashes.empty() ? hash(keys[i]) : hashes[i];
    homes[i] = home_of(h);
    tags[i] = tag_of(h);
    prefetch_bucket(homes[i]);
  }
  // Stage 2: tag compare (7 slots at once), then the full key in the same bucket. A key missing
  // from a home bucket that has overflowed may lie further on: start its next bucket on its way.
  std::uint64_t hits = 0;
  std::uint8_t pending[max_burst];
  std::uint32_t at[max_burst];
  std::size_t n_pending = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bucket& b = _buckets[homes[i]];
    const int slot = find_in(b, b.tags.load(std::memory_order_relaxed), tags[i], keys[i]);
    if (slot >= 0) {
      values[i] = b.values[slot].load(std::memory_order_relaxed);
      hits |= std::uint64_t{1} << i;
    } else if (b.overflow.load(std::memory_order_relaxed) != 0) {
      at[i] = next(homes[i], stride_of(tags[i]));
      prefetch_bucket(at[i]);
      pending[n_pending++] = static_cast<std::uint8_t>(i);
    }
  }
  // Stage 3: the keys still walking advance one bucket per round, each round's buckets fetched
  // together rather than one walk after another (see docs/flow-table.md for the measured gain).
  for (std::uint32_t distance = 1; n_pending != 0 && distance < _max_probe; ++distance) {
    std::size_t still = 0;
    for (std::size_t j = 0; j < n_pending; ++j) {
      const std::size_t i = pending[j];
      const bucket& b = _buckets[at[i]];
      const int slot = find_in(b, b.tags.load(std::memory_order_relaxed), tags[i], keys[i]);
      if (slot >= 0) {
        values[i] = b.values[slot].load(std::memory_order_relaxed);
        hits |= std::uint64_t{1} << i;
      } else if (b.overflow.load(std::memory_order_relaxed) != 0) {
        at[i] = next(at[i], stride_of(tags[i]));
        prefetch_bucket(at[i]);
        pending[still++] = static_cast<std::uint8_t>(i);
      }
    }
    n_pending = still;
  }
  return hits;
}

template <class Visit>
void flow_table::concurrent_for_each(Visit&& visit) const {
  entry copy[slots_per_bucket];
  for (std::uint32_t i = 0; i < _bucket_count; ++i) {
    const bucket& b = _buckets[i];
    unsigned count;
    std::uint32_t v1;
    do {
      v1 = read_begin(b);
      count = 0;
      for (std::uint64_t m = ~free_mask(b.tags.load(std::memory_order_acquire)) & high_bits & tag_lanes; m != 0;
           m &= m - 1) {
        const unsigned slot = slot_of(m);
        copy[count++] = entry{key_at(b, slot, std::memory_order_acquire), b.values[slot].load(std::memory_order_acquire)};
      }
    } while (read_retry(b, v1));
    for (unsigned j = 0; j < count; ++j) {
      visit(static_cast<const flow_key&>(copy[j].key), static_cast<connection_handle>(copy[j].value));
    }
  }
}

}  // namespace rampart::flow
