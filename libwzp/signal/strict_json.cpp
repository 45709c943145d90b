#include "libwzp/signal/strict_json.hpp"

#include <set>
#include <vector>

#include "libwzp/signal/printable.hpp"

namespace wzp::signal {

using nlohmann::json;

std::optional<json> parse_strict_json(std::string_view text, std::string &error) {
  // JSON text never holds a raw NUL (inside strings it is written \u0000).
  if (text.find('\0') != std::string_view::npos) {
    error = "not valid JSON: a NUL byte";
    return std::nullopt;
  }
  std::vector<std::set<std::string>> keys_per_object;
  std::optional<std::string> duplicate;
  json::parser_callback_t find_duplicates = [&](int, json::parse_event_t event, json &value) {
    if (event == json::parse_event_t::object_start) {
      keys_per_object.emplace_back();
    } else if (event == json::parse_event_t::object_end && !keys_per_object.empty()) {
      keys_per_object.pop_back();
    } else if (event == json::parse_event_t::key && !keys_per_object.empty() && !duplicate &&
               !keys_per_object.back().insert(value.get<std::string>()).second) {
      duplicate = value.get<std::string>();
    }
    return true;
  };
  json doc = json::parse(text, find_duplicates, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  if (duplicate) {
    error = "not valid JSON: the key '" + printable(*duplicate) + "' appears twice in one object";
    return std::nullopt;
  }
  return doc;
}

}  // namespace wzp::signal
