// Encoding plans shared by every BlockEncoder in the process. A systematic
// block's constraint matrix depends on K' alone, so its solution plan is
// computed once per K' and reused for every block of that size.
#pragma once

#include <cstddef>
#include <memory>

#include "libwzp/fec/raptorq_solver.hpp"

namespace wzp::fec {

// Plans kept at once; the least recently used is dropped beyond this, which
// bounds memory (a plan for the largest K' is a few MB).
inline constexpr size_t kMaxCachedPlans = 16;

// The plan for source block rows ISI 0..K'-1, or nullptr if it cannot be
// solved (never, for Table 2's K' values). Thread-safe.
std::shared_ptr<const SolvePlan> encoding_plan(const BlockParams &params);

}  // namespace wzp::fec
