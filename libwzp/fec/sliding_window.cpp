#include "libwzp/fec/sliding_window.hpp"

#include <algorithm>
#include <optional>

#include "libwzp/fec/gf256.hpp"
#include "libwzp/fec/symbol_layout.hpp"

namespace wzp::fec {

uint8_t window_coefficient(uint16_t last, uint16_t index, uint16_t frames, uint16_t i) {
  // A 32-bit mix of the four numbers (lowbias32's finalizer), folded onto 1..255.
  uint32_t x = uint32_t{last} * 0x9e3779b1u + uint32_t{index} * 0x85ebca77u +
               uint32_t{frames} * 0xc2b2ae3du + uint32_t{i} * 0x27d4eb2fu;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return static_cast<uint8_t>(1 + x % 255);
}

WindowEncoder::WindowEncoder() {
  for (auto &s : symbols_) s.reserve(kMaxSymbolSize);
}

void WindowEncoder::reset(uint16_t window) {
  window_ = std::clamp<uint16_t>(window, 1, kMaxWindowFrames);
  count_ = 0;
}

void WindowEncoder::add(uint32_t number, std::span<const uint8_t> frame, uint32_t timestamp) {
  newest_ = number;
  count_ = std::min<uint16_t>(count_ + 1, window_);
  auto &s = symbols_[number % kMaxWindowFrames];
  s.resize(kSymbolPrefixSize + frame.size());
  write_source_symbol(frame, timestamp, s);
}

size_t WindowEncoder::symbol_size() const {
  size_t longest = 0;
  for (uint16_t i = 0; i < count_; ++i)
    longest = std::max(longest, symbol(first_frame() + i).size());
  return longest;
}

void WindowEncoder::repair(uint16_t index, std::span<uint8_t> out) const {
  std::fill(out.begin(), out.end(), 0);
  const auto last = static_cast<uint16_t>(newest_);
  for (uint16_t i = 0; i < count_; ++i) {
    const auto &s = symbol(first_frame() + i);
    gf256::mul_add(out.data(), s.data(), window_coefficient(last, index, count_, i),
                   std::min(s.size(), out.size()));
  }
}

WindowSolver::WindowSolver() {
  for (auto &f : frames_) f.symbol.reserve(kMaxSymbolSize);
  rows_.reserve(kMaxEquations + 1);
  spare_.resize(kMaxEquations + 1);
  for (auto &row : spare_) row.data.reserve(kMaxSymbolSize);
}

void WindowSolver::reset() {
  while (!rows_.empty()) drop_row(rows_.size() - 1);
  for (auto &f : frames_) f.known = false;
  started_ = false;
  oldest_ = newest_ = 0;
}

bool WindowSolver::known(uint32_t number) const {
  const Frame &f = slot(number);
  return started_ && number >= oldest_ && number <= newest_ && f.known && f.number == number;
}

void WindowSolver::advance(uint32_t first, uint32_t newest) {
  if (!started_) {
    started_ = true;
    oldest_ = first;
    newest_ = newest;
    for (auto &f : frames_) f.known = false;
    return;
  }
  if (newest <= newest_) return;
  newest_ = newest;
  if (newest_ - oldest_ >= kHistory) forget_before(newest_ - kHistory + 1);
}

void WindowSolver::forget_before(uint32_t oldest) {
  if (!started_ || oldest <= oldest_) return;
  for (size_t r = rows_.size(); r-- > 0;) {
    const Row &row = rows_[r];
    bool needs_forgotten = false;
    for (uint32_t n = row.first; n < std::min(oldest, row.last + 1) && !needs_forgotten; ++n) {
      needs_forgotten = row.coefficient[n % kHistory] != 0;
    }
    if (needs_forgotten) {
      drop_row(r);
    } else {
      // Its terms before `oldest` are zero; the ring slots they used go to
      // new frames.
      rows_[r].first = std::max(rows_[r].first, oldest);
      rows_[r].last = std::max(rows_[r].last, rows_[r].first);
    }
  }
  if (oldest - oldest_ >= kHistory) {
    for (auto &f : frames_) f.known = false;
  } else {
    for (uint32_t n = oldest_; n < oldest; ++n) slot(n).known = false;
  }
  oldest_ = oldest;
  newest_ = std::max(newest_, oldest_);
}

void WindowSolver::drop_row(size_t index) {
  spare_.push_back(std::move(rows_[index]));
  rows_.erase(rows_.begin() + static_cast<ptrdiff_t>(index));
}

namespace {

// row += c * other, over coefficients and data; the row grows to cover both.
template <typename Row, size_t N>
void add_scaled(Row &row, const Row &other, uint8_t c) {
  for (uint32_t n = other.first; n <= other.last; ++n) {
    row.coefficient[n % N] ^= gf256::mul(c, other.coefficient[n % N]);
  }
  row.first = std::min(row.first, other.first);
  row.last = std::max(row.last, other.last);
  if (other.size > row.size) {
    row.data.resize(other.size, 0);
    row.size = other.size;
  }
  gf256::mul_add(row.data.data(), other.data.data(), c, other.size);
}

}  // namespace

// Takes every frame the row covers that is known out of it.
bool WindowSolver::subtract_known(Row &row) {
  for (uint32_t n = row.first; n <= row.last; ++n) {
    uint8_t &c = row.coefficient[n % kHistory];
    if (c == 0 || !known(n)) continue;
    const auto &s = slot(n).symbol;
    if (s.size() > row.size) {
      row.data.resize(s.size(), 0);
      row.size = s.size();
    }
    gf256::mul_add(row.data.data(), s.data(), c, s.size());
    c = 0;
  }
  return std::any_of(row.coefficient.begin(), row.coefficient.end(),
                     [](uint8_t c) { return c != 0; });
}

WindowSolver::Result WindowSolver::insert(Row row, const RecoveredFn &recovered) {
  for (const Row &e : rows_) {
    uint8_t c = row.coefficient[e.pivot % kHistory];
    if (c != 0) add_scaled<Row, kHistory>(row, e, c);
  }
  uint32_t pivot = row.first;
  while (pivot <= row.last && row.coefficient[pivot % kHistory] == 0) ++pivot;
  if (pivot > row.last) {
    spare_.push_back(std::move(row));
    return Result::kUnneeded;
  }
  row.pivot = pivot;
  uint8_t inverse = gf256::div(1, row.coefficient[pivot % kHistory]);
  for (uint32_t n = row.first; n <= row.last; ++n) {
    row.coefficient[n % kHistory] = gf256::mul(row.coefficient[n % kHistory], inverse);
  }
  gf256::scale(row.data.data(), inverse, row.size);
  for (Row &e : rows_) {
    uint8_t c = e.coefficient[pivot % kHistory];
    if (c != 0) add_scaled<Row, kHistory>(e, row, c);
  }
  rows_.push_back(std::move(row));
  if (rows_.size() > kMaxEquations) drop_row(0);  // the oldest; bounded work per packet
  return solve(recovered) > 0 ? Result::kRecovered : Result::kUseful;
}

// A row whose only non-zero coefficient is its pivot determines that frame;
// the pivot is zero in every other row, so nothing else changes.
size_t WindowSolver::solve(const RecoveredFn &recovered) {
  size_t found = 0;
  for (size_t r = rows_.size(); r-- > 0;) {
    Row &row = rows_[r];
    bool alone = true;
    for (uint32_t n = row.first; n <= row.last && alone; ++n) {
      alone = n == row.pivot || row.coefficient[n % kHistory] == 0;
    }
    if (!alone) continue;
    Frame &f = slot(row.pivot);
    f.number = row.pivot;
    f.known = true;
    f.symbol.assign(row.data.begin(), row.data.begin() + static_cast<ptrdiff_t>(row.size));
    uint32_t number = row.pivot;
    drop_row(r);
    ++found;
    recovered(number, f.symbol);
  }
  return found;
}

WindowSolver::Result WindowSolver::add_source(uint32_t number, std::span<const uint8_t> symbol,
                                              const RecoveredFn &recovered) {
  if (started_ && number < oldest_) return Result::kStale;
  advance(number, number);
  if (known(number)) return Result::kUnneeded;
  Frame &f = slot(number);
  f.number = number;
  f.known = true;
  f.symbol.assign(symbol.begin(), symbol.end());
  // Rows that hold it as a plain term lose the term; the row whose pivot it
  // was (at most one) has to find another pivot, so it goes in again.
  std::optional<Row> repivot;
  for (size_t r = rows_.size(); r-- > 0;) {
    Row &row = rows_[r];
    if (number < row.first || number > row.last || row.coefficient[number % kHistory] == 0) {
      continue;
    }
    if (row.pivot == number) {
      repivot = std::move(row);
      rows_.erase(rows_.begin() + static_cast<ptrdiff_t>(r));
    } else {
      subtract_known(row);
    }
  }
  size_t found = 0;
  if (repivot) {
    if (subtract_known(*repivot)) {
      found += insert(std::move(*repivot), recovered) == Result::kRecovered;
    } else {
      spare_.push_back(std::move(*repivot));
    }
  }
  found += solve(recovered);
  return found > 0 ? Result::kRecovered : Result::kUseful;
}

WindowSolver::Result WindowSolver::add_repair(uint32_t first, uint16_t frames, uint16_t index,
                                              std::span<const uint8_t> symbol,
                                              const RecoveredFn &recovered) {
  if (frames == 0 || frames > kMaxWindowFrames || symbol.empty() ||
      symbol.size() > kMaxSymbolSize) {
    return Result::kInvalid;
  }
  uint32_t last = first + frames - 1;
  if (last < first || (started_ && first < oldest_)) return Result::kStale;
  advance(first, last);
  if (first < oldest_) return Result::kStale;  // the window reaches past what is kept
  if (spare_.empty()) return Result::kUnneeded;
  Row row = std::move(spare_.back());
  spare_.pop_back();
  row.coefficient.fill(0);
  row.first = first;
  row.last = last;
  for (uint16_t i = 0; i < frames; ++i) {
    row.coefficient[(first + i) % kHistory] =
        window_coefficient(static_cast<uint16_t>(last), index, frames, i);
  }
  row.data.assign(symbol.begin(), symbol.end());
  row.size = symbol.size();
  if (!subtract_known(row)) {
    spare_.push_back(std::move(row));
    return Result::kUnneeded;
  }
  return insert(std::move(row), recovered);
}

}  // namespace wzp::fec
