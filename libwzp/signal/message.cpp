#include "libwzp/signal/message.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "libwzp/base/hex.hpp"
#include "libwzp/quic/tls.hpp"
#include "libwzp/signal/fields.hpp"
#include "libwzp/signal/json_depth.hpp"
#include "libwzp/signal/printable.hpp"
#include "libwzp/signal/strict_json.hpp"

namespace wzp::signal {

namespace {

using detail::FieldReader;
using detail::Text;
using detail::to_base64;
using nlohmann::json;

constexpr size_t kMaxCallIdBytes = 64;
constexpr size_t kMaxAddressBytes = 64;
constexpr uint64_t kMaxRequestId = (uint64_t{1} << 53) - 1;  // exact in every JSON reader

// ---- readers: one per message, filling the struct from checked fields ----

void read(FieldReader &r, Hello &m) {
  r.fixed_bytes("public_key", m.public_key);
  std::optional<std::string> token;
  r.optional_string("token", token, kMaxTokenBytes);
  m.token = std::move(token);
  std::optional<std::string> device;
  r.optional_string("device", device, kMaxStringBytes);
  m.device = device.value_or("");
  std::optional<std::string> version;
  r.optional_string("build", version, kMaxStringBytes);
  m.version = version.value_or("");
}
void read(FieldReader &r, Challenge &m) {
  r.fixed_bytes("nonce", m.nonce);
  r.string("server_fingerprint", m.server_fingerprint, kFingerprintChars, Text::kFingerprint);
}
void read(FieldReader &r, Auth &m) { r.fixed_bytes("signature", m.signature); }
void read(FieldReader &r, Welcome &m) {
  r.string("fingerprint", m.fingerprint, kFingerprintChars, Text::kFingerprint);
  r.optional_string("alias", m.alias, kMaxStringBytes);
  std::optional<std::string> version;
  r.optional_string("build", version, kMaxStringBytes);
  m.version = version.value_or("");
}
void read(FieldReader &r, AliasClaim &m) { r.string("alias", m.alias, kMaxStringBytes); }
void read(FieldReader &r, AliasRelease &m) { r.string("alias", m.alias, kMaxStringBytes); }
void read(FieldReader &r, AliasResolve &m) { r.string("query", m.query, kMaxStringBytes); }
void read(FieldReader &r, AliasResolved &m) {
  r.string("query", m.query, kMaxStringBytes);
  r.string("fingerprint", m.fingerprint, kFingerprintChars, Text::kFingerprint);
  r.optional_string("alias", m.alias, kMaxStringBytes);
}
void read(FieldReader &, Ok &) {}
void read_user(FieldReader &r, PresenceUser &user) {
  r.string("fingerprint", user.fingerprint, kFingerprintChars, Text::kFingerprint);
  r.optional_string("alias", user.alias, kMaxStringBytes);
  uint64_t devices = 1;
  r.unsigned_int("devices", devices, 1000);
  user.devices = static_cast<uint32_t>(devices);
}
void read(FieldReader &r, PresenceList &m) {
  r.object_list("users", kMaxPresenceUsers, [&m](FieldReader &item) {
    PresenceUser user;
    read_user(item, user);
    m.users.push_back(std::move(user));
  });
}
void read(FieldReader &r, PresenceUpdate &m) {
  read_user(r, m.user);
  r.boolean("online", m.online);
}
void read(FieldReader &r, CallOffer &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  std::optional<std::string> caller;
  r.optional_string("caller", caller, kFingerprintChars);
  m.caller = caller.value_or("");
  r.string("callee", m.callee, kMaxStringBytes);
  r.optional_bytes("key_agreement", m.key_agreement, kMaxKeyAgreementBytes);
  r.string_list("codecs", m.codecs, kMaxListItems, kMaxStringBytes);
  r.string_list("profiles", m.profiles, kMaxListItems, kMaxStringBytes);
  r.string_list("candidates", m.candidates, kMaxListItems, kMaxAddressBytes);
}
void read(FieldReader &r, CallRinging &m) { r.string("call_id", m.call_id, kMaxCallIdBytes); }
void read(FieldReader &r, CallAnswer &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  std::string mode;
  r.string("mode", mode, kMaxStringBytes);
  if (mode == "accept") {
    m.mode = AnswerMode::kAccept;
  } else if (mode == "accept_without_addresses") {
    m.mode = AnswerMode::kAcceptWithoutAddresses;
  } else if (mode == "reject") {
    m.mode = AnswerMode::kReject;
  } else if (r.ok()) {
    r.fail("mode", "must be accept, accept_without_addresses or reject");
  }
  r.optional_bytes("key_agreement", m.key_agreement, kMaxKeyAgreementBytes);
  r.string_list("candidates", m.candidates, kMaxListItems, kMaxAddressBytes);
}
void read(FieldReader &r, CallSetup &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  r.string_list("peer_candidates", m.peer_candidates, kMaxListItems, kMaxAddressBytes);
  r.string("relay_room", m.relay_room, kRoomIdHexChars, Text::kRoomId);
}
void read(FieldReader &r, CallConfirm &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  r.optional_bytes("key_agreement", m.key_agreement, kMaxKeyAgreementBytes);
}
constexpr size_t kMaxPathLabelBytes = 32;
constexpr size_t kCertificateHexChars = 64;
constexpr PathStep kPathSteps[] = {PathStep::kOffer, PathStep::kCheck, PathStep::kNominate,
                                   PathStep::kUse, PathStep::kRelay};
void read(FieldReader &r, CallPath &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  std::string step;
  r.string("step", step, kMaxStringBytes);
  bool known = false;
  for (PathStep s : kPathSteps) {
    if (step == to_string(s)) {
      m.step = s;
      known = true;
    }
  }
  if (r.ok() && !known) r.fail("step", "must be offer, check, nominate, use or relay");
  std::optional<std::string> text;
  r.optional_string("candidate", text, kMaxAddressBytes);
  m.candidate = text.value_or("");
  text.reset();
  r.optional_string("label", text, kMaxPathLabelBytes);
  m.label = text.value_or("");
  text.reset();
  r.optional_string("certificate", text, kCertificateHexChars);
  m.certificate = text.value_or("");
  if (r.ok() && !m.certificate.empty() &&
      (m.certificate.size() != kCertificateHexChars || !base::is_lower_hex(m.certificate))) {
    r.fail("certificate", "must be a SHA-256 digest (64 lowercase hex chars)");
  }
}
void read(FieldReader &r, CallCandidates &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  r.string_list("candidates", m.candidates, kMaxListItems, kMaxAddressBytes);
}
void read(FieldReader &r, CallHangup &m) {
  r.string("call_id", m.call_id, kMaxCallIdBytes);
  r.string("reason", m.reason, kMaxStringBytes);
}
void read(FieldReader &r, MissedCalls &m) {
  r.object_list("calls", kMaxMissedCalls, [&m](FieldReader &item) {
    MissedCall call;
    item.string("call_id", call.call_id, kMaxCallIdBytes);
    item.string("caller", call.caller, kFingerprintChars, Text::kFingerprint);
    item.unsigned_int("at", call.at_unix, kMaxRequestId);
    m.calls.push_back(std::move(call));
  });
}
void read(FieldReader &r, RoomJoin &m) {
  r.string("room", m.room, kRoomIdHexChars, Text::kRoomId);
  r.string_list("allow", m.allow, kMaxAllowList, kFingerprintChars, Text::kFingerprint);
  r.optional_bytes("card", m.card, kMaxRoomSignalBytes);
}
void read(FieldReader &r, RoomLeave &m) {
  r.string("room", m.room, kRoomIdHexChars, Text::kRoomId);
}
void read(FieldReader &r, RoomEvent &m) {
  r.string("room", m.room, kRoomIdHexChars, Text::kRoomId);
  r.string("fingerprint", m.fingerprint, kFingerprintChars, Text::kFingerprint);
  r.boolean("joined", m.joined);
  uint64_t participants = 0;
  r.unsigned_int("participants", participants, 1000);
  m.participants = static_cast<uint32_t>(participants);
  Bytes key;
  r.optional_bytes("public_key", key, PublicKey{}.size());
  if (key.size() == PublicKey{}.size()) {
    m.public_key.emplace();
    std::copy(key.begin(), key.end(), m.public_key->begin());
  } else if (!key.empty() && r.ok()) {
    r.fail("public_key", "must decode to 32 bytes");
  }
  r.optional_bytes("card", m.card, kMaxRoomSignalBytes);
}
void read(FieldReader &r, RoomSignal &m) {
  r.string("room", m.room, kRoomIdHexChars, Text::kRoomId);
  std::optional<std::string> from, to;
  r.optional_string("from", from, kFingerprintChars);
  r.optional_string("to", to, kFingerprintChars);
  m.from = from.value_or("");
  m.to = to.value_or("");
  r.optional_bytes("payload", m.payload, kMaxRoomSignalBytes);
  if (r.ok() && m.payload.empty()) r.fail("payload", "must not be empty");
}
void read(FieldReader &r, QualityDirective &m) {
  r.string("room", m.room, kRoomIdHexChars, Text::kRoomId);
  std::string tier;
  r.string("tier", tier, kMaxStringBytes);
  if (auto known = quality::tier_from_string(tier)) {
    m.tier = *known;
  } else if (r.ok()) {
    r.fail("tier", "must name a tier of the quality ladder (docs/quality.md)");
  }
  std::optional<std::string> reason;
  r.optional_string("reason", reason, kMaxStringBytes);
  m.reason = reason.value_or("");
}
void read(FieldReader &, ReflectRequest &) {}
void read(FieldReader &r, ReflectResponse &m) { r.string("address", m.address, kMaxAddressBytes); }
void read(FieldReader &r, Error &m) {
  r.string("code", m.code, kMaxStringBytes);
  r.string("message", m.message, kMaxStringBytes);
  r.optional_string("call_id", m.call_id, kMaxCallIdBytes);
}

// ---- writers ----

std::string b64(const auto &bytes) { return to_base64(bytes.data(), bytes.size()); }

void write(json &j, const Hello &m) {
  j["public_key"] = b64(m.public_key);
  if (m.token) j["token"] = *m.token;
  if (!m.device.empty()) j["device"] = m.device;
  if (!m.version.empty()) j["build"] = m.version;
}
void write(json &j, const Challenge &m) {
  j["nonce"] = b64(m.nonce);
  j["server_fingerprint"] = m.server_fingerprint;
}
void write(json &j, const Auth &m) { j["signature"] = b64(m.signature); }
void write(json &j, const Welcome &m) {
  j["fingerprint"] = m.fingerprint;
  if (m.alias) j["alias"] = *m.alias;
  if (!m.version.empty()) j["build"] = m.version;
}
void write(json &j, const AliasClaim &m) { j["alias"] = m.alias; }
void write(json &j, const AliasRelease &m) { j["alias"] = m.alias; }
void write(json &j, const AliasResolve &m) { j["query"] = m.query; }
void write(json &j, const AliasResolved &m) {
  j["query"] = m.query;
  j["fingerprint"] = m.fingerprint;
  if (m.alias) j["alias"] = *m.alias;
}
void write(json &, const Ok &) {}
void write_user(json &j, const PresenceUser &user) {
  j["fingerprint"] = user.fingerprint;
  if (user.alias) j["alias"] = *user.alias;
  j["devices"] = user.devices;
}
void write(json &j, const PresenceList &m) {
  json users = json::array();
  for (const auto &user : m.users) {
    json item = json::object();
    write_user(item, user);
    users.push_back(std::move(item));
  }
  j["users"] = std::move(users);
}
void write(json &j, const PresenceUpdate &m) {
  write_user(j, m.user);
  j["online"] = m.online;
}
void write(json &j, const CallOffer &m) {
  j["call_id"] = m.call_id;
  if (!m.caller.empty()) j["caller"] = m.caller;
  j["callee"] = m.callee;
  if (!m.key_agreement.empty()) j["key_agreement"] = b64(m.key_agreement);
  j["codecs"] = m.codecs;
  j["profiles"] = m.profiles;
  j["candidates"] = m.candidates;
}
void write(json &j, const CallRinging &m) { j["call_id"] = m.call_id; }
void write(json &j, const CallAnswer &m) {
  j["call_id"] = m.call_id;
  j["mode"] = to_string(m.mode);
  if (!m.key_agreement.empty()) j["key_agreement"] = b64(m.key_agreement);
  if (!m.candidates.empty()) j["candidates"] = m.candidates;
}
void write(json &j, const CallSetup &m) {
  j["call_id"] = m.call_id;
  j["peer_candidates"] = m.peer_candidates;
  j["relay_room"] = m.relay_room;
}
void write(json &j, const CallConfirm &m) {
  j["call_id"] = m.call_id;
  if (!m.key_agreement.empty()) j["key_agreement"] = b64(m.key_agreement);
}
void write(json &j, const CallPath &m) {
  j["call_id"] = m.call_id;
  j["step"] = to_string(m.step);
  if (!m.candidate.empty()) j["candidate"] = m.candidate;
  if (!m.label.empty()) j["label"] = m.label;
  if (!m.certificate.empty()) j["certificate"] = m.certificate;
}
void write(json &j, const CallCandidates &m) {
  j["call_id"] = m.call_id;
  j["candidates"] = m.candidates;
}
void write(json &j, const CallHangup &m) {
  j["call_id"] = m.call_id;
  j["reason"] = m.reason;
}
void write(json &j, const MissedCalls &m) {
  json calls = json::array();
  for (const auto &call : m.calls) {
    calls.push_back({{"call_id", call.call_id}, {"caller", call.caller}, {"at", call.at_unix}});
  }
  j["calls"] = std::move(calls);
}
void write(json &j, const RoomJoin &m) {
  j["room"] = m.room;
  if (!m.allow.empty()) j["allow"] = m.allow;
  if (!m.card.empty()) j["card"] = b64(m.card);
}
void write(json &j, const RoomLeave &m) { j["room"] = m.room; }
void write(json &j, const RoomEvent &m) {
  j["room"] = m.room;
  j["fingerprint"] = m.fingerprint;
  j["joined"] = m.joined;
  j["participants"] = m.participants;
  if (m.public_key) j["public_key"] = b64(*m.public_key);
  if (!m.card.empty()) j["card"] = b64(m.card);
}
void write(json &j, const RoomSignal &m) {
  j["room"] = m.room;
  if (!m.from.empty()) j["from"] = m.from;
  if (!m.to.empty()) j["to"] = m.to;
  j["payload"] = b64(m.payload);
}
void write(json &j, const QualityDirective &m) {
  j["room"] = m.room;
  j["tier"] = std::string(quality::to_string(m.tier));
  if (!m.reason.empty()) j["reason"] = m.reason;
}
void write(json &, const ReflectRequest &) {}
void write(json &j, const ReflectResponse &m) { j["address"] = m.address; }
void write(json &j, const Error &m) {
  j["code"] = m.code;
  j["message"] = m.message;
  if (m.call_id) j["call_id"] = *m.call_id;
}

// ---- the kind table: tag <-> variant alternative ----

template <typename T>
struct Kind;
#define WZP_SIGNAL_KIND(Type, tag)           \
  template <>                                \
  struct Kind<Type> {                        \
    static constexpr const char *name = tag; \
  };
WZP_SIGNAL_KIND(Hello, "hello")
WZP_SIGNAL_KIND(Challenge, "challenge")
WZP_SIGNAL_KIND(Auth, "auth")
WZP_SIGNAL_KIND(Welcome, "welcome")
WZP_SIGNAL_KIND(AliasClaim, "alias_claim")
WZP_SIGNAL_KIND(AliasRelease, "alias_release")
WZP_SIGNAL_KIND(AliasResolve, "alias_resolve")
WZP_SIGNAL_KIND(AliasResolved, "alias_resolved")
WZP_SIGNAL_KIND(Ok, "ok")
WZP_SIGNAL_KIND(PresenceList, "presence_list")
WZP_SIGNAL_KIND(PresenceUpdate, "presence_update")
WZP_SIGNAL_KIND(CallOffer, "call_offer")
WZP_SIGNAL_KIND(CallRinging, "call_ringing")
WZP_SIGNAL_KIND(CallAnswer, "call_answer")
WZP_SIGNAL_KIND(CallSetup, "call_setup")
WZP_SIGNAL_KIND(CallConfirm, "call_confirm")
WZP_SIGNAL_KIND(CallPath, "call_path")
WZP_SIGNAL_KIND(CallCandidates, "call_candidates")
WZP_SIGNAL_KIND(CallHangup, "call_hangup")
WZP_SIGNAL_KIND(MissedCalls, "missed_calls")
WZP_SIGNAL_KIND(RoomJoin, "room_join")
WZP_SIGNAL_KIND(RoomLeave, "room_leave")
WZP_SIGNAL_KIND(RoomEvent, "room_event")
WZP_SIGNAL_KIND(RoomSignal, "room_signal")
WZP_SIGNAL_KIND(QualityDirective, "quality_directive")
WZP_SIGNAL_KIND(ReflectRequest, "reflect_request")
WZP_SIGNAL_KIND(ReflectResponse, "reflect_response")
WZP_SIGNAL_KIND(Error, "error")
#undef WZP_SIGNAL_KIND

// Tries each alternative of the variant in turn; true if `tag` named one.
template <size_t I = 0>
bool read_kind(const std::string &tag, FieldReader &r, std::optional<Message> &out) {
  if constexpr (I == std::variant_size_v<Message>) {
    return false;
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (tag != Kind<T>::name) return read_kind<I + 1>(tag, r, out);
    T value;
    read(r, value);
    if (r.ok()) out = std::move(value);
    return true;
  }
}

Parsed parse_checked(std::string_view text) {
  Parsed out;
  auto fail = [&out](ParseError error, std::string detail) {
    out.error = error;
    out.detail = std::move(detail);
    out.message.reset();
    return out;
  };
  if (text.size() > kMaxMessageBytes) return fail(ParseError::kTooLarge, "message too large");
  if (json_nesting_depth(text) > kMaxNestingDepth)
    return fail(ParseError::kTooDeep, "nested too deep");
  std::string error;
  std::optional<json> parsed = parse_strict_json(text, error);
  if (!parsed) return fail(ParseError::kMalformed, error);
  json &doc = *parsed;
  if (!doc.is_object()) return fail(ParseError::kNotObject, "not a JSON object");

  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string() ||
      type->get_ref<const std::string &>().size() > kMaxStringBytes) {
    return fail(ParseError::kMissingType, "no string \"type\"");
  }
  out.kind = type->get<std::string>();
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0 ||
      version->get<uint64_t>() > UINT32_MAX) {
    return fail(ParseError::kBadVersion, "\"version\" must be a positive integer");
  }
  out.version = static_cast<uint32_t>(version->get<uint64_t>());

  FieldReader reader(doc);
  reader.mark_known("type");
  reader.mark_known("version");
  if (doc.contains("request_id")) {
    uint64_t id = 0;
    reader.unsigned_int("request_id", id, kMaxRequestId);
    if (!reader.ok()) return fail(ParseError::kBadField, reader.error());
    out.request_id = id;
  }
  if (!read_kind(out.kind, reader, out.message)) {
    return fail(ParseError::kUnknownKind, "unknown message type \"" + out.kind + "\"");
  }
  if (!reader.ok()) return fail(ParseError::kBadField, out.kind + ": " + reader.error());
  out.ignored_fields = reader.unknown_fields();
  return out;
}

}  // namespace

bool is_fingerprint(std::string_view text) {
  if (text.size() != kFingerprintChars) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (i % 5 == 4 ? c != ':' : !hex) return false;
  }
  return true;
}

std::optional<std::string> fingerprint_digits(std::string_view query) {
  std::string digits;
  for (char c : query) {
    if (c == ':' || c == '-' || c == ' ') continue;
    char lower = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) return std::nullopt;
    digits.push_back(lower);
  }
  if (digits.size() < kMinFingerprintPrefixDigits || digits.size() > kFingerprintDigits) {
    return std::nullopt;
  }
  return digits;
}

std::string fingerprint_from_digits(std::string_view digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(':');
    out.push_back(digits[i]);
  }
  return out;
}

const char *to_string(PathStep step) {
  switch (step) {
    case PathStep::kOffer:
      return "offer";
    case PathStep::kCheck:
      return "check";
    case PathStep::kNominate:
      return "nominate";
    case PathStep::kUse:
      return "use";
    case PathStep::kRelay:
      return "relay";
  }
  return "relay";
}

const char *kind_name(const Message &message) {
  return std::visit([](const auto &m) { return Kind<std::decay_t<decltype(m)>>::name; }, message);
}

const char *to_string(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kTooLarge:
      return "too_large";
    case ParseError::kTooDeep:
      return "too_deep";
    case ParseError::kMalformed:
      return "malformed";
    case ParseError::kNotObject:
      return "not_object";
    case ParseError::kMissingType:
      return "missing_type";
    case ParseError::kBadVersion:
      return "bad_version";
    case ParseError::kUnknownKind:
      return "unknown_kind";
    case ParseError::kBadField:
      return "bad_field";
  }
  return "unknown";
}

const char *to_string(AnswerMode mode) {
  switch (mode) {
    case AnswerMode::kAccept:
      return "accept";
    case AnswerMode::kAcceptWithoutAddresses:
      return "accept_without_addresses";
    case AnswerMode::kReject:
      return "reject";
  }
  return "reject";
}

Parsed parse(std::string_view text) {
  try {
    return parse_checked(text);
  } catch (const std::exception &e) {
    // Only allocation failure can get here; report it rather than unwind
    // into the caller.
    Parsed out;
    out.error = ParseError::kMalformed;
    out.detail = e.what();
    return out;
  }
}

std::string serialize(const Message &message, std::optional<uint64_t> request_id) {
  try {
    json j = json::object();
    j["type"] = kind_name(message);
    j["version"] = kProtocolVersion;
    if (request_id) j["request_id"] = *request_id;
    std::visit([&j](const auto &m) { write(j, m); }, message);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception &) {
    return {};
  }
}

Bytes auth_transcript(const Nonce &nonce, std::string_view certificate_sha256) {
  // v2: v1 signed the daemon identity the challenge named, which a relay
  // could forward from another daemon.
  static constexpr std::string_view kLabel = "wzp-signal-auth-v2";
  Bytes out(kLabel.begin(), kLabel.end());
  out.push_back(0);
  out.insert(out.end(), nonce.begin(), nonce.end());
  std::string certificate = quic::normalize_fingerprint(certificate_sha256);
  out.insert(out.end(), certificate.begin(), certificate.end());
  return out;
}

}  // namespace wzp::signal
