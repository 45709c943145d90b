#include "signald/core/server.hpp"

#include <arpa/inet.h>
#include <glib.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "libwzp/base/hex.hpp"
#include "libwzp/base/host_port.hpp"
#include "libwzp/base/version.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/signal/printable.hpp"

namespace wzp::signald {

namespace {

std::string random_room_id() {
  uint8_t bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return base::to_hex(bytes);
}

// Reported back to rate-limited clients only now and then, so a flood does
// not earn a flood of replies.
constexpr uint32_t kRateLimitReplyEvery = 16;

// What a claim or release that did not succeed answers, whoever decided it
// (the node's store or a cluster's registry); `failed` says who failed.
signal::Error claim_error(Store::ClaimResult result, const std::string &alias, const char *failed) {
  switch (result) {
    case Store::ClaimResult::kTaken:
      return make_error("alias_taken", "@" + alias + " belongs to someone else");
    case Store::ClaimResult::kOwnerHasAnother:
      return make_error("alias_held", "release your current alias first");
    default:
      return make_error("internal", failed);
  }
}

signal::Error release_error(Store::ReleaseResult result, const char *failed) {
  switch (result) {
    case Store::ReleaseResult::kUnknown:
      return make_error("unknown_alias", "no such alias");
    case Store::ReleaseResult::kNotOwner:
      return make_error("not_owner", "only the owner can release an alias");
    default:
      return make_error("internal", failed);
  }
}

constexpr const char *kRegistryFailed = "the cluster's alias registry did not answer";

}  // namespace

std::string connection_source(std::string_view observed_address) {
  std::optional<base::HostPort> parsed = base::parse_host_port(observed_address);
  if (!parsed) return {};
  in_addr v4{};
  if (inet_pton(AF_INET, parsed->host.c_str(), &v4) == 1) {
    return base::to_hex({reinterpret_cast<const uint8_t *>(&v4), 4});
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, parsed->host.c_str(), &v6) != 1) return {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return base::to_hex({v6.s6_addr + 12, 4});
  return base::to_hex({v6.s6_addr, 8}) + "/64";
}

std::optional<std::string> normalize_alias(std::string_view text) {
  if (!text.empty() && text.front() == '@') text.remove_prefix(1);
  if (text.size() < 2 || text.size() > 32) return std::nullopt;
  std::string alias;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') ||
              (!alias.empty() && (lower == '_' || lower == '.' || lower == '-'));
    if (!ok) return std::nullopt;
    alias.push_back(lower);
  }
  return alias;
}

Server::Server(Outbox &outbox, Store &store, StoreWriter &writer, std::string server_fingerprint,
               std::string certificate_sha256, TokenValidator *validator, ServerSettings settings)
    : outbox_(outbox),
      store_(store),
      writer_(writer),
      server_fingerprint_(std::move(server_fingerprint)),
      certificate_sha256_(std::move(certificate_sha256)),
      validator_(validator),
      settings_(settings),
      presence_updates_(settings.presence_interval),
      rooms_(outbox, counters_),
      calls_(outbox, writer, presence_, rooms_, settings.calls, random_room_id) {}

void Server::on_connect(ConnectionId conn, std::string observed_address, const Now &now,
                        Transport transport) {
  ++counters_.connections_total;
  std::string source = connection_source(observed_address);
  size_t waiting = 0;
  if (!source.empty()) {
    for (const auto &[other, session] : sessions_) {
      waiting += session.stage != Stage::kReady && !session.closing && session.source == source;
    }
  }
  Session &session =
      sessions_
          .insert_or_assign(conn,
                            Session{Stage::kAwaitHello, std::move(observed_address), now.steady,
                                    base::TokenBucket(settings_.messages_per_second,
                                                      settings_.message_burst, now.steady)})
          .first->second;
  session.source = std::move(source);
  session.transport = transport;
  // Connections that have not logged in hold a slot each until auth_timeout:
  // one address gets only so many of them (issue 13, finding 4).
  if (waiting >= settings_.max_unauthenticated_per_source) {
    refuse(conn, "too_many_unauthenticated",
           "too many connections from your address have not logged in yet");
  }
}

void Server::refuse(ConnectionId conn, const std::string &code, const std::string &message) {
  if (auto it = sessions_.find(conn); it != sessions_.end()) it->second.closing = true;
  ++counters_.auth_failures;
  // The message may quote what the client sent (its message kind).
  g_message("connection %" G_GUINT64_FORMAT " refused: %s (%s)", conn, code.c_str(),
            signal::printable(message).c_str());
  outbox_.send(conn, make_error(code, message));
  outbox_.close(conn, message);
}

void Server::reply(ConnectionId conn, std::optional<uint64_t> request_id,
                   const std::optional<signal::Error> &error) {
  if (error) {
    outbox_.send(conn, *error, request_id);
  } else if (request_id) {
    outbox_.send(conn, signal::Ok{}, request_id);
  }
}

void Server::on_message(ConnectionId conn, std::string_view text, const Now &now) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  Session &session = it->second;
  if (session.closing) return;
  ++counters_.messages_received;
  if (!session.bucket.take(now.steady)) {
    ++counters_.messages_rate_limited;
    if (++session.rate_violations >= settings_.max_rate_violations) {
      g_message("connection %" G_GUINT64_FORMAT " closed: message flood", conn);
      session.closing = true;
      outbox_.close(conn, "too many messages");
    } else if (session.rate_violations % kRateLimitReplyEvery == 1) {
      outbox_.send(conn, make_error("rate_limited", "slow down: message dropped"));
    }
    return;
  }
  signal::Parsed parsed = signal::parse(text);
  for (const auto &field : parsed.ignored_fields) {
    g_debug("connection %" G_GUINT64_FORMAT ": %s: ignored unknown field '%s'", conn,
            signal::printable(parsed.kind).c_str(), signal::printable(field).c_str());
  }
  if (parsed.error != signal::ParseError::kOk) {
    ++counters_.messages_refused;
    g_message("connection %" G_GUINT64_FORMAT ": message refused: %s", conn,
              signal::printable(parsed.detail).c_str());
    if (session.stage != Stage::kReady) {
      return refuse(conn, signal::to_string(parsed.error), parsed.detail);
    }
    // An authenticated peer may simply be newer than us: answer and go on.
    outbox_.send(conn, make_error(signal::to_string(parsed.error), parsed.detail),
                 parsed.request_id);
    return;
  }
  if (session.stage == Stage::kReady) {
    handle_ready(conn, session, parsed, now);
  } else {
    handle_unauthenticated(conn, session, parsed, now);
  }
}

void Server::send_challenge(ConnectionId conn, Session &session) {
  // A fresh nonce per connection: a signature captured elsewhere, or from an
  // earlier connection, never verifies here.
  randombytes_buf(session.nonce.data(), session.nonce.size());
  session.stage = Stage::kAwaitAuth;
  outbox_.send(conn, signal::Challenge{session.nonce, server_fingerprint_});
}

void Server::handle_unauthenticated(ConnectionId conn, Session &session,
                                    const signal::Parsed &parsed, const Now &now) {
  const signal::Message &message = *parsed.message;
  if (session.stage == Stage::kAwaitHello && std::holds_alternative<signal::Hello>(message)) {
    const auto &hello = std::get<signal::Hello>(message);
    session.public_key = hello.public_key;
    session.client_version = hello.version;
    if (validator_ == nullptr) return send_challenge(conn, session);
    if (!hello.token || hello.token->empty()) {
      return refuse(conn, "token_required", "this server requires a bearer token in hello");
    }
    session.stage = Stage::kValidatingToken;
    validator_->validate(*hello.token, [this, conn](bool accepted, const std::string &reason) {
      auto found = sessions_.find(conn);
      if (found == sessions_.end() || found->second.stage != Stage::kValidatingToken ||
          found->second.closing) {
        return;
      }
      if (!accepted) return refuse(conn, "token_refused", reason);
      send_challenge(conn, found->second);
    });
    return;
  }
  if (session.stage == Stage::kAwaitAuth && std::holds_alternative<signal::Auth>(message)) {
    return complete_auth(conn, session, std::get<signal::Auth>(message), now);
  }
  refuse(conn, "not_authenticated",
         std::string("expected ") + (session.stage == Stage::kAwaitAuth ? "auth" : "hello") +
             ", got " + parsed.kind);
}

void Server::complete_auth(ConnectionId conn, Session &session, const signal::Auth &auth,
                           const Now &now) {
  signal::Bytes transcript = signal::auth_transcript(session.nonce, certificate_sha256_);
  // The nonce is spent whatever the outcome.
  sodium_memzero(session.nonce.data(), session.nonce.size());
  if (!crypto::verify_signature(session.public_key, transcript, auth.signature)) {
    return refuse(conn, "bad_signature",
                  "the challenge signature does not verify (it must cover this daemon's "
                  "certificate: a relay in between shows another)");
  }
  session.fingerprint = crypto::format_fingerprint(crypto::fingerprint_of(session.public_key));
  session.stage = Stage::kReady;
  writer_.submit([fingerprint = session.fingerprint, at = now.unix_seconds](Store &store) {
    store.note_seen(fingerprint, at);
  });
  size_t devices = presence_.add(session.fingerprint, conn);
  g_message("connection %" G_GUINT64_FORMAT " authenticated as %s (device %zu, version %s)", conn,
            session.fingerprint.c_str(), devices,
            session.client_version.empty() ? "unknown"
                                           : signal::printable(session.client_version).c_str());

  outbox_.send(conn, signal::Welcome{session.fingerprint, store_.alias_of(session.fingerprint),
                                     base::version()});
  outbox_.send(conn, signal::PresenceList{presence_list()});
  note_presence_change(session.fingerprint, conn, now.steady);
  if (aliases_ != nullptr) sync_alias(session.fingerprint);
  auto deliver = [this, conn](std::optional<std::vector<signal::MissedCall>> missed, const Now &) {
    if (missed && !missed->empty() && sessions_.contains(conn)) {
      outbox_.send(conn, signal::MissedCalls{std::move(*missed)});
    }
  };
  if (missed_calls_ != nullptr) {
    return missed_calls_->take_missed_calls(session.fingerprint, now.unix_seconds, deliver);
  }
  // On the writer, after every missed call recorded before this login.
  writer_.submit([fingerprint = session.fingerprint, at = now.unix_seconds](
                     Store &store) { return store.take_missed_calls(fingerprint, at); },
                 deliver);
}

void Server::claim_alias(ConnectionId conn, const std::string &alias, const std::string &me,
                         std::optional<uint64_t> request_id, const Now &now) {
  if (aliases_ != nullptr) {
    aliases_->claim(
        alias, me,
        [this, conn, alias, me, request_id](std::optional<Store::ClaimResult> result,
                                            const Now &decided) {
          auto r = result.value_or(Store::ClaimResult::kFailed);
          if (r == Store::ClaimResult::kClaimed || r == Store::ClaimResult::kAlreadyYours) {
            return keep_registry_alias(conn, alias, me, request_id, decided);
          }
          if (sessions_.contains(conn)) {
            reply(conn, request_id, claim_error(r, alias, kRegistryFailed));
          }
        });
    return;
  }
  writer_.submit(
      [alias, me, at = now.unix_seconds](Store &store) { return store.claim_alias(alias, me, at); },
      [this, conn, alias, me, request_id](std::optional<Store::ClaimResult> result,
                                          const Now &written) {
        std::optional<signal::Error> error;
        auto r = result.value_or(Store::ClaimResult::kFailed);
        if (r == Store::ClaimResult::kClaimed) {
          g_message("%s claimed alias @%s", me.c_str(), alias.c_str());
          note_presence_change(me, 0, written.steady);
        } else if (r != Store::ClaimResult::kAlreadyYours) {
          error = claim_error(r, alias, "could not store the alias");
        }
        if (sessions_.contains(conn)) reply(conn, request_id, error);
      });
}

void Server::release_alias(ConnectionId conn, const std::string &alias, const std::string &me,
                           std::optional<uint64_t> request_id) {
  if (aliases_ != nullptr) {
    aliases_->release(
        alias, me,
        [this, conn, me, request_id](std::optional<Store::ReleaseResult> result, const Now &now) {
          auto r = result.value_or(Store::ReleaseResult::kFailed);
          if (r == Store::ReleaseResult::kReleased) {
            return keep_registry_alias(conn, std::nullopt, me, request_id, now);
          }
          if (sessions_.contains(conn)) reply(conn, request_id, release_error(r, kRegistryFailed));
        });
    return;
  }
  writer_.submit(
      [alias, me](Store &store) { return store.release_alias(alias, me); },
      [this, conn, me, request_id](std::optional<Store::ReleaseResult> result, const Now &written) {
        std::optional<signal::Error> error;
        auto r = result.value_or(Store::ReleaseResult::kFailed);
        if (r == Store::ReleaseResult::kReleased) {
          note_presence_change(me, 0, written.steady);
        } else {
          error = release_error(r, "could not release the alias");
        }
        if (sessions_.contains(conn)) reply(conn, request_id, error);
      });
}

void Server::keep_registry_alias(ConnectionId conn, const std::optional<std::string> &alias,
                                 const std::string &me, std::optional<uint64_t> request_id,
                                 const Now &now) {
  writer_.submit(
      [alias, me, at = now.unix_seconds](Store &store) { return store.keep_alias(alias, me, at); },
      [this, conn, alias, me, request_id](std::optional<bool> kept, const Now &written) {
        std::optional<signal::Error> error;
        if (kept.value_or(false)) {
          if (alias)
            g_message("%s has alias @%s (the cluster's registry)", me.c_str(), alias->c_str());
          note_presence_change(me, 0, written.steady);
        } else {
          error = make_error("internal", "could not store the alias");
        }
        if (conn != 0 && sessions_.contains(conn)) reply(conn, request_id, error);
      });
}

void Server::sync_alias(const std::string &me) {
  aliases_->alias_of(me,
                     [this, me](std::optional<std::optional<std::string>> alias, const Now &now) {
                       // Unanswered: the store's copy stands until the next login.
                       if (!alias || *alias == store_.alias_of(me)) return;
                       keep_registry_alias(0, *alias, me, std::nullopt, now);
                     });
}

void Server::on_store_written(const Now &now) { writer_.run_completions(now); }

signal::PresenceUser Server::user_of(const std::string &fingerprint) {
  return signal::PresenceUser{fingerprint, store_.alias_of(fingerprint),
                              static_cast<uint32_t>(presence_.devices(fingerprint).size())};
}

std::optional<std::string> Server::alias_of(const std::string &fingerprint) {
  if (auto alias = store_.alias_of(fingerprint)) return alias;
  auto remote = remote_users_.find(fingerprint);
  return remote == remote_users_.end() ? std::nullopt : remote->second.user.alias;
}

void Server::note_presence_change(const std::string &fingerprint, ConnectionId except,
                                  SteadyTime now) {
  if (presence_updates_.changed(fingerprint, now)) broadcast_presence(fingerprint, except);
}

void Server::broadcast_presence(const std::string &fingerprint, ConnectionId except) {
  const bool online = presence_.online(fingerprint);
  signal::PresenceUpdate update{user_of(fingerprint), online};
  for (const auto &[conn, session] : sessions_) {
    if (conn != except && session.stage == Stage::kReady) outbox_.send(conn, update);
  }
  if (presence_links_ != nullptr)
    presence_links_->presence_changed(update.user, online, std::nullopt);
}

std::vector<signal::PresenceUser> Server::local_presence() {
  std::vector<signal::PresenceUser> users;
  for (const auto &[fingerprint, devices] : presence_.all()) users.push_back(user_of(fingerprint));
  return users;
}

std::vector<signal::PresenceUser> Server::presence_list() {
  std::vector<signal::PresenceUser> users;
  for (const auto &[fingerprint, devices] : presence_.all()) {
    if (users.size() == signal::kMaxPresenceUsers) return users;
    users.push_back(user_of(fingerprint));
  }
  for (const auto &[fingerprint, remote] : remote_users_) {
    if (users.size() == signal::kMaxPresenceUsers) break;
    if (!presence_.online(fingerprint)) users.push_back(remote.user);
  }
  return users;
}

size_t Server::presence_count() const {
  size_t count = presence_.all().size();
  for (const auto &[fingerprint, remote] : remote_users_) count += !presence_.online(fingerprint);
  return count;
}

std::optional<signal::PresenceUser> Server::presence_of(const std::string &fingerprint) {
  if (presence_.online(fingerprint)) return user_of(fingerprint);
  auto remote = remote_users_.find(fingerprint);
  if (remote == remote_users_.end()) return std::nullopt;
  return remote->second.user;
}

bool Server::on_remote_presence(PeerId peer, const signal::PresenceUser &user, bool online,
                                const std::string &origin, bool withdrawal) {
  auto found = remote_users_.find(user.fingerprint);
  if (online) {
    if (found == remote_users_.end()) {
      // Its route: the link that reported it first.
      remote_users_.emplace(user.fingerprint, RemoteUser{peer, user, origin});
    } else if (found->second.origin != origin && presence_links_ != nullptr &&
               !presence_links_->passes_on()) {
      // In a cluster: the user's node died and it signed in to another
      // before this node gave the dead one up. The route follows it, so
      // losing the dead node does not take the user offline here.
      found->second = RemoteUser{peer, user, origin};
    } else if (found->second.user == user) {
      return false;
    } else {
      found->second.user = user;
    }
  } else if (found != remote_users_.end() && (!withdrawal || found->second.peer == peer)) {
    remote_users_.erase(found);
  } else {
    return false;
  }
  if (presence_.online(user.fingerprint)) return true;  // local devices speak for the user here
  signal::PresenceUpdate update{user, online};
  for (const auto &[conn, session] : sessions_) {
    if (session.stage == Stage::kReady) outbox_.send(conn, update);
  }
  return true;
}

void Server::on_peer_lost(PeerId peer, const Now &now) {
  calls_.on_peer_lost(peer, now);
  std::vector<RemoteUser> gone;
  for (const auto &[fingerprint, remote] : remote_users_) {
    if (remote.peer == peer) gone.push_back(remote);
  }
  for (auto &remote : gone) {
    remote.user.devices = 0;
    on_remote_presence(peer, remote.user, false, remote.origin, true);
    // Relays that know the user through this one hear that it is gone.
    if (presence_links_ != nullptr) {
      presence_links_->presence_changed(remote.user, false, remote.origin);
    }
  }
}

std::optional<PeerId> Server::route_to(const std::string &fingerprint) const {
  auto found = remote_users_.find(fingerprint);
  if (found == remote_users_.end()) return std::nullopt;
  return found->second.peer;
}

std::optional<CallRefusal> Server::on_remote_call(PeerId peer, const signal::Message &message,
                                                  const signal::PublicKey *key, const Now &now) {
  const auto *offer = std::get_if<signal::CallOffer>(&message);
  if (offer == nullptr) {
    if (calls_.remote(peer, message, key, now)) return std::nullopt;
    return CallRefusal::kNotThroughLink;
  }
  // A relay speaks only for the users it reported, and the key must be the
  // caller's: it cannot place a call in the name of someone signed in here
  // or behind another link.
  if (key == nullptr || !signal::is_fingerprint(offer->callee) ||
      crypto::format_fingerprint(crypto::fingerprint_of(*key)) != offer->caller) {
    return CallRefusal::kBadCaller;
  }
  if (presence_.online(offer->caller)) return CallRefusal::kCallerHere;
  if (route_to(offer->caller) != peer) return CallRefusal::kOffRoute;
  std::optional<PeerId> callee_route =
      presence_.online(offer->callee) ? std::nullopt : route_to(offer->callee);
  return calls_.remote_offer(peer, *offer, *key, callee_route, now);
}

// Linked relays' users by alias or fingerprint prefix, when this relay
// knows no one by that name: local names win.
std::optional<std::string> Server::remote_resolve(const std::string &query) {
  auto digits = signal::fingerprint_digits(query);
  auto alias = digits ? std::nullopt : normalize_alias(query);
  std::optional<std::string> match;
  for (const auto &[fingerprint, remote] : remote_users_) {
    auto own_digits = signal::fingerprint_digits(fingerprint);
    bool by_prefix = digits && own_digits && own_digits->starts_with(*digits);
    bool by_alias = alias && remote.user.alias == *alias;
    if (!by_alias && !by_prefix) continue;
    if (match) return std::nullopt;  // ambiguous
    match = fingerprint;
  }
  return match;
}

Server::Resolution Server::resolve(const std::string &query) {
  if (signal::is_fingerprint(query)) return {query, ""};
  if (query.empty()) return {std::nullopt, "bad_query"};
  // A whole fingerprint in another spelling names that user, seen or not.
  if (auto digits = signal::fingerprint_digits(query);
      digits && digits->size() == signal::kFingerprintDigits) {
    return {signal::fingerprint_from_digits(*digits), ""};
  }
  Resolution local = resolve_local(query);
  if (local.fingerprint || local.error == "ambiguous") return local;
  if (auto remote = remote_resolve(query)) return {remote, ""};
  return local;
}

Server::Resolution Server::resolve_local(const std::string &query) {
  // Hex of a fingerprint's shape is a prefix, never an alias (aliases of
  // that shape are refused), so no alias can pose as someone's fingerprint.
  if (auto digits = signal::fingerprint_digits(query)) {
    auto matches = store_.fingerprints_with_prefix(*digits, 2);
    if (matches.size() == 1) return {matches.front(), ""};
    return {std::nullopt, matches.empty() ? "not_found" : "ambiguous"};
  }
  auto alias = normalize_alias(query);
  if (!alias) return {std::nullopt, "bad_query"};
  auto owner = store_.alias_owner(*alias);
  return owner ? Resolution{owner, ""} : Resolution{std::nullopt, "not_found"};
}

void Server::handle_ready(ConnectionId conn, Session &session, const signal::Parsed &parsed,
                          const Now &now) {
  const std::string &me = session.fingerprint;
  std::optional<signal::Error> error;
  bool answered = false;  // the handler replies itself, now or once durable
  std::visit(
      [&](const auto &m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, signal::AliasClaim>) {
          auto alias = normalize_alias(m.alias);
          if (!alias) {
            error =
                make_error("bad_alias", "2-32 of a-z 0-9 _ . -, starting with a letter or digit");
            return;
          }
          if (signal::fingerprint_digits(*alias)) {
            error = make_error("bad_alias", "@" + *alias +
                                                " reads as a fingerprint prefix (4 or more hex "
                                                "digits and '-'); add a letter from g to z, "
                                                "'_' or '.'");
            return;
          }
          claim_alias(conn, *alias, me, parsed.request_id, now);
          answered = true;
        } else if constexpr (std::is_same_v<T, signal::AliasRelease>) {
          auto alias = normalize_alias(m.alias);
          if (!alias) {
            error = make_error("unknown_alias", "no such alias");
            return;
          }
          release_alias(conn, *alias, me, parsed.request_id);
          answered = true;
        } else if constexpr (std::is_same_v<T, signal::AliasResolve>) {
          Resolution found = resolve(m.query);
          if (!found.fingerprint) {
            error = make_error(found.error, "cannot resolve " + m.query);
            return;
          }
          outbox_.send(
              conn,
              signal::AliasResolved{m.query, *found.fingerprint, alias_of(*found.fingerprint)},
              parsed.request_id);
          answered = true;
        } else if constexpr (std::is_same_v<T, signal::CallOffer>) {
          Resolution callee = resolve(m.callee);
          if (!callee.fingerprint) {
            error = make_error("unknown_callee", "cannot resolve " + m.callee, m.call_id);
            return;
          }
          std::optional<PeerId> route =
              presence_.online(*callee.fingerprint) ? std::nullopt : route_to(*callee.fingerprint);
          // The callee's relay takes an offer only for a caller this link
          // reported (on_remote_call): a change of the caller's presence
          // still held, such as her return within an interval of leaving,
          // goes ahead of it.
          if (route && presence_updates_.take(me, now.steady)) {
            g_message("connection %" G_GUINT64_FORMAT
                      ": presence of %s sent ahead of its call offer",
                      conn, me.c_str());
            broadcast_presence(me, 0);
          }
          error = calls_.offer(conn, me, session.public_key, m, *callee.fingerprint, route, now);
        } else if constexpr (std::is_same_v<T, signal::CallRinging>) {
          error = calls_.ringing(conn, m);
        } else if constexpr (std::is_same_v<T, signal::CallAnswer>) {
          error = calls_.answer(conn, m, session.public_key);
        } else if constexpr (std::is_same_v<T, signal::CallConfirm>) {
          error = calls_.confirm(conn, m);
        } else if constexpr (std::is_same_v<T, signal::CallPath>) {
          error = calls_.path(conn, m);
        } else if constexpr (std::is_same_v<T, signal::CallCandidates>) {
          error = calls_.candidates(conn, m);
        } else if constexpr (std::is_same_v<T, signal::CallHangup>) {
          error = calls_.hangup(conn, m, now);
        } else if constexpr (std::is_same_v<T, signal::RoomJoin>) {
          switch (rooms_.join(m.room, conn, me, session.public_key, m.allow, m.card, now.steady)) {
            case Rooms::JoinResult::kJoined:
              break;
            case Rooms::JoinResult::kAlreadyInRoom:
              error = make_error("already_in_room", "leave your room first");
              break;
            case Rooms::JoinResult::kNotAllowed:
              error = make_error("not_allowed", "not on this room's allow-list");
              break;
            case Rooms::JoinResult::kFull:
              error = make_error("room_full", "the room has its maximum of participants");
              break;
          }
        } else if constexpr (std::is_same_v<T, signal::RoomSignal>) {
          error = rooms_.relay_signal(conn, m);
        } else if constexpr (std::is_same_v<T, signal::RoomLeave>) {
          if (!rooms_.leave(conn, m.room)) error = make_error("not_in_room", "not in that room");
        } else if constexpr (std::is_same_v<T, signal::ReflectRequest>) {
          if (session.observed_address.empty()) {
            error = make_error("reflect_unavailable", "this transport cannot see your address");
            return;
          }
          outbox_.send(conn, signal::ReflectResponse{session.observed_address}, parsed.request_id);
          answered = true;
        } else {
          error = make_error(
              "unexpected", std::string(signal::kind_name(m)) + " is not something a client sends");
        }
      },
      *parsed.message);
  if (!answered) reply(conn, parsed.request_id, error);
}

void Server::on_datagram(ConnectionId conn, std::span<const uint8_t> datagram, SteadyTime now) {
  rooms_.on_datagram(conn, datagram, now);
}

void Server::on_disconnect(ConnectionId conn, const Now &now) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  Session session = std::move(it->second);
  sessions_.erase(it);
  if (session.stage != Stage::kReady) return;
  rooms_.leave_any(conn);
  calls_.on_disconnect(conn, now);
  presence_.remove(session.fingerprint, conn);
  note_presence_change(session.fingerprint, 0, now.steady);
}

void Server::tick(const Now &now) {
  calls_.tick(now);
  rooms_.tick(now.steady);
  for (const auto &fingerprint : presence_updates_.due(now.steady)) {
    broadcast_presence(fingerprint, 0);
  }
  std::vector<ConnectionId> late;
  for (const auto &[conn, session] : sessions_) {
    if (session.stage != Stage::kReady && !session.closing &&
        now.steady - session.connected_at > settings_.auth_timeout) {
      late.push_back(conn);
    }
  }
  for (ConnectionId conn : late) refuse(conn, "auth_timeout", "did not authenticate in time");
}

void Server::shutdown(const std::string &reason) {
  std::vector<ConnectionId> open;
  for (auto &[conn, session] : sessions_) {
    session.closing = true;
    open.push_back(conn);
  }
  for (ConnectionId conn : open) outbox_.close(conn, reason);
}

Gauges Server::gauges() const {
  Gauges g;
  g.connections = sessions_.size();
  g.authenticated = static_cast<uint64_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const auto &entry) { return entry.second.stage == Stage::kReady; }));
  auto counts = calls_.counts();
  g.calls_offered = counts.offered;
  g.calls_ringing = counts.ringing;
  g.calls_active = counts.active;
  g.calls_ended_direct = counts.ended_direct;
  g.calls_ended_relay = counts.ended_relay;
  g.rooms = rooms_.room_count();
  g.participants = rooms_.participant_count();
  for (const auto &[conn, session] : sessions_) {
    if (session.stage != Stage::kReady) continue;
    auto index = static_cast<size_t>(session.transport);
    ++g.members_by_transport[index];
    if (rooms_.contains(conn)) ++g.participants_by_transport[index];
  }
  g.remote_users = remote_users_.size();
  g.remote_participants = rooms_.remote_participant_count();
  const LinkTotals links = outbox_.link_totals();
  g.datagrams_unsent = links.datagrams_unsent;
  g.congestion_restarts = links.congestion_restarts;
  return g;
}

}  // namespace wzp::signald
