#pragma once
// The connection control block (RFC 9293 §3.3.1 "TCB") of the listener path. Until the data path
// lands a connection never sends data: it ACKs and discards what it receives and closes passively,
// so SND.UNA/SND.NXT move only by our SYN and our FIN.
#include <cstdint>

#include "flow/flow_key.hh"
#include "net/seq32.hh"

namespace rampart::tcp {

// "No connection" in the half-open list links.
inline constexpr std::uint32_t no_handle = UINT32_MAX;

// The states this path can hold (RFC 9293 §3.3.2). LISTEN is not a connection here (listeners
// are the stateless listener_table), CLOSE-WAIT lasts no time (we send our FIN in the same segment
// that ACKs the peer's), and CLOSED means "not in the table".
enum class tcp_state : std::uint8_t {
  syn_received,  // half-open, from the stateful SYN backlog (cookie modes auto/off)
  established,
  last_ack,      // peer's FIN ACKed and our FIN sent; waiting for its ACK
};

struct connection {
  flow::flow_key key;  // identity (host order), exactly as the flow table knows it

  tcp_state state = tcp_state::established;
  std::uint8_t listener = 0;        // listener_table index: which app owns the connection

  // Send sequence space (RFC 9293 §3.3.1).
  net::seq32 iss{0};
  net::seq32 snd_una{0};
  net::seq32 snd_nxt{0};
  // Receive sequence space.
  net::seq32 irs{0};
  net::seq32 rcv_nxt{0};

  std::uint16_t peer_mss = 536;     // RFC 9293 §3.7.1: 536 when the peer sent no MSS option
  std::uint8_t snd_wscale = 0;      // shift the peer applies to its windows (its wscale option)
  std::uint8_t rcv_wscale = 0;      // shift we apply to ours; 0 unless both sides sent wscale
  bool window_scaling = false;      // RFC 7323 §2.2: both SYNs carried Window Scale
  std::uint32_t snd_wnd = 0;        // peer's window, scaled
  bool sack_permitted = false;      // RFC 2018: both sides sent SACK-permitted
  bool timestamps = false;          // RFC 7323: both sides sent TS
  std::uint32_t ts_recent = 0;      // RFC 7323 §4.3: TS.Recent, echoed as TSecr. Our TSval is
                                    // the burst clock in ms (cookie TSvals are never ahead of it)

  std::uint32_t hash = 0;           // the flow table hash it was inserted with (erase needs it)

  // syn_received and last_ack: the expiry list links (lcore_tcp.hh: the backlog or the LAST-ACK
  // list, by state) and when the entry expires (ns, the burst clock). syn_received also keeps the
  // TSval our SYN-ACK carried, so a retransmitted SYN gets the same SYN-ACK.
  std::uint32_t expiry_prev = no_handle;
  std::uint32_t expiry_next = no_handle;
  std::uint64_t expires_ns = 0;
  std::uint32_t syn_ack_tsval = 0;
};

}  // namespace rampart::tcp
