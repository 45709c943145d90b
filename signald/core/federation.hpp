// Links between relays that trust each other (docs/signal.md "Federation"):
// each side proves its daemon identity by signing the other's nonce, then
// each relay's users appear in the other's presence and alias resolution,
// and open rooms span the link: membership, presence and room signals travel
// as JSON messages, media as one datagram per packet (room key + the wzp
// packet), fanned out on the far side. Transport-agnostic and clock-free, like Server;
// the caller serializes all calls.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/wire/header.hpp"
#include "signald/core/server.hpp"

namespace wzp::signald {

inline constexpr const char *kFederationAlpn = "wzp-federation/1";
// Authentication takes one round trip each way; this leaves room for a
// lossy path's retransmissions.
inline constexpr std::chrono::seconds kLinkAuthTimeout{10};

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

class Federation final : public RoomLinks, public PresenceLinks {
 public:
  // `trusted`: the identity fingerprints of the relays we federate with.
  Federation(PeerOutbox &outbox, Server &server, const crypto::Identity &self,
             std::vector<std::string> trusted);
  ~Federation() override;

  // A link's QUIC connection is up; `expected` is the identity we dialed.
  void on_link_up(PeerId peer, std::optional<std::string> expected, SteadyTime now);
  void on_message(PeerId peer, std::string_view text);
  void on_datagram(PeerId peer, std::span<const uint8_t> datagram);
  void on_link_down(PeerId peer);
  // Closes links that have not authenticated within kLinkAuthTimeout of
  // coming up: a connection that never signs holds a slot of the
  // federation port, which has few.
  void tick(SteadyTime now);

  // The relay's identity if its link is authenticated.
  std::optional<std::string> identity_of(PeerId peer) const;
  const FederationCounters &counters() const { return counters_; }
  size_t links_up() const;

  // RoomLinks
  void member_changed(const std::string &room, const std::string &fingerprint,
                      const signal::PublicKey &public_key, bool joined) override;
  void forward(PeerId peer, const RoomKey &room, std::span<const uint8_t> datagram) override;
  void relay_signal(PeerId peer, const signal::RoomSignal &message) override;
  // PresenceLinks
  void presence_changed(const signal::PresenceUser &user, bool online) override;

 private:
  struct Link {
    std::optional<std::string> expected;
    std::array<uint8_t, 32> nonce{};  // ours, for the peer to sign
    signal::PublicKey public_key{};
    std::string identity;        // set by its hello
    bool authenticated = false;  // its signature verified
    SteadyTime up_at{};
  };

  void refuse(PeerId peer, const std::string &reason);
  void handle_hello(PeerId peer, Link &link, const std::string &key, const std::string &nonce);
  void handle_auth(PeerId peer, Link &link, const std::string &signature);
  void send_state(PeerId peer);
  void handle_presence(PeerId peer, const nlohmann::json &message);
  void handle_room(PeerId peer, const std::string &type, const nlohmann::json &message);
  void broadcast(const std::string &text);

  PeerOutbox &outbox_;
  Server &server_;
  Rooms &rooms_;
  const crypto::Identity &self_;
  std::string self_fingerprint_;
  std::vector<std::string> trusted_;
  std::unordered_map<PeerId, Link> links_;
  FederationCounters counters_;
  std::array<uint8_t, sizeof(RoomKey) + wire::kMaxPacketSize> frame_{};
};

}  // namespace wzp::signald
