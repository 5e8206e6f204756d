// The worked example of docs/apps.md, compiled and tested: keep the two in step (the code
// between the markers is quoted there verbatim).
#include <catch2/catch.hpp>

#include "fake_stream.hh"

// --- docs/apps.md example begin ---
#include <new>
#include <string_view>

#include "tcp/stream.hh"

// hello: a line protocol. The client sends names, one per line; each gets "hello, NAME\n".
class hello_app final : public rampart::tcp::application {
 public:
  void on_open(rampart::tcp::stream& s) noexcept override {
    // Per-connection state hangs on the stream's context from on_open to on_close.
    auto* c = new (std::nothrow) connection;
    s.set_context(c);
    if (c == nullptr) {
      s.abort();  // on_close follows (maybe inside abort), with a null context
    }
  }

  void on_data(rampart::tcp::stream& s, rampart::tcp::data_view data) noexcept override {
    auto* c = static_cast<connection*>(s.context());
    // data is valid during this call only; a line may be split over any number of segments.
    for (const std::byte b : data.bytes()) {
      const char ch = static_cast<char>(b);
      if (ch == '\n') {
        if (!reply(s, *c)) {
          return;  // aborted: c may be freed already
        }
        c->length = 0;
      } else if (c->length == sizeof c->line) {
        s.abort();  // a line longer than we keep: drop the client
        return;
      } else {
        c->line[c->length++] = ch;
      }
    }
  }

  // The default on_peer_closed() calls s.close(): FIN after the queued replies.

  void on_close(rampart::tcp::stream& s, rampart::tcp::close_reason) noexcept override {
    delete static_cast<connection*>(s.context());
    s.set_context(nullptr);
  }

 private:
  struct connection {
    char line[64];
    std::size_t length = 0;
  };

  // Back-pressure policy: a client that does not read its replies while sending more names is
  // dropped once a reply no longer fits in the send buffer. (echo and http hold the excess
  // instead, and resume in on_writable.)
  static bool reply(rampart::tcp::stream& s, const connection& c) {
    constexpr std::string_view hello = "hello, ";
    if (s.send_space() < hello.size() + c.length + 1) {
      s.abort();
      return false;
    }
    s.send(std::as_bytes(std::span(hello)));
    s.send(std::as_bytes(std::span(c.line, c.length)));
    s.send(std::as_bytes(std::span("\n", 1)));
    return true;
  }
};
// --- docs/apps.md example end ---

using rampart::test::fake_stream;

TEST_CASE("the docs/apps.md example answers lines split across segments", "[unit][app]") {
  hello_app app;
  fake_stream s(app, 1000);
  s.open();
  s.deliver("ada\nli");
  s.deliver("nus\n");
  CHECK(s.sent == "hello, ada\nhello, linus\n");
  s.peer_close();
  CHECK(s.closed);
  s.end(rampart::tcp::close_reason::closed);
}

TEST_CASE("the docs/apps.md example drops a client that does not read", "[unit][app]") {
  hello_app app;
  fake_stream s(app, 20);
  s.open();
  s.deliver("ada\nbob\n");
  CHECK(s.sent == "hello, ada\n");
  CHECK(s.aborted);
}

TEST_CASE("the docs/apps.md example drops a line longer than 64 bytes", "[unit][app]") {
  hello_app app;
  fake_stream s(app, 1000);
  s.open();
  s.deliver(std::string(65, 'x'));
  CHECK(s.aborted);
}
