#include "signald/core/federation.hpp"

#include <glib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "libwzp/base/hex.hpp"
#include "libwzp/signal/json_depth.hpp"
#include "libwzp/signal/printable.hpp"
#include "libwzp/signal/strict_json.hpp"

namespace wzp::signald {

namespace {

using nlohmann::json;

constexpr std::string_view kTranscriptLabel = "wzp-federation-auth-v1";
constexpr size_t kMaxDepth = 4;  // our messages are flat objects
constexpr size_t kMaxPayload = 2048;
// A report's RTT and jitter beyond a minute say nothing more.
constexpr uint64_t kMaxReportMs = 60000;

std::string to_base64(std::span<const uint8_t> bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating zero
  return out;
}

// Exactly `size` bytes (or at most `size` when not `exact`), else nullopt.
std::optional<std::vector<uint8_t>> from_base64(const std::string &text, size_t size, bool exact) {
  std::vector<uint8_t> out(size);
  size_t length = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      (exact && length != size)) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::optional<std::string> string_field(const json &object, const char *name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json presence_message(const signal::PresenceUser &user, bool online) {
  json message = {{"type", "fed_presence"},
                  {"fingerprint", user.fingerprint},
                  {"devices", user.devices},
                  {"online", online}};
  if (user.alias) message["alias"] = *user.alias;
  return message;
}

}  // namespace

std::vector<uint8_t> federation_transcript(std::span<const uint8_t> nonce,
                                           std::string_view verifier_fingerprint) {
  std::vector<uint8_t> out(kTranscriptLabel.begin(), kTranscriptLabel.end());
  out.push_back(0);
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), verifier_fingerprint.begin(), verifier_fingerprint.end());
  return out;
}

Federation::Federation(PeerOutbox &outbox, Server &server, const crypto::Identity &self,
                       std::vector<std::string> trusted)
    : outbox_(outbox),
      server_(server),
      rooms_(server.rooms()),
      self_(self),
      self_fingerprint_(crypto::format_fingerprint(self.fingerprint())),
      trusted_(std::move(trusted)) {
  rooms_.set_links(this);
  server_.set_presence_links(this);
  server_.set_call_links(this);
}

Federation::~Federation() {
  rooms_.set_links(nullptr);
  server_.set_presence_links(nullptr);
  server_.set_call_links(nullptr);
}

void Federation::on_link_up(PeerId peer, std::optional<std::string> expected, SteadyTime now) {
  Link &link = links_[peer];
  link = Link{};
  link.expected = std::move(expected);
  link.up_at = now;
  link.budget = base::TokenBucket(kLinkMessagesPerSecond, kLinkMessageBurst, now);
  randombytes_buf(link.nonce.data(), link.nonce.size());
  json hello = {{"type", "fed_hello"},
                {"public_key", to_base64(self_.signing_public_key())},
                {"nonce", to_base64(link.nonce)}};
  outbox_.send(peer, hello.dump());
}

void Federation::refuse(PeerId peer, const std::string &reason) {
  ++counters_.links_refused;
  g_message("relay link %" G_GUINT64_FORMAT " refused: %s", peer,
            signal::printable(reason).c_str());
  links_.erase(peer);
  outbox_.close(peer, reason);
}

void Federation::on_message(PeerId peer, std::string_view text, const Now &now) {
  auto found = links_.find(peer);
  if (found == links_.end()) return;
  Link &link = found->second;
  // Dropped unread beyond its budget: a trusted relay that floods.
  if (link.authenticated && !link.budget.take(now.steady)) {
    ++counters_.messages_rate_limited;
    return;
  }
  // Read as strictly as the signal messages: no NUL, no key twice.
  std::string error;
  std::optional<json> parsed = signal::json_nesting_depth(text) <= kMaxDepth
                                   ? signal::parse_strict_json(text, error)
                                   : std::nullopt;
  json message = parsed ? std::move(*parsed) : json();
  std::optional<std::string> type =
      message.is_object() ? string_field(message, "type") : std::nullopt;
  if (!type) {
    if (!link.authenticated) return refuse(peer, "malformed relay message");
    ++counters_.messages_refused;
    return;
  }
  if (*type == "fed_hello" && link.identity.empty()) {
    auto key = string_field(message, "public_key"), nonce = string_field(message, "nonce");
    if (!key || !nonce) return refuse(peer, "fed_hello needs public_key and nonce");
    return handle_hello(peer, link, *key, *nonce);
  }
  if (*type == "fed_auth" && !link.identity.empty() && !link.authenticated) {
    auto signature = string_field(message, "signature");
    if (!signature) return refuse(peer, "fed_auth needs a signature");
    return handle_auth(peer, link, *signature);
  }
  if (!link.authenticated) return refuse(peer, "unexpected " + *type + " before authentication");
  ++counters_.messages_received;
  // The envelope: a relay that sends no hop count is one hop away and its
  // messages go no further; one that sends no id is not loop-guarded.
  uint32_t hops = 1;
  if (auto field = message.find("hops"); field != message.end()) {
    if (!field->is_number_unsigned() || field->get<uint64_t>() == 0 ||
        field->get<uint64_t>() > kMaxHops) {
      ++counters_.messages_refused;
      return;
    }
    hops = static_cast<uint32_t>(field->get<uint64_t>());
  }
  std::optional<std::string> id = string_field(message, "id");
  if (message.contains("id") && (!id || id->size() != 32 || !base::is_lower_hex(*id))) {
    ++counters_.messages_refused;
    return;
  }
  if (id && !first_sight(*id)) {
    ++counters_.messages_duplicate;
    return;
  }
  inbound_hops_ = hops;
  // nullopt: refused; else whether a presence or membership changed
  // something here, and goes on to the other links.
  std::optional<bool> changed;
  if (*type == "fed_presence") {
    changed = handle_presence(peer, link, message);
  } else if (*type == "fed_member" || *type == "fed_signal") {
    changed = handle_room(peer, *type, message);
  } else if (*type == "fed_call") {
    if (handle_call(peer, message, now)) changed = false;
  } else if (*type == "fed_report") {
    if (handle_report(peer, message, now)) changed = false;
  }  // else a newer relay's message kind: skipped
  inbound_hops_ = 0;
  if (!changed) {
    ++counters_.messages_refused;
  } else if (*changed && id) {
    pass_on(peer, std::move(message), hops);
  }
}

void Federation::pass_on(PeerId from, json message, uint32_t hops) {
  if (mesh_) return;
  if (hops <= 1) {
    ++counters_.messages_out_of_hops;
    return;
  }
  message["hops"] = hops - 1;
  const std::string text = message.dump();
  for (const auto &[peer, link] : links_) {
    if (peer == from || !link.authenticated) continue;
    outbox_.send(peer, text);
    ++counters_.messages_forwarded;
  }
}

std::optional<std::string> Federation::stamp(json message, std::optional<uint32_t> fresh) {
  const uint32_t hops = fresh ? *fresh : inbound_hops_ == 0 ? kMaxHops : inbound_hops_ - 1;
  if (hops == 0) {
    ++counters_.messages_out_of_hops;
    return std::nullopt;
  }
  uint8_t bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  std::string id = base::to_hex(bytes);
  first_sight(id);  // our own, should it come back round a loop
  message["id"] = std::move(id);
  message["hops"] = hops;
  return message.dump();
}

bool Federation::first_sight(const std::string &id) {
  if (!seen_.insert(id).second) return false;
  seen_order_.push_back(id);
  if (seen_order_.size() > kSeenMessageIds) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

std::optional<bool> Federation::handle_presence(PeerId peer, const Link &link,
                                                const json &message) {
  auto fingerprint = string_field(message, "fingerprint");
  auto alias = string_field(message, "alias");
  auto origin = string_field(message, "origin");
  auto online = message.find("online");
  auto devices = message.find("devices");
  auto withdrawn = message.find("withdrawn");
  std::optional<std::string> normalized = alias ? normalize_alias(*alias) : std::nullopt;
  if (!fingerprint || !signal::is_fingerprint(*fingerprint) || (alias && normalized != alias) ||
      (message.contains("origin") && (!origin || !signal::is_fingerprint(*origin))) ||
      online == message.end() || !online->is_boolean() || devices == message.end() ||
      !devices->is_number_unsigned() || devices->get<uint64_t>() > UINT32_MAX ||
      (withdrawn != message.end() && !withdrawn->is_boolean())) {
    return std::nullopt;
  }
  const bool withdrawal = withdrawn != message.end() && withdrawn->get<bool>();
  signal::PresenceUser user{*fingerprint, alias, static_cast<uint32_t>(devices->get<uint64_t>())};
  // Our own users' news, come back round a loop of links, changes nothing;
  // a withdrawal of one of them still gets its answer below.
  if (origin != self_fingerprint_ &&
      server_.on_remote_presence(peer, user, online->get<bool>(), origin.value_or(link.identity),
                                 withdrawal)) {
    return true;
  }
  // The relay lost its way to a user we reach another way (or who is
  // signed in here): it learns ours, so a loop of links heals.
  if (withdrawal && !online->get<bool>()) {
    auto known = server_.presence_of(*fingerprint);
    auto route = server_.route_to(*fingerprint);
    if (known && route != peer) {
      json repair = presence_message(*known, true);
      repair["origin"] = route ? server_.remote_users().at(*fingerprint).origin : self_fingerprint_;
      if (auto text = stamp(std::move(repair), kMaxHops)) outbox_.send(peer, *text);
    }
  }
  return false;
}

std::optional<bool> Federation::handle_room(PeerId peer, const std::string &type,
                                            const json &message) {
  auto room = string_field(message, "room");
  auto fingerprint = string_field(message, type == "fed_signal" ? "from" : "fingerprint");
  if (!room || !is_room_id(*room) || !fingerprint || !signal::is_fingerprint(*fingerprint)) {
    return std::nullopt;
  }
  if (type == "fed_member") {
    auto joined = message.find("joined");
    if (joined == message.end() || !joined->is_boolean()) return std::nullopt;
    auto withdrawn = message.find("withdrawn");
    if (withdrawn != message.end() && !withdrawn->is_boolean()) return std::nullopt;
    const bool withdrawal = withdrawn != message.end() && withdrawn->get<bool>();
    if (!joined->get<bool>()) {
      if (rooms_.remote_left(peer, *room, *fingerprint, withdrawal)) return true;
      // As for presence: a relay that lost its way to a member we reach
      // another way learns ours.
      auto known = withdrawal ? rooms_.federated_member(*room, *fingerprint) : std::nullopt;
      if (known && known->via != peer) {
        auto text = stamp(json{{"type", "fed_member"},
                               {"room", *room},
                               {"fingerprint", *fingerprint},
                               {"public_key", to_base64(known->public_key)},
                               {"joined", true}},
                          kMaxHops);
        if (text) outbox_.send(peer, *text);
      }
      return false;
    }
    auto key_text = string_field(message, "public_key");
    auto key = key_text ? from_base64(*key_text, 32, true) : std::nullopt;
    signal::PublicKey public_key{};
    if (key) std::copy(key->begin(), key->end(), public_key.begin());
    // The relay vouches for its members, but the key must be the one the
    // fingerprint names.
    if (!key || crypto::format_fingerprint(crypto::fingerprint_of(public_key)) != *fingerprint) {
      return std::nullopt;
    }
    // A member here is never taken from a link: a relay that names one is
    // impersonating it.
    if (auto known = rooms_.federated_member(*room, *fingerprint); known && !known->via) {
      return std::nullopt;
    }
    return rooms_.remote_joined(peer, *room, *fingerprint, public_key);
  }
  auto to = string_field(message, "to");
  auto payload_text = string_field(message, "payload");
  auto payload = payload_text ? from_base64(*payload_text, kMaxPayload, false) : std::nullopt;
  if (!to || (!to->empty() && !signal::is_fingerprint(*to)) || !payload) return std::nullopt;
  signal::RoomSignal relayed{*room, *fingerprint, *to, std::move(*payload)};
  // Passed on by the room towards its addressees, not flooded.
  if (!rooms_.on_remote_signal(peer, relayed)) return std::nullopt;
  return false;
}

bool Federation::handle_report(PeerId peer, const json &message, const Now &now) {
  auto room = string_field(message, "room");
  auto fingerprint = string_field(message, "fingerprint");
  auto loss = message.find("loss");
  auto rtt = message.find("rtt_ms");
  auto jitter = message.find("jitter_ms");
  auto in_ms = [&](json::const_iterator field) {
    return field != message.end() && field->is_number_unsigned() &&
           field->get<uint64_t>() <= kMaxReportMs;
  };
  if (!room || !is_room_id(*room) || !fingerprint || !signal::is_fingerprint(*fingerprint) ||
      loss == message.end() || !loss->is_number() || !(loss->get<double>() >= 0.0) ||
      !(loss->get<double>() <= 1.0) || !in_ms(rtt) || !in_ms(jitter)) {
    return false;
  }
  quality::PathObservation report;
  report.loss = loss->get<double>();
  report.rtt_ms = static_cast<uint32_t>(rtt->get<uint64_t>());
  report.jitter_ms = static_cast<uint32_t>(jitter->get<uint64_t>());
  return rooms_.on_remote_report(peer, *room, *fingerprint, report, now.steady);
}

bool Federation::handle_call(PeerId peer, const json &message, const Now &now) {
  auto text = string_field(message, "message");
  auto key_text = string_field(message, "public_key");
  if (!text || (message.contains("public_key") && !key_text)) return false;
  std::optional<signal::PublicKey> key;
  if (key_text) {
    auto bytes = from_base64(*key_text, 32, true);
    if (!bytes) return false;
    key.emplace();
    std::copy(bytes->begin(), bytes->end(), key->begin());
  }
  // The call message as a client's, read by the same strict parser.
  signal::Parsed parsed = signal::parse(*text);
  if (parsed.error != signal::ParseError::kOk) return false;
  auto refusal = server_.on_remote_call(peer, *parsed.message, key ? &*key : nullptr, now);
  if (refusal) {
    ++counters_.call_refusals[static_cast<size_t>(*refusal)];
    g_message("relay link %" G_GUINT64_FORMAT ": %s refused: %s", peer,
              signal::printable(parsed.kind).c_str(), to_string(*refusal));
  }
  return !refusal;
}

void Federation::handle_hello(PeerId peer, Link &link, const std::string &key_text,
                              const std::string &nonce_text) {
  auto key = from_base64(key_text, link.public_key.size(), true);
  auto nonce = from_base64(nonce_text, 32, true);
  if (!key || !nonce) return refuse(peer, "fed_hello: bad public_key or nonce");
  std::copy(key->begin(), key->end(), link.public_key.begin());
  std::string identity = crypto::format_fingerprint(crypto::fingerprint_of(link.public_key));
  if (std::find(trusted_.begin(), trusted_.end(), identity) == trusted_.end() ||
      (link.expected && *link.expected != identity)) {
    return refuse(peer, "relay identity " + identity + " is not trusted here");
  }
  if (identity == self_fingerprint_) return refuse(peer, "a relay cannot federate with itself");
  link.identity = identity;
  // Prove our identity: sign its nonce and its fingerprint.
  auto signature = self_.sign(federation_transcript(*nonce, identity));
  outbox_.send(peer, json{{"type", "fed_auth"}, {"signature", to_base64(signature)}}.dump());
}

void Federation::handle_auth(PeerId peer, Link &link, const std::string &signature_text) {
  auto bytes = from_base64(signature_text, 64, true);
  crypto::Signature signature{};
  if (bytes) std::copy(bytes->begin(), bytes->end(), signature.begin());
  bool valid = bytes && crypto::verify_signature(
                            link.public_key, federation_transcript(link.nonce, self_fingerprint_),
                            signature);
  sodium_memzero(link.nonce.data(), link.nonce.size());  // spent whatever the outcome
  if (!valid) return refuse(peer, "relay signature does not verify");
  link.authenticated = true;
  ++counters_.links_authenticated;
  g_message("relay link %" G_GUINT64_FORMAT " authenticated as %s", peer, link.identity.c_str());
  send_state(peer);
}

void Federation::send_state(PeerId peer) {
  // What this relay knows, its own users and those behind its other links:
  // a relay that links later learns the whole chain.
  auto send = [&](json message) {
    if (auto text = stamp(std::move(message))) outbox_.send(peer, *text);
  };
  for (const auto &user : server_.local_presence()) {
    // With our identity as its origin: passed on, it must still say whose.
    json message = presence_message(user, true);
    message["origin"] = self_fingerprint_;
    send(std::move(message));
  }
  if (mesh_) return send_members(peer, true);
  for (const auto &[fingerprint, remote] : server_.remote_users()) {
    if (remote.peer == peer) continue;
    json message = presence_message(remote.user, true);
    message["origin"] = remote.origin;
    send(std::move(message));
  }
  send_members(peer, false);
}

void Federation::send_members(PeerId peer, bool own_only) {
  for (const auto &member : rooms_.federated_members()) {
    if (member.via == peer || (own_only && member.via)) continue;
    auto text = stamp(json{{"type", "fed_member"},
                           {"room", member.room},
                           {"fingerprint", member.fingerprint},
                           {"public_key", to_base64(member.public_key)},
                           {"joined", true}});
    if (text) outbox_.send(peer, *text);
  }
}

void Federation::on_datagram(PeerId peer, std::span<const uint8_t> datagram) {
  auto found = links_.find(peer);
  if (found == links_.end() || !found->second.authenticated) return;
  if (datagram.size() <= sizeof(RoomKey)) {
    ++counters_.datagrams_refused;
    return;
  }
  RoomKey room;
  std::copy_n(datagram.begin(), room.size(), room.begin());
  rooms_.on_remote_datagram(peer, room, datagram.subspan(room.size()));
}

void Federation::on_link_down(PeerId peer, const Now &now) {
  if (links_.erase(peer) == 0) return;
  rooms_.peer_lost(peer);
  server_.on_peer_lost(peer, now);
}

void Federation::set_trusted(const std::string &identity, bool trusted, const Now &now) {
  auto found = std::find(trusted_.begin(), trusted_.end(), identity);
  if (trusted) {
    if (found == trusted_.end()) trusted_.push_back(identity);
    return;
  }
  if (found != trusted_.end()) trusted_.erase(found);
  std::vector<PeerId> gone;
  for (const auto &[peer, link] : links_) {
    if (link.identity == identity) gone.push_back(peer);
  }
  for (PeerId peer : gone) {
    on_link_down(peer, now);
    outbox_.close(peer, "no longer trusted");
  }
}

void Federation::tick(SteadyTime now) {
  std::vector<PeerId> late;
  for (const auto &[peer, link] : links_) {
    if (!link.authenticated && now - link.up_at >= kLinkAuthTimeout) late.push_back(peer);
  }
  for (PeerId peer : late) refuse(peer, "did not authenticate in time");
}

size_t Federation::links_up() const {
  return static_cast<size_t>(std::count_if(
      links_.begin(), links_.end(), [](const auto &entry) { return entry.second.authenticated; }));
}

std::optional<std::string> Federation::identity_of(PeerId peer) const {
  auto found = links_.find(peer);
  if (found == links_.end() || !found->second.authenticated) return std::nullopt;
  return found->second.identity;
}

void Federation::member_changed(const std::string &room, const std::string &fingerprint,
                                const signal::PublicKey &public_key, bool joined) {
  json message = {
      {"type", "fed_member"}, {"room", room}, {"fingerprint", fingerprint}, {"joined", joined}};
  if (joined) message["public_key"] = to_base64(public_key);
  broadcast(message);
}

void Federation::presence_changed(const signal::PresenceUser &user, bool online,
                                  const std::optional<std::string> &origin) {
  if (mesh_ && origin) return;  // another node's user: its node speaks for it
  json message = presence_message(user, online);
  message["origin"] = origin.value_or(self_fingerprint_);
  if (origin && !online) message["withdrawn"] = true;
  broadcast(message);
}

void Federation::member_unreachable(const std::string &room, const std::string &fingerprint) {
  if (mesh_) return;  // every node lost it with the same link
  broadcast(json{{"type", "fed_member"},
                 {"room", room},
                 {"fingerprint", fingerprint},
                 {"joined", false},
                 {"withdrawn", true}});
}

void Federation::broadcast(const json &message) {
  auto text = stamp(message);
  if (!text) return;
  for (const auto &[peer, link] : links_) {
    if (link.authenticated) outbox_.send(peer, *text);
  }
}

void Federation::forward(PeerId peer, const RoomKey &room, std::span<const uint8_t> datagram) {
  if (datagram.size() > wire::kMaxPacketSize) return;
  std::copy(room.begin(), room.end(), frame_.begin());
  std::copy(datagram.begin(), datagram.end(), frame_.begin() + room.size());
  outbox_.forward(peer, {frame_.data(), room.size() + datagram.size()});
}

void Federation::relay_signal(PeerId peer, const signal::RoomSignal &message) {
  auto found = links_.find(peer);
  if (found == links_.end() || !found->second.authenticated) return;
  auto text = stamp(json{{"type", "fed_signal"},
                         {"room", message.room},
                         {"from", message.from},
                         {"to", message.to},
                         {"payload", to_base64(message.payload)}});
  if (text) outbox_.send(peer, *text);
}

void Federation::report(PeerId peer, const std::string &room, const std::string &fingerprint,
                        const quality::PathObservation &report) {
  auto found = links_.find(peer);
  if (found == links_.end() || !found->second.authenticated) return;
  auto text = stamp(json{{"type", "fed_report"},
                         {"room", room},
                         {"fingerprint", fingerprint},
                         {"loss", report.loss},
                         {"rtt_ms", report.rtt_ms},
                         {"jitter_ms", report.jitter_ms}});
  if (text) outbox_.send(peer, *text);
}

void Federation::call_message(PeerId peer, const signal::Message &message,
                              const signal::PublicKey *key) {
  auto found = links_.find(peer);
  if (found == links_.end() || !found->second.authenticated) return;
  json envelope = {{"type", "fed_call"}, {"message", signal::serialize(message)}};
  if (key != nullptr) envelope["public_key"] = to_base64(*key);
  if (auto text = stamp(std::move(envelope))) outbox_.send(peer, *text);
}

}  // namespace wzp::signald
