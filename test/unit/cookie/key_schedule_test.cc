// Key sets and key schedules: slot behaviour, random and derived keys, multi-node agreement,
// master secret files (hex, raw, and every way they can be wrong).
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cookie/key_schedule.hh"
#include "cookie/syn_cookie.hh"

using namespace rampart::cookie;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t base_ns = 1'704'067'200'000'000'000ULL + 77'000'000'000ULL;

// A scratch directory per test run, removed at the end of each test.
class scratch_dir {
 public:
  scratch_dir() {
    _path = fs::temp_directory_path() / ("rampart-cookie-test-" + std::to_string(::getpid()));
    fs::create_directories(_path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(_path, ec);
  }
  fs::path write(const std::string& name, const std::string& contents) const {
    const fs::path p = _path / name;
    std::ofstream(p, std::ios::binary) << contents;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);  // as a secret must be
    return p;
  }
  const fs::path& path() const { return _path; }

 private:
  fs::path _path;
};

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const key_error& e) {
    return e.what();
  }
  return "(no key_error)";
}

const syn_fields syn{{0xc0a80001, 0xc0a80002, 51000, 443}, 0xdeadbeef, 1460, cookie_options{7, true, false}};

ack_fields ack_for(std::uint32_t cookie) {
  return {syn.tuple, cookie, syn.client_isn, encode_tsval(123456, *syn.timestamp_options)};
}

}  // namespace

TEST_CASE("key_set finds a key only under its own epoch", "[unit][cookie]") {
  key_set keys(4);
  CHECK(keys.find(0) == nullptr);
  CHECK(keys.newest_epoch() == 0);
  keys.put(10, {1, 2});
  keys.put(11, {3, 4});
  REQUIRE(keys.find(10) != nullptr);
  CHECK(*keys.find(10) == siphash_key{1, 2});
  CHECK(*keys.find(11) == siphash_key{3, 4});
  CHECK(keys.find(13) == nullptr);  // same slot as 10, different epoch
  CHECK(keys.newest_epoch() == 11);
  keys.put(13, {5, 6});  // replaces 10
  CHECK(keys.find(10) == nullptr);
  CHECK(*keys.find(13) == siphash_key{5, 6});
  CHECK(keys.epoch_of_tick(43) == 10);
  CHECK(keys.find_for_tick(44) == keys.find(11));
  CHECK(key_set(0).ticks_per_epoch() == 1);
}

TEST_CASE("rotation period must be a multiple of the tick covering the window", "[unit][cookie]") {
  for (std::uint32_t bad : {0U, 16U, 48U, 100U, 65U}) {
    INFO("rotation " << bad);
    CHECK_THROWS_AS(key_schedule::random(bad), key_error);
  }
  CHECK_THAT(message_of([] { key_schedule::random(100); }), Catch::Contains("multiple of 16"));
  CHECK(key_schedule::random(64).rotation_seconds() == 64);
  CHECK(key_schedule::random(3600).keys_at(base_ns).ticks_per_epoch() == 225);
}

TEST_CASE("keys_at holds previous, current and next epoch", "[unit][cookie]") {
  for (bool derived : {false, true}) {
    const std::string master(32, 'x');
    key_schedule schedule = derived ? key_schedule::derived(bytes_of(master), 128) : key_schedule::random(128);
    const std::uint64_t e = schedule.epoch_at(base_ns);
    CHECK(e == base_ns / 128'000'000'000ULL);
    const key_set keys = schedule.keys_at(base_ns);
    REQUIRE(keys.find(e - 1) != nullptr);
    REQUIRE(keys.find(e) != nullptr);
    REQUIRE(keys.find(e + 1) != nullptr);
    CHECK(keys.newest_epoch() == e + 1);
    CHECK_FALSE(*keys.find(e) == *keys.find(e - 1));
    CHECK_FALSE(*keys.find(e) == *keys.find(e + 1));

    // Stable: asking again, or one epoch later, gives the same key for the same epoch.
    CHECK(*schedule.keys_at(base_ns).find(e) == *keys.find(e));
    const key_set later = schedule.keys_at(base_ns + 128'000'000'000ULL);
    CHECK(*later.find(e) == *keys.find(e));
    CHECK(*later.find(e + 1) == *keys.find(e + 1));
    CHECK(later.find(e - 1) == nullptr);
  }
}

TEST_CASE("two schedules from one master accept each other's cookies", "[unit][cookie]") {
  const std::string master = "0123456789abcdef0123456789abcdef-not-hex-so-raw";
  key_schedule node_a = key_schedule::derived(bytes_of(master), 64);
  key_schedule node_b = key_schedule::derived(bytes_of(master), 64);
  const auto cookie = make_syn_cookie(syn, base_ns, node_a.keys_at(base_ns));
  REQUIRE(cookie.has_value());
  // Node B checks 20 s later, possibly after a rotation, with its own independently built set.
  const std::uint64_t later = base_ns + 20'000'000'000ULL;
  CHECK(check_syn_cookie(ack_for(*cookie), later, node_b.keys_at(later)).ok());

  SECTION("a different master rejects") {
    std::string other = master;
    other[0] ^= 1;
    key_schedule node_c = key_schedule::derived(bytes_of(other), 64);
    const check_result r = check_syn_cookie(ack_for(*cookie), later, node_c.keys_at(later));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == cookie_error::bad_hash);
  }
  SECTION("a different rotation period rejects") {
    key_schedule node_d = key_schedule::derived(bytes_of(master), 128);
    CHECK_FALSE(check_syn_cookie(ack_for(*cookie), later, node_d.keys_at(later)).ok());
  }
  SECTION("random schedules never agree") {
    key_schedule node_e = key_schedule::random(64);
    CHECK_FALSE(check_syn_cookie(ack_for(*cookie), later, node_e.keys_at(later)).ok());
  }
}

TEST_CASE("derive_epoch_key is a function of master, epoch and period only", "[unit][cookie]") {
  const siphash_key m = compress_master_secret(bytes_of(std::string(16, 'k')));
  CHECK(derive_epoch_key(m, 5, 64) == derive_epoch_key(m, 5, 64));
  CHECK_FALSE(derive_epoch_key(m, 5, 64) == derive_epoch_key(m, 6, 64));
  CHECK_FALSE(derive_epoch_key(m, 5, 64) == derive_epoch_key(m, 5, 128));
  const siphash_key m2 = compress_master_secret(bytes_of(std::string(15, 'k') + "j"));
  CHECK_FALSE(derive_epoch_key(m, 5, 64) == derive_epoch_key(m2, 5, 64));
  // Every byte of a long master matters, not only the first 16.
  const siphash_key long1 = compress_master_secret(bytes_of(std::string(40, 'k')));
  const siphash_key long2 = compress_master_secret(bytes_of(std::string(39, 'k') + "j"));
  CHECK_FALSE(long1 == long2);
}

TEST_CASE("decode_master_secret: hex or raw", "[unit][cookie]") {
  const std::string hex = "00112233445566778899aabbccddeeff";
  const auto decoded = decode_master_secret(bytes_of(hex + "\n"));
  REQUIRE(decoded.size() == 16);
  CHECK(decoded[0] == std::byte{0x00});
  CHECK(decoded[15] == std::byte{0xff});
  CHECK(decode_master_secret(bytes_of("00112233445566778899AABBCCDDEEFF \r\n\t")) == decoded);

  // Not all hex: raw, byte for byte, trailing newline included.
  const std::string raw = "correct horse battery staple\n";
  const auto r = decode_master_secret(bytes_of(raw));
  CHECK(r.size() == raw.size());
  CHECK(r.back() == std::byte{'\n'});

  CHECK_THAT(message_of([] { decode_master_secret(bytes_of("short raw key")); }),
             Catch::Contains("13 bytes") && Catch::Contains("at least 16"));
  CHECK_THAT(message_of([] { decode_master_secret(bytes_of("0011223344556677")); }),
             Catch::Contains("hex decodes to 8 bytes"));
  CHECK_THAT(message_of([] { decode_master_secret(bytes_of("00112233445566778899aabbccddeeff0")); }),
             Catch::Contains("odd number"));
  CHECK_THROWS_AS(decode_master_secret(bytes_of("")), key_error);
}

TEST_CASE("master secret files", "[unit][cookie]") {
  scratch_dir dir;
  const std::string hex = "8f14e45fceea167a5a36dedd4bea2543aabbccddeeff00112233445566778899";

  SECTION("hex and raw files with the same bytes give the same keys") {
    const fs::path hex_file = dir.write("hex", hex + "\n");
    std::string raw;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    REQUIRE(raw.find_first_not_of("0123456789abcdefABCDEF \t\r\n") != std::string::npos);  // really raw
    const fs::path raw_file = dir.write("raw", raw);
    key_schedule a = key_schedule::from_master_file(hex_file, 64);
    key_schedule b = key_schedule::from_master_file(raw_file, 64);
    CHECK(a.is_derived());
    const std::uint64_t e = a.epoch_at(base_ns);
    CHECK(*a.keys_at(base_ns).find(e) == *b.keys_at(base_ns).find(e));
    CHECK(*a.keys_at(base_ns).find(e) == *key_schedule::derived(bytes_of(raw), 64).keys_at(base_ns).find(e));
  }
  SECTION("too short") {
    const fs::path p = dir.write("short", "tooshort");
    const std::string msg = message_of([&] { key_schedule::from_master_file(p, 64); });
    CHECK_THAT(msg, Catch::Contains(p.string()) && Catch::Contains("need at least 16"));
    CHECK_THAT(msg, !Catch::Contains("tooshort"));  // the secret itself never appears
    CHECK_THAT(msg, Catch::Contains("expected: at least 16 bytes of random secret, raw or as hex digits"));
  }
  SECTION("readable by group or others") {
    const fs::path p = dir.write("open", hex);
    fs::permissions(p, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
    CHECK(message_of([&] { key_schedule::from_master_file(p, 64); }) ==
          "master secret file " + p.string() + ": mode 0644 gives group or others access to the secret: chmod 600 " +
              p.string());
  }
  SECTION("owned by another user") {
    if (geteuid() != 0) {
      WARN("not run: only root can give a file away");
      return;
    }
    const fs::path p = dir.write("foreign", hex);
    REQUIRE(chown(p.c_str(), 65534, 65534) == 0);
    CHECK_THAT(message_of([&] { key_schedule::from_master_file(p, 64); }),
               Catch::StartsWith("master secret file " + p.string() + ": owned by uid 65534, not root") &&
                   Catch::EndsWith(": chown 0 " + p.string()));
  }
  SECTION("empty") {
    const fs::path p = dir.write("empty", "");
    CHECK_THAT(message_of([&] { key_schedule::from_master_file(p, 64); }), Catch::Contains("0 bytes"));
  }
  SECTION("missing") {
    const fs::path p = dir.path() / "absent";
    CHECK_THAT(message_of([&] { key_schedule::from_master_file(p, 64); }),
               Catch::Contains(p.string()) && Catch::Contains("cannot open") &&
                   Catch::Contains("No such file"));
  }
  SECTION("a directory") {
    CHECK_THAT(message_of([&] { key_schedule::from_master_file(dir.path(), 64); }),
               Catch::Contains("not a regular file"));
  }
  SECTION("bad rotation is reported before the file is read") {
    const fs::path p = dir.write("hex", hex);
    CHECK_THAT(message_of([&] { key_schedule::from_master_file(p, 10); }), Catch::Contains("rotation"));
  }
}
