#include "client.hh"

#include <limits>

namespace rampart::load {

namespace {

constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint16_t advertised_window = 65535;

}  // namespace

void load_stats::merge(const load_stats& o) noexcept {
  attempted += o.attempted;
  completed += o.completed;
  failed += o.failed;
  for (std::size_t i = 0; i < failure_count; ++i) {
    failures[i] += o.failures[i];
  }
  handshakes += o.handshakes;
  requests_sent += o.requests_sent;
  responses += o.responses;
  retransmits += o.retransmits;
  syn_sent_resets += o.syn_sent_resets;
  syn_to_syn_ack.merge(o.syn_to_syn_ack);
  connect.merge(o.connect);
  request.merge(o.request);
  connection.merge(o.connection);
}

std::string http_request(const std::string& host, const std::string& path, bool close) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: rampart-load\r\n";
  if (close) {
    r += "Connection: close\r\n";
  }
  r += "\r\n";
  return r;
}

std::uint32_t client::tsval(std::uint64_t now_ns) const noexcept {
  // A 1 kHz timestamp clock (RFC 7323 §5.4 allows 1 ms to 1 s per tick).
  return _ts_base + static_cast<std::uint32_t>(now_ns / 1'000'000);
}

void client::arm(std::uint64_t now_ns) noexcept { _retransmit_at = now_ns + _rto; }

void client::send(std::uint8_t flags, std::span<const std::byte> payload, std::uint64_t now_ns, segment_sink& out,
                  bool syn_options) {
  net::tcp_header h;
  h.source_port = _local_port;
  h.destination_port = _settings->server_port;
  h.flags = flags;
  h.window = advertised_window;
  net::tcp_options o;
  if (syn_options) {
    h.sequence = _iss;
    const option_profile& p = _settings->options;
    if (p.mss != 0) {
      o.mss = p.mss;
    }
    if (p.window_scale >= 0) {
      o.window_scale = static_cast<std::uint8_t>(p.window_scale);
    }
    o.sack_permitted = p.sack_permitted;
    if (p.timestamps) {
      o.timestamps = net::tcp_timestamps{tsval(now_ns), 0};
    }
  } else {
    h.sequence = _snd_nxt;
    h.acknowledgment = _rcv_nxt;
    // RFC 7323 §3.2: once negotiated, every non-RST segment carries TS, echoing TS.Recent.
    if (_timestamps && (flags & net::tcp_flag::rst) == 0) {
      o.timestamps = net::tcp_timestamps{tsval(now_ns), _ts_recent};
    }
  }
  out.send(h, o, payload);
}

void client::start(const client_settings& settings, std::uint16_t local_port, std::uint32_t isn,
                   std::uint64_t now_ns, load_stats& stats, segment_sink& out) {
  _settings = &settings;
  _local_port = local_port;
  _iss = net::seq32{isn};
  _snd_una = _iss;
  _snd_nxt = _iss + 1;
  _rcv_nxt = net::seq32{};
  _timestamps = false;
  _ts_recent = 0;
  _ts_base = isn ^ 0x5a5a5a5aU;  // any start value works; not the ISN itself, for variety
  _started_ns = now_ns;
  _deadline = now_ns + settings.deadline_ns;
  _rto = settings.rto_ns;
  _requests_done = 0;
  _request_outstanding = false;
  _peer_fin = false;
  _fin_sent = false;
  _reader.reset();
  _state = state::syn_sent;
  ++stats.attempted;
  send(net::tcp_flag::syn, {}, now_ns, out, true);
  arm(now_ns);
}

void client::send_request(std::uint64_t now_ns, load_stats& stats, segment_sink& out) {
  const std::string& r = _settings->request;
  _request_seq = _snd_nxt;
  send(net::tcp_flag::psh | net::tcp_flag::ack, std::as_bytes(std::span(r.data(), r.size())), now_ns, out);
  _snd_nxt += static_cast<std::uint32_t>(r.size());
  _request_outstanding = true;
  _request_sent_ns = now_ns;
  ++stats.requests_sent;
  _rto = _settings->rto_ns;
  arm(now_ns);
}

void client::send_fin(std::uint64_t now_ns, segment_sink& out) {
  send(net::tcp_flag::fin | net::tcp_flag::ack, {}, now_ns, out);
  _snd_nxt += 1;
  _fin_sent = true;
  _state = state::fin_sent;
  _rto = _settings->rto_ns;
  arm(now_ns);
}

void client::fail(failure f, load_stats& stats) {
  stats.count_failure(f);
  _state = state::failed;
}

void client::maybe_done(std::uint64_t now_ns, load_stats& stats) {
  if (_fin_sent && _snd_una == _snd_nxt && _peer_fin) {
    _state = state::done;
    ++stats.completed;
    stats.connection.record(now_ns - _started_ns);
  }
}

void client::on_segment(const net::tcp_header& header, const net::tcp_options& options,
                        std::span<const std::byte> payload, std::uint64_t now_ns, load_stats& stats,
                        segment_sink& out) {
  if (!active()) {
    return;
  }
  if (header.has(net::tcp_flag::rst)) {
    // RFC 9293 §3.10.7.3 (SYN-SENT: acceptable when it acknowledges our SYN) and §3.10.7.4
    // (otherwise: in the window; RFC 5961's challenge ACK is the server's business, not ours).
    const bool acceptable = _state == state::syn_sent
                                ? header.has(net::tcp_flag::ack) && header.acknowledgment == _snd_nxt
                                : header.sequence.in_half_open(_rcv_nxt, _rcv_nxt + advertised_window);
    if (acceptable) {
      fail(failure::reset, stats);
    }
    return;
  }
  if (_state == state::syn_sent) {
    // RFC 9293 §3.10.7.3: an ACK that does not acknowledge our SYN gets <SEQ=SEG.ACK><CTL=RST>,
    // and we keep waiting. It is what a server answers when it still holds a connection on
    // this 4-tuple (a run before this one used the port and its close did not finish): the RST
    // clears it, and the SYN retransmitted at the RTO opens a fresh connection. Ignoring the
    // ACK would leave every retransmitted SYN answered the same way until the deadline.
    if (header.has(net::tcp_flag::ack) && header.acknowledgment != _snd_nxt) {
      const net::seq32 next = _snd_nxt;
      _snd_nxt = header.acknowledgment;
      send(net::tcp_flag::rst, {}, now_ns, out);
      _snd_nxt = next;
      ++stats.syn_sent_resets;
      return;
    }
    // A SYN-ACK that acknowledges our SYN; a segment without ACK (a bare SYN) is ignored.
    if (!header.has(net::tcp_flag::syn) || !header.has(net::tcp_flag::ack)) {
      return;
    }
    stats.syn_to_syn_ack.record(now_ns - _started_ns);
    _rcv_nxt = header.sequence + 1;
    _snd_una = header.acknowledgment;
    _timestamps = _settings->options.timestamps && options.timestamps.has_value();
    if (_timestamps) {
      _ts_recent = options.timestamps->value;
    }
    send(net::tcp_flag::ack, {}, now_ns, out);
    stats.connect.record(now_ns - _started_ns);
    ++stats.handshakes;
    _state = state::established;
    _retransmit_at = never;
    if (_settings->requests > 0) {
      send_request(now_ns, stats, out);
    } else {
      send_fin(now_ns, out);
    }
    return;
  }
  // ESTABLISHED or FIN sent.
  if (header.has(net::tcp_flag::syn)) {
    send(net::tcp_flag::ack, {}, now_ns, out);  // our handshake ACK was lost: the SYN-ACK came again
    return;
  }
  if (_timestamps && options.timestamps && header.sequence <= _rcv_nxt) {
    _ts_recent = options.timestamps->value;  // RFC 7323 §4.3
  }
  if (header.has(net::tcp_flag::ack) && header.acknowledgment > _snd_una && header.acknowledgment <= _snd_nxt) {
    _snd_una = header.acknowledgment;
    if (_snd_una == _snd_nxt) {
      _retransmit_at = never;
    }
  }
  if (header.sequence != _rcv_nxt) {
    if (!payload.empty() || header.has(net::tcp_flag::fin)) {
      send(net::tcp_flag::ack, {}, now_ns, out);  // out of order or a retransmission: duplicate ACK
    }
    maybe_done(now_ns, stats);
    return;
  }
  if (!payload.empty()) {
    _rcv_nxt += static_cast<std::uint32_t>(payload.size());
    if (!_request_outstanding || _peer_fin) {
      send(net::tcp_flag::ack, {}, now_ns, out);
      fail(failure::bad_response, stats);  // data nobody asked for
      return;
    }
    const std::size_t used = _reader.feed(payload);
    if (_reader.status() == http_response_reader::state::error || used != payload.size()) {
      fail(failure::bad_response, stats);
      return;
    }
  }
  if (header.has(net::tcp_flag::fin)) {
    _rcv_nxt += 1;  // RFC 9293 §3.10.7.4 eighth: FIN advances RCV.NXT
    _peer_fin = true;
  }
  // Data and a FIN are acknowledged at once (no delayed ACK). When they complete a response, the
  // next request or our FIN carries that ACK, as a client sending at once does, so a connection
  // of one GET is eight frames: SYN, SYN-ACK, ACK, GET, response, FIN, FIN, ACK.
  const auto acknowledge = [&] {
    if (!payload.empty() || header.has(net::tcp_flag::fin)) {
      send(net::tcp_flag::ack, {}, now_ns, out);
    }
  };
  if (_request_outstanding && _reader.status() == http_response_reader::state::complete) {
    stats.request.record(now_ns - _request_sent_ns);
    _request_outstanding = false;
    ++_requests_done;
    if (_reader.status_code() < 200 || _reader.status_code() > 299) {
      acknowledge();
      fail(failure::bad_status, stats);
      return;
    }
    ++stats.responses;
    _reader.reset();
    const bool more = _requests_done < _settings->requests;
    if (more && !_peer_fin) {
      send_request(now_ns, stats, out);
    } else if (!more && !_fin_sent) {
      send_fin(now_ns, out);
    } else {
      acknowledge();
      if (more) {
        fail(failure::closed_early, stats);  // the server ended a keep-alive connection early
        return;
      }
    }
  } else {
    acknowledge();
    if (_peer_fin && (_request_outstanding || (!_fin_sent && _requests_done < _settings->requests))) {
      fail(failure::closed_early, stats);  // the server closed before the last response was complete
      return;
    }
  }
  maybe_done(now_ns, stats);
}

void client::on_clock(std::uint64_t now_ns, load_stats& stats, segment_sink& out) {
  if (!active()) {
    return;
  }
  if (now_ns >= _deadline) {
    const failure f = _state == state::syn_sent ? failure::handshake_timeout
                      : _state == state::fin_sent ? failure::close_timeout
                                                  : failure::response_timeout;
    if (_state != state::syn_sent) {
      send(net::tcp_flag::rst | net::tcp_flag::ack, {}, now_ns, out);  // free the server's entry
    }
    fail(f, stats);
    return;
  }
  if (now_ns < _retransmit_at) {
    return;
  }
  ++stats.retransmits;
  _rto *= 2;  // RFC 6298 §5.5
  arm(now_ns);
  if (_state == state::syn_sent) {
    send(net::tcp_flag::syn, {}, now_ns, out, true);
    return;
  }
  const net::seq32 next = _snd_nxt;
  if (_fin_sent && _snd_una == _snd_nxt - 1) {
    _snd_nxt = _snd_una;
    send(net::tcp_flag::fin | net::tcp_flag::ack, {}, now_ns, out);
  } else if (_request_outstanding && _snd_una <= _request_seq) {
    const std::string& r = _settings->request;
    _snd_nxt = _request_seq;
    send(net::tcp_flag::psh | net::tcp_flag::ack, std::as_bytes(std::span(r.data(), r.size())), now_ns, out);
  }
  _snd_nxt = next;
}

}  // namespace rampart::load
