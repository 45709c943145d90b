// What the daemon core needs from the network, and the types it shares. The
// core is transport-agnostic and clock-free: the QUIC glue in signald/ calls
// it with explicit times and implements Outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "libwzp/quality/plausible_loss.hpp"
#include "libwzp/signal/message.hpp"

namespace wzp::signald {

using ConnectionId = uint64_t;
using PeerId = uint64_t;  // a link to another relay (docs/signal.md "Federation")
using SteadyTime = std::chrono::steady_clock::time_point;

// How a client reached the daemon: QUIC, or the fallback for networks that
// block UDP, a WebSocket over TLS and TCP (docs/fallback.md).
enum class Transport : uint8_t { kQuic, kTls, kCount };
const char *to_string(Transport transport);

struct Now {
  SteadyTime steady;
  uint64_t unix_seconds = 0;  // wall clock, only for records users read
};

// What the relay's connections did with the media they carried.
struct LinkTotals {
  // Media datagrams dropped before they were sent: they waited past their
  // deadline for the congestion window, or the send queue was full. The
  // relay's own loss on a member's leg.
  uint64_t datagrams_unsent = 0;
  // Fresh congestion states: a relay's connection starts one when the
  // member it starves bounces it on the relay's ask (docs/quic.md).
  uint64_t congestion_restarts = 0;
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(ConnectionId to, const signal::Message &message,
                    std::optional<uint64_t> request_id = std::nullopt) = 0;
  // Closes the connection with a reason the client can show.
  virtual void close(ConnectionId to, const std::string &reason) = 0;
  // Forwards one media datagram unchanged. Called per packet: no allocation.
  virtual void forward(ConnectionId to, std::span<const uint8_t> datagram) = 0;
  // Running totals of the datagrams sent to `to`: settled (acknowledged,
  // declared lost or dropped before sending) and acknowledged; nullopt where
  // the transport cannot tell. Lets rooms check the loss a member reports.
  virtual std::optional<quality::PacketCounts> datagrams_delivered(ConnectionId /*to*/) const {
    return std::nullopt;
  }
  // The connection's RTT and RTT variation as the relay measures them;
  // nullopt where the transport cannot tell. Lets rooms check the RTT and
  // jitter a member reports.
  virtual std::optional<quality::LegDelay> leg_delay(ConnectionId /*to*/) const {
    return std::nullopt;
  }
  // Running totals over every connection since start.
  virtual LinkTotals link_totals() const { return {}; }
};

inline signal::Error make_error(std::string code, std::string message,
                                std::optional<std::string> call_id = std::nullopt) {
  return signal::Error{std::move(code), std::move(message), std::move(call_id)};
}

}  // namespace wzp::signald
