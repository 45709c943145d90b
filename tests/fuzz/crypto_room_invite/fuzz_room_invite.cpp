// Room invites are pasted by people from chats and mails: the parser must
// refuse anything else with a reason, and what it accepts must survive
// formatting again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libwzp/crypto/room_access.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;
  auto invite = parse_room_invite(text, &error);
  if (!invite) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  if (!valid_room_name(invite->name)) __builtin_trap();
  if (parse_room_invite(format_room_invite(*invite)) != invite) __builtin_trap();
  room_access(*invite);
  return 0;
}
