// `wzp room join`: one RoomMember (client/room_member.hpp) on this
// process's main loop. Members are shown by fingerprint as they prove the
// room secret; a member the daemon announces who cannot gets no key, and we
// say so. A status line every second; Ctrl-C (or SIGTERM, or the end of
// --seconds) leaves cleanly; a summary follows on stdout.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/quality/tier.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

struct RoomOptions {
  std::string name;                           // shown here only; never sent
  crypto::RoomAccess access;                  // from the invite, or an open room's
  std::string input_wav;                      // empty: the microphone
  std::string output_wav;                     // empty: the speakers
  quality::Tier tier = quality::Tier::kGood;  // until the daemon says otherwise
  uint32_t seconds = 0;                       // stay this long; 0: until interrupted
  uint32_t padding = 0;                       // SenderConfig::padding
  // RoomMember::Handlers::redial: where to sign in again when the
  // connection to the daemon ends while we are in the room.
  std::function<signal::Session *(const std::string &why)> redial;
};

// Returns the process exit code (0 when we left normally).
int run_room(signal::Session &session, const crypto::Identity &identity,
             const RoomOptions &options);

}  // namespace wzp::client
