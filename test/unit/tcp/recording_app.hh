#pragma once
// An application for scripted exchanges: records every callback and, per test, echoes, holds
// received buffers, closes or aborts at a chosen moment.
#include <functional>
#include <string>
#include <vector>

#include "tcp/app_host.hh"
#include "tcp/stream.hh"

namespace rampart::test {

struct recording_app final : tcp::application {
  tcp::app_host* host = nullptr;  // from attach
  int opened = 0;
  int connected = 0;              // on_connected: connections this app opened
  int writable = 0;
  int peer_closed = 0;
  std::vector<tcp::close_reason> closed;
  std::string received;
  std::vector<tcp::data_view> held;  // views retained with retain_buffer

  bool echo = false;            // send back what arrives (partially when the buffer is full)
  bool hold = false;            // retain every received buffer
  bool close_on_peer_fin = true;
  bool release_on_writable = false;  // give the held buffers back in on_writable
  std::function<void(tcp::stream&)> on_open_do;
  std::function<void(tcp::stream&)> on_connected_do;
  std::function<void(tcp::stream&, tcp::close_reason)> on_close_do;
  std::function<void(tcp::stream&, tcp::data_view)> on_data_do;

  void attach(tcp::app_host& h) noexcept override { host = &h; }
  void on_connected(tcp::stream& s) noexcept override {
    ++connected;
    if (on_connected_do) {
      on_connected_do(s);
    }
  }
  void on_open(tcp::stream& s) noexcept override {
    ++opened;
    if (on_open_do) {
      on_open_do(s);
    }
  }
  void on_data(tcp::stream& s, tcp::data_view data) noexcept override {
    received.append(reinterpret_cast<const char*>(data.data), data.length);
    if (hold) {
      s.retain_buffer(data);
      held.push_back(data);
    }
    if (echo) {
      s.send(data.bytes());
    }
    if (on_data_do) {
      on_data_do(s, data);
    }
  }
  void on_writable(tcp::stream& s) noexcept override {
    ++writable;
    if (release_on_writable) {
      for (const tcp::data_view& v : held) {
        s.release_buffer(v);
      }
      held.clear();
    }
  }
  void on_peer_closed(tcp::stream& s) noexcept override {
    ++peer_closed;
    if (close_on_peer_fin) {
      s.close();
    }
  }
  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept override {
    for (const tcp::data_view& v : held) {
      s.release_buffer(v);
    }
    held.clear();
    closed.push_back(reason);
    if (on_close_do) {
      on_close_do(s, reason);
    }
  }
};

inline std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out[i] = static_cast<std::byte>(text[i]);
  }
  return out;
}

inline std::string text_of(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace rampart::test
