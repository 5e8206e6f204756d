// rampart::flow::flow_table against rte_hash (lock-free reader mode) and std::unordered_map, in
// the same run: single lookup (hit, hit with a precomputed hash, miss), bulk lookup of 32, insert
// and erase, at 1M and 10M entries; flow_table at 50%, 80% (its default) and 90% load. Figures
// and the command that reproduces them: docs/flow-table.md.
//
// Every subject gets the same keys: 4-tuples towards one local address and port, remote address
// and port drawn from a 48-bit bijection of the key's index (distinct, uniformly spread). Lookups
// run in an order unrelated to insertion order, so neither bucket arrays nor std::unordered_map's
// insertion-ordered nodes are walked sequentially. Each benchmark reports `ns_per_op`, the thread
// CPU time per key (per lookup, per insert, per erase).
#include <benchmark/benchmark.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_eal.hh"
#include "flow/flow_table.hh"

namespace {

using rampart::flow::connection_handle;
using rampart::flow::flow_key;
using rampart::flow::flow_table;
using rampart::flow::hash_seed;
using rampart::flow::insert_status;

// Thread CPU time, not wall time: the benchmark host is shared, and time spent preempted by other
// processes is not the table's. (Cache pollution from neighbours still shows; see the doc.)
struct cpu_clock {
  static double now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
  }
};

constexpr std::size_t batch = 1024;           // keys per timed insert / erase batch
constexpr std::size_t fresh_keys = 1 << 20;   // keys never left in the table (misses, inserts)
constexpr std::size_t burst = 32;
constexpr hash_seed bench_seed{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL | (1ULL << 63)};

// Index -> distinct key (a bijection on 48 bits: odd multiplies and an xorshift).
flow_key key_for(std::uint64_t i) {
  constexpr std::uint64_t mask = (std::uint64_t{1} << 48) - 1;
  std::uint64_t x = (i * 0x9e3779b97f4bULL) & mask;
  x ^= x >> 24;
  x = (x * 0xc2b2ae3d27d5ULL) & mask;
  return flow_key{static_cast<std::uint32_t>(x >> 16), 0x0a4d0002, static_cast<std::uint16_t>(x), 443};
}
std::uint32_t value_for(std::uint64_t i) { return static_cast<std::uint32_t>(i); }

struct flow_key_hasher {
  std::size_t operator()(const flow_key& k) const noexcept { return rampart::flow::flow_hash(k, bench_seed); }
};

// ---- the three subjects, behind one shape ----

struct rampart_subject {
  flow_table table;
  rampart_subject(std::size_t n, double load)
      : table(rampart::flow::flow_table_options{static_cast<std::uint32_t>(n + batch), load, 64, bench_seed}) {}
  static std::string name(double load) { return "rampart_" + std::to_string(static_cast<int>(load * 100 + 0.5)); }
  std::uint32_t hash(const flow_key& k) const { return table.hash(k); }
  bool insert(const flow_key& k, std::uint32_t v) { return table.insert(k, v) == insert_status::inserted; }
  bool erase(const flow_key& k) { return table.erase(k).has_value(); }
  std::uint32_t lookup(const flow_key& k) const { return table.lookup(k).value_or(UINT32_MAX); }
  std::uint32_t lookup_hashed(const flow_key& k, std::uint32_t h) const { return table.lookup(k, h).value_or(UINT32_MAX); }
  std::uint64_t lookup_burst(const flow_key* keys, std::uint32_t* values) const {
    return table.lookup_bulk(std::span<const flow_key>(keys, burst), {}, values);
  }
  double load() const { return double(table.size()) / table.slot_count(); }
};

struct rte_hash_subject {
  rte_hash* h = nullptr;
  std::size_t slots = 0;
  rte_hash_subject(std::size_t n, double) {
    static int serial = 0;
    const std::string name = "bench" + std::to_string(serial++);
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = static_cast<std::uint32_t>(n + batch);
    params.key_len = sizeof(flow_key);
    params.hash_func = rte_hash_crc;
    params.hash_func_init_val = 0;
    params.socket_id = static_cast<int>(rte_socket_id());
    // Lock-free readers, one writer: the mode a per-lcore table with telemetry readers needs.
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
    h = rte_hash_create(&params);
    if (h == nullptr) {
      std::fprintf(stderr, "rte_hash_create: %s\n", rte_strerror(rte_errno));
      std::abort();
    }
    slots = rte_align32pow2(params.entries);
  }
  ~rte_hash_subject() { rte_hash_free(h); }
  static std::string name(double) { return "rte_hash"; }
  std::uint32_t hash(const flow_key& k) const { return rte_hash_hash(h, &k); }
  bool insert(const flow_key& k, std::uint32_t v) {
    return rte_hash_add_key_data(h, &k, reinterpret_cast<void*>(std::uintptr_t{v})) == 0;
  }
  bool erase(const flow_key& k) {
    const std::int32_t pos = rte_hash_del_key(h, &k);
    if (pos < 0) {
      return false;
    }
    // Lock-free mode keeps the key slot until readers are quiescent (RCU); with no readers here
    // it is freed at once, and that cost belongs to erase.
    rte_hash_free_key_with_position(h, pos);
    return true;
  }
  std::uint32_t lookup(const flow_key& k) const {
    void* data;
    return rte_hash_lookup_data(h, &k, &data) >= 0 ? static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data)) : UINT32_MAX;
  }
  std::uint32_t lookup_hashed(const flow_key& k, std::uint32_t sig) const {
    void* data;
    return rte_hash_lookup_with_hash_data(h, &k, sig, &data) >= 0
               ? static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data))
               : UINT32_MAX;
  }
  std::uint64_t lookup_burst(const flow_key* keys, std::uint32_t* values) const {
    const void* key_ptrs[burst];
    void* data[burst];
    for (std::size_t i = 0; i < burst; ++i) {
      key_ptrs[i] = &keys[i];
    }
    std::uint64_t hits = 0;
    rte_hash_lookup_bulk_data(h, key_ptrs, burst, &hits, data);
    for (std::size_t i = 0; i < burst; ++i) {
      values[i] = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data[i]));
    }
    return hits;
  }
  double load() const { return double(rte_hash_count(h)) / slots; }
};

struct unordered_map_subject {
  std::unordered_map<flow_key, std::uint32_t, flow_key_hasher> map;
  unordered_map_subject(std::size_t n, double) { map.reserve(n + batch); }
  static std::string name(double) { return "unordered_map"; }
  std::uint32_t hash(const flow_key& k) const { return static_cast<std::uint32_t>(flow_key_hasher{}(k)); }
  bool insert(const flow_key& k, std::uint32_t v) { return map.emplace(k, v).second; }
  bool erase(const flow_key& k) { return map.erase(k) == 1; }
  std::uint32_t lookup(const flow_key& k) const {
    const auto it = map.find(k);
    return it == map.end() ? UINT32_MAX : it->second;
  }
  // std::unordered_map cannot take a precomputed hash: this is a plain find.
  std::uint32_t lookup_hashed(const flow_key& k, std::uint32_t) const { return lookup(k); }
  std::uint64_t lookup_burst(const flow_key* keys, std::uint32_t* values) const {
    std::uint64_t hits = 0;
    for (std::size_t i = 0; i < burst; ++i) {
      const auto it = map.find(keys[i]);
      if (it != map.end()) {
        values[i] = it->second;
        hits |= std::uint64_t{1} << i;
      }
    }
    return hits;
  }
  double load() const { return map.load_factor(); }
};

// ---- one populated subject at a time (10M-entry tables are large) ----

template <class Subject>
struct population {
  std::size_t n;
  Subject subject;
  std::vector<flow_key> lookup_order;     // the n present keys, in an order unrelated to insertion
  std::vector<std::uint32_t> lookup_hashes;  // their hashes, as a NIC would deliver them
  std::vector<flow_key> absent;           // fresh_keys keys never inserted
  std::size_t fresh_cursor = 0;
  std::size_t erase_cursor = 0;

  population(std::size_t n_, double load) : n(n_), subject(n_, load) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!subject.insert(key_for(i), value_for(i))) {
        std::fprintf(stderr, "%s: insert %zu of %zu refused\n", Subject::name(load).c_str(), i, n);
        std::abort();
      }
    }
    // A stride coprime with n visits every index once, far from insertion order.
    std::size_t stride = 2654435761U % n;
    while (std::gcd(stride, n) != 1) {
      ++stride;
    }
    lookup_order.reserve(n);
    lookup_hashes.reserve(n);
    for (std::size_t j = 0, i = 0; j < n; ++j, i = (i + stride) % n) {
      lookup_order.push_back(key_for(i));
      lookup_hashes.push_back(subject.hash(lookup_order.back()));
    }
    absent.reserve(fresh_keys);
    for (std::size_t i = 0; i < fresh_keys; ++i) {
      absent.push_back(key_for(n + i));
    }
  }
};

struct population_slot {
  std::string id;
  std::shared_ptr<void> object;
};
population_slot current;

template <class Subject>
population<Subject>& populated(std::size_t n, double load) {
  const std::string id = Subject::name(load) + "/" + std::to_string(n);
  if (current.id != id) {
    current.object.reset();  // free the previous subject first
    current.object = std::make_shared<population<Subject>>(n, load);
    current.id = id;
  }
  return *static_cast<population<Subject>*>(current.object.get());
}

void report(benchmark::State& state, double ns, std::size_t ops, double load) {
  state.counters["ns_per_op"] = ns / static_cast<double>(ops);
  state.counters["load"] = load;
}

template <class Subject>
void lookup_hit(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  std::size_t i = 0;
  std::uint64_t misses = 0;
  const double t0 = cpu_clock::now_ns();
  for (auto _ : state) {
    const std::uint32_t v = p.subject.lookup(p.lookup_order[i]);
    misses += v == UINT32_MAX ? 1 : 0;
    if (++i == n) {
      i = 0;
    }
  }
  const double ns = cpu_clock::now_ns() - t0;
  if (misses != 0) {
    state.SkipWithError("a present key was not found");
  }
  report(state, ns, state.iterations(), p.subject.load());
}

template <class Subject>
void lookup_hit_prehashed(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  std::size_t i = 0;
  std::uint64_t misses = 0;
  const double t0 = cpu_clock::now_ns();
  for (auto _ : state) {
    misses += p.subject.lookup_hashed(p.lookup_order[i], p.lookup_hashes[i]) == UINT32_MAX ? 1 : 0;
    if (++i == n) {
      i = 0;
    }
  }
  const double ns = cpu_clock::now_ns() - t0;
  if (misses != 0) {
    state.SkipWithError("a present key was not found");
  }
  report(state, ns, state.iterations(), p.subject.load());
}

template <class Subject>
void lookup_miss(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  std::size_t i = 0;
  std::uint64_t hits = 0;
  const double t0 = cpu_clock::now_ns();
  for (auto _ : state) {
    hits += p.subject.lookup(p.absent[i]) != UINT32_MAX ? 1 : 0;
    if (++i == fresh_keys) {
      i = 0;
    }
  }
  const double ns = cpu_clock::now_ns() - t0;
  if (hits != 0) {
    state.SkipWithError("an absent key was found");
  }
  report(state, ns, state.iterations(), p.subject.load());
}

template <class Subject>
void lookup_bulk32(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  std::size_t i = 0;
  std::uint32_t values[burst];
  std::uint64_t incomplete = 0;
  const double t0 = cpu_clock::now_ns();
  for (auto _ : state) {
    incomplete += p.subject.lookup_burst(&p.lookup_order[i], values) != ~std::uint64_t{0} >> (64 - burst) ? 1 : 0;
    benchmark::DoNotOptimize(values);
    i += burst;
    if (i + burst > n) {
      i = 0;
    }
  }
  const double ns = cpu_clock::now_ns() - t0;
  if (incomplete != 0) {
    state.SkipWithError("a present key was not found");
  }
  report(state, ns, state.iterations() * burst, p.subject.load());
}

// Timed: 1024 inserts of keys not in the table. Untimed: erasing them again.
template <class Subject>
void insert(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  double ns = 0;
  std::uint64_t refused = 0;
  for (auto _ : state) {
    const std::size_t base = p.fresh_cursor;
    p.fresh_cursor = (p.fresh_cursor + batch) % fresh_keys;
    const double t0 = cpu_clock::now_ns();
    for (std::size_t i = 0; i < batch; ++i) {
      refused += p.subject.insert(p.absent[base + i], 1) ? 0 : 1;
    }
    const double elapsed = cpu_clock::now_ns() - t0;
    state.SetIterationTime(elapsed * 1e-9);
    ns += elapsed;
    for (std::size_t i = 0; i < batch; ++i) {
      p.subject.erase(p.absent[base + i]);
    }
  }
  if (refused != 0) {
    state.SkipWithError("an insert was refused");
  }
  report(state, ns, state.iterations() * batch, p.subject.load());
}

// Timed: 1024 erases of present keys. Untimed: inserting them again.
template <class Subject>
void erase(benchmark::State& state, std::size_t n, double load) {
  auto& p = populated<Subject>(n, load);
  double ns = 0;
  std::uint64_t missing = 0;
  for (auto _ : state) {
    if (p.erase_cursor + batch > n) {
      p.erase_cursor = 0;
    }
    const flow_key* keys = &p.lookup_order[p.erase_cursor];
    p.erase_cursor += batch;
    const double t0 = cpu_clock::now_ns();
    for (std::size_t i = 0; i < batch; ++i) {
      missing += p.subject.erase(keys[i]) ? 0 : 1;
    }
    const double elapsed = cpu_clock::now_ns() - t0;
    state.SetIterationTime(elapsed * 1e-9);
    ns += elapsed;
    for (std::size_t i = 0; i < batch; ++i) {
      p.subject.insert(keys[i], 2);
    }
  }
  if (missing != 0) {
    state.SkipWithError("an erase missed");
  }
  report(state, ns, state.iterations() * batch, p.subject.load());
}

template <class Subject>
void register_subject(std::size_t n, double load, const std::string& size_name) {
  const std::string suffix = "/" + Subject::name(load) + "/" + size_name;
  benchmark::RegisterBenchmark(("lookup_hit" + suffix).c_str(), lookup_hit<Subject>, n, load);
  benchmark::RegisterBenchmark(("lookup_hit_prehashed" + suffix).c_str(), lookup_hit_prehashed<Subject>, n, load);
  benchmark::RegisterBenchmark(("lookup_miss" + suffix).c_str(), lookup_miss<Subject>, n, load);
  benchmark::RegisterBenchmark(("lookup_bulk32" + suffix).c_str(), lookup_bulk32<Subject>, n, load);
  benchmark::RegisterBenchmark(("insert" + suffix).c_str(), insert<Subject>, n, load)->UseManualTime();
  benchmark::RegisterBenchmark(("erase" + suffix).c_str(), erase<Subject>, n, load)->UseManualTime();
}

}  // namespace

int main(int argc, char** argv) {
  // rte_hash allocates from DPDK's heap.
  if (!rampart::bench::start_eal("flow_bench", 4096)) {
    return 1;
  }

  const char* sizes_env = std::getenv("FLOW_BENCH_SIZES");  // e.g. "1000000" for a quick run
  std::vector<std::size_t> sizes = {1'000'000, 10'000'000};
  if (sizes_env != nullptr) {
    sizes = {std::strtoull(sizes_env, nullptr, 10)};
  }
  for (const std::size_t n : sizes) {
    const std::string size_name = n % 1'000'000 == 0 ? std::to_string(n / 1'000'000) + "M" : std::to_string(n);
    register_subject<rampart_subject>(n, 0.5, size_name);
    register_subject<rampart_subject>(n, 0.8, size_name);  // the default max_load
    register_subject<rampart_subject>(n, 0.9, size_name);
    register_subject<rte_hash_subject>(n, 0, size_name);
    register_subject<unordered_map_subject>(n, 0, size_name);
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  current.object.reset();
  rte_eal_cleanup();
  return 0;
}
