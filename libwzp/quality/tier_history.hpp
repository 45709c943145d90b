// The tiers a sender was set to during a call, in order: what the summary
// prints and what a recorded call's replay is compared with.
#pragma once

#include <string>
#include <vector>

#include "libwzp/quality/controller.hpp"

namespace wzp::quality {

struct TierChange {
  Micros at;
  Tier tier;
  Change change;
  bool imposed = false;  // set from outside (a room's directive), not by the controller
};

using TierHistory = std::vector<TierChange>;

// Appends `decision` if it changes the tier (the first one always); returns
// whether it did.
bool record(TierHistory &history, Micros at, const Decision &decision, bool imposed = false);

// "0.0s good (none) 12.3s degraded (step-down) 20.1s good (imposed)": each
// change's time since the first.
std::string describe(const TierHistory &history);

}  // namespace wzp::quality
