#include "libwzp/nat/candidate.hpp"

#include <algorithm>
#include <set>

namespace wzp::nat {
namespace {

bool usable_host_scope(AddressScope scope) {
  return scope == AddressScope::kPrivate || scope == AddressScope::kGlobal;
}

// Shown in a log line: printable ASCII only, and not a whole flood of it.
std::string loggable(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kMax) out += "...";
  return out;
}

constexpr size_t kMaxReasons = 16;

}  // namespace

const char *to_string(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kMapped:
      return "mapped";
    case CandidateType::kReflexive:
      return "reflexive";
  }
  return "?";
}

uint32_t type_preference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return 126;
    case CandidateType::kMapped:
      return 110;
    case CandidateType::kReflexive:
      return 100;
  }
  return 0;
}

uint32_t candidate_priority(CandidateType type, uint16_t local_preference) {
  constexpr uint32_t kComponent = 1;
  return (type_preference(type) << 24) + (uint32_t{local_preference} << 8) + (256 - kComponent);
}

std::vector<Candidate> host_candidates(const std::vector<InterfaceAddress> &interfaces,
                                       uint16_t port) {
  std::vector<IpAddress> v6, v4;
  for (const auto &entry : interfaces) {
    if (!entry.up || entry.loopback || !usable_host_scope(scope_of(entry.ip))) continue;
    auto &family = entry.ip.v6 ? v6 : v4;
    if (std::find(family.begin(), family.end(), entry.ip) == family.end()) {
      family.push_back(entry.ip);
    }
  }
  std::vector<Candidate> out;
  uint16_t local_preference = 65535;
  auto add = [&](const IpAddress &ip) {
    TransportAddress address{ip, port};
    out.push_back({CandidateType::kHost, address, address,
                   candidate_priority(CandidateType::kHost, local_preference--)});
  };
  for (size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
    if (i < v6.size()) add(v6[i]);
    if (i < v4.size()) add(v4[i]);
  }
  return out;
}

std::optional<Candidate> outside_candidate(CandidateType type, const TransportAddress &address,
                                           uint16_t local_port) {
  if (!usable_host_scope(scope_of(address.ip)) || address.port == 0) return std::nullopt;
  TransportAddress base;
  base.ip.v6 = address.ip.v6;
  base.port = local_port;
  return Candidate{type, address, base,
                   candidate_priority(type, address.ip.v6 ? uint16_t{65535} : uint16_t{65534})};
}

std::vector<Candidate> rank(std::vector<Candidate> candidates, size_t limit) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate &a, const Candidate &b) { return a.priority > b.priority; });
  std::vector<Candidate> out;
  std::set<TransportAddress> seen;
  for (auto &candidate : candidates) {
    if (out.size() == limit) break;
    if (seen.insert(candidate.address).second) out.push_back(std::move(candidate));
  }
  return out;
}

std::vector<std::string> to_wire(const std::vector<Candidate> &ranked) {
  std::vector<std::string> out;
  out.reserve(ranked.size());
  for (const auto &candidate : ranked) out.push_back(candidate.address.to_string());
  return out;
}

RemoteCandidates check_remote_candidates(const std::vector<std::string> &offered,
                                         const RemotePolicy &policy) {
  RemoteCandidates result;
  add_remote_candidates(result, offered, policy);
  return result;
}

size_t add_remote_candidates(RemoteCandidates &result, const std::vector<std::string> &offered,
                             const RemotePolicy &policy) {
  const size_t before = result.accepted.size();
  std::set<TransportAddress> seen;
  for (const auto &accepted : result.accepted) seen.insert(accepted.address);
  auto reject = [&](uint64_t &counter, const std::string &text, const std::string &why) {
    ++counter;
    // The counters say how many; the log needs only the first few lines.
    if (result.reasons.size() < kMaxReasons)
      result.reasons.push_back("'" + loggable(text) + "': " + why);
  };
  for (const auto &text : offered) {
    std::string why;
    auto address = TransportAddress::parse(text, &why);
    if (!address) {
      reject(result.rejected.malformed, text, why);
      continue;
    }
    const AddressScope scope = scope_of(address->ip);
    if (!usable_host_scope(scope)) {
      reject(result.rejected.unusable, text, to_string(scope));
      continue;
    }
    if (scope == AddressScope::kPrivate && !policy.allow_private) {
      reject(result.rejected.private_, text, "private address from a peer not accepted");
      continue;
    }
    if (seen.contains(*address)) {
      reject(result.rejected.duplicate, text, "listed before");
      continue;
    }
    if (result.accepted.size() >= policy.max_candidates) {
      reject(result.rejected.too_many, text,
             "more than " + std::to_string(policy.max_candidates) + " candidates");
      continue;
    }
    seen.insert(*address);
    result.accepted.push_back({*address, result.accepted.size()});
  }
  return result.accepted.size() - before;
}

}  // namespace wzp::nat
