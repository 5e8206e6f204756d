#include "flow/flow_table.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include "flow_test_keys.hh"

using namespace rampart::flow;
using rampart::flow::test::distinct_keys;
using rampart::flow::test::fixed_seed;
using rampart::flow::test::value_of;

namespace {

flow_table make_table(std::uint32_t capacity, double max_load = 0.8, std::uint32_t max_probe = 64) {
  return flow_table(flow_table_options{capacity, max_load, max_probe, fixed_seed});
}

// Every key of `keys` found with value_of(key) by all three lookup paths.
void require_all_found(const flow_table& table, const std::vector<flow_key>& keys, std::uint32_t (*hash_of)(const flow_table&, const flow_key&)) {
  for (const flow_key& k : keys) {
    const std::uint32_t h = hash_of(table, k);
    const auto v = table.lookup(k, h);
    REQUIRE(v.has_value());
    REQUIRE(*v == value_of(k));
    const auto c = table.concurrent_lookup(k, h);
    REQUIRE(c.has_value());
    REQUIRE(*c == value_of(k));
  }
}

// The table's home bucket of a hash (multiply-shift), and the smallest hash with a given home.
std::uint32_t home_of(const flow_table& t, std::uint32_t h) {
  return static_cast<std::uint32_t>((std::uint64_t{h} * t.bucket_count()) >> 32);
}
std::uint32_t hash_with_home(const flow_table& t, std::uint32_t home) {
  return static_cast<std::uint32_t>(((std::uint64_t{home} << 32) + t.bucket_count() - 1) / t.bucket_count());
}

std::uint32_t software_hash(const flow_table& t, const flow_key& k) { return t.hash(k); }
// Every key into one bucket: the "test hash" that forces collisions (same home, same tag).
std::uint32_t constant_hash(const flow_table&, const flow_key&) { return 0x4000'00a5U; }

}  // namespace

TEST_CASE("insert, lookup and erase one key", "[unit][flow]") {
  flow_table table = make_table(128);
  const flow_key k{0xc0a80001, 0x0a4d0002, 40000, 80};

  CHECK_FALSE(table.lookup(k).has_value());
  REQUIRE(table.insert(k, 17) == insert_status::inserted);
  CHECK(table.size() == 1);
  REQUIRE(table.lookup(k) == std::optional<connection_handle>{17});
  CHECK(table.concurrent_lookup(k, table.hash(k)) == std::optional<connection_handle>{17});

  // Each field takes part in the key.
  CHECK_FALSE(table.lookup(flow_key{0xc0a80002, 0x0a4d0002, 40000, 80}).has_value());
  CHECK_FALSE(table.lookup(flow_key{0xc0a80001, 0x0a4d0003, 40000, 80}).has_value());
  CHECK_FALSE(table.lookup(flow_key{0xc0a80001, 0x0a4d0002, 40001, 80}).has_value());
  CHECK_FALSE(table.lookup(flow_key{0xc0a80001, 0x0a4d0002, 40000, 81}).has_value());

  REQUIRE(table.erase(k) == std::optional<connection_handle>{17});
  CHECK(table.size() == 0);
  CHECK_FALSE(table.lookup(k).has_value());
  CHECK_FALSE(table.concurrent_lookup(k, table.hash(k)).has_value());
  CHECK_FALSE(table.erase(k).has_value());
}

TEST_CASE("duplicate insert is refused and keeps the first value", "[unit][flow]") {
  flow_table table = make_table(128);
  const flow_key k{0x01020304, 0x0a4d0002, 1234, 443};
  REQUIRE(table.insert(k, 1) == insert_status::inserted);
  CHECK(table.insert(k, 2) == insert_status::duplicate);
  CHECK(table.size() == 1);
  CHECK(table.lookup(k) == std::optional<connection_handle>{1});
}

TEST_CASE("many keys: every one found, misses miss, erase of half", "[unit][flow]") {
  const auto keys = distinct_keys(20000, 1);
  const auto absent = distinct_keys(40000, 2);  // may overlap keys: filtered below
  flow_table table = make_table(10000, 0.9);
  std::vector<flow_key> inserted(keys.begin(), keys.begin() + 10000);
  for (const flow_key& k : inserted) {
    REQUIRE(table.insert(k, value_of(k)) == insert_status::inserted);
  }
  CHECK(table.size() == 10000);
  require_all_found(table, inserted, software_hash);
  for (std::size_t i = 10000; i < keys.size(); ++i) {
    REQUIRE_FALSE(table.lookup(keys[i]).has_value());
  }

  // Erase every other key: the survivors stay reachable even where an erased key was between
  // their home and their slot.
  std::vector<flow_key> survivors;
  for (std::size_t i = 0; i < inserted.size(); ++i) {
    if (i % 2 == 0) {
      REQUIRE(table.erase(inserted[i]) == std::optional<connection_handle>{value_of(inserted[i])});
    } else {
      survivors.push_back(inserted[i]);
    }
  }
  CHECK(table.size() == 5000);
  require_all_found(table, survivors, software_hash);
  for (std::size_t i = 0; i < inserted.size(); i += 2) {
    REQUIRE_FALSE(table.lookup(inserted[i]).has_value());
  }
}

TEST_CASE("a full table refuses inserts and keeps every entry", "[unit][flow]") {
  const auto keys = distinct_keys(1001, 3);
  flow_table table = make_table(1000, 0.95);
  for (std::size_t i = 0; i < 1000; ++i) {
    REQUIRE(table.insert(keys[i], value_of(keys[i])) == insert_status::inserted);
  }
  CHECK(table.insert(keys[1000], value_of(keys[1000])) == insert_status::table_full);
  CHECK(table.size() == 1000);
  CHECK_FALSE(table.lookup(keys[1000]).has_value());
  require_all_found(table, std::vector<flow_key>(keys.begin(), keys.begin() + 1000), software_hash);

  // Room again after an erase.
  REQUIRE(table.erase(keys[500]).has_value());
  CHECK(table.insert(keys[1000], value_of(keys[1000])) == insert_status::inserted);
  CHECK(table.lookup(keys[1000]) == std::optional<connection_handle>{value_of(keys[1000])});
}

TEST_CASE("forced collisions: one home bucket, a chain across buckets", "[unit][flow]") {
  const auto keys = distinct_keys(50, 4);
  flow_table table = make_table(1000);
  const std::uint32_t h = constant_hash(table, keys[0]);
  for (const flow_key& k : keys) {
    REQUIRE(table.insert(k, value_of(k), h) == insert_status::inserted);
  }
  // 50 keys, 7 per bucket: the last ones sit 7 buckets past home.
  CHECK(table.longest_probe() == 7);
  require_all_found(table, keys, constant_hash);
  CHECK(table.insert(keys[10], 0, h) == insert_status::duplicate);  // found past home, not re-added

  SECTION("erase in the middle of the chain") {
    // keys[20] lives two buckets past home; keys after it must stay reachable.
    REQUIRE(table.erase(keys[20], h) == std::optional<connection_handle>{value_of(keys[20])});
    CHECK_FALSE(table.lookup(keys[20], h).has_value());
    std::vector<flow_key> rest = keys;
    rest.erase(rest.begin() + 20);
    require_all_found(table, rest, constant_hash);
    // The hole is reused: a new colliding key fills it rather than extending the chain.
    const flow_key extra{0x7f000001, 0x0a4d0002, 1, 80};
    REQUIRE(table.insert(extra, 99, h) == insert_status::inserted);
    CHECK(table.lookup(extra, h) == std::optional<connection_handle>{99});
    CHECK(table.longest_probe() == 7);
  }
  SECTION("erase all but the last key: it stays reachable through emptied buckets") {
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
      REQUIRE(table.erase(keys[i], h).has_value());
    }
    require_all_found(table, {keys.back()}, constant_hash);
    REQUIRE(table.erase(keys.back(), h).has_value());
    CHECK(table.size() == 0);
    for (const flow_key& k : keys) {
      REQUIRE_FALSE(table.lookup(k, h).has_value());
    }
  }
  SECTION("keys homed on the chain's full buckets are pushed further and still found") {
    // One key homed at every bucket: those whose home the chain filled land elsewhere.
    std::vector<flow_key> spread;
    for (std::uint32_t b = 0; b < table.bucket_count(); ++b) {
      const flow_key k{0x08000000 + b, 0x0a4d0002, 53, 80};
      REQUIRE(home_of(table, hash_with_home(table, b)) == b);
      REQUIRE(table.insert(k, value_of(k), hash_with_home(table, b)) == insert_status::inserted);
      spread.push_back(k);
    }
    const auto spread_hash = [](const flow_table& t, const flow_key& k) { return hash_with_home(t, k.remote_ip - 0x08000000); };
    require_all_found(table, spread, spread_hash);
    require_all_found(table, keys, constant_hash);
    for (const flow_key& k : keys) {
      REQUIRE(table.erase(k, h).has_value());
    }
    require_all_found(table, spread, spread_hash);
  }
}

TEST_CASE("forced collisions wrap around the end of the bucket array", "[unit][flow]") {
  const auto keys = distinct_keys(30, 5);
  flow_table table = make_table(100);
  const std::uint32_t last = 0xffff'ff11U;  // home = last bucket
  for (const flow_key& k : keys) {
    REQUIRE(table.insert(k, value_of(k), last) == insert_status::inserted);
  }
  for (const flow_key& k : keys) {
    REQUIRE(table.lookup(k, last) == std::optional<connection_handle>{value_of(k)});
  }
  REQUIRE(table.erase(keys[3], last).has_value());
  REQUIRE(table.erase(keys[29], last).has_value());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CHECK(table.lookup(keys[i], last).has_value() == (i != 3 && i != 29));
  }
}

TEST_CASE("a collision chain longer than max_probe is refused cleanly", "[unit][flow]") {
  const auto keys = distinct_keys(15, 6);
  flow_table table = make_table(1000, 0.8, 2);
  const std::uint32_t h = 0x1234'5678U;
  for (std::size_t i = 0; i < 14; ++i) {
    REQUIRE(table.insert(keys[i], value_of(keys[i]), h) == insert_status::inserted);
  }
  CHECK(table.insert(keys[14], 0, h) == insert_status::probe_limit);
  CHECK(table.size() == 14);
  for (std::size_t i = 0; i < 14; ++i) {
    REQUIRE(table.lookup(keys[i], h) == std::optional<connection_handle>{value_of(keys[i])});
  }
  CHECK_FALSE(table.lookup(keys[14], h).has_value());
}

TEST_CASE("bulk lookup answers what single lookups answer", "[unit][flow]") {
  const auto keys = distinct_keys(12000, 7);
  flow_table table = make_table(9000, 0.95, 128);  // high load: many keys live past their home
  for (std::size_t i = 0; i < 9000; ++i) {
    REQUIRE(table.insert(keys[i], value_of(keys[i])) == insert_status::inserted);
  }
  REQUIRE(table.longest_probe() >= 1);

  // Bursts mixing hits and misses, with the table's hash computed inside and passed in.
  std::vector<flow_key> burst;
  std::vector<std::uint32_t> hashes;
  std::size_t hits_seen = 0;
  for (std::size_t start = 0; start + 64 <= keys.size(); start += 37) {
    burst.assign(keys.begin() + start, keys.begin() + start + 64);
    std::rotate(burst.begin(), burst.begin() + 13, burst.end());
    hashes.clear();
    for (const flow_key& k : burst) {
      hashes.push_back(table.hash(k));
    }
    for (const bool pass_hashes : {false, true}) {
      connection_handle values[flow_table::max_burst];
      const std::uint64_t mask =
          table.lookup_bulk(burst, pass_hashes ? std::span<const std::uint32_t>(hashes) : std::span<const std::uint32_t>{}, values);
      for (std::size_t i = 0; i < burst.size(); ++i) {
        const auto single = table.lookup(burst[i]);
        REQUIRE(((mask >> i) & 1) == (single.has_value() ? 1U : 0U));
        if (single) {
          REQUIRE(values[i] == *single);
          ++hits_seen;
        }
      }
    }
  }
  CHECK(hits_seen > 1000);  // both outcomes were exercised

  SECTION("short bursts touch only their own elements") {
    connection_handle values[3] = {7, 7, 7};
    const flow_key three[3] = {keys[0], keys[11000], keys[1]};
    CHECK(table.lookup_bulk(three, {}, values) == 0b101);
    CHECK(values[0] == value_of(keys[0]));
    CHECK(values[2] == value_of(keys[1]));
    CHECK(table.lookup_bulk(std::span<const flow_key>{}, {}, values) == 0);
  }
}

TEST_CASE("bulk lookup over a forced collision chain", "[unit][flow]") {
  const auto keys = distinct_keys(40, 8);
  flow_table table = make_table(1000);
  const std::uint32_t h = 0x8000'0042U;
  for (std::size_t i = 0; i < 30; ++i) {
    REQUIRE(table.insert(keys[i], value_of(keys[i]), h) == insert_status::inserted);
  }
  const std::vector<std::uint32_t> hashes(keys.size(), h);
  connection_handle values[40];
  const std::uint64_t mask = table.lookup_bulk(keys, hashes, values);
  CHECK(mask == (std::uint64_t{1} << 30) - 1);
  for (std::size_t i = 0; i < 30; ++i) {
    REQUIRE(values[i] == value_of(keys[i]));
  }
}

TEST_CASE("concurrent_for_each visits every entry once with its value", "[unit][flow]") {
  const auto keys = distinct_keys(3000, 9);
  flow_table table = make_table(3000, 0.9);
  for (const flow_key& k : keys) {
    REQUIRE(table.insert(k, value_of(k)) == insert_status::inserted);
  }
  std::map<std::uint64_t, int> visits;
  table.concurrent_for_each([&](const flow_key& k, connection_handle v) {
    CHECK(v == value_of(k));
    ++visits[std::uint64_t{k.remote_ip} << 32 | k.ports_word()];
  });
  CHECK(visits.size() == keys.size());
  CHECK(std::all_of(visits.begin(), visits.end(), [](const auto& e) { return e.second == 1; }));
}

TEST_CASE("the software hash depends on the seed", "[unit][flow]") {
  const auto keys = distinct_keys(1000, 10);
  const hash_seed other{fixed_seed.k0 ^ 1, fixed_seed.k1};
  int same = 0;
  for (const flow_key& k : keys) {
    CHECK(flow_hash(k, fixed_seed) == flow_hash(k, fixed_seed));
    same += flow_hash(k, fixed_seed) == flow_hash(k, other) ? 1 : 0;
  }
  CHECK(same < 5);
  const hash_seed a = hash_seed::random();
  const hash_seed b = hash_seed::random();
  CHECK((a.k0 != b.k0 || a.k1 != b.k1));
  CHECK((a.k1 >> 63) == 1);
}

TEST_CASE("the software hash spreads keys that differ in one port bit", "[unit][flow]") {
  // Sequential client ports from one address (a load generator) must not cluster.
  flow_table table = make_table(50000, 0.8);
  for (std::uint32_t i = 0; i < 50000; ++i) {
    const flow_key k{0x0a000001 + (i >> 16), 0x0a4d0002, static_cast<std::uint16_t>(i), 80};
    REQUIRE(table.insert(k, i) == insert_status::inserted);
  }
  // At 80% load a uniform hash keeps every key within ~10 steps of home (an ideal random hash:
  // 13 at 1M keys); a hash that clusters sequential ports walks far longer.
  CHECK(table.longest_probe() <= 16);
}

TEST_CASE("bad options are rejected at construction", "[unit][flow]") {
  CHECK_THROWS_AS(flow_table(flow_table_options{0, 0.8, 64, fixed_seed}), std::invalid_argument);
  CHECK_THROWS_AS(flow_table(flow_table_options{10, 0.0, 64, fixed_seed}), std::invalid_argument);
  CHECK_THROWS_AS(flow_table(flow_table_options{10, 1.5, 64, fixed_seed}), std::invalid_argument);
  CHECK_THROWS_AS(flow_table(flow_table_options{10, 0.8, 0, fixed_seed}), std::invalid_argument);
  const flow_table t(flow_table_options{70, 0.5, 64, fixed_seed});
  CHECK(t.bucket_count() == 23);  // 70 / (0.5 * 7) = 20, rounded up to a prime
  CHECK(t.slot_count() == 161);
  CHECK(t.capacity() == 70);
}
