#pragma once
// Where cookie keys come from. Control thread only: this file allocates, reads files, calls
// getrandom(2) and throws key_error; workers only ever see the key_set values it builds.
//
// Two sources (docs/syncookies.md, "Rotation" and "Several nodes"):
//  - random:  a fresh 128-bit key per epoch from getrandom(2). One node only: no other node can
//             check these cookies.
//  - derived: keys are a PRF of a shared master secret and the epoch number, so every node with
//             the same master, the same rotation period and a synchronised clock (within 16 s,
//             see key_set.hh) accepts every other node's cookies with no coordination.
//
// Derivation (SipHash-2-4 as the PRF throughout):
//   K_master = ( SipHash(C0, master bytes), SipHash(C1, master bytes) )   C0, C1 public constants
//   k_epoch  = ( SipHash(K_master, [epoch, rotation_seconds << 8 | 0]),
//                SipHash(K_master, [epoch, rotation_seconds << 8 | 1]) )  two LE 64-bit words each
// The first step only compresses a master of any length (>= 16 bytes) to 128 bits; the master
// must carry >= 128 bits of entropy (e.g. `head -c 32 /dev/urandom | xxd -p -c 64`). The rotation
// period enters the second step so nodes configured with different periods fail closed instead
// of sharing keys under differently numbered epochs.
//
// Rotation: every rotation_seconds (a multiple of tick_seconds, >= min_rotation_seconds), the
// epoch advances; keys_at() always returns previous, current and next epoch keys, so a cookie
// made just before a rotation stays checkable through its whole validity window.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "cookie/key_set.hh"

namespace rampart::cookie {

// Bad rotation period, unreadable / too short / malformed master secret, getrandom failure. The
// message names the file and the reason, never secret bytes.
class key_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t min_master_secret_bytes = 16;

// Decodes a master secret file's contents. Hex when, after trailing whitespace (spaces, tabs,
// CR, LF) is removed, every remaining character is a hex digit: the digits are decoded (odd count
// is an error). Raw otherwise: the whole file, byte for byte, trailing newline included. Either
// way the result must be >= 16 bytes. Throws key_error ("... is N bytes; need at least 16").
std::vector<std::byte> decode_master_secret(std::span<const std::byte> contents);

// K_master (derivation above) of a decoded master secret; key_error if shorter than 16 bytes.
siphash_key compress_master_secret(std::span<const std::byte> master);

// k_epoch (derivation above). Pure: what every node computes for the same inputs.
siphash_key derive_epoch_key(const siphash_key& master_key, std::uint64_t epoch,
                             std::uint32_t rotation_seconds) noexcept;

// A fresh key from getrandom(2); key_error if the kernel cannot supply one.
siphash_key random_key();

class key_schedule {
 public:
  // Random per-epoch keys. key_error on a bad rotation period.
  static key_schedule random(std::uint32_t rotation_seconds);
  // Keys derived from `master` (decoded bytes, >= 16). key_error on a bad period or short master.
  static key_schedule derived(std::span<const std::byte> master, std::uint32_t rotation_seconds);
  // Reads and decodes `path` (decode_master_secret), then as derived(). key_error naming the path
  // when it cannot be read, is not a regular file owned by root or this process's user with no
  // access for group or others (trust::secret_problem, with the chown / chmod that fixes it), is
  // too short or is malformed hex (with the expected format).
  static key_schedule from_master_file(const std::filesystem::path& path, std::uint32_t rotation_seconds);

  std::uint32_t rotation_seconds() const noexcept { return _rotation_seconds; }
  bool is_derived() const noexcept { return _master_key.has_value(); }
  std::uint64_t epoch_at(std::uint64_t now_unix_ns) const noexcept {
    return tick_at(now_unix_ns) / ticks_per_epoch();
  }

  // The key set for workers at `now`: the keys of epochs e - 1, e and e + 1, e = epoch_at(now).
  // Random mode creates a key the first time it sees an epoch and keeps it while the epoch stays
  // within one of the current one, so successive calls agree. Non-const for that reason; key_error
  // only if getrandom fails.
  key_set keys_at(std::uint64_t now_unix_ns);

 private:
  key_schedule(std::uint32_t rotation_seconds, std::optional<siphash_key> master_key);
  std::uint32_t ticks_per_epoch() const noexcept { return _rotation_seconds / tick_seconds; }

  std::uint32_t _rotation_seconds;
  std::optional<siphash_key> _master_key;  // derived mode
  key_set _random_keys;                    // random mode: the keys handed out so far
};

}  // namespace rampart::cookie
