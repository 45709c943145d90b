// Links between relays that trust each other (docs/signal.md "Federation"):
// each side proves its daemon identity by signing the other's nonce, then
// each relay's users appear in the other's presence and alias resolution,
// and open rooms span the link: membership, presence and room signals travel
// as JSON messages, media as one datagram per packet (room key + the wzp
// packet), fanned out on the far side; direct calls to users behind a link
// travel as call messages, their media through the call's relay room on
// every relay on the way. Relays pass messages on to their other links
// (multi-hop): each message carries an id, seen once (the loop guard), and
// a hop limit. Transport-agnostic and clock-free, like Server; the caller
// serializes all calls.
#pragma once

#include <deque>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "libwzp/base/token_bucket.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/wire/header.hpp"
#include "signald/core/server.hpp"

namespace wzp::signald {

inline constexpr const char *kFederationAlpn = "wzp-federation/1";
// Authentication takes one round trip each way; this leaves room for a
// lossy path's retransmissions.
inline constexpr std::chrono::seconds kLinkAuthTimeout{10};
// Links a message crosses at most: a chain of five relays.
inline constexpr uint32_t kMaxHops = 4;
// What one linked relay may send: enough for the state of a large relay
// on linking and its users' steady news, not for a flood.
inline constexpr double kLinkMessagesPerSecond = 2000;
inline constexpr double kLinkMessageBurst = 20000;
// Message ids remembered for the loop guard: a copy that comes round a loop
// of links arrives within a few round trips, far fewer messages than this.
inline constexpr size_t kSeenMessageIds = 4096;

// What Federation needs from the links' transport.
class PeerOutbox {
 public:
  virtual ~PeerOutbox() = default;
  virtual void send(PeerId to, const std::string &text) = 0;
  // Called per packet: no allocation.
  virtual void forward(PeerId to, std::span<const uint8_t> datagram) = 0;
  virtual void close(PeerId to, const std::string &reason) = 0;
};

// The signed auth transcript: label, a zero byte, the verifier's 32-byte
// nonce and the verifier's fingerprint (so a signature cannot be replayed
// to another relay, nor taken for a client's).
std::vector<uint8_t> federation_transcript(std::span<const uint8_t> nonce,
                                           std::string_view verifier_fingerprint);

class Federation final : public RoomLinks, public PresenceLinks, public CallLinks {
 public:
  // `trusted`: the identity fingerprints of the relays we federate with.
  Federation(PeerOutbox &outbox, Server &server, const crypto::Identity &self,
             std::vector<std::string> trusted);
  ~Federation() override;

  // A link's QUIC connection is up; `expected` is the identity we dialed.
  void on_link_up(PeerId peer, std::optional<std::string> expected, SteadyTime now);
  // `now` times the calls a message starts or ends.
  void on_message(PeerId peer, std::string_view text, const Now &now);
  void on_datagram(PeerId peer, std::span<const uint8_t> datagram);
  void on_link_down(PeerId peer, const Now &now);
  // Closes links that have not authenticated within kLinkAuthTimeout of
  // coming up: a connection that never signs holds a slot of the
  // federation port, which has few.
  void tick(SteadyTime now);

  // Adds a relay to the trusted ones, or removes it (a cluster node that left
  // or died: docs/signal.md "A cluster on Redis"): its links close, and
  // their users and members go now rather than when the close completes.
  void set_trusted(const std::string &identity, bool trusted, const Now &now);
  // A cluster's nodes all link to each other (docs/signal.md "A cluster on
  // Redis"): what a node hears over a link is the other node's own news
  // and goes no further, and on linking a node sends only its own users and
  // members, so every route is the direct link. (Passed on, a copy could
  // beat the direct one and leave two nodes routing a member through
  // different links, each dropping the other's copies of its media.)
  void set_mesh(bool mesh) { mesh_ = mesh; }
  // The relay's identity if its link is authenticated.
  std::optional<std::string> identity_of(PeerId peer) const;
  const FederationCounters &counters() const { return counters_; }
  size_t links_up() const;

  // RoomLinks
  void member_changed(const std::string &room, const std::string &fingerprint,
                      const signal::PublicKey &public_key, bool joined) override;
  void member_unreachable(const std::string &room, const std::string &fingerprint) override;
  void forward(PeerId peer, const RoomKey &room, std::span<const uint8_t> datagram) override;
  void relay_signal(PeerId peer, const signal::RoomSignal &message) override;
  void report(PeerId peer, const std::string &room, const std::string &fingerprint,
              const quality::PathObservation &report) override;
  // (and PresenceLinks')
  bool passes_on() const override { return !mesh_; }
  // PresenceLinks
  void presence_changed(const signal::PresenceUser &user, bool online,
                        const std::optional<std::string> &origin) override;
  // CallLinks
  void call_message(PeerId peer, const signal::Message &message,
                    const signal::PublicKey *key) override;

 private:
  struct Link {
    std::optional<std::string> expected;
    std::array<uint8_t, 32> nonce{};  // ours, for the peer to sign
    signal::PublicKey public_key{};
    std::string identity;        // set by its hello
    bool authenticated = false;  // its signature verified
    SteadyTime up_at{};
    base::TokenBucket budget{kLinkMessagesPerSecond, kLinkMessageBurst, {}};
  };

  void refuse(PeerId peer, const std::string &reason);
  void handle_hello(PeerId peer, Link &link, const std::string &key, const std::string &nonce);
  void handle_auth(PeerId peer, Link &link, const std::string &signature);
  void send_state(PeerId peer);
  // The open rooms' members this relay knows (`own_only`: its own), to a
  // relay that just linked.
  void send_members(PeerId peer, bool own_only);
  // nullopt when refused, else whether the presence or membership changed
  // something here (then it goes on to the other links).
  std::optional<bool> handle_presence(PeerId peer, const Link &link, const nlohmann::json &message);
  std::optional<bool> handle_room(PeerId peer, const std::string &type,
                                  const nlohmann::json &message);
  // False when refused.
  bool handle_report(PeerId peer, const nlohmann::json &message, const Now &now);
  bool handle_call(PeerId peer, const nlohmann::json &message, const Now &now);
  // Passes a taken message on to the other links with one hop less.
  void pass_on(PeerId from, nlohmann::json message, uint32_t hops);
  // A message of ours, with a fresh id and the hops it may take: `fresh`,
  // else all of them, or one less than the message being handled has;
  // nullopt when that has none left.
  std::optional<std::string> stamp(nlohmann::json message,
                                   std::optional<uint32_t> fresh = std::nullopt);
  // False if the id was seen before; remembers it either way.
  bool first_sight(const std::string &id);
  void broadcast(const nlohmann::json &message);

  PeerOutbox &outbox_;
  Server &server_;
  Rooms &rooms_;
  const crypto::Identity &self_;
  std::string self_fingerprint_;
  std::vector<std::string> trusted_;
  std::unordered_map<PeerId, Link> links_;
  FederationCounters counters_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> seen_order_;  // oldest first, at most kSeenMessageIds
  uint32_t inbound_hops_ = 0;           // of the message being handled; 0 outside one
  bool mesh_ = false;
  std::array<uint8_t, sizeof(RoomKey) + wire::kMaxPacketSize> frame_{};
};

}  // namespace wzp::signald
