#include "signald/core/federation.hpp"

#include <glib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "libwzp/signal/json_depth.hpp"
#include "libwzp/signal/printable.hpp"
#include "libwzp/signal/strict_json.hpp"

namespace wzp::signald {

namespace {

using nlohmann::json;

constexpr std::string_view kTranscriptLabel = "wzp-federation-auth-v1";
constexpr size_t kMaxDepth = 4;  // our messages are flat objects
constexpr size_t kMaxPayload = 2048;

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
}

Federation::~Federation() {
  rooms_.set_links(nullptr);
  server_.set_presence_links(nullptr);
}

void Federation::on_link_up(PeerId peer, std::optional<std::string> expected, SteadyTime now) {
  Link &link = links_[peer];
  link = Link{};
  link.expected = std::move(expected);
  link.up_at = now;
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

void Federation::on_message(PeerId peer, std::string_view text) {
  auto found = links_.find(peer);
  if (found == links_.end()) return;
  Link &link = found->second;
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
  if (*type == "fed_presence") return handle_presence(peer, message);
  if (*type == "fed_member" || *type == "fed_signal") return handle_room(peer, *type, message);
  ++counters_.messages_refused;  // a newer relay's message kind: skipped
}

void Federation::handle_presence(PeerId peer, const json &message) {
  auto fingerprint = string_field(message, "fingerprint");
  auto alias = string_field(message, "alias");
  auto online = message.find("online");
  auto devices = message.find("devices");
  std::optional<std::string> normalized = alias ? normalize_alias(*alias) : std::nullopt;
  if (!fingerprint || !signal::is_fingerprint(*fingerprint) || (alias && normalized != alias) ||
      online == message.end() || !online->is_boolean() || devices == message.end() ||
      !devices->is_number_unsigned() || devices->get<uint64_t>() > UINT32_MAX) {
    ++counters_.messages_refused;
    return;
  }
  signal::PresenceUser user{*fingerprint, alias, static_cast<uint32_t>(devices->get<uint64_t>())};
  server_.on_remote_presence(peer, user, online->get<bool>());
}

void Federation::handle_room(PeerId peer, const std::string &type, const json &message) {
  auto room = string_field(message, "room");
  auto fingerprint = string_field(message, type == "fed_signal" ? "from" : "fingerprint");
  if (!room || !is_room_id(*room) || !fingerprint || !signal::is_fingerprint(*fingerprint)) {
    ++counters_.messages_refused;
    return;
  }
  if (type == "fed_member") {
    auto joined = message.find("joined");
    if (joined == message.end() || !joined->is_boolean()) {
      ++counters_.messages_refused;
      return;
    }
    if (!joined->get<bool>()) return rooms_.remote_left(peer, *room, *fingerprint);
    auto key_text = string_field(message, "public_key");
    auto key = key_text ? from_base64(*key_text, 32, true) : std::nullopt;
    signal::PublicKey public_key{};
    if (key) std::copy(key->begin(), key->end(), public_key.begin());
    // The relay vouches for its members, but the key must be the one the
    // fingerprint names.
    if (!key || crypto::format_fingerprint(crypto::fingerprint_of(public_key)) != *fingerprint) {
      ++counters_.messages_refused;
      return;
    }
    return rooms_.remote_joined(peer, *room, *fingerprint, public_key);
  }
  auto to = string_field(message, "to");
  auto payload_text = string_field(message, "payload");
  auto payload = payload_text ? from_base64(*payload_text, kMaxPayload, false) : std::nullopt;
  if (!to || (!to->empty() && !signal::is_fingerprint(*to)) || !payload) {
    ++counters_.messages_refused;
    return;
  }
  signal::RoomSignal relayed{*room, *fingerprint, *to, std::move(*payload)};
  if (!rooms_.on_remote_signal(peer, relayed)) ++counters_.messages_refused;
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

namespace {

json presence_message(const signal::PresenceUser &user, bool online) {
  json message = {{"type", "fed_presence"},
                  {"fingerprint", user.fingerprint},
                  {"devices", user.devices},
                  {"online", online}};
  if (user.alias) message["alias"] = *user.alias;
  return message;
}

}  // namespace

void Federation::send_state(PeerId peer) {
  for (const auto &user : server_.local_presence()) {
    outbox_.send(peer, presence_message(user, true).dump());
  }
  for (const auto &member : rooms_.federated_members()) {
    outbox_.send(peer, json{{"type", "fed_member"},
                            {"room", member.room},
                            {"fingerprint", member.fingerprint},
                            {"public_key", to_base64(member.public_key)},
                            {"joined", true}}
                           .dump());
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

void Federation::on_link_down(PeerId peer) {
  if (links_.erase(peer) == 0) return;
  rooms_.peer_lost(peer);
  server_.on_peer_lost(peer);
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
  broadcast(message.dump());
}

void Federation::presence_changed(const signal::PresenceUser &user, bool online) {
  broadcast(presence_message(user, online).dump());
}

void Federation::broadcast(const std::string &text) {
  for (const auto &[peer, link] : links_) {
    if (link.authenticated) outbox_.send(peer, text);
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
  outbox_.send(peer, json{{"type", "fed_signal"},
                          {"room", message.room},
                          {"from", message.from},
                          {"to", message.to},
                          {"payload", to_base64(message.payload)}}
                         .dump());
}

}  // namespace wzp::signald
