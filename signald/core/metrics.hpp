// Counters the daemon exports at GET /metrics (Prometheus text format).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "signald/core/outbox.hpp"

namespace wzp::signald {

enum class DropReason : uint8_t {
  kNotInRoom,      // the sender has joined no room
  kOversized,      // larger than wire::kMaxPacketSize
  kBadHeader,      // the cleartext header does not parse
  kNotFullHeader,  // mini headers and trunks are not routable in rooms
  kOverBudget,     // beyond what the sender's room tier allows one member
  kOffRoute,       // from a linked relay that is not this relay's way to its sender
  kNoRecipient,    // a key datagram for nobody in the sender's room here
  kCount
};
const char *to_string(DropReason reason);

// Why a call message from a linked relay was refused: logged and counted,
// so a call that never rings says where it stopped.
enum class CallRefusal : uint8_t {
  kBadCaller,       // an offer without the caller's key, or to no fingerprint
  kCallerHere,      // an offer for a caller signed in to this relay
  kOffRoute,        // an offer for a caller this link is not the way to
  kBadCallId,       // an offer with an empty call id
  kCallIdInUse,     // an offer whose call id is a call here already
  kSelfCall,        // an offer whose caller is its callee
  kLinkFull,        // an offer beyond the link's open calls (CallSettings)
  kNotThroughLink,  // another call message: no call of that link, not its side's, or a bad setup
  kCount
};
const char *to_string(CallRefusal reason);

struct Counters {
  uint64_t connections_total = 0;
  uint64_t auth_failures = 0;
  uint64_t messages_received = 0;
  uint64_t messages_refused = 0;  // unparseable, unknown kind or bad field
  uint64_t messages_rate_limited = 0;
  uint64_t datagrams_received = 0;
  uint64_t datagrams_forwarded = 0;
  uint64_t bytes_forwarded = 0;
  // Keyframe requests (docs/PROTOCOL.md) passed on, copies included, one
  // per receiving participant; also counted in datagrams_forwarded.
  uint64_t keyframe_requests_forwarded = 0;
  // Room key datagrams (docs/PROTOCOL.md) passed on to their recipient,
  // copies included; also counted in datagrams_forwarded.
  uint64_t key_datagrams_forwarded = 0;
  // Room members' quality reports of more loss than the relay saw; their
  // loss is clamped (libwzp/quality/plausible_loss.hpp).
  uint64_t implausible_reports = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};

  void drop(DropReason reason) { ++drops[static_cast<size_t>(reason)]; }
};

// Links to other relays (docs/signal.md "Federation").
struct FederationCounters {
  uint64_t links_authenticated = 0;
  uint64_t links_refused = 0;
  uint64_t messages_refused = 0;   // from an authenticated relay, skipped
  uint64_t datagrams_refused = 0;  // too short to carry a room
  uint64_t messages_received = 0;  // from authenticated relays
  // Passed on to the other links (multi-hop), and copies seen before (the
  // loop guard) or out of hops, dropped.
  uint64_t messages_forwarded = 0;
  uint64_t messages_duplicate = 0;
  uint64_t messages_out_of_hops = 0;
  uint64_t messages_rate_limited = 0;  // beyond a link's budget, dropped unread
  // Call messages refused, by reason; also in messages_refused.
  std::array<uint64_t, static_cast<size_t>(CallRefusal::kCount)> call_refusals{};
};

// A cluster's shared state in Redis (docs/signal.md "A cluster on Redis").
struct ClusterCounters {
  uint64_t nodes = 0;              // gauge: other nodes alive, as Redis last said
  uint64_t redis_up = 0;           // gauge: 1 while connected
  uint64_t redis_failures = 0;     // connections lost or refused, commands unanswered
  uint64_t redis_bad_replies = 0;  // error or unexpected replies
  uint64_t nodes_expired = 0;      // nodes whose key expired or that left
};

// Point-in-time gauges that accompany the counters.
struct Gauges {
  uint64_t connections = 0;
  uint64_t authenticated = 0;
  uint64_t calls_offered = 0;
  uint64_t calls_ringing = 0;
  uint64_t calls_active = 0;
  uint64_t calls_ended_direct = 0;  // running totals (Calls::StateCounts)
  uint64_t calls_ended_relay = 0;
  uint64_t rooms = 0;
  uint64_t participants = 0;
  uint64_t remote_users = 0;         // online on linked relays
  uint64_t remote_participants = 0;  // linked relays' members of rooms here
  uint64_t relay_links = 0;          // authenticated
  // Signed-in clients, and those of them in a room or call, by transport.
  std::array<uint64_t, static_cast<size_t>(Transport::kCount)> members_by_transport{};
  std::array<uint64_t, static_cast<size_t>(Transport::kCount)> participants_by_transport{};
  // A running total, read from the transport when the metrics are (Outbox).
  uint64_t datagrams_unsent = 0;
  uint64_t congestion_restarts = 0;
};

// `federation` is null when the daemon federates with no one, `cluster`
// when it is no cluster's node.
std::string render_prometheus(const Counters &counters, const Gauges &gauges,
                              const FederationCounters *federation = nullptr,
                              const ClusterCounters *cluster = nullptr);

}  // namespace wzp::signald
