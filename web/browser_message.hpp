// What a browser sends wzp-web over its signaling WebSocket (docs/web.md),
// one JSON object per text message:
//
//   {"type":"join","room":"standup"}                 an open room by name
//   {"type":"join","room":"ops","invite":"wzp-room:ops#..."}
//   {"type":"offer","sdp":"v=0..."}                  the browser's offer
//   {"type":"ice","candidate":"candidate:...","sdpMLineIndex":0}
//   {"type":"leave"}                                 leaves the room, hangs up a call
//   {"type":"call","callee":"@bob","alias":"carol","identity":"<64 hex>"}
//   {"type":"answer","alias":"carol","identity":"<64 hex>"}   waits for a call
//
// "alias" (claimed when signing in), "identity" (the seed of the wzp
// identity the browser keeps; without it the bridge makes one and hands it
// back) and "token" (the bearer token a daemon run with --auth-url asks for,
// handed on as it is) are optional in join, call and answer.
//
// and the one thing the bridge reads in an offer: the payload type the
// browser gave Opus in its audio section. Both parsers take any bytes and
// answer with a message or a reason; they never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/signal/message.hpp"

namespace wzp::web {

// Who the browser signs in as.
struct SignIn {
  std::optional<std::string> alias;  // claimed at sign-in; the daemon checks it
  std::optional<crypto::Seed> seed;  // the browser's identity; none: a fresh one
  std::optional<std::string> token;  // for wzp-signald's --auth-url; never logged
};
struct Join {
  std::string room;                   // a valid room name (crypto::valid_room_name)
  std::optional<std::string> invite;  // wzp-room:NAME#SECRET, not yet checked
  SignIn as;
};
// Calls "@alias", a fingerprint or a prefix of one (client::place_call).
struct Call {
  std::string callee;
  SignIn as;
};
// Waits for a call and answers the first.
struct Answer {
  SignIn as;
};
struct Offer {
  std::string sdp;
};
struct Candidate {
  std::string candidate;  // "" ends the browser's candidates
  uint32_t mline = 0;
};
struct Leave {};
using BrowserMessage = std::variant<Join, Offer, Candidate, Leave, Call, Answer>;

// Longer than any alias or callee the daemon accepts; refused before it
// leaves the bridge.
inline constexpr size_t kMaxNameBytes = 64;

struct ParsedBrowserMessage {
  std::optional<BrowserMessage> message;
  std::string error;  // set when message is not
};

ParsedBrowserMessage parse_browser_message(std::string_view text);

// The dynamic payload type (96-127) of opus/48000/2 in the first audio
// m-line of `sdp`, or nullopt with `error` saying what is wrong.
std::optional<uint8_t> opus_payload_type(std::string_view sdp, std::string &error);

}  // namespace wzp::web
