#include "flow/flow_table.hh"

#include <cmath>
#include <random>
#include <stdexcept>

namespace rampart::flow {

hash_seed hash_seed::random() {
  std::random_device device;
  const auto draw64 = [&device] { return (std::uint64_t{device()} << 32) | device(); };
  hash_seed seed{draw64(), draw64()};
  seed.k1 |= std::uint64_t{1} << 63;
  return seed;
}

namespace {
// Smallest prime >= n (n < 2^32 / 7). Trial division: at most a few thousand candidates' worth
// of work, once, at start-up.
std::uint32_t next_prime(std::uint32_t n) {
  const auto is_prime = [](std::uint32_t x) {
    if (x < 2) {
      return false;
    }
    for (std::uint32_t d = 2; d * d <= x; ++d) {
      if (x % d == 0) {
        return false;
      }
    }
    return true;
  };
  while (!is_prime(n)) {
    ++n;
  }
  return n;
}
}  // namespace

flow_table::flow_table(const flow_table_options& options) {
  if (options.capacity == 0) {
    throw std::invalid_argument("flow_table: capacity must be at least 1");
  }
  if (!(options.max_load > 0.0 && options.max_load <= 1.0)) {
    throw std::invalid_argument("flow_table: max_load must be in (0, 1]");
  }
  if (options.max_probe == 0) {
    throw std::invalid_argument("flow_table: max_probe must be at least 1");
  }
  const double buckets = std::ceil(options.capacity / (options.max_load * slots_per_bucket));
  if (buckets > double{UINT32_MAX / slots_per_bucket}) {
    throw std::invalid_argument("flow_table: capacity / max_load needs more than 2^32 slots");
  }
  // A prime count makes every probe step coprime with it, so a probe path visits distinct buckets
  // until it has seen them all (a step sharing a factor with the count would cycle early).
  _bucket_count = next_prime(static_cast<std::uint32_t>(buckets));
  _capacity = options.capacity;
  _max_probe = options.max_probe < _bucket_count ? options.max_probe : _bucket_count;
  _seed = options.seed ? *options.seed : hash_seed::random();
  // Value-initialised: every bucket's pages are written here, at start-up, rather than faulted
  // in by the first inserts on the worker.
  _buckets = std::make_unique<bucket[]>(_bucket_count);
}

insert_status flow_table::insert(const flow_key& key, connection_handle value, std::uint32_t hash) noexcept {
  if (_size.load(std::memory_order_relaxed) >= _capacity) {
    return insert_status::table_full;
  }
  const std::uint8_t tag = tag_of(hash);
  const std::uint32_t home = home_of(hash);
  const std::uint32_t stride = stride_of(tag);

  // One walk does both jobs: look for a duplicate along the key's probe sequence (which ends at
  // the first bucket with overflow 0) and remember the first bucket with a free slot.
  std::uint32_t b = home;
  std::uint32_t distance = 0;
  std::uint32_t target = 0;
  std::uint32_t target_distance = UINT32_MAX;
  for (;;) {
    const bucket& bk = _buckets[b];
    const std::uint64_t tags = bk.tags.load(std::memory_order_relaxed);
    if (find_in(bk, tags, tag, key) >= 0) {
      return insert_status::duplicate;
    }
    if (target_distance == UINT32_MAX && free_mask(tags) != 0) {
      target = b;
      target_distance = distance;
    }
    if (bk.overflow.load(std::memory_order_relaxed) == 0 || distance + 1 >= _max_probe) {
      break;
    }
    b = next(b, stride);
    ++distance;
  }
  // Every bucket of the sequence was full: go on past its end for a free slot.
  while (target_distance == UINT32_MAX && distance + 1 < _max_probe) {
    b = next(b, stride);
    ++distance;
    if (free_mask(_buckets[b].tags.load(std::memory_order_relaxed)) != 0) {
      target = b;
      target_distance = distance;
    }
  }
  if (target_distance == UINT32_MAX) {
    return insert_status::probe_limit;
  }

  // Mark the path first, then publish the entry: a reader that sees the entry can also reach it.
  for (std::uint32_t p = home, d = 0; d < target_distance; p = next(p, stride), ++d) {
    bucket& passed = _buckets[p];
    write_begin(passed);
    passed.overflow.store(passed.overflow.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    write_end(passed);
  }
  bucket& t = _buckets[target];
  const std::uint64_t tags = t.tags.load(std::memory_order_relaxed);
  const unsigned slot = slot_of(free_mask(tags));
  write_begin(t);
  t.keys[slot][0].store(key.remote_ip, std::memory_order_release);
  t.keys[slot][1].store(key.local_ip, std::memory_order_release);
  t.keys[slot][2].store(key.ports_word(), std::memory_order_release);
  t.values[slot].store(value, std::memory_order_release);
  t.tags.store(tags | (std::uint64_t{tag} << (8 * slot)), std::memory_order_release);
  write_end(t);

  _size.store(_size.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (target_distance > _longest_probe.load(std::memory_order_relaxed)) {
    _longest_probe.store(target_distance, std::memory_order_relaxed);
  }
  return insert_status::inserted;
}

std::optional<connection_handle> flow_table::erase(const flow_key& key, std::uint32_t hash) noexcept {
  const std::uint8_t tag = tag_of(hash);
  const std::uint32_t home = home_of(hash);
  const std::uint32_t stride = stride_of(tag);
  std::uint32_t b = home;
  for (std::uint32_t distance = 0;; b = next(b, stride), ++distance) {
    bucket& bk = _buckets[b];
    const std::uint64_t tags = bk.tags.load(std::memory_order_relaxed);
    const int slot = find_in(bk, tags, tag, key);
    if (slot >= 0) {
      const connection_handle value = bk.values[slot].load(std::memory_order_relaxed);
      // Clearing the tag is enough: readers look at key and value only under a non-zero tag.
      write_begin(bk);
      bk.tags.store(tags & ~(std::uint64_t{0xff} << (8 * slot)), std::memory_order_release);
      write_end(bk);
      for (std::uint32_t p = home, d = 0; d < distance; p = next(p, stride), ++d) {
        bucket& passed = _buckets[p];
        write_begin(passed);
        passed.overflow.store(passed.overflow.load(std::memory_order_relaxed) - 1, std::memory_order_release);
        write_end(passed);
      }
      _size.store(_size.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      return value;
    }
    if (bk.overflow.load(std::memory_order_relaxed) == 0 || distance + 1 >= _max_probe) {
      return std::nullopt;
    }
  }
}

std::uint32_t flow_table::small_table_stride(std::uint32_t step) const noexcept {
  const std::uint32_t s = step % _bucket_count;
  return s == 0 ? 1 : s;
}

std::optional<connection_handle> flow_table::lookup_beyond_home(std::uint32_t home, std::uint8_t tag,
                                                                const flow_key& key) const noexcept {
  // The home bucket (distance 0) was already searched and had overflow != 0.
  const std::uint32_t stride = stride_of(tag);
  std::uint32_t b = next(home, stride);
  for (std::uint32_t distance = 1; distance < _max_probe; b = next(b, stride), ++distance) {
    const bucket& bk = _buckets[b];
    const int slot = find_in(bk, bk.tags.load(std::memory_order_relaxed), tag, key);
    if (slot >= 0) {
      return bk.values[slot].load(std::memory_order_relaxed);
    }
    if (bk.overflow.load(std::memory_order_relaxed) == 0) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<connection_handle> flow_table::concurrent_lookup(const flow_key& key, std::uint32_t hash) const noexcept {
  const std::uint8_t tag = tag_of(hash);
  const std::uint32_t stride = stride_of(tag);
  std::uint32_t b = home_of(hash);
  for (std::uint32_t distance = 0; distance < _max_probe; b = next(b, stride), ++distance) {
    const bucket& bk = _buckets[b];
    bool found;
    connection_handle value;
    std::uint32_t overflow;
    std::uint32_t v1;
    do {
      v1 = read_begin(bk);
      const int slot = find_in(bk, bk.tags.load(std::memory_order_acquire), tag, key, std::memory_order_acquire);
      found = slot >= 0;
      value = found ? bk.values[slot].load(std::memory_order_acquire) : 0;
      overflow = bk.overflow.load(std::memory_order_acquire);
    } while (read_retry(bk, v1));
    if (found) {
      return value;
    }
    if (overflow == 0) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::flow
