// Solves the RFC 6330 constraint system A * C = D for the L intermediate
// symbols C of one source block, by inactivation decoding:
//  1. peel: repeatedly take a sparse row with a single unsolved column and
//     order that column after it; when none is left, inactivate columns
//     (the P PI columns start inactive). HDPC rows never pivot here.
//  2. express every ordered column as (symbol part) + (combination of the I
//     inactive columns), substitute into the rows left over and the HDPC
//     rows, and solve that small I-column dense system by Gaussian elimination.
//  3. back-substitute along the peeling order with the inactive symbols known.
// The sparse structure is binary; only HDPC rows carry GF(256) coefficients,
// and they are applied through the MT * GAMMA factorisation so each column
// costs one multiply-by-alpha instead of H multiply-adds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/fec/raptorq_params.hpp"

namespace wzp::fec {

class Solver {
 public:
  // Row i of the LT part is encoding symbol isis[i], whose T bytes are at
  // symbols[i] (nullptr: a padding symbol, known to be zero). Writes the L
  // intermediate symbols, L*T bytes, to `intermediate`. Returns false when the
  // rows do not determine every intermediate symbol. Buffers are kept between
  // calls, so a warmed-up solver does not allocate.
  bool solve(const BlockParams &params, std::span<const uint32_t> isis,
             std::span<const uint8_t *const> symbols, size_t symbol_size, uint8_t *intermediate);

 private:
  enum ColumnState : uint8_t { kActive, kOrdered, kInactive };

  void build_rows(std::span<const uint32_t> isis);
  void build_columns();
  void peel();
  void inactivate(uint32_t col);
  void order(uint32_t row, uint32_t col);
  void number_inactive();
  void forward_substitute(uint8_t *c);
  void build_dense_system(const uint8_t *c);
  bool solve_dense();
  void back_substitute(uint8_t *c);
  std::span<const uint32_t> row_columns(uint32_t row) const {
    return {row_cols_.data() + row_start_[row], row_cols_.data() + row_start_[row + 1]};
  }
  const uint8_t *row_symbol(uint32_t row) const {
    return row < p_.s ? nullptr : symbols_[row - p_.s];
  }
  uint8_t *vec(uint32_t pos) { return vecs_.data() + size_t{pos} * inactive_count_; }
  uint8_t *dense_row(uint32_t d) { return dense_.data() + size_t{d} * inactive_count_; }
  uint8_t *rhs_row(uint32_t d) { return rhs_.data() + size_t{d} * t_; }

  BlockParams p_{};
  size_t t_ = 0;
  std::span<const uint8_t *const> symbols_;
  uint32_t row_count_ = 0;  // sparse rows: S LDPC rows, then the LT rows

  // Sparse rows (CSR) and, for the W LT columns, the rows holding each one.
  std::vector<uint32_t> row_start_, row_cols_;
  std::vector<uint32_t> col_start_, col_rows_, col_fill_;

  // Peeling state.
  std::vector<uint32_t> row_degree_;  // active columns left in the row
  std::vector<uint8_t> row_used_;
  std::vector<uint32_t> col_count_;  // unused rows holding the column
  std::vector<ColumnState> col_state_;
  std::vector<uint32_t> col_index_;  // position in the order, or inactive index
  std::vector<uint32_t> ready_;      // rows that may have degree 1
  std::vector<uint32_t> order_rows_, order_cols_, inactive_cols_, leftover_rows_;
  uint32_t active_left_ = 0;
  uint32_t inactive_count_ = 0;

  // For each ordered column, its coefficients over the inactive columns.
  std::vector<uint8_t> vecs_;
  // The dense system over the inactive columns, one row per leftover row and HDPC row.
  std::vector<uint8_t> dense_, rhs_, acc_;
  std::vector<uint32_t> dense_perm_;
};

}  // namespace wzp::fec
