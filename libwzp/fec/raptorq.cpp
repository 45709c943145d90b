#include "libwzp/fec/raptorq.hpp"

#include <cstring>

#include "libwzp/fec/gf256.hpp"
#include "libwzp/fec/raptorq_plan_cache.hpp"

namespace wzp::fec {
namespace {

constexpr uint32_t kNoEsi = 0xffffffff;

// Encoding symbol `isi`: the sum of its LT and PI intermediate symbols.
void lt_symbol(const BlockParams &p, const uint8_t *intermediate, size_t t, uint32_t isi,
               uint8_t *out) {
  const uint8_t *sources[kMaxLtColumns];
  size_t count = 0;
  for_each_lt_column(p, isi,
                     [&](uint32_t col) { sources[count++] = intermediate + size_t{col} * t; });
  gf256::xor_sum(out, sources, count, t, false);
}

}  // namespace

bool BlockEncoder::prepare(std::span<const uint8_t> source, uint16_t K, uint16_t T) {
  prepared_ = false;
  const auto params = BlockParams::for_k(K);
  if (!params || T == 0 || source.size() != size_t{K} * T) return false;
  params_ = *params;
  k_ = K;
  t_ = T;
  if (!plan_ || plan_->params.k_prime != params_.k_prime) plan_ = encoding_plan(params_);
  // Table 2's K' values are exactly those whose systematic matrix is
  // invertible, so a missing plan means a solver bug.
  if (!plan_) return false;
  source_.assign(source.begin(), source.end());
  intermediate_.resize(size_t{params_.l} * T);
  symbols_.resize(params_.k_prime);
  for (uint32_t i = 0; i < params_.k_prime; ++i) {
    symbols_[i] = i < K ? source_.data() + size_t{i} * T : nullptr;
  }
  solver_.execute(*plan_, symbols_, T, intermediate_.data());
  prepared_ = true;
  return true;
}

void BlockEncoder::symbol(uint32_t esi, std::span<uint8_t> out) const {
  if (!prepared_ || out.size() < t_) return;
  if (esi < k_) {
    std::memcpy(out.data(), source_.data() + size_t{esi} * t_, t_);
    return;
  }
  lt_symbol(params_, intermediate_.data(), t_, esi + params_.k_prime - k_, out.data());
}

bool BlockDecoder::reset(uint16_t K, uint16_t T) {
  ready_ = false;
  const auto params = BlockParams::for_k(K);
  if (!params || T == 0) return false;
  params_ = *params;
  k_ = K;
  t_ = T;
  decoded_ = false;
  source_count_ = 0;
  repair_count_ = 0;
  source_.resize(size_t{K} * T);
  have_source_.assign(K, 0);
  const uint32_t max_repair = K + kMaxExtraSymbols;
  // Pages the block never fills are never touched, so reserving is cheap.
  repair_.clear();
  repair_.reserve(size_t{max_repair} * T);
  repair_esis_.clear();
  repair_esis_.reserve(max_repair);
  uint32_t set_size = 1;
  while (set_size < 2 * max_repair) set_size <<= 1;
  repair_set_.assign(set_size, kNoEsi);
  intermediate_.resize(size_t{params_.l} * T);
  isis_.reserve(params_.k_prime + max_repair);
  symbols_.reserve(params_.k_prime + max_repair);
  ready_ = true;
  return true;
}

bool BlockDecoder::insert_repair_esi(uint32_t esi) {
  const size_t mask = repair_set_.size() - 1;
  size_t slot = (esi * 0x9e3779b1u) & mask;
  while (repair_set_[slot] != kNoEsi) {
    if (repair_set_[slot] == esi) return false;
    slot = (slot + 1) & mask;
  }
  repair_set_[slot] = esi;
  return true;
}

bool BlockDecoder::add_symbol(uint32_t esi, std::span<const uint8_t> data) {
  if (!ready_ || decoded_ || data.size() != t_ || esi > kMaxEsi) return false;
  if (esi < k_) {
    if (have_source_[esi]) return false;
    std::memcpy(source_.data() + size_t{esi} * t_, data.data(), t_);
    have_source_[esi] = 1;
    ++source_count_;
    return true;
  }
  if (received() >= uint32_t{k_} + kMaxExtraSymbols) return false;
  if (!insert_repair_esi(esi)) return false;
  repair_.insert(repair_.end(), data.begin(), data.end());
  repair_esis_.push_back(esi);
  ++repair_count_;
  return true;
}

BlockDecoder::Status BlockDecoder::try_decode() {
  if (!ready_) return Status::kNeedMore;
  if (decoded_ || source_count_ == k_) {
    decoded_ = true;
    return Status::kDecoded;
  }
  if (received() < k_) return Status::kNeedMore;
  isis_.clear();
  symbols_.clear();
  for (uint32_t i = 0; i < k_; ++i) {
    if (!have_source_[i]) continue;
    isis_.push_back(i);
    symbols_.push_back(source_.data() + size_t{i} * t_);
  }
  for (uint32_t i = k_; i < params_.k_prime; ++i) {
    isis_.push_back(i);
    symbols_.push_back(nullptr);
  }
  for (uint32_t r = 0; r < repair_count_; ++r) {
    isis_.push_back(repair_esis_[r] + params_.k_prime - k_);
    symbols_.push_back(repair_.data() + size_t{r} * t_);
  }
  if (!solver_.plan(params_, isis_, plan_)) return Status::kNeedMore;
  solver_.execute(plan_, symbols_, t_, intermediate_.data());
  for (uint32_t i = 0; i < k_; ++i) {
    if (have_source_[i]) continue;
    lt_symbol(params_, intermediate_.data(), t_, i, source_.data() + size_t{i} * t_);
    have_source_[i] = 1;
  }
  decoded_ = true;
  return Status::kDecoded;
}

std::span<const uint8_t> BlockDecoder::source_symbol(uint16_t i) const {
  if (i >= k_) return {};
  return {source_.data() + size_t{i} * t_, t_};
}

bool BlockDecoder::has_source_symbol(uint16_t i) const {
  return ready_ && i < k_ && have_source_[i] != 0;
}

}  // namespace wzp::fec
