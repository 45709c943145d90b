// RFC 6330 RaptorQ for one source block: systematic encoding, repair symbols
// for any ESI, and decoding from any K or more received symbols.
// docs/fec-raptorq.md describes the design, failure rates and speed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "libwzp/fec/raptorq_params.hpp"
#include "libwzp/fec/raptorq_solver.hpp"

namespace wzp::fec {

// ESIs are 24-bit on the wire (RFC 6330 Section 3.2).
inline constexpr uint32_t kMaxEsi = 0xffffff;

// One RFC 6330 source block: K source symbols of T bytes each (1 <= K <= 56403, T >= 1).
class BlockEncoder {
 public:
  // Computes the intermediate symbols for the block. `source` holds K*T bytes,
  // symbol i at [i*T, (i+1)*T). Returns false on invalid K/T/size. Reusable:
  // calling again replaces the block; buffers are kept to avoid reallocation.
  bool prepare(std::span<const uint8_t> source, uint16_t K, uint16_t T);
  // Writes the T-byte encoding symbol with this ESI (source symbol for ESI < K,
  // repair symbol otherwise; ISI = ESI + K' - K). out.size() must be >= T;
  // nothing is written if it is smaller or no block is prepared.
  void symbol(uint32_t esi, std::span<uint8_t> out) const;

  uint16_t k() const { return k_; }
  uint16_t t() const { return t_; }
  // K' for the prepared block.
  uint32_t k_prime() const { return params_.k_prime; }

 private:
  BlockParams params_{};
  uint16_t k_ = 0;
  uint16_t t_ = 0;
  bool prepared_ = false;
  std::vector<uint8_t> source_;
  std::vector<uint8_t> intermediate_;
  std::vector<const uint8_t *> symbols_;
  std::shared_ptr<const SolvePlan> plan_;  // from the process-wide cache
  Solver solver_;
};

class BlockDecoder {
 public:
  enum class Status { kNeedMore, kDecoded };
  // Received symbols beyond K kept for a block; more are refused, which bounds
  // memory. Each symbol beyond K cuts the failure rate about 256-fold
  // (docs/fec-raptorq.md), so 64 spare symbols are never the limit in practice.
  static constexpr uint32_t kMaxExtraSymbols = 64;

  // Starts a new block (reusable; keeps buffers). Returns false on invalid K/T.
  bool reset(uint16_t K, uint16_t T);
  // Adds a received symbol. Returns false (and ignores it) for a duplicate ESI,
  // a wrong size, an ESI above kMaxEsi, once K + kMaxExtraSymbols symbols are
  // held, or after decoding finished.
  bool add_symbol(uint32_t esi, std::span<const uint8_t> data);
  // Decodes when possible: kNeedMore with fewer than K symbols or when the
  // received set is not yet full rank (add more and call again); kDecoded once
  // all K source symbols are known. Never touches memory it does not own.
  Status try_decode();
  // After kDecoded (or for source symbols that were received): the T bytes of
  // source symbol i. Empty for i >= K.
  std::span<const uint8_t> source_symbol(uint16_t i) const;
  bool has_source_symbol(uint16_t i) const;

  uint32_t received() const { return source_count_ + repair_count_; }

 private:
  bool insert_repair_esi(uint32_t esi);

  BlockParams params_{};
  uint16_t k_ = 0;
  uint16_t t_ = 0;
  bool ready_ = false;
  bool decoded_ = false;
  uint32_t source_count_ = 0;
  uint32_t repair_count_ = 0;
  std::vector<uint8_t> source_;       // K*T, received or decoded source symbols
  std::vector<uint8_t> have_source_;  // per source symbol: received (or decoded)
  std::vector<uint8_t> repair_;       // repair symbols in arrival order
  std::vector<uint32_t> repair_esis_;
  std::vector<uint32_t> repair_set_;  // open-addressing set of repair ESIs
  std::vector<uint8_t> intermediate_;
  std::vector<uint32_t> isis_;
  std::vector<const uint8_t *> symbols_;
  SolvePlan plan_;
  Solver solver_;
};

}  // namespace wzp::fec
