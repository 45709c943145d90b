// JSON text read one way only: what the signal messages and the daemons'
// federation link accept (issue 13, finding 7). nlohmann's reader stops at a
// raw NUL as if the text ended there, so "{...}\0junk" would pass, and lets
// the last of a repeated key win, so two readers of one message could
// disagree on what it says: both are refused. Check json_nesting_depth
// first; this parser recurses.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace wzp::signal {

// The parsed document, or nullopt with `error` saying why.
std::optional<nlohmann::json> parse_strict_json(std::string_view text, std::string &error);

}  // namespace wzp::signal
