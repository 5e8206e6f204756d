#include "health_board.hh"

#include <map>
#include <mutex>

namespace rampart::app::proxy {

std::shared_ptr<health_board> board_for_listener(std::uint16_t port, std::size_t backends, bool& writer) {
  static std::mutex mutex;
  static std::map<std::uint16_t, std::weak_ptr<health_board>> boards;
  const std::lock_guard lock(mutex);
  std::weak_ptr<health_board>& slot = boards[port];
  if (auto board = slot.lock(); board != nullptr && board->initial_backends() == backends) {
    writer = false;
    return board;
  }
  auto board = std::make_shared<health_board>(backends);
  slot = board;
  writer = true;
  return board;
}

}  // namespace rampart::app::proxy
