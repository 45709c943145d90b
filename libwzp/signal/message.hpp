// Signal messages between clients and wzp-signald (docs/signal.md). Each
// message is one JSON object tagged by "type" and carrying "version"; the
// parser never throws, reports a clear error for bad input, and skips (but
// lists) fields it does not know so that newer peers keep working with older
// ones.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libwzp/quality/tier.hpp"

namespace wzp::signal {

inline constexpr uint32_t kProtocolVersion = 1;
// Bounds on everything a peer can send, so a parse does bounded work.
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
inline constexpr size_t kMaxNestingDepth = 8;
inline constexpr size_t kMaxStringBytes = 256;
inline constexpr size_t kMaxTokenBytes = 4096;
inline constexpr size_t kMaxKeyAgreementBytes = 2048;
inline constexpr size_t kMaxRoomSignalBytes = 2048;
inline constexpr size_t kMaxListItems = 16;
inline constexpr size_t kMaxAllowList = 50;
inline constexpr size_t kMaxPresenceUsers = 400;
inline constexpr size_t kMaxMissedCalls = 100;
// A fingerprint as libwzp/crypto formats it: 8 colon-separated groups of 4
// lowercase hex digits (SHA-256 of the Ed25519 key, first 16 bytes).
inline constexpr size_t kFingerprintChars = 39;
inline constexpr size_t kRoomIdHexChars = 32;

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;
using Nonce = std::array<uint8_t, 32>;
using Bytes = std::vector<uint8_t>;

// --- connection and identity ---
struct Hello {
  PublicKey public_key{};
  std::optional<std::string> token;  // bearer token for --auth-url; never logged
  std::string device;                // free-form device label, may be empty
  std::string version;               // the client's build (base::version()), may be empty
};
struct Challenge {
  Nonce nonce{};
  // The daemon's identity; informational. The client signs the certificate
  // it pinned, never this, so a relayed challenge does not help (auth_transcript).
  std::string server_fingerprint;
};
struct Auth {
  Signature signature{};  // Ed25519 over auth_transcript(nonce, pinned certificate)
};
struct Welcome {
  std::string fingerprint;
  std::optional<std::string> alias;
  std::string version;  // the daemon's build, may be empty
};

// --- aliases ---
struct AliasClaim {
  std::string alias;
};
struct AliasRelease {
  std::string alias;
};
struct AliasResolve {
  std::string query;  // "@name", a fingerprint, or a unique fingerprint prefix
};
struct AliasResolved {
  std::string query;
  std::string fingerprint;
  std::optional<std::string> alias;
};
struct Ok {};  // a request (identified by request_id) succeeded

// --- presence ---
struct PresenceUser {
  std::string fingerprint;
  std::optional<std::string> alias;
  uint32_t devices = 1;
  bool operator==(const PresenceUser &) const = default;
};
struct PresenceList {
  std::vector<PresenceUser> users;
};
struct PresenceUpdate {
  PresenceUser user;
  bool online = true;
};

// --- direct calls ---
struct CallOffer {
  std::string call_id;
  std::string caller;  // filled in by the daemon; ignored when a client sends it
  std::string callee;  // "@alias", fingerprint or unique prefix
  Bytes key_agreement;
  std::vector<std::string> codecs;
  std::vector<std::string> profiles;
  std::vector<std::string> candidates;  // "ip:port" / "[ipv6]:port"
};
struct CallRinging {
  std::string call_id;
};
enum class AnswerMode : uint8_t { kAccept, kAcceptWithoutAddresses, kReject };
struct CallAnswer {
  std::string call_id;
  AnswerMode mode = AnswerMode::kAccept;
  Bytes key_agreement;
  std::vector<std::string> candidates;
};
struct CallSetup {
  std::string call_id;
  std::vector<std::string> peer_candidates;
  std::string relay_room;
};
// The caller's key confirmation (the handshake's third message, docs/crypto.md),
// sent after the answer; the daemon passes it to the device that answered.
struct CallConfirm {
  std::string call_id;
  Bytes key_agreement;
};
// Agreeing on a call's media path (docs/nat.md, "Agreement"); the daemon
// passes it to the call's other party and counts calls by the last path
// the callee agreed to.
enum class PathStep : uint8_t {
  kOffer,     // callee: dial me, pinning `certificate`
  kCheck,     // caller: checks start now (the callee opens its NAT)
  kNominate,  // caller: media on the direct connection to `candidate`?
  kUse,       // callee: agreed, on the path `label` ("direct reflexive", ...)
  kRelay,     // either: media back on the relay (refused, or the path is lost)
};
struct CallPath {
  std::string call_id;
  PathStep step = PathStep::kRelay;
  std::string candidate;    // kNominate, kUse: the callee's address the caller dialed
  std::string label;        // kUse
  std::string certificate;  // kOffer: SHA-256 of the callee's certificate, 64 hex
};
// Candidates that come after the offer or answer (a gateway's port
// mapping: docs/nat.md, "Candidates in calls"); the daemon passes them to
// the call's other party.
struct CallCandidates {
  std::string call_id;
  std::vector<std::string> candidates;  // "ip:port" / "[ipv6]:port"
};
struct CallHangup {
  std::string call_id;
  std::string reason;  // docs/signal.md lists the reasons the daemon sends
};
struct MissedCall {
  std::string call_id;
  std::string caller;
  uint64_t at_unix = 0;
  bool operator==(const MissedCall &) const = default;
};
struct MissedCalls {
  std::vector<MissedCall> calls;
};

// --- rooms ---
struct RoomJoin {
  std::string room;                // 32 lowercase hex chars: a hash of the room name
  std::vector<std::string> allow;  // fingerprints; empty means anyone
  // The joiner's member card (docs/rooms.md, "Keys in a room"), opaque to
  // the daemon, which hands it out with the joiner's room_events: a member
  // can answer with its sender key at once instead of a round trip later.
  Bytes card;
};
struct RoomLeave {
  std::string room;
};
struct RoomEvent {
  std::string room;
  std::string fingerprint;
  bool joined = true;
  uint32_t participants = 0;
  // The participant's Ed25519 key (its fingerprint is a hash of it), so that
  // members can check each other's signed room signals; set by the daemon.
  std::optional<PublicKey> public_key;
  Bytes card;  // the card the participant joined with, if any (RoomJoin::card)
};
// An opaque message between members of a room (member cards, sealed sender
// keys: docs/crypto.md). The daemon fills in `from` and forwards it to `to`,
// or to every other member when `to` is empty; it never reads `payload`.
struct RoomSignal {
  std::string room;
  std::string from;  // set by the daemon; ignored when a client sends it
  std::string to;    // a fingerprint, or empty for everyone else in the room
  Bytes payload;
};
// The tier everyone in the room should send at: a rung of libwzp/quality's
// ladder, named on the wire by quality::to_string.
struct QualityDirective {
  std::string room;
  quality::Tier tier = quality::Tier::kGood;
  std::string reason;
};

// --- reflection and errors ---
struct ReflectRequest {};
struct ReflectResponse {
  std::string address;  // "ip:port" as the daemon sees the client
};
struct Error {
  std::string code;
  std::string message;
  std::optional<std::string> call_id;
};

using Message =
    std::variant<Hello, Challenge, Auth, Welcome, AliasClaim, AliasRelease, AliasResolve,
                 AliasResolved, Ok, PresenceList, PresenceUpdate, CallOffer, CallRinging,
                 CallAnswer, CallSetup, CallConfirm, CallPath, CallCandidates, CallHangup,
                 MissedCalls, RoomJoin, RoomLeave, RoomEvent, RoomSignal, QualityDirective,
                 ReflectRequest, ReflectResponse, Error>;

const char *to_string(PathStep step);

// The "type" tag of a message.
const char *kind_name(const Message &message);

enum class ParseError : uint8_t {
  kOk = 0,
  kTooLarge,     // over kMaxMessageBytes
  kTooDeep,      // nesting beyond kMaxNestingDepth
  kMalformed,    // not JSON
  kNotObject,    // JSON, but not an object
  kMissingType,  // no string "type"
  kBadVersion,   // "version" missing, not an integer, or 0
  kUnknownKind,  // a type this build does not know: log and skip
  kBadField,     // a known field is missing, of the wrong type, or out of bounds
};
const char *to_string(ParseError error);

struct Parsed {
  ParseError error = ParseError::kOk;
  std::string detail;  // which type or field, for the log and the error reply
  std::string kind;    // the "type" tag, when one was read
  uint32_t version = 0;
  std::optional<uint64_t> request_id;
  std::optional<Message> message;           // set exactly when error == kOk
  std::vector<std::string> ignored_fields;  // unknown fields that were skipped
};

// Parses one message. Never throws.
Parsed parse(std::string_view text);

// Serializes a message with the current version and, if given, the
// request_id it answers. Never throws.
std::string serialize(const Message &message, std::optional<uint64_t> request_id = std::nullopt);

// The bytes a client signs to answer a Challenge: a domain label, the nonce
// and the SHA-256 of the TLS certificate the client verified on this very
// connection (its pin; any spelling, normalized to 64 lowercase hex digits).
// The daemon checks it against its own certificate, so a login a relay
// forwards from a connection it terminated never verifies (docs/signal.md).
Bytes auth_transcript(const Nonce &nonce, std::string_view certificate_sha256);

// True for a fingerprint in the canonical form above.
bool is_fingerprint(std::string_view text);

// A query names a fingerprint, or a prefix of one, when it is at least
// kMinFingerprintPrefixDigits hex digits (either case) with only the
// separators crypto::parse_fingerprint allows (':', '-', ' ') between them,
// and at most kFingerprintDigits digits. Such a query is never an alias: the
// daemon refuses aliases of this shape and looks these up by fingerprint
// only, and a client checks the answer starts with these digits.
inline constexpr size_t kFingerprintDigits = 32;
inline constexpr size_t kMinFingerprintPrefixDigits = 4;
// The query's hex digits, lower case, separators dropped; nullopt when the
// query does not name a fingerprint or prefix ("@name" never does).
std::optional<std::string> fingerprint_digits(std::string_view query);
// "xxxx:xxxx:..." for 32 hex digits as fingerprint_digits returns them.
std::string fingerprint_from_digits(std::string_view digits);

const char *to_string(AnswerMode mode);

}  // namespace wzp::signal
