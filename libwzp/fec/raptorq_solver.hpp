// Solves the RFC 6330 constraint system A * C = D for the L intermediate
// symbols C of one source block, by inactivation decoding, in two steps:
//
// plan() works on the matrix alone:
//  1. peel: repeatedly take a sparse row with a single unsolved column and
//     order that column after it; when none is left, inactivate columns
//     (the P PI columns start inactive). HDPC rows never pivot here.
//  2. express each ordered column as (its row's symbols) + (a combination of
//     the I inactive columns), substitute that into the leftover rows and the
//     HDPC rows, and eliminate the small I-column dense system, recording
//     each row operation.
// execute() then does the symbol work: substitutes along the peeling order,
// replays the recorded dense operations, and back-substitutes.
//
// The sparse rows are binary; only HDPC rows carry GF(256) coefficients, and
// they are applied through the MT * GAMMA factorisation so each column costs
// one multiply-by-alpha rather than H multiply-adds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/fec/raptorq_params.hpp"

namespace wzp::fec {

// How to solve one set of rows. It depends on K' and the rows' ISIs only,
// never on symbol contents, so the encoder plans once per K' and replays the
// plan for every block.
struct SolvePlan {
  // One dense-phase row operation: target += coef * source, or, when
  // source == target, target *= coef.
  struct DenseOp {
    uint32_t target;
    uint32_t source;
    uint8_t coef;
  };

  BlockParams params{};
  uint32_t row_count = 0;  // sparse rows: S LDPC rows, then one LT row per ISI
  std::vector<uint32_t> row_start, row_cols;
  std::vector<uint8_t> col_inactive;             // per intermediate symbol
  std::vector<uint32_t> order_rows, order_cols;  // row j solves column j
  std::vector<uint32_t> inactive_cols;           // dense-phase unknowns
  std::vector<uint32_t> leftover_rows;           // dense rows, before the H HDPC rows
  std::vector<DenseOp> dense_ops;                // in replay order
  std::vector<uint32_t> solved_rows;             // dense row holding inactive column q

  std::span<const uint32_t> row_columns(uint32_t row) const {
    return {row_cols.data() + row_start[row], row_cols.data() + row_start[row + 1]};
  }
  uint32_t dense_row_count() const {
    return static_cast<uint32_t>(leftover_rows.size()) + params.h;
  }
};

class Solver {
 public:
  // Plans the solution for LT rows with these ISIs plus the block's LDPC and
  // HDPC constraints. Returns false when the rows do not determine every
  // intermediate symbol. Reuses `plan`'s buffers and the solver's scratch.
  bool plan(const BlockParams &params, std::span<const uint32_t> isis, SolvePlan &plan);
  // Applies a plan: symbols[i] holds the T bytes of LT row i (nullptr: a
  // padding symbol, known to be zero). Writes the L intermediate symbols,
  // L*T bytes, to `intermediate`.
  void execute(const SolvePlan &plan, std::span<const uint8_t *const> symbols, size_t symbol_size,
               uint8_t *intermediate);

 private:
  enum ColumnState : uint8_t { kActive, kOrdered, kInactive };

  void build_rows(std::span<const uint32_t> isis, SolvePlan &plan);
  void build_columns(const SolvePlan &plan);
  void peel(SolvePlan &plan);
  void order(const SolvePlan &plan, uint32_t row, uint32_t col);
  void inactivate(SolvePlan &plan, uint32_t col);
  void retire_column(const SolvePlan &plan, uint32_t col);
  void count_pair_row(const SolvePlan &plan, uint32_t row, int delta);
  uint32_t choose_inactivation(const SolvePlan &plan) const;
  void substitute_coefficients(const SolvePlan &plan);
  bool eliminate_dense(SolvePlan &plan);
  uint8_t *vec(uint32_t pos) { return vecs_.data() + size_t{pos} * inactive_count_; }
  uint8_t *dense_row(uint32_t d) { return dense_.data() + size_t{d} * inactive_count_; }

  // Planning scratch: the transpose of the rows for the W peelable columns.
  std::vector<uint32_t> col_start_, col_rows_, fill_;
  std::vector<uint32_t> row_degree_;  // active columns left in the row
  std::vector<uint8_t> row_used_;
  std::vector<uint32_t> col_count_;  // unused rows holding the column
  std::vector<ColumnState> col_state_;
  std::vector<uint32_t> col_index_;  // position in the order, or inactive index
  std::vector<uint32_t> ready_;      // rows that may have degree 1
  std::vector<int32_t> pair_count_;  // per column: unused degree-2 rows holding it
  int32_t pair_rows_ = 0;            // unused degree-2 rows
  uint32_t active_left_ = 0;
  uint32_t inactive_count_ = 0;
  std::vector<uint8_t> vecs_;  // per ordered column: coefficients over inactive columns
  std::vector<uint8_t> dense_;
  std::vector<uint8_t> unit_;
  std::vector<uint32_t> dense_perm_;

  // Execution scratch.
  std::vector<uint8_t> rhs_, acc_;
};

}  // namespace wzp::fec
