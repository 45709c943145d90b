#include "web/browser_message.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/room_access.hpp"

namespace wzp::web {
namespace {

using json = nlohmann::json;

// A string field, or nullopt when it is missing or not a string.
std::optional<std::string> text_field(const json &object, const char *name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

// "alias", "identity" and "token", all optional; false with `error` when one
// is there but wrong.
bool sign_in_fields(const json &object, SignIn &out, std::string &error) {
  if (object.contains("alias") && !object["alias"].is_null()) {
    out.alias = text_field(object, "alias");
    if (!out.alias || out.alias->empty() || out.alias->size() > kMaxNameBytes) {
      error = "\"alias\" is not a short string";
      return false;
    }
  }
  if (object.contains("identity") && !object["identity"].is_null()) {
    auto hex = text_field(object, "identity");
    crypto::Seed seed{};
    if (!hex || !base::from_hex(*hex, seed)) {
      error = "\"identity\" is not 64 hex digits";
      return false;
    }
    out.seed = seed;
  }
  if (object.contains("token") && !object["token"].is_null()) {
    out.token = text_field(object, "token");
    // The daemon takes no longer one; what it is, the daemon's validator says.
    if (!out.token || out.token->empty() || out.token->size() > signal::kMaxTokenBytes) {
      error = "\"token\" is not a string of 1-" + std::to_string(signal::kMaxTokenBytes) + " bytes";
      return false;
    }
  }
  return true;
}

}  // namespace

ParsedBrowserMessage parse_browser_message(std::string_view text) {
  ParsedBrowserMessage out;
  json object = json::parse(text, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    out.error = "not a JSON object";
    return out;
  }
  auto type = text_field(object, "type");
  if (!type) {
    out.error = "no \"type\"";
    return out;
  }
  if (*type == "join") {
    Join join;
    auto room = text_field(object, "room");
    std::string why;
    if (!room || !crypto::valid_room_name(*room, &why)) {
      out.error = "join: not a room name" + (why.empty() ? "" : ": " + why);
      return out;
    }
    join.room = *room;
    if (object.contains("invite") && !object["invite"].is_null()) {
      join.invite = text_field(object, "invite");
      if (!join.invite) {
        out.error = "join: \"invite\" is not a string";
        return out;
      }
    }
    if (!sign_in_fields(object, join.as, out.error)) {
      out.error = "join: " + out.error;
      return out;
    }
    out.message = join;
  } else if (*type == "call") {
    Call call;
    auto callee = text_field(object, "callee");
    if (!callee || callee->empty() || callee->size() > kMaxNameBytes) {
      out.error = "call: needs a short \"callee\" (@alias or fingerprint)";
      return out;
    }
    call.callee = *callee;
    if (!sign_in_fields(object, call.as, out.error)) {
      out.error = "call: " + out.error;
      return out;
    }
    out.message = call;
  } else if (*type == "answer") {
    Answer answer;
    if (!sign_in_fields(object, answer.as, out.error)) {
      out.error = "answer: " + out.error;
      return out;
    }
    out.message = answer;
  } else if (*type == "offer") {
    auto sdp = text_field(object, "sdp");
    if (!sdp) {
      out.error = "offer: no \"sdp\" string";
      return out;
    }
    out.message = Offer{*sdp};
  } else if (*type == "ice") {
    Candidate candidate;
    auto line = text_field(object, "candidate");
    auto mline = object.find("sdpMLineIndex");
    if (!line || mline == object.end() || !mline->is_number_unsigned() ||
        mline->get<uint64_t>() > 64) {
      out.error = "ice: needs \"candidate\" and a small \"sdpMLineIndex\"";
      return out;
    }
    candidate.candidate = *line;
    candidate.mline = mline->get<uint32_t>();
    out.message = candidate;
  } else if (*type == "leave") {
    out.message = Leave{};
  } else {
    out.error = "unknown type";
  }
  return out;
}

std::optional<uint8_t> opus_payload_type(std::string_view sdp, std::string &error) {
  if (!sdp.starts_with("v=0")) {
    error = "not an SDP (no v=0)";
    return std::nullopt;
  }
  bool in_audio = false, seen_audio = false;
  for (std::string_view line : lines(sdp)) {
    if (line.starts_with("m=")) {
      if (seen_audio) break;  // only the first audio section
      in_audio = line.starts_with("m=audio ");
      seen_audio = in_audio;
      continue;
    }
    constexpr std::string_view kRtpmap = "a=rtpmap:";
    if (!in_audio || !line.starts_with(kRtpmap)) continue;
    line.remove_prefix(kRtpmap.size());
    unsigned pt = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pt);
    if (ec != std::errc() || end == line.data() + line.size() || *end != ' ') continue;
    std::string_view codec(end + 1, line.data() + line.size() - (end + 1));
    // Encoding names are case-insensitive (RFC 4566); browsers write "opus".
    std::string lower(codec);
    for (char &c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (lower == "opus/48000/2" && pt >= 96 && pt <= 127) return static_cast<uint8_t>(pt);
  }
  error = seen_audio ? "the audio section offers no opus/48000/2" : "no audio section";
  return std::nullopt;
}

}  // namespace wzp::web
