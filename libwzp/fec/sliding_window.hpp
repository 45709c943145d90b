// A sliding-window erasure code over GF(256), in the shape of RFC 8681's
// random linear codes. Each frame's source symbol (symbol_layout.hpp) goes
// out at once, followed by its share of repair symbols, each a linear
// combination of the source symbols of the last W frames up to it. A
// receiver rebuilds a lost frame as soon as the equations it holds determine
// it, usually from the repair of the next frame or two, where a block code
// waits for its block to close and the repair after it (docs/fec-window.md).
//
// Symbols have their natural length (prefix and frame, no padding); a
// combination is as long as the longest symbol in it, shorter ones counting
// as zero-padded. Clock-free and allocation-free once built.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace wzp::fec {

// The widest window a sender may use and a receiver accepts.
inline constexpr uint16_t kMaxWindowFrames = 16;

// The coefficient of the i-th (oldest first) of `frames` source symbols in
// repair symbol `index` of the window ending at frame `last` (its low 16
// bits): never zero, so every repair symbol involves every frame in it.
uint8_t window_coefficient(uint16_t last, uint16_t index, uint16_t frames, uint16_t i);

// The sender's side: the source symbols of the last W frames.
class WindowEncoder {
 public:
  WindowEncoder();

  // Empties the window and sets its width, 1..kMaxWindowFrames.
  void reset(uint16_t window);
  // Adds the next frame: its number follows the previous frame's.
  void add(uint32_t number, std::span<const uint8_t> frame, uint32_t timestamp);

  // The frames a repair symbol covers now: the newest `frames()`.
  uint16_t frames() const { return count_; }
  uint32_t first_frame() const { return newest_ - count_ + 1; }
  uint32_t newest_frame() const { return newest_; }
  // The length of the repair symbols over the window: its longest symbol.
  size_t symbol_size() const;
  // Writes repair symbol `index` (symbol_size() bytes) into `out`.
  void repair(uint16_t index, std::span<uint8_t> out) const;

 private:
  const std::vector<uint8_t> &symbol(uint32_t number) const {
    return symbols_[number % kMaxWindowFrames];
  }

  uint16_t window_ = 1;
  uint16_t count_ = 0;
  uint32_t newest_ = 0;
  std::array<std::vector<uint8_t>, kMaxWindowFrames> symbols_;
};

// The receiver's side: the source symbols it holds, the repair equations
// not yet used up, and the frames they determine. Frames are known by a
// 32-bit number; the solver keeps those within kHistory of the newest.
class WindowSolver {
 public:
  static constexpr uint32_t kHistory = 128;
  static constexpr size_t kMaxEquations = 48;

  enum class Result {
    kUseful,     // held: it may determine a frame now or later
    kRecovered,  // determined at least one frame
    kUnneeded,   // every frame it covers is known (or it says nothing new)
    kStale,      // covers a frame older than what the solver still keeps
    kInvalid,    // a symbol longer than its repair, or a window out of range
  };
  // A frame that became known through repair: its source symbol.
  using RecoveredFn = std::function<void(uint32_t number, std::span<const uint8_t> symbol)>;

  WindowSolver();

  // Empties everything (a new stream).
  void reset();
  // A source symbol that arrived. `recovered` hears of frames this completes.
  Result add_source(uint32_t number, std::span<const uint8_t> symbol, const RecoveredFn &recovered);
  // Repair symbol `index` of the window of `frames` frames starting at `first`.
  Result add_repair(uint32_t first, uint16_t frames, uint16_t index,
                    std::span<const uint8_t> symbol, const RecoveredFn &recovered);
  // Gives up frames before `oldest`: their symbols and every equation that
  // needs one of them go. Frames newer than kHistory past a frame are given
  // up this way on their own.
  void forget_before(uint32_t oldest);

  bool known(uint32_t number) const;
  uint32_t oldest() const { return oldest_; }
  size_t equations() const { return rows_.size(); }

 private:
  struct Row {
    uint32_t first = 0;  // the oldest frame with a non-zero coefficient may be later
    uint32_t last = 0;
    uint32_t pivot = 0;
    size_t size = 0;                              // bytes of `data` in use
    std::array<uint8_t, kHistory> coefficient{};  // by frame number % kHistory
    std::vector<uint8_t> data;
  };
  struct Frame {
    uint32_t number = 0;
    bool known = false;
    std::vector<uint8_t> symbol;
  };

  Frame &slot(uint32_t number) { return frames_[number % kHistory]; }
  const Frame &slot(uint32_t number) const { return frames_[number % kHistory]; }
  void advance(uint32_t first, uint32_t newest);
  bool subtract_known(Row &row);
  Result insert(Row row, const RecoveredFn &recovered);
  size_t solve(const RecoveredFn &recovered);
  void drop_row(size_t index);

  bool started_ = false;
  uint32_t oldest_ = 0;
  uint32_t newest_ = 0;
  std::array<Frame, kHistory> frames_;
  std::vector<Row> rows_;   // reduced: each pivot is zero in every other row
  std::vector<Row> spare_;  // rows' storage, reused
};

}  // namespace wzp::fec
