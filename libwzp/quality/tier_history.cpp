#include "libwzp/quality/tier_history.hpp"

#include <cstdio>

namespace wzp::quality {

bool record(TierHistory &history, Micros at, const Decision &decision, bool imposed) {
  if (!history.empty() && history.back().tier == decision.tier) return false;
  history.push_back({at, decision.tier, decision.change, imposed});
  return true;
}

std::string describe(const TierHistory &history) {
  std::string text;
  for (const auto &change : history) {
    char item[96];
    std::snprintf(item, sizeof item, "%s%.1fs %s (%s)", text.empty() ? "" : " ",
                  static_cast<double>((change.at - history.front().at).count()) / 1e6,
                  std::string(to_string(change.tier)).c_str(),
                  change.imposed ? "imposed" : to_string(change.change));
    text += item;
  }
  return text;
}

}  // namespace wzp::quality
