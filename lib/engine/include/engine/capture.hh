#pragma once
// Built-in capture (docs/operations.md, "Capture"): the next N frames in and out, written to a
// pcapng file with DPDK's rte_pcapng, off the workers' fast path.
//
// One capture_session for the engine, created at start and never freed while workers run.
// While it is not armed a worker pays one relaxed atomic load per burst. Armed, a worker copies
// each frame (rte_pcapng_copy: at most snap_length bytes, into the session's own mempool) and
// enqueues the copy on a multi-producer ring; the control lcore dequeues, writes and frees
// them every tick. Bounds: N ≤ max_frames per capture, the ring and pool hold ring_size copies
// at once (a copy that finds either full is counted as missed, never waited for), and a capture
// ends after max_seconds even if N frames never came.
#include <atomic>
#include <mutex>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/addresses.hh"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace rampart::engine {

// Which frames a capture keeps: all, or those whose IPv4 source or destination is `address`
// and/or whose TCP/UDP source or destination port is `port`.
struct capture_filter {
  std::optional<net::ipv4_address> address;
  std::optional<std::uint16_t> port;
  // Pure: true when the frame (Ethernet bytes) matches. Non-IPv4 frames match only an empty
  // filter.
  bool matches(const std::uint8_t* frame, std::uint32_t length) const noexcept;
};

// "/rampart/capture,<frames>,<file>[,host=<a.b.c.d>][,port=<n>]" parameters.
struct capture_request {
  std::uint32_t frames = 0;
  std::string path;
  capture_filter filter;
};
// Parses the parameters after the command name, the file resolved by capture_file_path; nullopt
// and `error` set when they are wrong.
std::optional<capture_request> parse_capture_request(std::string_view params, const std::string& directory,
                                                     std::string& error);

// Where a capture may write (stats.capture_directory, docs/operations.md "Capture"): `requested`,
// a name or an absolute path, as a path directly in `directory`. nullopt and `error` set for a
// path anywhere else, in a subdirectory, or "..". The file itself is created with O_EXCL and
// O_NOFOLLOW (capture_session::start), so an existing file or symlink there is refused too.
std::optional<std::string> capture_file_path(std::string_view requested, const std::string& directory,
                                             std::string& error);

// rte_pcapng_direction's values (checked in capture.cc), so the worker loop needs no pcapng header.
inline constexpr int capture_in = 1;
inline constexpr int capture_out = 2;

struct capture_status {
  bool active = false;
  std::string path;  // the current or last file
  std::uint32_t requested = 0;
  std::uint64_t written = 0;
  std::uint64_t missed = 0;
};

// Control-plane calls (start: the telemetry threads, one per client; poll and finish: the
// control lcore; status: anyone) are serialised by a mutex the workers never touch.
class capture_session {
 public:
  static constexpr std::uint32_t max_frames = 1'000'000;
  static constexpr std::uint32_t ring_size = 4096;  // copies in flight between workers and control
  static constexpr std::uint32_t snap_length = 2048;
  static constexpr std::uint32_t max_seconds = 600;

  // Captures are written only in `directory` (stats.capture_directory).
  explicit capture_session(std::string directory) : _directory(std::move(directory)) {}
  ~capture_session();
  capture_session(const capture_session&) = delete;
  capture_session& operator=(const capture_session&) = delete;

  // ---- Workers (hot path) ----
  bool armed() const noexcept { return _armed.load(std::memory_order_acquire); }
  // Copies what matches of `pkts` (direction: RTE_PCAPNG_DIRECTION_IN or _OUT). Call only when
  // armed(). Never blocks; a copy that finds no room is counted in missed().
  void copy(rte_mbuf* const* pkts, std::uint16_t n, std::uint16_t port_id, std::uint16_t queue,
            int direction) noexcept;

  // ---- Control lcore ----
  // Allocates the ring and the copy pool (at start, so a capture never fails for memory later);
  // returns an error text or empty.
  std::string prepare(int socket_id);
  // Starts a capture into request.path (created; an existing file or a symlink is refused). Returns an error
  // text, or empty on success. Called by the telemetry thread; poll and finish by the control
  // lcore (start only acts when no capture is active, finish clears `active` last).
  std::string start(const capture_request& request);
  // Writes what the workers queued; ends the capture when N frames are written or max_seconds
  // passed (returns the log line then, else empty).
  std::string poll();
  // Ends an active capture now (shutdown); returns the log line or empty.
  std::string finish(const char* why);

  capture_status status() const;
  const std::string& directory() const noexcept { return _directory; }

  // ---- Any thread (telemetry) ----
  bool active() const noexcept { return _active.load(std::memory_order_acquire); }
  bool available() const noexcept { return _ring != nullptr && _pool != nullptr; }
  std::uint64_t written() const noexcept { return _written.load(std::memory_order_relaxed); }
  std::uint64_t missed() const noexcept { return _missed.load(std::memory_order_relaxed); }
  std::uint32_t requested() const noexcept { return _requested.load(std::memory_order_relaxed); }

 private:
  std::string finish_locked(const char* why);

  mutable std::mutex _control;
  std::atomic<bool> _armed{false};
  std::atomic<bool> _active{false};          // a file is open (armed, or draining the ring)
  std::atomic<std::int64_t> _remaining{0};   // copies workers may still take
  std::atomic<std::uint64_t> _missed{0};
  std::atomic<std::uint64_t> _written{0};
  std::atomic<std::uint32_t> _requested{0};
  std::atomic<std::uint64_t> _settled{0};    // frames taken that a worker finished (enqueued or missed)
  capture_filter _filter;                    // written before arming (release), read by workers
  rte_ring* _ring = nullptr;
  rte_mempool* _pool = nullptr;
  void* _writer = nullptr;                   // rte_pcapng_t*
  int _fd = -1;
  std::string _path;
  const std::string _directory;
  std::uint64_t _deadline_ns = 0;
  // The wall clock at the capture's start and the TSC then: frames are stamped from these
  // (capture.cc, stamp_frame), written before arming like _filter.
  std::uint64_t _start_wall_ns = 0;
  std::uint64_t _start_tsc = 0;
  std::uint64_t _tsc_hz = 1;
};

}  // namespace rampart::engine
