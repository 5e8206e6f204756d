// The send queue against a plain byte vector: whatever mix of appends (copied or zero-copy),
// copies from any offset (forward as new data goes out, backward as a retransmission does) and
// acknowledgements runs, copy_out returns the bytes at that offset. Small buffers make chains of
// many chunks, so the head's cursor (where the last copy started) crosses chunks, is carried to a
// new head and dies with the chunk it pointed into.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <random>
#include <span>
#include <vector>

#include "fake_io.hh"
#include "tcp/send_queue.hh"

using namespace rampart;

namespace {

// 100-byte buffers: 68 payload bytes per chunk after its header.
constexpr std::uint16_t data_room = 100;

std::vector<std::byte> numbered_bytes(std::size_t count, std::uint32_t& next) {
  std::vector<std::byte> bytes(count);
  for (auto& b : bytes) {
    b = static_cast<std::byte>(next++ * 7 % 251);
  }
  return bytes;
}

void expect_copy(tcp::send_queue& queue, const std::vector<std::byte>& model, std::uint32_t offset,
                 std::uint32_t length) {
  std::vector<std::byte> out(length);
  queue.copy_out(offset, length, out.data());
  INFO("offset " << offset << ", length " << length << ", queued " << model.size());
  CHECK(std::equal(out.begin(), out.end(), model.begin() + offset));
}

}  // namespace

TEST_CASE("send_queue: copy_out gives the bytes at any offset through appends, sends and acknowledgements") {
  test::heap_buffer_pool pool(1 << 20, data_room);
  tcp::send_queue queue;
  std::vector<std::byte> model;  // the bytes from SND.UNA on
  std::uint32_t next_byte = 0;
  std::uint32_t sent = 0;  // offset of the first unsent byte, as SND.NXT - SND.UNA
  std::mt19937 random(19);

  for (int step = 0; step < 20000; ++step) {
    // Writes wait while 16 KiB are queued (as the send budget would make them), so sends and
    // acknowledgements keep up and the model stays small.
    const bool writable = model.size() < 16384;
    switch (random() % 5) {
      case 0: {  // the application writes
        if (!writable) {
          break;
        }
        const auto bytes = numbered_bytes(random() % 300, next_byte);
        REQUIRE(queue.append(pool, bytes, bytes.size()) == bytes.size());
        model.insert(model.end(), bytes.begin(), bytes.end());
        break;
      }
      case 1: {  // the application writes a buffer of its own (zero-copy)
        if (!writable) {
          break;
        }
        auto payload = tcp::send_queue::allocate_payload(pool);
        REQUIRE(payload);
        const auto bytes = numbered_bytes(random() % (payload->capacity + 1), next_byte);
        std::copy(bytes.begin(), bytes.end(), payload->data);  // memcpy may not take the null data() of no bytes
        payload->length = static_cast<std::uint16_t>(bytes.size());
        queue.append_payload(*payload);
        model.insert(model.end(), bytes.begin(), bytes.end());
        break;
      }
      case 2: {  // the next new segment goes out
        const auto length = std::min<std::uint32_t>(static_cast<std::uint32_t>(model.size()) - sent, 1 + random() % 150);
        expect_copy(queue, model, sent, length);
        sent += length;
        break;
      }
      case 3: {  // a retransmission from anywhere already sent
        if (sent > 0) {
          const std::uint32_t offset = random() % sent;
          expect_copy(queue, model, offset, std::min<std::uint32_t>(sent - offset, 1 + random() % 150));
        }
        break;
      }
      case 4: {  // the peer acknowledges part of what was sent
        const std::uint32_t acked = sent == 0 ? 0 : random() % (sent + 1);
        queue.consume(pool, acked);
        model.erase(model.begin(), model.begin() + acked);
        sent -= acked;
        break;
      }
    }
    REQUIRE(queue.size() == model.size());
  }
  queue.clear(pool);
  CHECK(pool.in_use() == 0);
  CHECK(pool.bad_releases() == 0);
}
