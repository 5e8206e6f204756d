// rte_pcapng is an experimental API in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1
#include "engine/capture.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

namespace rampart::engine {

namespace {

rte_pcapng_t* writer_of(void* w) noexcept { return static_cast<rte_pcapng_t*>(w); }

// DPDK 22.11's rte_pcapng_copy turns the TSC into time with process-global state that it
// initialises lazily inside the first copy, after the caller read the TSC: that difference
// underflows and every later stamp is years off (seen here: 2008 dates). It also updates that
// state from every lcore without synchronisation. So each copy gets the session's own stamp: the
// Enhanced Packet Block the copy starts with (pcapng spec §4.3: block type, length, interface
// id, then the 64-bit timestamp as high and low 32-bit words, in the writer's byte order and the
// nanosecond resolution DPDK declares for its interfaces).
void stamp_frame(rte_mbuf* copy, std::uint64_t wall_ns) noexcept {
  auto* words = rte_pktmbuf_mtod(copy, std::uint32_t*);
  words[3] = static_cast<std::uint32_t>(wall_ns >> 32);
  words[4] = static_cast<std::uint32_t>(wall_ns);
}

// dpdk-dumpcap's copies are made in this process too (rte_pdump's callbacks on the workers), with
// the same library clock and no way for us to stamp them. Making the library's first conversion
// here, with a stamp safely after its lazy initialisation, sets that clock right for them.
void prime_pcapng_clock(rte_mempool* pool) noexcept {
  rte_mbuf* frame = rte_pktmbuf_alloc(pool);
  if (frame == nullptr || rte_pktmbuf_append(frame, RTE_ETHER_MIN_LEN) == nullptr) {
    rte_pktmbuf_free(frame);
    return;
  }
  rte_mbuf* copy = rte_pcapng_copy(0, 0, frame, pool, RTE_ETHER_MIN_LEN, rte_get_tsc_cycles() + rte_get_tsc_hz() / 2,
                                   RTE_PCAPNG_DIRECTION_UNKNOWN);
  rte_pktmbuf_free(copy);
  rte_pktmbuf_free(frame);
}

std::uint64_t wall_clock_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(now.tv_nsec);
}

}  // namespace

capture_session::~capture_session() {
  finish("shutdown");
  if (_ring != nullptr) {
    rte_ring_free(_ring);
  }
  if (_pool != nullptr) {
    rte_mempool_free(_pool);
  }
}

void capture_session::copy(rte_mbuf* const* pkts, std::uint16_t n, std::uint16_t port_id, std::uint16_t queue,
                           int direction) noexcept {
  for (std::uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (!_filter.matches(rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len)) {
      continue;
    }
    if (_remaining.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      _armed.store(false, std::memory_order_relaxed);
      return;
    }
    const std::uint64_t tsc = rte_get_tsc_cycles();
    rte_mbuf* c = rte_pcapng_copy(port_id, queue, m, _pool, snap_length, tsc,
                                  static_cast<rte_pcapng_direction>(direction));
    if (c != nullptr) {
      // A worker's TSC may trail the control lcore's by a few cycles: count that as the start.
      const std::uint64_t cycles = tsc > _start_tsc ? tsc - _start_tsc : 0;
      const auto since_start = static_cast<unsigned __int128>(cycles) * 1'000'000'000U / _tsc_hz;
      stamp_frame(c, _start_wall_ns + static_cast<std::uint64_t>(since_start));
    }
    if (c == nullptr || rte_ring_mp_enqueue(_ring, c) != 0) {
      if (c != nullptr) {
        rte_pktmbuf_free(c);
      }
      _missed.fetch_add(1, std::memory_order_relaxed);
    }
    _settled.fetch_add(1, std::memory_order_release);
  }
}

static_assert(capture_in == RTE_PCAPNG_DIRECTION_IN && capture_out == RTE_PCAPNG_DIRECTION_OUT);

std::string capture_session::prepare(int socket_id) {
  _ring = rte_ring_create("rampart_capture", ring_size, socket_id, RING_F_SC_DEQ);
  _pool = rte_pktmbuf_pool_create("rampart_capture", ring_size * 2 - 1, 0, 0,
                                  static_cast<std::uint16_t>(rte_pcapng_mbuf_size(snap_length)), socket_id);
  if (_ring == nullptr || _pool == nullptr) {
    return std::string("capture unavailable: cannot allocate its ring and pool: ") + rte_strerror(rte_errno) +
           " (raise eal.memory_mb)";
  }
  prime_pcapng_clock(_pool);
  return {};
}

std::string capture_session::start(const capture_request& request) {
  const std::lock_guard lock(_control);
  if (active()) {
    return "a capture into " + _path + " is running; wait for it to end";
  }
  if (!available()) {
    return "capture is unavailable: its ring and pool could not be allocated at start (raise eal.memory_mb)";
  }
  // O_EXCL | O_NOFOLLOW: never through a symlink someone left in the directory, never over a file.
  const int fd = open(request.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) {
    const int err = errno;
    // Short: a telemetry reply's strings hold 128 bytes (RTE_TEL_MAX_STRING_LEN), so the file's
    // name only; it is always in stats.capture_directory.
    return "cannot create " + std::filesystem::path(request.path).filename().string() + ": " + std::strerror(err) +
           (err == EEXIST   ? " (a capture never overwrites a file or follows a symlink)"
            : err == ENOENT ? " (create stats.capture_directory first)"
                            : "");
  }
  rte_pcapng_t* writer = rte_pcapng_fdopen(fd, nullptr, nullptr, "rampart", "rampart /rampart/capture");
  if (writer == nullptr) {
    close(fd);
    unlink(request.path.c_str());
    return std::string("rte_pcapng_fdopen failed: ") + rte_strerror(rte_errno);
  }
  _writer = writer;  // rte_pcapng_close closes fd
  _fd = fd;
  _path = request.path;
  _filter = request.filter;
  _written.store(0, std::memory_order_relaxed);
  _missed.store(0, std::memory_order_relaxed);
  _settled.store(0, std::memory_order_relaxed);
  _requested.store(request.frames, std::memory_order_relaxed);
  _remaining.store(request.frames, std::memory_order_relaxed);
  _tsc_hz = rte_get_tsc_hz();
  _start_tsc = rte_get_tsc_cycles();
  _start_wall_ns = wall_clock_ns();
  _deadline_ns = _start_tsc + std::uint64_t{max_seconds} * _tsc_hz;
  _active.store(true, std::memory_order_release);
  _armed.store(true, std::memory_order_release);  // publishes everything above to the workers
  return {};
}

std::string capture_session::poll() {
  const std::lock_guard lock(_control);
  rte_mbuf* batch[256];
  unsigned n = 0;
  while (_ring != nullptr && (n = rte_ring_sc_dequeue_burst(_ring, reinterpret_cast<void**>(batch), 256, nullptr)) != 0) {
    if (_writer != nullptr) {
      if (rte_pcapng_write_packets(writer_of(_writer), batch, static_cast<std::uint16_t>(n)) < 0) {
        _missed.fetch_add(n, std::memory_order_relaxed);
      } else {
        _written.fetch_add(n, std::memory_order_relaxed);
      }
    }
    rte_pktmbuf_free_bulk(batch, n);
  }
  if (!active()) {
    return {};
  }
  const std::int64_t left = _remaining.load(std::memory_order_relaxed);
  const std::uint64_t taken = _requested.load(std::memory_order_relaxed) - static_cast<std::uint64_t>(left > 0 ? left : 0);
  const bool timed_out = rte_get_tsc_cycles() >= _deadline_ns;
  if (timed_out) {
    _armed.store(false, std::memory_order_release);
  }
  // Every frame a worker took is written or counted missed: the file is complete.
  if ((left <= 0 || timed_out) && _settled.load(std::memory_order_acquire) >= taken &&
      rte_ring_empty(_ring) != 0) {
    return finish_locked(timed_out ? "max_seconds passed" : "done");
  }
  return {};
}

std::string capture_session::finish(const char* why) {
  const std::lock_guard lock(_control);
  return finish_locked(why);
}

capture_status capture_session::status() const {
  const std::lock_guard lock(_control);
  return {active(), _path, requested(), written(), missed()};
}

std::string capture_session::finish_locked(const char* why) {
  if (!active()) {
    return {};
  }
  _armed.store(false, std::memory_order_release);
  rte_pcapng_close(writer_of(_writer));
  _writer = nullptr;
  _fd = -1;
  _active.store(false, std::memory_order_release);
  return "capture (" + std::string(why) + "): " + std::to_string(written()) + " frame(s) written to " + _path +
         (missed() != 0 ? ", " + std::to_string(missed()) + " missed (ring or pool full)" : "");
}

}  // namespace rampart::engine
