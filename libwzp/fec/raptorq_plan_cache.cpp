#include "libwzp/fec/raptorq_plan_cache.hpp"

#include <cstdint>
#include <mutex>
#include <numeric>
#include <vector>

namespace wzp::fec {
namespace {

struct Entry {
  uint32_t k_prime;
  uint64_t last_use;
  std::shared_ptr<const SolvePlan> plan;
};

struct Cache {
  std::mutex mutex;
  std::vector<Entry> entries;
  uint64_t clock = 0;

  std::shared_ptr<const SolvePlan> find(uint32_t k_prime) {
    for (Entry &e : entries) {
      if (e.k_prime == k_prime) {
        e.last_use = ++clock;
        return e.plan;
      }
    }
    return nullptr;
  }
  void insert(uint32_t k_prime, std::shared_ptr<const SolvePlan> plan) {
    if (entries.size() >= kMaxCachedPlans) {
      auto oldest = entries.begin();
      for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (it->last_use < oldest->last_use) oldest = it;
      }
      entries.erase(oldest);
    }
    entries.push_back({k_prime, ++clock, std::move(plan)});
  }
};

Cache &cache() {
  static Cache c;
  return c;
}

}  // namespace

std::shared_ptr<const SolvePlan> encoding_plan(const BlockParams &params) {
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (auto plan = c.find(params.k_prime)) return plan;
  }
  // Planning the largest blocks takes tens of milliseconds: do it unlocked.
  std::vector<uint32_t> isis(params.k_prime);
  std::iota(isis.begin(), isis.end(), 0u);
  auto plan = std::make_shared<SolvePlan>();
  Solver solver;
  if (!solver.plan(params, isis, *plan)) return nullptr;
  std::lock_guard<std::mutex> lock(c.mutex);
  if (auto existing = c.find(params.k_prime)) return existing;
  c.insert(params.k_prime, plan);
  return plan;
}

}  // namespace wzp::fec
