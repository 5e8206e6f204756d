// echo (RFC 862) and discard (RFC 863) over a fake stream: every byte back in order, back-pressure
// held without copies and resumed on on_writable, the hold limits, FIN handling.
#include <catch2/catch.hpp>

#include "app_test_support.hh"
#include "fake_stream.hh"

using rampart::tcp::close_reason;
using rampart::test::app_under_test;
using rampart::test::fake_stream;
using rampart::test::listener;

TEST_CASE("echo sends every byte back when there is room", "[unit][app][echo]") {
  app_under_test t(listener("echo"));
  fake_stream s(*t.app, 1 << 20);
  s.open();
  s.deliver("hello ");
  s.deliver("world\n");
  CHECK(s.sent == "hello world\n");
  CHECK(s.retained_buffers() == 0);
  CHECK(t.stats.echo_bytes.read() == 12);
  s.peer_close();
  CHECK(s.closed);
  s.end(close_reason::closed);
}

TEST_CASE("echo holds what send() refused and sends it, in order, on on_writable", "[unit][app][echo]") {
  app_under_test t(listener("echo"));
  fake_stream s(*t.app, 4);
  s.open();
  s.deliver("abcdefgh");
  CHECK(s.sent == "abcd");
  CHECK(s.retained_buffers() == 1);  // the rest stays in the receive buffer, no copy
  s.deliver("ijkl");                 // queued behind, not sent ahead of "efgh"
  CHECK(s.sent == "abcd");
  CHECK(s.retained_buffers() == 2);
  s.peer_close();  // FIN waits for the held bytes
  CHECK_FALSE(s.closed);
  s.ack(3);
  CHECK(s.sent == "abcdefg");
  s.ack(100);
  CHECK(s.sent == "abcdefghijkl");
  CHECK(s.retained_buffers() == 0);
  CHECK(s.closed);
  CHECK(t.stats.echo_bytes.read() == 12);
  s.end(close_reason::closed);
}

TEST_CASE("echo sends held bytes first when data arrives with space free", "[unit][app][echo]") {
  app_under_test t(listener("echo"));
  fake_stream s(*t.app, 2);
  s.open();
  s.deliver("1234");
  CHECK(s.sent == "12");
  s.grant(10);
  s.deliver("56");
  CHECK(s.sent == "123456");
  CHECK(s.retained_buffers() == 0);
}

TEST_CASE("echo aborts a peer that sends past max_held_bytes without reading", "[unit][app][echo]") {
  app_under_test t(listener("echo", {{"max_held_bytes", "10"}}));
  fake_stream s(*t.app, 0);
  s.open();
  s.deliver("12345");
  s.deliver("67890");
  CHECK_FALSE(s.aborted);
  CHECK(s.retained_buffers() == 2);
  s.deliver("x");
  CHECK(s.aborted);
  CHECK(s.ended);
  CHECK(s.retained_buffers() == 0);  // on_close released them
  CHECK(t.stats.echo_aborts.read() == 1);
}

TEST_CASE("echo aborts past max_held_segments", "[unit][app][echo]") {
  app_under_test t(listener("echo", {{"max_held_segments", "3"}}));
  fake_stream s(*t.app, 0);
  s.open();
  for (int i = 0; i < 3; ++i) {
    s.deliver("a");
  }
  CHECK_FALSE(s.aborted);
  s.deliver("b");
  CHECK(s.aborted);
  CHECK(t.stats.echo_aborts.read() == 1);
}

TEST_CASE("echo releases held buffers when the connection ends under it", "[unit][app][echo]") {
  app_under_test t(listener("echo"));
  {
    fake_stream s(*t.app, 1);
    s.open();
    s.deliver("abc");
    s.deliver("def");
    CHECK(s.retained_buffers() == 2);
    s.end(close_reason::reset);
    CHECK(s.retained_buffers() == 0);
  }
  // The state is recycled for the next connection, empty.
  fake_stream s2(*t.app, 100);
  s2.open();
  s2.deliver("xyz");
  CHECK(s2.sent == "xyz");
}

TEST_CASE("echo with many connections at once keeps them apart", "[unit][app][echo]") {
  app_under_test t(listener("echo"));
  std::vector<std::unique_ptr<fake_stream>> streams;
  for (int i = 0; i < 50; ++i) {
    streams.push_back(std::make_unique<fake_stream>(*t.app, 2));
    streams.back()->open();
    streams.back()->deliver("c" + std::to_string(i) + "-data");
  }
  for (int i = 0; i < 50; ++i) {
    streams[i]->ack(100);
    CHECK(streams[i]->sent == "c" + std::to_string(i) + "-data");
  }
}

TEST_CASE("discard counts and drops everything, sends nothing, closes on FIN", "[unit][app][discard]") {
  app_under_test t(listener("discard"));
  fake_stream s(*t.app, 1000);
  s.open();
  s.deliver("some bytes");
  s.deliver(std::string(3000, 'x'));
  CHECK(s.sent.empty());
  CHECK(s.retained_buffers() == 0);
  CHECK(t.stats.discard_bytes.read() == 3010);
  s.peer_close();
  CHECK(s.closed);
}
