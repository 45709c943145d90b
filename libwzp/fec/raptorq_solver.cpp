#include "libwzp/fec/raptorq_solver.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "libwzp/fec/gf256.hpp"

namespace wzp::fec {
namespace {

constexpr uint8_t kAlpha = 2;
constexpr uint32_t kMaxH = 16;  // the largest H in Table 2

// The two HDPC rows that MT (Section 5.3.3.3) puts a 1 in for column i < K'+S-1.
struct MtRows {
  uint32_t first, second;
};
MtRows mt_rows(const BlockParams &p, uint32_t i) {
  const uint32_t first = rand(i + 1, 6, p.h);
  return {first, (first + rand(i + 1, 7, p.h - 1) + 1) % p.h};
}

// Computes the H HDPC row values sum_j G_HDPC[h][j] * v_j over the first K'+S
// columns, where add_column(j, acc) adds v_j (n bytes) into acc. G_HDPC =
// MT * GAMMA, so with acc_i = alpha * acc_{i-1} + v_i the value of row h is
// the sum of acc_i over the i where MT[h][i] = 1, plus alpha^h * acc_last.
template <typename AddColumn>
void apply_hdpc(const BlockParams &p, size_t n, uint8_t *acc, uint8_t *const *out,
                AddColumn &&add_column) {
  std::memset(acc, 0, n);
  const uint32_t last = p.k_prime + p.s - 1;
  for (uint32_t i = 0; i <= last; ++i) {
    gf256::scale(acc, kAlpha, n);
    add_column(i, acc);
    if (i < last) {
      const MtRows rows = mt_rows(p, i);
      gf256::add(out[rows.first], acc, n);
      gf256::add(out[rows.second], acc, n);
    } else {
      for (uint32_t h = 0; h < p.h; ++h) gf256::mul_add(out[h], acc, gf256::alpha_pow(h), n);
    }
  }
}

}  // namespace

bool Solver::solve(const BlockParams &params, std::span<const uint32_t> isis,
                   std::span<const uint8_t *const> symbols, size_t symbol_size,
                   uint8_t *intermediate) {
  p_ = params;
  t_ = symbol_size;
  symbols_ = symbols;
  build_rows(isis);
  build_columns();
  peel();
  number_inactive();
  forward_substitute(intermediate);
  build_dense_system(intermediate);
  if (!solve_dense()) return false;
  back_substitute(intermediate);
  return true;
}

// LDPC rows (Section 5.3.3.3) then one LT row per received symbol.
void Solver::build_rows(std::span<const uint32_t> isis) {
  const uint32_t s = p_.s;
  row_count_ = s + static_cast<uint32_t>(isis.size());
  row_start_.assign(row_count_ + 1, 0);
  // Each LDPC row holds its identity column and two PI columns, plus the B
  // columns whose circulant pattern reaches it: count those first.
  for (uint32_t i = 0; i < s; ++i) row_start_[i + 1] = 3;
  for (uint32_t c = 0; c < p_.b; ++c) {
    const uint32_t a = 1 + c / s;
    uint32_t b = c % s;
    for (int k = 0; k < 3; ++k, b = (b + a) % s) ++row_start_[b + 1];
  }
  for (uint32_t i = 0; i < s; ++i) row_start_[i + 1] += row_start_[i];
  row_cols_.resize(row_start_[s]);
  col_fill_.assign(row_start_.begin(), row_start_.begin() + s);
  for (uint32_t c = 0; c < p_.b; ++c) {
    const uint32_t a = 1 + c / s;
    uint32_t b = c % s;
    for (int k = 0; k < 3; ++k, b = (b + a) % s) row_cols_[col_fill_[b]++] = c;
  }
  for (uint32_t i = 0; i < s; ++i) {
    row_cols_[col_fill_[i]++] = p_.b + i;
    row_cols_[col_fill_[i]++] = p_.w + i % p_.p;
    row_cols_[col_fill_[i]++] = p_.w + (i + 1) % p_.p;
  }
  for (size_t r = 0; r < isis.size(); ++r) {
    for_each_lt_column(p_, isis[r], [this](uint32_t col) { row_cols_.push_back(col); });
    row_start_[s + r + 1] = static_cast<uint32_t>(row_cols_.size());
  }
}

// The transpose of the rows, for the W columns that can be peeled.
void Solver::build_columns() {
  col_start_.assign(p_.w + 1, 0);
  for (uint32_t col : row_cols_) {
    if (col < p_.w) ++col_start_[col + 1];
  }
  for (uint32_t c = 0; c < p_.w; ++c) col_start_[c + 1] += col_start_[c];
  col_rows_.resize(col_start_[p_.w]);
  col_fill_.assign(col_start_.begin(), col_start_.end() - 1);
  for (uint32_t r = 0; r < row_count_; ++r) {
    for (uint32_t col : row_columns(r)) {
      if (col < p_.w) col_rows_[col_fill_[col]++] = r;
    }
  }
}

void Solver::order(uint32_t row, uint32_t col) {
  row_used_[row] = 1;
  for (uint32_t c : row_columns(row)) {
    if (c < p_.w) --col_count_[c];
  }
  col_state_[col] = kOrdered;
  col_index_[col] = static_cast<uint32_t>(order_rows_.size());
  order_rows_.push_back(row);
  order_cols_.push_back(col);
  --active_left_;
  for (uint32_t i = col_start_[col]; i < col_start_[col + 1]; ++i) {
    const uint32_t r = col_rows_[i];
    if (!row_used_[r] && --row_degree_[r] == 1) ready_.push_back(r);
  }
}

void Solver::inactivate(uint32_t col) {
  col_state_[col] = kInactive;
  inactive_cols_.push_back(col);
  --active_left_;
  for (uint32_t i = col_start_[col]; i < col_start_[col + 1]; ++i) {
    const uint32_t r = col_rows_[i];
    if (!row_used_[r] && --row_degree_[r] == 1) ready_.push_back(r);
  }
}

void Solver::peel() {
  row_degree_.assign(row_count_, 0);
  row_used_.assign(row_count_, 0);
  col_count_.assign(p_.w, 0);
  col_state_.assign(p_.l, kActive);
  col_index_.assign(p_.l, 0);
  order_rows_.clear();
  order_cols_.clear();
  inactive_cols_.clear();
  ready_.clear();
  for (uint32_t c = p_.w; c < p_.l; ++c) {
    col_state_[c] = kInactive;
    inactive_cols_.push_back(c);
  }
  for (uint32_t r = 0; r < row_count_; ++r) {
    for (uint32_t c : row_columns(r)) {
      if (c < p_.w) {
        ++row_degree_[r];
        ++col_count_[c];
      }
    }
    if (row_degree_[r] == 1) ready_.push_back(r);
  }
  active_left_ = p_.w;
  while (active_left_ > 0) {
    while (!ready_.empty()) {
      const uint32_t r = ready_.back();
      ready_.pop_back();
      if (row_used_[r] || row_degree_[r] != 1) continue;
      for (uint32_t c : row_columns(r)) {
        if (c < p_.w && col_state_[c] == kActive) {
          order(r, c);
          break;
        }
      }
    }
    if (active_left_ == 0) break;
    // Stuck: take a row of least degree and inactivate all its columns but
    // the one in fewest other rows, so the inactivations release the most rows.
    uint32_t best = std::numeric_limits<uint32_t>::max();
    uint32_t best_degree = std::numeric_limits<uint32_t>::max();
    for (uint32_t r = 0; r < row_count_; ++r) {
      if (!row_used_[r] && row_degree_[r] >= 2 && row_degree_[r] < best_degree) {
        best = r;
        best_degree = row_degree_[r];
        if (best_degree == 2) break;
      }
    }
    if (best == std::numeric_limits<uint32_t>::max()) {
      // No sparse row reaches the remaining columns: leave them to the HDPC rows.
      for (uint32_t c = 0; c < p_.w; ++c) {
        if (col_state_[c] == kActive) inactivate(c);
      }
      break;
    }
    uint32_t keep = std::numeric_limits<uint32_t>::max();
    for (uint32_t c : row_columns(best)) {
      if (c < p_.w && col_state_[c] == kActive &&
          (keep == std::numeric_limits<uint32_t>::max() || col_count_[c] < col_count_[keep])) {
        keep = c;
      }
    }
    for (uint32_t c : row_columns(best)) {
      if (c < p_.w && c != keep && col_state_[c] == kActive) inactivate(c);
    }
  }
  leftover_rows_.clear();
  for (uint32_t r = 0; r < row_count_; ++r) {
    if (!row_used_[r]) leftover_rows_.push_back(r);
  }
}

void Solver::number_inactive() {
  inactive_count_ = static_cast<uint32_t>(inactive_cols_.size());
  for (uint32_t i = 0; i < inactive_count_; ++i) col_index_[inactive_cols_[i]] = i;
}

// Every ordered column as its symbol with the inactive columns taken as zero
// (written to c) plus a combination of the inactive columns (vecs_).
void Solver::forward_substitute(uint8_t *c) {
  const size_t n = inactive_count_;
  vecs_.assign(order_rows_.size() * n, 0);
  for (uint32_t c2 : inactive_cols_) std::memset(c + c2 * t_, 0, t_);
  for (uint32_t j = 0; j < order_rows_.size(); ++j) {
    const uint32_t row = order_rows_[j];
    const uint32_t col = order_cols_[j];
    uint8_t *dst = c + col * t_;
    const uint8_t *sym = row_symbol(row);
    if (sym) {
      std::memcpy(dst, sym, t_);
    } else {
      std::memset(dst, 0, t_);
    }
    uint8_t *v = vec(j);
    for (uint32_t other : row_columns(row)) {
      if (other == col) continue;
      if (col_state_[other] == kInactive) {
        v[col_index_[other]] ^= 1;
      } else {
        gf256::add(dst, c + other * t_, t_);
        gf256::add(v, vec(col_index_[other]), n);
      }
    }
  }
}

void Solver::build_dense_system(const uint8_t *c) {
  const size_t n = inactive_count_;
  const uint32_t leftover = static_cast<uint32_t>(leftover_rows_.size());
  const uint32_t rows = leftover + p_.h;
  dense_.assign(size_t{rows} * n, 0);
  rhs_.resize(size_t{rows} * t_);
  acc_.resize(std::max(n, t_));
  for (uint32_t d = 0; d < leftover; ++d) {
    const uint32_t row = leftover_rows_[d];
    uint8_t *coef = dense_row(d);
    uint8_t *rhs = rhs_row(d);
    const uint8_t *sym = row_symbol(row);
    if (sym) {
      std::memcpy(rhs, sym, t_);
    } else {
      std::memset(rhs, 0, t_);
    }
    for (uint32_t col : row_columns(row)) {
      if (col_state_[col] == kInactive) {
        coef[col_index_[col]] ^= 1;
      } else {
        gf256::add(coef, vec(col_index_[col]), n);
        gf256::add(rhs, c + col * t_, t_);
      }
    }
  }
  // HDPC rows: 0 = G_HDPC * C[0..K'+S) + C[K'+S+h].
  uint8_t *coef_rows[kMaxH];
  uint8_t *rhs_rows[kMaxH];
  for (uint32_t h = 0; h < p_.h; ++h) {
    coef_rows[h] = dense_row(leftover + h);
    rhs_rows[h] = rhs_row(leftover + h);
    std::memset(rhs_rows[h], 0, t_);
  }
  apply_hdpc(p_, n, acc_.data(), coef_rows, [this, n](uint32_t col, uint8_t *acc) {
    if (col_state_[col] == kInactive) {
      acc[col_index_[col]] ^= 1;
    } else {
      gf256::add(acc, vec(col_index_[col]), n);
    }
  });
  apply_hdpc(p_, t_, acc_.data(), rhs_rows, [this, c](uint32_t col, uint8_t *acc) {
    if (col_state_[col] != kInactive) gf256::add(acc, c + col * t_, t_);
  });
  for (uint32_t h = 0; h < p_.h; ++h) {
    coef_rows[h][col_index_[p_.k_prime + p_.s + h]] ^= 1;
  }
}

bool Solver::solve_dense() {
  const uint32_t n = inactive_count_;
  const uint32_t rows = static_cast<uint32_t>(leftover_rows_.size()) + p_.h;
  if (rows < n) return false;
  dense_perm_.resize(rows);
  for (uint32_t d = 0; d < rows; ++d) dense_perm_[d] = d;
  for (uint32_t q = 0; q < n; ++q) {
    uint32_t pivot = q;
    while (pivot < rows && dense_row(dense_perm_[pivot])[q] == 0) ++pivot;
    if (pivot == rows) return false;
    std::swap(dense_perm_[q], dense_perm_[pivot]);
    const uint32_t pr = dense_perm_[q];
    uint8_t *pivot_coef = dense_row(pr);
    if (pivot_coef[q] != 1) {
      const uint8_t inv = gf256::div(1, pivot_coef[q]);
      gf256::scale(pivot_coef + q, inv, n - q);
      gf256::scale(rhs_row(pr), inv, t_);
    }
    for (uint32_t k = q + 1; k < rows; ++k) {
      const uint32_t row = dense_perm_[k];
      uint8_t *coef = dense_row(row);
      const uint8_t f = coef[q];
      if (f == 0) continue;
      gf256::mul_add(coef + q, pivot_coef + q, f, n - q);
      gf256::mul_add(rhs_row(row), rhs_row(pr), f, t_);
    }
  }
  for (uint32_t q = n; q-- > 0;) {
    const uint32_t pr = dense_perm_[q];
    for (uint32_t k = 0; k < q; ++k) {
      const uint32_t row = dense_perm_[k];
      const uint8_t f = dense_row(row)[q];
      if (f != 0) gf256::mul_add(rhs_row(row), rhs_row(pr), f, t_);
    }
  }
  return true;
}

// With the inactive symbols known, each ordered column follows from its row.
void Solver::back_substitute(uint8_t *c) {
  for (uint32_t q = 0; q < inactive_count_; ++q) {
    std::memcpy(c + inactive_cols_[q] * t_, rhs_row(dense_perm_[q]), t_);
  }
  for (uint32_t j = 0; j < order_rows_.size(); ++j) {
    const uint32_t row = order_rows_[j];
    const uint32_t col = order_cols_[j];
    uint8_t *dst = c + col * t_;
    const uint8_t *sym = row_symbol(row);
    if (sym) {
      std::memcpy(dst, sym, t_);
    } else {
      std::memset(dst, 0, t_);
    }
    for (uint32_t other : row_columns(row)) {
      if (other != col) gf256::add(dst, c + other * t_, t_);
    }
  }
}

}  // namespace wzp::fec
