#include "health_state.hh"

namespace rampart::app::proxy {

health_state::change health_state::record(bool passed) noexcept {
  if (passed == _up) {
    _streak = 0;  // a result that agrees with the state breaks any streak against it
    return change::none;
  }
  if (++_streak < (_up ? _fall : _rise)) {
    return change::none;
  }
  _streak = 0;
  _up = passed;
  if (_up) {
    ++_went_up;
    return change::went_up;
  }
  ++_went_down;
  return change::went_down;
}

}  // namespace rampart::app::proxy
