#include "libwzp/fec/raptorq_solver.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "libwzp/fec/gf256.hpp"

namespace wzp::fec {
namespace {

constexpr uint8_t kAlpha = 2;
constexpr uint32_t kMaxH = 16;  // the largest H in Table 2
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// The two HDPC rows that MT (Section 5.3.3.3) puts a 1 in for column i < K'+S-1.
struct MtRows {
  uint32_t first, second;
};
MtRows mt_rows(const BlockParams &p, uint32_t i) {
  const uint32_t first = rand(i + 1, 6, p.h);
  return {first, (first + rand(i + 1, 7, p.h - 1) + 1) % p.h};
}

// Adds sum_j G_HDPC[h][j] * v_j over the first K'+S columns into out[h], where
// column(j) gives v_j (n bytes; nullptr for zero). G_HDPC = MT * GAMMA, so
// with acc_i = alpha * acc_{i-1} + v_i, row h gets acc_i for each i where
// MT[h][i] = 1, plus alpha^h * acc_last.
template <typename Column>
void apply_hdpc(const BlockParams &p, size_t n, uint8_t *acc, uint8_t *const *out,
                Column &&column) {
  std::memset(acc, 0, n);
  const uint32_t last = p.k_prime + p.s - 1;
  for (uint32_t i = 0; i < last; ++i) {
    const MtRows rows = mt_rows(p, i);
    gf256::running_sum_step(acc, column(i), kAlpha, out[rows.first], out[rows.second], n);
  }
  gf256::running_sum_step(acc, column(last), kAlpha, nullptr, nullptr, n);
  for (uint32_t h = 0; h < p.h; ++h) gf256::mul_add(out[h], acc, gf256::alpha_pow(h), n);
}

// dst = own (the row's symbol; nullptr for LDPC and padding rows) plus the
// symbols of the row's columns that `keep` accepts, summed a batch at a time
// so dst is written once per batch rather than once per column.
template <typename Keep, typename Address>
void sum_row(uint8_t *dst, size_t t, const uint8_t *own, std::span<const uint32_t> cols,
             Keep &&keep, Address &&address) {
  constexpr size_t kBatch = 32;
  const uint8_t *batch[kBatch];
  size_t count = 0;
  bool accumulate = false;
  if (own) batch[count++] = own;
  for (uint32_t col : cols) {
    if (!keep(col)) continue;
    batch[count++] = address(col);
    if (count == kBatch) {
      gf256::xor_sum(dst, batch, count, t, accumulate);
      accumulate = true;
      count = 0;
    }
  }
  if (count > 0 || !accumulate) gf256::xor_sum(dst, batch, count, t, accumulate);
}

}  // namespace

bool Solver::plan(const BlockParams &params, std::span<const uint32_t> isis, SolvePlan &plan) {
  plan.params = params;
  build_rows(isis, plan);
  build_columns(plan);
  peel(plan);
  substitute_coefficients(plan);
  return eliminate_dense(plan);
}

// LDPC rows (Section 5.3.3.3) then one LT row per ISI.
void Solver::build_rows(std::span<const uint32_t> isis, SolvePlan &plan) {
  const BlockParams &p = plan.params;
  const uint32_t s = p.s;
  plan.row_count = s + static_cast<uint32_t>(isis.size());
  auto &start = plan.row_start;
  auto &cols = plan.row_cols;
  start.assign(plan.row_count + 1, 0);
  // Each LDPC row holds its identity column and two PI columns, plus the B
  // columns whose circulant pattern reaches it: count those first.
  for (uint32_t i = 0; i < s; ++i) start[i + 1] = 3;
  for (uint32_t c = 0; c < p.b; ++c) {
    const uint32_t a = 1 + c / s;
    uint32_t b = c % s;
    for (int k = 0; k < 3; ++k, b = (b + a) % s) ++start[b + 1];
  }
  for (uint32_t i = 0; i < s; ++i) start[i + 1] += start[i];
  cols.resize(start[s]);
  fill_.assign(start.begin(), start.begin() + s);
  for (uint32_t c = 0; c < p.b; ++c) {
    const uint32_t a = 1 + c / s;
    uint32_t b = c % s;
    for (int k = 0; k < 3; ++k, b = (b + a) % s) cols[fill_[b]++] = c;
  }
  for (uint32_t i = 0; i < s; ++i) {
    cols[fill_[i]++] = p.b + i;
    cols[fill_[i]++] = p.w + i % p.p;
    cols[fill_[i]++] = p.w + (i + 1) % p.p;
  }
  for (size_t r = 0; r < isis.size(); ++r) {
    for_each_lt_column(p, isis[r], [&cols](uint32_t col) { cols.push_back(col); });
    start[s + r + 1] = static_cast<uint32_t>(cols.size());
  }
}

void Solver::build_columns(const SolvePlan &plan) {
  const uint32_t w = plan.params.w;
  col_start_.assign(w + 1, 0);
  for (uint32_t col : plan.row_cols) {
    if (col < w) ++col_start_[col + 1];
  }
  for (uint32_t c = 0; c < w; ++c) col_start_[c + 1] += col_start_[c];
  col_rows_.resize(col_start_[w]);
  fill_.assign(col_start_.begin(), col_start_.end() - 1);
  for (uint32_t r = 0; r < plan.row_count; ++r) {
    for (uint32_t col : plan.row_columns(r)) {
      if (col < w) col_rows_[fill_[col]++] = r;
    }
  }
}

void Solver::order(const SolvePlan &plan, uint32_t row, uint32_t col) {
  row_used_[row] = 1;
  for (uint32_t c : plan.row_columns(row)) {
    if (c < plan.params.w) --col_count_[c];
  }
  col_state_[col] = kOrdered;
  retire_column(plan, col);
}

void Solver::inactivate(SolvePlan &plan, uint32_t col) {
  col_state_[col] = kInactive;
  plan.inactive_cols.push_back(col);
  retire_column(plan, col);
}

// `col` has just stopped being active: every unused row holding it loses a
// degree. Keeps pair_count_ (degree-2 rows per column) in step.
void Solver::retire_column(const SolvePlan &plan, uint32_t col) {
  --active_left_;
  for (uint32_t i = col_start_[col]; i < col_start_[col + 1]; ++i) {
    const uint32_t r = col_rows_[i];
    if (row_used_[r]) continue;
    const uint32_t degree = --row_degree_[r];
    if (degree == 2) {
      count_pair_row(plan, r, +1);
    } else if (degree == 1) {
      --pair_count_[col];
      count_pair_row(plan, r, -1);
      ready_.push_back(r);
    }
  }
}

void Solver::count_pair_row(const SolvePlan &plan, uint32_t row, int delta) {
  pair_rows_ += delta;
  for (uint32_t c : plan.row_columns(row)) {
    if (c < plan.params.w && col_state_[c] == kActive) pair_count_[c] += delta;
  }
}

// The column to inactivate when no row has degree 1: the one in most
// degree-2 rows (ties: in most rows), whose inactivation releases the most
// rows at once; without degree-2 rows, the busiest column of a least-degree row.
uint32_t Solver::choose_inactivation(const SolvePlan &plan) const {
  const uint32_t w = plan.params.w;
  uint32_t best = kNone;
  const auto better = [this, &best](uint32_t c) {
    return best == kNone || pair_count_[c] > pair_count_[best] ||
           (pair_count_[c] == pair_count_[best] && col_count_[c] > col_count_[best]);
  };
  if (pair_rows_ > 0) {
    for (uint32_t c = 0; c < w; ++c) {
      if (col_state_[c] == kActive && pair_count_[c] > 0 && better(c)) best = c;
    }
    return best;
  }
  uint32_t row = kNone;
  for (uint32_t r = 0; r < plan.row_count; ++r) {
    if (!row_used_[r] && row_degree_[r] >= 2 &&
        (row == kNone || row_degree_[r] < row_degree_[row])) {
      row = r;
    }
  }
  if (row == kNone) return kNone;
  for (uint32_t c : plan.row_columns(row)) {
    if (c < w && col_state_[c] == kActive && better(c)) best = c;
  }
  return best;
}

void Solver::peel(SolvePlan &plan) {
  const BlockParams &p = plan.params;
  row_degree_.assign(plan.row_count, 0);
  row_used_.assign(plan.row_count, 0);
  col_count_.assign(p.w, 0);
  col_state_.assign(p.l, kActive);
  plan.order_rows.clear();
  plan.order_cols.clear();
  plan.inactive_cols.clear();
  ready_.clear();
  for (uint32_t c = p.w; c < p.l; ++c) {
    col_state_[c] = kInactive;
    plan.inactive_cols.push_back(c);
  }
  for (uint32_t r = 0; r < plan.row_count; ++r) {
    for (uint32_t c : plan.row_columns(r)) {
      if (c < p.w) {
        ++row_degree_[r];
        ++col_count_[c];
      }
    }
    if (row_degree_[r] == 1) ready_.push_back(r);
  }
  pair_count_.assign(p.w, 0);
  pair_rows_ = 0;
  for (uint32_t r = 0; r < plan.row_count; ++r) {
    if (row_degree_[r] == 2) count_pair_row(plan, r, +1);
  }
  active_left_ = p.w;
  while (active_left_ > 0) {
    while (!ready_.empty()) {
      const uint32_t r = ready_.back();
      ready_.pop_back();
      if (row_used_[r] || row_degree_[r] != 1) continue;
      for (uint32_t c : plan.row_columns(r)) {
        if (c < p.w && col_state_[c] == kActive) {
          plan.order_rows.push_back(r);
          plan.order_cols.push_back(c);
          order(plan, r, c);
          break;
        }
      }
    }
    if (active_left_ == 0) break;
    const uint32_t victim = choose_inactivation(plan);
    if (victim == kNone) {
      // No sparse row reaches the remaining columns: leave them to the HDPC rows.
      for (uint32_t c = 0; c < p.w; ++c) {
        if (col_state_[c] == kActive) inactivate(plan, c);
      }
      break;
    }
    inactivate(plan, victim);
  }
  plan.leftover_rows.clear();
  for (uint32_t r = 0; r < plan.row_count; ++r) {
    if (!row_used_[r]) plan.leftover_rows.push_back(r);
  }
  plan.col_inactive.assign(p.l, 0);
  for (uint32_t c : plan.inactive_cols) plan.col_inactive[c] = 1;
}

// Writes each ordered column's coefficients over the inactive columns
// (vecs_), then the dense rows: leftover sparse rows and HDPC rows with every
// ordered column substituted away.
void Solver::substitute_coefficients(const SolvePlan &plan) {
  const BlockParams &p = plan.params;
  const uint32_t n = inactive_count_ = static_cast<uint32_t>(plan.inactive_cols.size());
  col_index_.resize(p.l);
  for (uint32_t q = 0; q < n; ++q) col_index_[plan.inactive_cols[q]] = q;
  for (uint32_t j = 0; j < plan.order_cols.size(); ++j) col_index_[plan.order_cols[j]] = j;
  vecs_.assign(plan.order_rows.size() * n, 0);
  for (uint32_t j = 0; j < plan.order_rows.size(); ++j) {
    uint8_t *v = vec(j);
    for (uint32_t other : plan.row_columns(plan.order_rows[j])) {
      if (other == plan.order_cols[j]) continue;
      if (col_state_[other] == kInactive) {
        v[col_index_[other]] ^= 1;
      } else {
        gf256::add(v, vec(col_index_[other]), n);
      }
    }
  }
  const uint32_t leftover = static_cast<uint32_t>(plan.leftover_rows.size());
  dense_.assign(size_t{plan.dense_row_count()} * n, 0);
  for (uint32_t d = 0; d < leftover; ++d) {
    uint8_t *coef = dense_row(d);
    for (uint32_t col : plan.row_columns(plan.leftover_rows[d])) {
      if (col_state_[col] == kInactive) {
        coef[col_index_[col]] ^= 1;
      } else {
        gf256::add(coef, vec(col_index_[col]), n);
      }
    }
  }
  // HDPC rows: 0 = G_HDPC * C[0..K'+S) + C[K'+S+h].
  uint8_t *hdpc_rows[kMaxH];
  for (uint32_t h = 0; h < p.h; ++h) hdpc_rows[h] = dense_row(leftover + h);
  acc_.resize(n);
  // An inactive column contributes a unit vector.
  unit_.assign(n, 0);
  apply_hdpc(p, n, acc_.data(), hdpc_rows, [this](uint32_t col) -> const uint8_t * {
    if (col_state_[col] != kInactive) return vec(col_index_[col]);
    std::fill(unit_.begin(), unit_.end(), 0);
    unit_[col_index_[col]] = 1;
    return unit_.data();
  });
  for (uint32_t h = 0; h < p.h; ++h) hdpc_rows[h][col_index_[p.k_prime + p.s + h]] ^= 1;
}

// Gaussian elimination of the dense rows, recording each row operation.
bool Solver::eliminate_dense(SolvePlan &plan) {
  const uint32_t n = inactive_count_;
  const uint32_t rows = plan.dense_row_count();
  plan.dense_ops.clear();
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
      plan.dense_ops.push_back({pr, pr, inv});
    }
    for (uint32_t k = q + 1; k < rows; ++k) {
      const uint32_t row = dense_perm_[k];
      uint8_t *coef = dense_row(row);
      const uint8_t f = coef[q];
      if (f == 0) continue;
      gf256::mul_add(coef + q, pivot_coef + q, f, n - q);
      plan.dense_ops.push_back({row, pr, f});
    }
  }
  // Back substitution: row k < q has no coefficient left after column q.
  for (uint32_t q = n; q-- > 0;) {
    const uint32_t pr = dense_perm_[q];
    for (uint32_t k = 0; k < q; ++k) {
      const uint32_t row = dense_perm_[k];
      const uint8_t f = dense_row(row)[q];
      if (f != 0) plan.dense_ops.push_back({row, pr, f});
    }
  }
  plan.solved_rows.assign(dense_perm_.begin(), dense_perm_.begin() + n);
  return true;
}

void Solver::execute(const SolvePlan &plan, std::span<const uint8_t *const> symbols, size_t t,
                     uint8_t *c) {
  const BlockParams &p = plan.params;
  const auto symbol = [&](uint32_t row) { return row < p.s ? nullptr : symbols[row - p.s]; };
  const auto sym_col = [c, t](uint32_t col) { return c + size_t{col} * t; };
  const auto &inactive = plan.col_inactive;
  // Ordered columns with the inactive columns taken as zero.
  for (uint32_t col : plan.inactive_cols) std::memset(sym_col(col), 0, t);
  for (uint32_t j = 0; j < plan.order_rows.size(); ++j) {
    const uint32_t col = plan.order_cols[j];
    const uint32_t row = plan.order_rows[j];
    sum_row(
        sym_col(col), t, symbol(row), plan.row_columns(row),
        [&](uint32_t other) { return other != col && !inactive[other]; }, sym_col);
  }
  // Right-hand sides of the dense rows, then the recorded elimination.
  const uint32_t leftover = static_cast<uint32_t>(plan.leftover_rows.size());
  rhs_.resize(size_t{plan.dense_row_count()} * t);
  const auto rhs_row = [this, t](uint32_t d) { return rhs_.data() + size_t{d} * t; };
  for (uint32_t d = 0; d < leftover; ++d) {
    const uint32_t row = plan.leftover_rows[d];
    sum_row(
        rhs_row(d), t, symbol(row), plan.row_columns(row),
        [&](uint32_t col) { return !inactive[col]; }, sym_col);
  }
  uint8_t *hdpc_rows[kMaxH];
  for (uint32_t h = 0; h < p.h; ++h) {
    hdpc_rows[h] = rhs_row(leftover + h);
    std::memset(hdpc_rows[h], 0, t);
  }
  acc_.resize(t);
  apply_hdpc(p, t, acc_.data(), hdpc_rows, [&](uint32_t col) -> const uint8_t * {
    return inactive[col] ? nullptr : sym_col(col);
  });
  for (const SolvePlan::DenseOp &op : plan.dense_ops) {
    if (op.source == op.target) {
      gf256::scale(rhs_row(op.target), op.coef, t);
    } else {
      gf256::mul_add(rhs_row(op.target), rhs_row(op.source), op.coef, t);
    }
  }
  for (uint32_t q = 0; q < plan.inactive_cols.size(); ++q) {
    std::memcpy(sym_col(plan.inactive_cols[q]), rhs_row(plan.solved_rows[q]), t);
  }
  // With the inactive symbols known, each ordered column follows from its row.
  for (uint32_t j = 0; j < plan.order_rows.size(); ++j) {
    const uint32_t col = plan.order_cols[j];
    const uint32_t row = plan.order_rows[j];
    sum_row(
        sym_col(col), t, symbol(row), plan.row_columns(row),
        [col](uint32_t other) { return other != col; }, sym_col);
  }
}

}  // namespace wzp::fec
