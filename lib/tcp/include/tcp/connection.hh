#pragma once
// The connection control block (RFC 9293 §3.3.1 "TCB"): one connection's sequence spaces, its
// negotiated options, its timers' deadlines and its send queue. Its logic is in connection_*.cc
// (input, output, timers); the per-lcore container (lcore_tcp) owns the table, the pool, the
// timer wheel and the buffers, and the listener path (listen_input.cc) creates control blocks.
//
// Memory: an idle connection holds no buffer and no SACK scoreboard, and this struct stays within
// 248 bytes, about 271 with its flow-table slot (static_assert below; docs/tcp.md).
#include <cstdint>

#include "flow/flow_key.hh"
#include "net/addresses.hh"
#include "net/seq32.hh"
#include "tcp/congestion_control.hh"
#include "tcp/reassembly.hh"
#include "tcp/rtt_estimator.hh"
#include "tcp/sack_scoreboard.hh"
#include "tcp/send_queue.hh"
#include "timer/timer_wheel.hh"

namespace rampart::tcp {

// "No connection" in handle-valued fields.
inline constexpr std::uint32_t no_handle = UINT32_MAX;

// RFC 9293 §3.3.2. LISTEN is not a connection here (listeners are the stateless listener_table)
// and CLOSED means "not in the table". SYN-SENT does not exist: rampart never opens actively.
enum class tcp_state : std::uint8_t {
  syn_received,  // half-open, from the stateful SYN backlog (cookie modes auto/off)
  established,
  fin_wait_1,    // our FIN sent, not acknowledged; the peer still sends
  fin_wait_2,    // our FIN acknowledged; waiting for the peer's
  close_wait,    // the peer's FIN received; the app still sends until it closes
  closing,       // both FINs sent, ours not acknowledged (simultaneous close)
  last_ack,      // the peer's FIN, then ours: waiting for its ACK
  time_wait,     // both FINs acknowledged after we closed first: 2 MSL of quarantine
};
const char* to_string(tcp_state state) noexcept;

struct connection {
  flow::flow_key key;  // identity (host order), exactly as the flow table knows it
  std::uint32_t hash = 0;  // the flow table hash it was inserted with (erase needs it)
  tcp_state state = tcp_state::established;
  std::uint8_t listener = 0;      // listener_table index: which app owns the connection
  std::uint8_t retries = 0;       // consecutive retransmission timeouts (RFC 9293 §3.8.3 R2)
  std::uint8_t probes = 0;        // consecutive zero-window probes unanswered by a window

  // Negotiated on the handshake.
  bool window_scaling = false;    // RFC 7323 §2.2: both SYNs carried Window Scale
  bool sack_permitted = false;    // RFC 2018: both sides sent SACK-permitted
  bool timestamps = false;        // RFC 7323: both sides sent TS
  bool nagle = true;              // RFC 1122 §4.2.3.4; the listener can turn it off
  // The app's view.
  bool app_open = false;          // on_open was called and on_close not yet
  bool fin_queued = false;        // the app closed: FIN after the queued data
  bool timing_rtt = false;        // rtt_sequence/rtt_start_us time one segment (no timestamps)
  bool persist = false;           // the retransmission deadline is a zero-window probe
  bool writable_wanted = false;   // a send was cut short: on_writable once space frees
  bool window_update_due = false; // the app released held data: advertise the reopened window
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

  // Deadlines (ns on the burst clock; 0 = not running). The one timer node below is armed at
  // the earliest of them (lcore_tcp::rearm).
  std::uint64_t retransmit_at = 0;  // RTO, SYN-ACK retransmission, or persist (by `persist`)
  std::uint64_t delayed_ack_at = 0;
  std::uint64_t idle_at = 0;        // idle timeout; TIME-WAIT's end; the SYN backlog's expiry
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
// a new figure there. 256: 224 plus the out-of-order queue's 8-byte handle and the 24 bytes of
// congestion control; the queue's pieces and the SACK scoreboard live out of line, in per-lcore
// pools (reassembly.hh, sack_scoreboard.hh).
static_assert(sizeof(connection) <= 256, "the control block outgrew its memory budget");

}  // namespace rampart::tcp
