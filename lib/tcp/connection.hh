#pragma once
// The connection control block (RFC 9293 §3.3.1 "TCB"): one connection's sequence spaces, its
// negotiated options, its timers' deadlines and its send queue. The protocol that runs it is in
// the step files (docs/tcp.md lists them); the per-lcore state (lcore_state.hh) owns the table,
// the pool, the timer wheel and the buffers.
//
// Memory: an idle connection holds no buffer and no SACK scoreboard, and this struct stays within
// 256 bytes, about 279 with its flow-table slot (static_assert below; docs/tcp.md).
#include <cstdint>

#include "flow/flow_key.hh"
#include "net/addresses.hh"
#include "net/seq32.hh"
#include "tcp/tcp_state.hh"
#include "congestion_control.hh"
#include "reassembly.hh"
#include "rtt_estimator.hh"
#include "sack_scoreboard.hh"
#include "send_queue.hh"
#include "timer/timer_wheel.hh"

namespace rampart::tcp {

// "No connection" in handle-valued fields.
inline constexpr std::uint32_t no_handle = UINT32_MAX;

// What the send deadline of a connection stands for (connection_timers.cc runs it).
enum class send_timer : std::uint8_t {
  off,
  retransmission,  // RFC 6298 §5: data, our FIN or (SYN-RECEIVED) our SYN-ACK unacknowledged
  persist,         // RFC 9293 §3.8.6.1: the peer's window is zero; probe it. While armed, no
                   // data leaves but the probes
  loss_probe,      // RFC 8985 §7.2: a tail loss probe goes before the RTO would
};
// What the output deadline of a connection stands for: when it fires, output() runs with an ACK.
enum class output_timer : std::uint8_t {
  off,
  delayed_ack,  // RFC 9293 §3.8.6.3: the ACK we held back is due
  retry,        // output was held back by a local shortage (no buffer, no TX room): again soon,
                // without the back-off of a retransmission timeout
};
// What the lifetime deadline of a connection stands for: when it fires the connection ends.
enum class lifetime_timer : std::uint8_t {
  off,
  idle,         // the listener's idle timeout: nothing received for that long (RST)
  connect,      // an active open's SYN was never answered (app_host::connect's timeout; erased)
  syn_backlog,  // a half-open entry's client never sent its ACK (erased silently)
  fin_wait_2,   // our FIN is acknowledged and the peer's never came (RST, as Linux's tcp_fin_timeout)
  time_wait,    // 2 MSL are over (RFC 9293 §3.10.7.4; erased silently)
};

struct connection {
  flow::flow_key key;  // identity (host order), exactly as the flow table knows it
  std::uint32_t hash = 0;  // the flow table hash it was inserted with (erase needs it)
  tcp_state state = tcp_state::closed;  // changed by set_state only (state_transition.hh)
  std::uint8_t listener = 0;      // listener_table index: which app owns the connection
  std::uint8_t retries = 0;       // consecutive retransmission timeouts (RFC 9293 §3.8.3 R2)
  std::uint8_t probes = 0;        // consecutive zero-window probes unanswered by a window

  // Negotiated on the handshake.
  bool window_scaling = false;    // RFC 7323 §2.2: both SYNs carried Window Scale
  bool sack_permitted = false;    // RFC 2018: both sides sent SACK-permitted
  bool timestamps = false;        // RFC 7323: both sides sent TS
  bool nagle = true;              // RFC 1122 §4.2.3.4; the listener can turn it off
  bool timing_rtt = false;        // rtt_sequence/rtt_start_us time one segment (no timestamps)
  // The app's view and the ISS's kind, in bit-fields (the block has no byte to spare).
  bool app_open : 1 = false;          // the app knows the stream (on_open, or connect()) and on_close not yet
  bool fin_queued : 1 = false;        // the app closed: FIN after the queued data
  bool writable_wanted : 1 = false;   // a send was cut short: on_writable once space frees
  bool window_update_due : 1 = false; // the app released held data: advertise the reopened window
  bool outbound : 1 = false;          // opened by the app (app_host::connect), not by a client
  bool deferred : 1 = false;          // in the lcore's deferred work (an app acted on it from
                                      // another stream's callback: lcore_state::deferred)
  bool abort_due : 1 = false;         // that work includes an abort
  bool iss_is_cookie : 1 = false;     // a backlog entry's ISS is a SYN cookie (listen_input.cc,
                                      // choose_backlog_iss): in SYN-RECEIVED, its ACK would open
                                      // the connection without the entry
  // What the deadlines below stand for, in bit-fields: the three share the one byte left beside
  // these flags.
  send_timer send_timer_kind : 2 = send_timer::off;
  output_timer output_timer_kind : 2 = output_timer::off;
  lifetime_timer lifetime_kind : 3 = lifetime_timer::off;
  std::uint8_t snd_wscale = 0;    // shift the peer applies to its windows (its wscale option)
  std::uint8_t rcv_wscale = 0;    // shift we apply to ours; 0 unless both sides sent wscale
  std::uint16_t peer_mss = 536;   // RFC 9293 §3.7.1: 536 when the peer sent no MSS option
  std::uint16_t scoreboard = no_scoreboard;  // SACK scoreboard (per-lcore pool) while SACK info exists
  std::uint16_t segments_unacked = 0;  // full-sized segments received since our last ACK
  std::uint16_t challenge_acks = 0;    // sent in the current second (RFC 5961 §7 rate limit)
  std::uint32_t challenge_second = 0;

  // Send sequence space (RFC 9293 §3.3.1). SND.MAX is the highest SND.NXT so far: after a
  // retransmission timeout SND.NXT goes back to SND.UNA (go-back-N) while ACKs up to SND.MAX
  // stay acceptable.
  net::seq32 iss{0};
  net::seq32 snd_una{0};
  net::seq32 snd_nxt{0};
  net::seq32 snd_max{0};
  net::seq32 snd_wl1{0};          // SEG.SEQ of the last window update
  net::seq32 snd_wl2{0};          // SEG.ACK of the last window update
  std::uint32_t snd_wnd = 0;      // peer's window, scaled
  // Receive sequence space.
  net::seq32 irs{0};
  net::seq32 rcv_nxt{0};
  net::seq32 rcv_adv{0};          // RCV.NXT + RCV.WND as last advertised (never shrinks, §3.8.6.2.2)
  std::uint32_t rcv_held = 0;     // received bytes the app still holds (stream::retain_buffer)
  reassembly_queue ooo;           // data beyond a hole (lcore_tcp's reassembly_pool holds it)

  std::uint32_t ts_recent = 0;    // RFC 7323 §4.3: TS.Recent, echoed as TSecr
  net::seq32 rtt_sequence{0};     // without timestamps: the segment being timed (Karn: first send)
  std::uint32_t rtt_start_us = 0;
  rtt_estimator rtt;
  congestion_state cc;            // cwnd, ssthresh, recovery point, CUBIC (congestion_control.hh)

  // Deadlines (ns on the burst clock; 0 = not running), each with its kind above. The one timer
  // node below is armed at the earliest of them (connection_timers.hh: rearm).
  std::uint64_t send_timer_at = 0;
  std::uint64_t output_timer_at = 0;
  std::uint64_t lifetime_timer_at = 0;
  timer::timer_node timer;

  send_queue sendq;               // bytes from SND.UNA on
  void* app_context = nullptr;    // stream::set_context
  net::mac_address remote_mac;    // the neighbour the connection's segments came from
  std::uint8_t dupacks = 0;       // duplicate ACKs in a row (RFC 5681 §2), saturating
  std::uint8_t recovery = 0;      // loss_recovery.cc: recovery_flag bits

  // Accounting (connection listing, docs/stats.md).
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t opened_ns = 0;

  // Built in place in the pool (the timer node must not move), filled by the listener path.
  explicit connection(const rto_limits& limits) noexcept : rtt(limits) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
};
// An idle connection's memory: this block plus its flow-table slot (a 128-byte bucket holds 7
// entries at up to 80% load: about 23 bytes each), docs/tcp.md. Grow it only with a reason and
// a new figure there. The out-of-order queue's pieces and the SACK scoreboard live out of line,
// in per-lcore pools (reassembly.hh, sack_scoreboard.hh).
static_assert(sizeof(connection) <= 256, "the control block outgrew its memory budget");

}  // namespace rampart::tcp
