// Remote text made safe for a terminal or a log. Anything a peer or the
// daemon wrote (a hangup reason, an error message, an alias, a close
// reason, an unknown field's name) goes through printable() before it is
// shown: an escape sequence in it could otherwise clear the screen, retitle
// the window or fake the lines around it.
#pragma once

#include <string>
#include <string_view>

namespace wzp::signal {

// `text` with every control character escaped: C0 controls and DEL as
// \xNN, C1 controls and the bidirectional overrides as \u{NNNN}, bytes that
// are not UTF-8 as \xNN. Printable UTF-8 passes unchanged.
std::string printable(std::string_view text);

}  // namespace wzp::signal
