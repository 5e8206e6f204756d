#pragma once
// How lib/tcp reaches a peer it did not hear from first. A connection a client opened answers
// the neighbour its segments came from; a connection an app opens (app_host::connect) must find
// the link-layer destination of its SYN itself: the peer when it is on the port's subnet, a
// gateway otherwise, resolved by ARP. The engine gives each lcore_tcp one resolver (the routes
// and the neighbour table of its lcore); lib/tcp only asks it, so it stays free of both.
//
// Once the peer answered (its SYN-ACK), the connection answers the neighbour that frame came
// from, as a client's connection does: only the SYN and its retransmissions ask the resolver.
#include <cstdint>

#include "net/addresses.hh"
#include "packet/buffer.hh"
#include "packet/frame.hh"

namespace rampart::tcp {

class next_hop_resolver {
 public:
  enum class status : std::uint8_t {
    resolved,     // `mac` is the next hop's
    pending,      // an ARP request is out (or being retried): hold() the frame
    unreachable,  // no route, or the next hop never answered: the connection fails
  };
  struct result {
    status what = status::unreachable;
    net::mac_address mac;
  };

  // The link-layer destination of frames to `destination` now.
  virtual result resolve(net::ipv4_address destination, std::uint64_t now_ns) noexcept = 0;
  // Takes `frame` (everything written but its destination MAC) in every case: keeps it until
  // `destination` resolves, then sends it with the MAC written in (or at once, if it resolved
  // meanwhile), or drops it (released and counted by the resolver) if the wait queue is full or
  // the next hop never resolves. False when it was dropped now.
  virtual bool hold(net::ipv4_address destination, const packet::buffer& frame,
                    const packet::tx_offload_request& offload, std::uint64_t now_ns) noexcept = 0;

 protected:
  ~next_hop_resolver() = default;
};

}  // namespace rampart::tcp
