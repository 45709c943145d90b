// A peer's candidate list on arbitrary text (one entry per line, as many
// as the input holds; a line "+" starts a later list, as call_candidates
// brings): every entry is accepted or counted under one reason, never more
// than the policy's bound are accepted over all lists, every accepted
// address is there once, prints and parses back to itself and is usable,
// and the log stays short.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libwzp/nat/candidate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::nat;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  std::vector<std::vector<std::string>> lists(1);
  size_t entries = 0;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end == text.npos ? text.npos : end - start);
    if (line == "+") {
      lists.emplace_back();
    } else {
      lists.back().emplace_back(line);
      ++entries;
    }
    if (end == text.npos) break;
    start = end + 1;
  }
  for (bool allow_private : {false, true}) {
    const RemotePolicy policy{allow_private, 16};
    RemoteCandidates checked = check_remote_candidates(lists[0], policy);
    for (size_t i = 1; i < lists.size(); ++i) {
      const size_t before = checked.accepted.size();
      if (add_remote_candidates(checked, lists[i], policy) != checked.accepted.size() - before) {
        std::abort();
      }
    }
    if (checked.accepted.size() + checked.rejected.total() != entries) std::abort();
    if (checked.accepted.size() > policy.max_candidates) std::abort();
    if (checked.reasons.size() > 16 || checked.reasons.size() > checked.rejected.total()) {
      std::abort();
    }
    std::set<TransportAddress> seen;
    for (size_t i = 0; i < checked.accepted.size(); ++i) {
      const auto &candidate = checked.accepted[i];
      if (candidate.rank != i || !seen.insert(candidate.address).second) std::abort();
      auto again = TransportAddress::parse(candidate.address.to_string());
      if (!again || *again != candidate.address) std::abort();
      const AddressScope scope = scope_of(candidate.address.ip);
      if (scope != AddressScope::kGlobal && !(allow_private && scope == AddressScope::kPrivate)) {
        std::abort();
      }
    }
  }
  return 0;
}
