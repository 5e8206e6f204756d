#pragma once
// How start-up failures reach main(): one exception type carrying the exit code and ONE message
// that names the cause and the fix. Thrown only before the workers launch (never on a worker).
#include <stdexcept>
#include <string>

namespace rampart::engine {

enum class exit_code : int {
  ok = 0,
  runtime_failure = 1,  // the environment refused (EAL, port, permissions, memory)
  usage = 2,            // bad command line or config: the user must change what they asked for
};

class startup_error : public std::runtime_error {
 public:
  startup_error(exit_code code, const std::string& message) : std::runtime_error(message), _code(code) {}
  exit_code code() const noexcept { return _code; }

 private:
  exit_code _code;
};

}  // namespace rampart::engine
