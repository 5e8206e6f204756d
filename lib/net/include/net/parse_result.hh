#pragma once
// The result of a checked parse: either a value (a view whose bounds have been checked, or a
// struct of validated fields) or the drop reason that says why the bytes were refused. The
// datapath never throws; a malformed packet is data (docs/contributing.md, "Code").
#include <optional>

#include "stats/drop_reason.hh"

namespace rampart::net {

template <class T>
class parse_result {
 public:
  parse_result(const T& value) noexcept : _value(value) {}  // NOLINT: implicit by design
  parse_result(stats::drop_reason reason) noexcept : _reason(reason) {}  // NOLINT

  bool ok() const noexcept { return _value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  // Only valid when ok().
  const T& value() const noexcept { return *_value; }
  const T& operator*() const noexcept { return *_value; }
  const T* operator->() const noexcept { return &*_value; }

  // Only meaningful when !ok().
  stats::drop_reason error() const noexcept { return _reason; }

 private:
  std::optional<T> _value;
  stats::drop_reason _reason{};
};

}  // namespace rampart::net
