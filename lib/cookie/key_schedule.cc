#include "cookie/key_schedule.hh"

#include "net/hex.hh"
#include "trust/file_trust.hh"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace rampart::cookie {

namespace {

// Public, fixed compression keys ("rampart-cookie-0" / "-1" as little-endian words). They only
// separate this use of SipHash from any other; the secrecy is all in the master.
constexpr siphash_key compress_key_0{0x632d747261706d61ULL, 0x302d65696b6f6f63ULL};
constexpr siphash_key compress_key_1{0x632d747261706d61ULL, 0x312d65696b6f6f63ULL};

void validate_rotation(std::uint32_t rotation_seconds) {
  if (rotation_seconds < min_rotation_seconds || rotation_seconds % tick_seconds != 0) {
    throw key_error("syn cookie rotation period " + std::to_string(rotation_seconds) +
                    " s: must be a multiple of " + std::to_string(tick_seconds) + " s and at least " +
                    std::to_string(min_rotation_seconds) + " s (the cookie validity window)");
  }
}

// Appended to every refusal of a file's contents, so the message that refuses one says what to
// write instead.
constexpr const char* expected_format =
    " (expected: at least 16 bytes of random secret, raw or as hex digits, e.g. made with "
    "`head -c 32 /dev/urandom | xxd -p -c 64 > FILE; chmod 600 FILE`)";

bool is_trailing_space(std::byte b) noexcept {
  const auto c = static_cast<unsigned char>(b);
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Scrubs secret bytes from buffers the control thread is done with, so a core dump or a later
// allocation does not carry them. explicit_bzero is not elided by the optimiser.
void scrub(void* p, std::size_t n) noexcept {
  if (n != 0) {
    explicit_bzero(p, n);
  }
}

}  // namespace

std::vector<std::byte> decode_master_secret(std::span<const std::byte> contents) {
  std::size_t end = contents.size();
  while (end > 0 && is_trailing_space(contents[end - 1])) {
    --end;
  }
  bool all_hex = end > 0;
  for (std::size_t i = 0; i < end && all_hex; ++i) {
    all_hex = net::hex_value(static_cast<char>(contents[i])) >= 0;
  }

  std::vector<std::byte> master;
  if (all_hex) {
    if (end % 2 != 0) {
      throw key_error("master secret: hex with an odd number of digits (" + std::to_string(end) + ")");
    }
    master.reserve(end / 2);
    for (std::size_t i = 0; i < end; i += 2) {
      const int hi = net::hex_value(static_cast<char>(contents[i]));
      const int lo = net::hex_value(static_cast<char>(contents[i + 1]));
      master.push_back(static_cast<std::byte>(hi << 4 | lo));
    }
  } else {
    master.assign(contents.begin(), contents.end());
  }
  if (master.size() < min_master_secret_bytes) {
    const std::size_t size = master.size();
    scrub(master.data(), master.size());
    throw key_error(std::string("master secret: ") + (all_hex ? "hex decodes to " : "raw secret is ") +
                    std::to_string(size) + " bytes; need at least " +
                    std::to_string(min_master_secret_bytes) + " (128 bits)");
  }
  return master;
}

siphash_key compress_master_secret(std::span<const std::byte> master) {
  if (master.size() < min_master_secret_bytes) {
    throw key_error("master secret is " + std::to_string(master.size()) + " bytes; need at least " +
                    std::to_string(min_master_secret_bytes));
  }
  return {siphash24(compress_key_0, master), siphash24(compress_key_1, master)};
}

siphash_key derive_epoch_key(const siphash_key& master_key, std::uint64_t epoch,
                             std::uint32_t rotation_seconds) noexcept {
  const std::uint64_t domain = std::uint64_t{rotation_seconds} << 8;
  return {siphash24_words(master_key, epoch, domain | 0), siphash24_words(master_key, epoch, domain | 1)};
}

siphash_key random_key() {
  std::array<std::byte, 16> bytes;
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    // Blocks only until the kernel's pool is initialised once after boot (getrandom(2)).
    const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw key_error(std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(n);
  }
  const siphash_key key = siphash_key::from_bytes(bytes);
  scrub(bytes.data(), bytes.size());
  return key;
}

key_schedule::key_schedule(std::uint32_t rotation_seconds, std::optional<siphash_key> master_key)
    : _rotation_seconds(rotation_seconds),
      _master_key(master_key),
      _random_keys(rotation_seconds / tick_seconds) {}

key_schedule key_schedule::random(std::uint32_t rotation_seconds) {
  validate_rotation(rotation_seconds);
  return key_schedule(rotation_seconds, std::nullopt);
}

key_schedule key_schedule::derived(std::span<const std::byte> master, std::uint32_t rotation_seconds) {
  validate_rotation(rotation_seconds);
  return key_schedule(rotation_seconds, compress_master_secret(master));
}

key_schedule key_schedule::from_master_file(const std::filesystem::path& path, std::uint32_t rotation_seconds) {
  validate_rotation(rotation_seconds);
  const std::string file = "master secret file " + path.string() + ": ";
  // O_NONBLOCK: a FIFO given by mistake is refused below instead of blocking the start.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw key_error(file + "cannot open: " + std::strerror(errno));
  }
  // The file's facts come from the descriptor that is read, so it cannot be swapped in between.
  struct stat st {};
  std::optional<std::string> problem =
      fstat(fd, &st) != 0 ? std::optional<std::string>(std::string("stat failed: ") + std::strerror(errno))
                          : trust::secret_problem(path.string(), trust::file_facts::of(st), geteuid());
  std::vector<char> raw;
  if (!problem) {
    raw.resize(static_cast<std::size_t>(st.st_size));
    std::size_t filled = 0;
    while (filled < raw.size()) {
      const ssize_t n = read(fd, raw.data() + filled, raw.size() - filled);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        problem = std::string("read failed: ") + (n < 0 ? std::strerror(errno) : "file shrank while read");
        break;
      }
      filled += static_cast<std::size_t>(n);
    }
  }
  close(fd);
  if (problem) {
    scrub(raw.data(), raw.size());
    throw key_error(file + *problem);
  }
  try {
    std::vector<std::byte> master = decode_master_secret(std::as_bytes(std::span(raw)));
    scrub(raw.data(), raw.size());
    key_schedule schedule = derived(master, rotation_seconds);
    scrub(master.data(), master.size());
    return schedule;
  } catch (const key_error& e) {
    scrub(raw.data(), raw.size());
    throw key_error(file + e.what() + expected_format);
  }
}

key_set key_schedule::keys_at(std::uint64_t now_unix_ns) {
  const std::uint64_t epoch = epoch_at(now_unix_ns);
  key_set keys(ticks_per_epoch());
  for (std::uint64_t e = (epoch == 0 ? 0 : epoch - 1); e <= epoch + 1; ++e) {
    if (_master_key) {
      keys.put(e, derive_epoch_key(*_master_key, e, _rotation_seconds));
      continue;
    }
    if (_random_keys.find(e) == nullptr) {
      _random_keys.put(e, random_key());
    }
    keys.put(e, *_random_keys.find(e));
  }
  return keys;
}

}  // namespace rampart::cookie
