// What a browser sends wzp-web over its signaling WebSocket (docs/web.md),
// one JSON object per text message:
//
//   {"type":"join","room":"standup"}                 an open room by name
//   {"type":"join","room":"ops","invite":"wzp-room:ops#..."}
//   {"type":"offer","sdp":"v=0..."}                  the browser's offer
//   {"type":"ice","candidate":"candidate:...","sdpMLineIndex":0}
//   {"type":"leave"}
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

namespace wzp::web {

struct Join {
  std::string room;                   // a valid room name (crypto::valid_room_name)
  std::optional<std::string> invite;  // wzp-room:NAME#SECRET, not yet checked
};
struct Offer {
  std::string sdp;
};
struct Candidate {
  std::string candidate;  // "" ends the browser's candidates
  uint32_t mline = 0;
};
struct Leave {};
using BrowserMessage = std::variant<Join, Offer, Candidate, Leave>;

struct ParsedBrowserMessage {
  std::optional<BrowserMessage> message;
  std::string error;  // set when message is not
};

ParsedBrowserMessage parse_browser_message(std::string_view text);

// The dynamic payload type (96-127) of opus/48000/2 in the first audio
// m-line of `sdp`, or nullopt with `error` saying what is wrong.
std::optional<uint8_t> opus_payload_type(std::string_view sdp, std::string &error);

}  // namespace wzp::web
