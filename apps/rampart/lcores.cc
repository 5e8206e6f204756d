#include "lcores.hh"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace rampart::command {

namespace {

class lcore_parser {
 public:
  explicit lcore_parser(std::string_view text) : _text(text) {}

  lcore_parse_result parse() {
    lcore_layout layout;
    std::set<unsigned> cpus;
    if (_text.empty()) {
      return fail("is empty");
    }
    while (true) {
      std::vector<unsigned> lcores;
      if (!set(lcores)) {
        return {std::nullopt, _error};
      }
      std::vector<unsigned> on = lcores;
      if (peek() == '@') {
        ++_pos;
        on.clear();
        if (!set(on)) {
          return {std::nullopt, _error};
        }
      }
      layout.lcores.insert(layout.lcores.end(), lcores.begin(), lcores.end());
      cpus.insert(on.begin(), on.end());
      if (_pos == _text.size()) {
        break;
      }
      if (peek() != ',') {
        return fail("expected ',' or '@'");
      }
      ++_pos;
    }
    layout.cpus.assign(cpus.begin(), cpus.end());
    return {layout, {}};
  }

 private:
  char peek() const { return _pos < _text.size() ? _text[_pos] : '\0'; }

  lcore_parse_result fail(const std::string& what) {
    _error = what + (_pos < _text.size() ? " at character " + std::to_string(_pos + 1) : " at the end");
    return {std::nullopt, _error};
  }

  bool number(unsigned& value) {
    const char* first = _text.data() + _pos;
    const auto [end, ec] = std::from_chars(first, _text.data() + _text.size(), value);
    if (ec != std::errc{} || end == first) {
      fail("expected a number");
      return false;
    }
    _pos += static_cast<std::size_t>(end - first);
    return true;
  }

  // number | a-b
  bool range(std::vector<unsigned>& out) {
    unsigned a = 0;
    if (!number(a)) {
      return false;
    }
    unsigned b = a;
    if (peek() == '-') {
      ++_pos;
      if (!number(b)) {
        return false;
      }
      if (b < a) {
        _error = "range " + std::to_string(a) + "-" + std::to_string(b) + " runs backwards";
        return false;
      }
    }
    for (unsigned v = a; v <= b; ++v) {
      out.push_back(v);
    }
    return true;
  }

  // range | (range,range,...)
  bool set(std::vector<unsigned>& out) {
    if (peek() != '(') {
      return range(out);
    }
    ++_pos;
    while (true) {
      if (!range(out)) {
        return false;
      }
      if (peek() == ')') {
        ++_pos;
        return true;
      }
      if (peek() != ',') {
        fail("expected ',' or ')'");
        return false;
      }
      ++_pos;
    }
  }

  std::string_view _text;
  std::size_t _pos = 0;
  std::string _error;
};

std::string list_text(std::span<const unsigned> values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) {
      ++j;
    }
    text += (text.empty() ? "" : ",") + std::to_string(values[i]) + (j > i ? "-" + std::to_string(values[j]) : "");
    i = j;
  }
  return text;
}

}  // namespace

lcore_parse_result parse_lcores(std::string_view text) { return lcore_parser(text).parse(); }

std::optional<std::string> check_lcores(std::string_view lcores, std::span<const unsigned> allowed,
                                        unsigned max_lcore) {
  const std::string quoted = "eal.lcores \"" + std::string(lcores) + "\"";
  const lcore_parse_result parsed = parse_lcores(lcores);
  if (!parsed.layout) {
    return quoted + ": " + parsed.error +
           " (EAL --lcores syntax: \"0-2\", \"0,1,2\", \"0@0,1@1,2@1\" or \"(0-2)@(0,1)\")";
  }
  if (parsed.layout->lcores.size() < 2) {
    return quoted + " gives no worker lcore: list at least two lcores (the first is the control lcore, each other "
                    "one runs a worker), e.g. \"0-1\"";
  }
  std::set<unsigned> seen;
  for (const unsigned l : parsed.layout->lcores) {
    if (l >= max_lcore) {
      return quoted + ": lcore id " + std::to_string(l) + " is not below " + std::to_string(max_lcore) +
             " (RTE_MAX_LCORE); number lcores from 0 and map them onto CPUs with @, e.g. \"0@0,1@1\"";
    }
    if (!seen.insert(l).second) {
      return quoted + ": lcore " + std::to_string(l) + " is listed twice; list each lcore once";
    }
  }
  if (!allowed.empty()) {
    std::vector<unsigned> missing;
    for (const unsigned cpu : parsed.layout->cpus) {
      if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
        missing.push_back(cpu);
      }
    }
    if (!missing.empty()) {
      return quoted + " runs on CPU " + list_text(missing) + ", but this process may only use CPU " +
             list_text(allowed) + ": use those, or map lcores onto them with @ (e.g. \"0@0,1@1,2@1\" runs two "
             "workers on CPU 1)";
    }
  }
  return std::nullopt;
}

std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    return cpus;
  }
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      cpus.push_back(cpu);
    }
  }
  return cpus;
}

}  // namespace rampart::command
