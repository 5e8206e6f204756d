#pragma once
// The SACK scoreboard of RFC 6675 §3: which bytes above SND.UNA the peer reported holding
// (RFC 2018 SACK blocks), the highest byte retransmitted in the current recovery (HighRxt), and
// the routines recovery is written with: IsLost, SetPipe (pipe) and NextSeg (rules 1 and 3; rule
// 2, new data, is the caller's, and the optional rule 4 rescue retransmission is not done).
//
// A connection holds one only while SACK information exists (a block above SND.UNA), from a
// per-lcore pool (scoreboard_pool) of fixed size: an idle or loss-free connection costs nothing,
// and the pool bounds what holes can cost an lcore. Each board keeps at most max_ranges
// disjoint ranges; a block beyond that is dropped (the bytes count as not received, which can
// only make the sender retransmit more, never less).
//
// IsLost (§4): a hole is lost when DupThresh (3) SACKed ranges lie above it, or more than
// (DupThresh - 1) * SMSS SACKed bytes do. Every byte of a hole has the same ranges above it, so
// lost-ness is per hole, and it is monotone: every hole below a lost one is lost.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "net/seq32.hh"

namespace rampart::tcp {

inline constexpr std::uint16_t no_scoreboard = UINT16_MAX;

class sack_scoreboard {
 public:
  static constexpr std::size_t max_ranges = 16;
  static constexpr std::uint32_t dup_thresh = 3;  // RFC 6675 §2 DupThresh (RFC 5681's three)

  struct range {
    net::seq32 left;   // first byte held
    net::seq32 right;  // one past the last
  };
  // A span of bytes to retransmit.
  struct span {
    net::seq32 sequence;
    std::uint32_t length;
  };

  // Empty, HighRxt = snd_una.
  void reset(net::seq32 snd_una) noexcept;

  // RFC 6675 Update() for one SACK block [left, right): clipped to (snd_una, snd_max], merged
  // with what is held. Returns false when the block held nothing new (a repeat, a D-SACK, or
  // garbage outside the window).
  bool add(net::seq32 left, net::seq32 right, net::seq32 snd_una, net::seq32 snd_max) noexcept;
  // SND.UNA moved: forget what it covers.
  void advance(net::seq32 snd_una) noexcept;

  bool empty() const noexcept { return _count == 0; }
  std::size_t size() const noexcept { return _count; }
  const range& at(std::size_t i) const noexcept { return _ranges[i]; }
  // One past the highest byte SACKed; snd_una when empty.
  net::seq32 highest_sacked(net::seq32 snd_una) const noexcept { return _count == 0 ? snd_una : _ranges[_count - 1].right; }
  bool is_sacked(net::seq32 seq) const noexcept;
  // IsLost(seq) of §4 for an unSACKed byte.
  bool is_lost(net::seq32 seq, std::uint32_t mss) const noexcept;
  // SetPipe (§4): the bytes the sender believes are in the network, from snd_una to snd_max.
  std::uint32_t pipe(net::seq32 snd_una, net::seq32 snd_max, std::uint32_t mss) const noexcept;
  // NextSeg rule 1 (lost, not yet retransmitted, below the highest SACKed byte), or with
  // `rule3` also rule 3 (any unSACKed byte there not retransmitted yet); at most mss bytes,
  // never across a SACKed range.
  std::optional<span> next_retransmission(net::seq32 snd_una, std::uint32_t mss, bool rule3) const noexcept;

  net::seq32 high_rxt{0};  // RFC 6675 HighRxt, one past: bytes below it were retransmitted

  // A tail loss probe episode (RFC 8985 §7.4: TLP.end_seq, TLP.is_retrans), open from the
  // probe until an ACK tells whether it repaired a loss. It lives here, out of line, because
  // the control block has no room; a connection holds its board while the episode is open.
  bool probe_open = false;
  bool probe_retransmission = false;  // the probe sent old data again (not new data)
  net::seq32 probe_end{0};            // SND.MAX just after the probe

 private:
  // The hole below range i: [i == 0 ? snd_una : ranges[i - 1].right, ranges[i].left).
  bool hole_lost(std::size_t i, std::uint32_t mss) const noexcept;

  std::array<range, max_ranges> _ranges{};
  std::uint8_t _count = 0;
};

// The per-lcore boards, allocated at start-up; a connection holds an index (no_scoreboard: none).
class scoreboard_pool {
 public:
  explicit scoreboard_pool(std::uint16_t capacity);
  // A reset board, or nullopt when all are in use.
  std::optional<std::uint16_t> acquire(net::seq32 snd_una) noexcept;
  void release(std::uint16_t index) noexcept;
  sack_scoreboard& operator[](std::uint16_t index) noexcept { return _boards[index]; }
  const sack_scoreboard& operator[](std::uint16_t index) const noexcept { return _boards[index]; }
  std::uint32_t in_use() const noexcept { return static_cast<std::uint32_t>(_boards.size() - _free.size()); }
  std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(_boards.size()); }

 private:
  std::vector<sack_scoreboard> _boards;
  std::vector<std::uint16_t> _free;
};

}  // namespace rampart::tcp
