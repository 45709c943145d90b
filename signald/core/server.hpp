// The daemon's signaling logic for every connection: authentication by a
// signed challenge (and an optional bearer token checked by a validator),
// aliases, presence, and dispatch to calls and rooms. Single-threaded: the
// caller serializes all calls. Transport-agnostic and clock-free.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libwzp/base/token_bucket.hpp"
#include "signald/core/calls.hpp"
#include "signald/core/metrics.hpp"
#include "signald/core/outbox.hpp"
#include "signald/core/presence.hpp"
#include "signald/core/rooms.hpp"
#include "signald/core/store.hpp"
#include "signald/core/store_writer.hpp"

namespace wzp::signald {

// Checks a client's bearer token, possibly asynchronously; `done` may run
// later, on the thread that drives the Server.
class TokenValidator {
 public:
  virtual ~TokenValidator() = default;
  using Done = std::function<void(bool accepted, const std::string &reason)>;
  virtual void validate(const std::string &token, Done done) = 0;
};

// Where a cluster of daemons decides aliases (docs/signal.md "A cluster on
// Redis"): a claim or release is decided there, cluster-wide and atomically,
// before this daemon's store keeps its outcome. `done` runs later on the
// thread that drives the Server, with nullopt when the registry could not
// answer (unreachable, or a reply it could not read), and the time then.
class AliasRegistry {
 public:
  virtual ~AliasRegistry() = default;
  virtual void claim(const std::string &alias, const std::string &fingerprint,
                     std::function<void(std::optional<Store::ClaimResult>, const Now &)> done) = 0;
  virtual void release(
      const std::string &alias, const std::string &fingerprint,
      std::function<void(std::optional<Store::ReleaseResult>, const Now &)> done) = 0;
  // The fingerprint's alias in the registry; the outer nullopt when it
  // could not answer.
  virtual void alias_of(
      const std::string &fingerprint,
      std::function<void(std::optional<std::optional<std::string>>, const Now &)> done) = 0;
};

struct ServerSettings {
  double messages_per_second = 20;
  double message_burst = 40;
  // Messages dropped by the rate limit before the connection is closed.
  uint32_t max_rate_violations = 100;
  // As long as a client waits for its login (signal::SessionConfig): at
  // 70 % bursty loss some logins take 10-14 s (bench/live/login.sh).
  std::chrono::milliseconds auth_timeout{15000};
  // Connections from one source (connection_source) that have not logged
  // in yet; one more is refused (too_many_unauthenticated). Each holds one
  // of the transport's connection slots for up to auth_timeout.
  size_t max_unauthenticated_per_source = 8;
  // At most one presence update per user per interval (PresenceCoalescer).
  std::chrono::milliseconds presence_interval{1000};
  CallSettings calls;
};

// The part of a connection's observed address ("host:port") one host
// controls, as libwzp/quic counts handshakes per source: an IPv4 address
// (also mapped into IPv6), else an IPv6 /64. Empty if it does not parse.
std::string connection_source(std::string_view observed_address);

// "@name" or "name" -> "name" if it is a valid alias: 2 to 32 of a-z 0-9 _ . -,
// starting with a letter or digit; upper case is folded.
std::optional<std::string> normalize_alias(std::string_view text);

class Server {
 public:
  // `store` is read on the caller's thread; writes go through `writer`.
  // `server_fingerprint`: the daemon's identity, named in challenges.
  // `certificate_sha256`: its TLS certificate, which clients pin and sign
  // (signal::auth_transcript); a login signed for another certificate came
  // through a relay that terminated the client's TLS, and is refused.
  Server(Outbox &outbox, Store &store, StoreWriter &writer, std::string server_fingerprint,
         std::string certificate_sha256, TokenValidator *validator, ServerSettings settings = {});

  void on_connect(ConnectionId conn, std::string observed_address, const Now &now,
                  Transport transport = Transport::kQuic);
  void on_message(ConnectionId conn, std::string_view text, const Now &now);
  // `now` times the sender's budget (libwzp/quality SenderPolicer) and the
  // quality reports a datagram carries.
  void on_datagram(ConnectionId conn, std::span<const uint8_t> datagram, SteadyTime now);
  void on_disconnect(ConnectionId conn, const Now &now);
  // Writes are durable: sends the replies (and presence updates) that
  // waited for them.
  void on_store_written(const Now &now);
  // Times out unanswered calls and connections that never authenticated, and
  // lets time act on room quality (silent participants, probes).
  void tick(const Now &now);
  // Closes every connection with `reason`.
  void shutdown(const std::string &reason);

  const Counters &counters() const { return counters_; }
  // For Federation, which links rooms across relays.
  Rooms &rooms() { return rooms_; }
  Gauges gauges() const;
  // This relay's users, then linked relays' (local first when both have one).
  std::vector<signal::PresenceUser> presence_list();
  // Everyone presence_list would name were it not cut at kMaxPresenceUsers.
  size_t presence_count() const;
  std::optional<signal::PresenceUser> presence_of(const std::string &fingerprint);

  // Federation: users of linked relays, as their relays report them. A
  // remote user is known through one link, the first that reported it (its
  // route), with `origin`, the relay it is signed in to.
  void set_presence_links(PresenceLinks *links) { presence_links_ = links; }
  void set_call_links(CallLinks *links) { calls_.set_links(links); }
  // A cluster's alias registry, which then decides claims; must outlive the
  // Server or be unset first.
  void set_alias_registry(AliasRegistry *registry) { aliases_ = registry; }
  // A cluster's missed calls, kept there instead of the store; the same.
  void set_missed_call_registry(MissedCallRegistry *registry) {
    missed_calls_ = registry;
    calls_.set_missed_call_registry(registry);
  }
  std::vector<signal::PresenceUser> local_presence();
  struct RemoteUser {
    PeerId peer;
    signal::PresenceUser user;
    std::string origin;
  };
  const std::map<std::string, RemoteUser> &remote_users() const { return remote_users_; }
  // News of a user from its own relay is taken from any link (copies that
  // came another way are dropped by id before they get here); a
  // `withdrawal` (a relay on the way lost its route to the user) only from
  // the link that is the route. False if it changed nothing (so it goes no
  // further).
  bool on_remote_presence(PeerId peer, const signal::PresenceUser &user, bool online,
                          const std::string &origin, bool withdrawal);
  void on_peer_lost(PeerId peer, const Now &now);
  // The link towards a user signed in elsewhere, if any.
  std::optional<PeerId> route_to(const std::string &fingerprint) const;
  // A direct call's message from the relay behind `peer` (Calls::remote);
  // an offer only for a caller whose route is `peer`, with the caller's
  // key. Why, if refused.
  std::optional<CallRefusal> on_remote_call(PeerId peer, const signal::Message &message,
                                            const signal::PublicKey *key, const Now &now);

  struct Resolution {
    std::optional<std::string> fingerprint;
    std::string error;  // not_found, ambiguous or bad_query when unresolved
  };
  // This relay's names first, then linked relays' users.
  Resolution resolve(const std::string &query);

 private:
  enum class Stage { kAwaitHello, kValidatingToken, kAwaitAuth, kReady };
  struct Session {
    Stage stage = Stage::kAwaitHello;
    std::string observed_address;
    SteadyTime connected_at;
    base::TokenBucket bucket;
    uint32_t rate_violations = 0;
    bool closing = false;  // close requested; waiting for on_disconnect
    signal::PublicKey public_key{};
    signal::Nonce nonce{};
    std::string fingerprint;
    std::string client_version;  // from hello; shown in the log only
    std::string source;          // connection_source(observed_address)
    Transport transport = Transport::kQuic;
  };

  void handle_unauthenticated(ConnectionId conn, Session &session, const signal::Parsed &parsed,
                              const Now &now);
  void handle_ready(ConnectionId conn, Session &session, const signal::Parsed &parsed,
                    const Now &now);
  void send_challenge(ConnectionId conn, Session &session);
  void complete_auth(ConnectionId conn, Session &session, const signal::Auth &auth, const Now &now);
  void refuse(ConnectionId conn, const std::string &code, const std::string &message);
  void reply(ConnectionId conn, std::optional<uint64_t> request_id,
             const std::optional<signal::Error> &error);
  // Answered once the outcome is durable (on_store_written).
  void claim_alias(ConnectionId conn, const std::string &alias, const std::string &me,
                   std::optional<uint64_t> request_id, const Now &now);
  void release_alias(ConnectionId conn, const std::string &alias, const std::string &me,
                     std::optional<uint64_t> request_id);
  // The user's presence changed: its update goes to every other user and
  // linked relay now, or once the coalescer lets it (at a tick).
  void note_presence_change(const std::string &fingerprint, ConnectionId except, SteadyTime now);
  void broadcast_presence(const std::string &fingerprint, ConnectionId except);
  signal::PresenceUser user_of(const std::string &fingerprint);
  // The alias here, else the one its relay reported for a remote user.
  std::optional<std::string> alias_of(const std::string &fingerprint);
  std::optional<std::string> remote_resolve(const std::string &query);
  // Keeps the registry's decision in the store, then answers (a reply of
  // claim_alias or release_alias) and tells of the change.
  void keep_registry_alias(ConnectionId conn, const std::optional<std::string> &alias,
                           const std::string &me, std::optional<uint64_t> request_id,
                           const Now &now);
  // At login: the registry's alias for `me` (claimed on another node of the
  // cluster) replaces what this store held.
  void sync_alias(const std::string &me);
  Resolution resolve_local(const std::string &query);

  Outbox &outbox_;
  Store &store_;
  StoreWriter &writer_;
  std::string server_fingerprint_;
  std::string certificate_sha256_;
  TokenValidator *validator_;
  ServerSettings settings_;
  Counters counters_;
  Presence presence_;
  PresenceCoalescer presence_updates_;
  Rooms rooms_;
  Calls calls_;
  std::unordered_map<ConnectionId, Session> sessions_;
  PresenceLinks *presence_links_ = nullptr;
  AliasRegistry *aliases_ = nullptr;
  MissedCallRegistry *missed_calls_ = nullptr;
  std::map<std::string, RemoteUser> remote_users_;  // by fingerprint
};

}  // namespace wzp::signald
