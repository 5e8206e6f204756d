#include "sack_scoreboard.hh"

#include <algorithm>

namespace rampart::tcp {

using net::seq32;

void sack_scoreboard::reset(seq32 snd_una) noexcept {
  _count = 0;
  high_rxt = snd_una;
  probe_open = false;
  probe_retransmission = false;
}

bool sack_scoreboard::add(seq32 left, seq32 right, seq32 snd_una, seq32 snd_max) noexcept {
  // RFC 2018 §3 / RFC 6675 §5: only blocks within the data sent and not cumulatively
  // acknowledged say anything; a block below SND.UNA is a D-SACK (RFC 2883), the caller's.
  if (left < snd_una) {
    left = snd_una;
  }
  if (right > snd_max) {
    right = snd_max;
  }
  if (right <= left) {
    return false;
  }
  // Ranges are sorted and disjoint (not even touching): find the first whose right edge reaches
  // the block, then swallow every range the block touches.
  std::size_t i = 0;
  while (i < _count && _ranges[i].right < left) {
    ++i;
  }
  std::size_t j = i;
  bool grew = true;
  while (j < _count && _ranges[j].left <= right) {
    if (_ranges[j].left <= left && right <= _ranges[j].right) {
      grew = false;  // entirely inside a held range
    }
    if (_ranges[j].left < left) {
      left = _ranges[j].left;
    }
    if (_ranges[j].right > right) {
      right = _ranges[j].right;
    }
    ++j;
  }
  if (!grew) {
    return false;
  }
  const std::size_t merged = j - i;  // ranges replaced by the one block
  if (merged == 0) {
    if (_count == max_ranges) {
      if (i == _count) {
        return false;  // above every held range and no room: dropped (see the header)
      }
      --_count;        // drop the highest range to make room for a lower one
    }
    std::copy_backward(_ranges.begin() + static_cast<std::ptrdiff_t>(i), _ranges.begin() + _count,
                       _ranges.begin() + _count + 1);
    ++_count;
  } else if (merged > 1) {
    std::copy(_ranges.begin() + static_cast<std::ptrdiff_t>(j), _ranges.begin() + _count,
              _ranges.begin() + static_cast<std::ptrdiff_t>(i + 1));
    _count = static_cast<std::uint8_t>(_count - (merged - 1));
  }
  _ranges[i] = range{left, right};
  return true;
}

void sack_scoreboard::advance(seq32 snd_una) noexcept {
  std::size_t gone = 0;
  while (gone < _count && _ranges[gone].right <= snd_una) {
    ++gone;
  }
  if (gone > 0) {
    std::copy(_ranges.begin() + static_cast<std::ptrdiff_t>(gone), _ranges.begin() + _count, _ranges.begin());
    _count = static_cast<std::uint8_t>(_count - gone);
  }
  if (_count > 0 && _ranges[0].left < snd_una) {
    _ranges[0].left = snd_una;
  }
  if (high_rxt < snd_una) {
    high_rxt = snd_una;
  }
}

bool sack_scoreboard::is_sacked(seq32 seq) const noexcept {
  for (std::size_t i = 0; i < _count; ++i) {
    if (seq.in_half_open(_ranges[i].left, _ranges[i].right)) {
      return true;
    }
  }
  return false;
}

bool sack_scoreboard::hole_lost(std::size_t i, std::uint32_t mss) const noexcept {
  if (_count - i >= dup_thresh) {
    return true;
  }
  std::uint64_t above = 0;
  for (std::size_t k = i; k < _count; ++k) {
    above += static_cast<std::uint32_t>(_ranges[k].right - _ranges[k].left);
  }
  return above > std::uint64_t{dup_thresh - 1} * mss;
}

bool sack_scoreboard::is_lost(seq32 seq, std::uint32_t mss) const noexcept {
  for (std::size_t i = 0; i < _count; ++i) {
    if (seq < _ranges[i].left) {
      return hole_lost(i, mss);
    }
  }
  return false;  // nothing SACKed above it
}

std::uint32_t sack_scoreboard::pipe(seq32 snd_una, seq32 snd_max, std::uint32_t mss) const noexcept {
  // SetPipe: each unSACKed byte counts once unless it is lost, and once more if retransmitted.
  std::uint64_t pipe = 0;
  seq32 hole = snd_una;
  for (std::size_t i = 0; i <= _count; ++i) {
    const seq32 end = i < _count ? _ranges[i].left : snd_max;
    if (end > hole) {
      const auto length = static_cast<std::uint32_t>(end - hole);
      if (i == _count || !hole_lost(i, mss)) {
        pipe += length;
      }
      if (high_rxt > hole) {
        pipe += std::min(length, static_cast<std::uint32_t>(high_rxt - hole));
      }
    }
    if (i < _count) {
      hole = _ranges[i].right;
    }
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(pipe, UINT32_MAX));
}

std::optional<sack_scoreboard::span> sack_scoreboard::next_retransmission(seq32 snd_una, std::uint32_t mss,
                                                                          bool rule3) const noexcept {
  seq32 hole = snd_una;
  for (std::size_t i = 0; i < _count; ++i) {
    const seq32 end = _ranges[i].left;
    const seq32 start = hole > high_rxt ? hole : high_rxt;
    if (!rule3 && !hole_lost(i, mss)) {
      return std::nullopt;  // monotone: no lost hole above a hole that is not
    }
    if (start < end) {
      return span{start, std::min(mss, static_cast<std::uint32_t>(end - start))};
    }
    hole = _ranges[i].right;
  }
  return std::nullopt;
}

scoreboard_pool::scoreboard_pool(std::uint16_t capacity) : _boards(capacity) {
  _free.reserve(capacity);
  for (std::uint16_t i = capacity; i > 0; --i) {
    _free.push_back(static_cast<std::uint16_t>(i - 1));
  }
}

std::optional<std::uint16_t> scoreboard_pool::acquire(seq32 snd_una) noexcept {
  if (_free.empty()) {
    return std::nullopt;
  }
  const std::uint16_t index = _free.back();
  _free.pop_back();
  _boards[index].reset(snd_una);
  return index;
}

void scoreboard_pool::release(std::uint16_t index) noexcept { _free.push_back(index); }

}  // namespace rampart::tcp
