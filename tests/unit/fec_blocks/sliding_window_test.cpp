// The sliding-window code's core: what a receiver rebuilds, how soon, and
// what it refuses, without elements or a clock.
#include "libwzp/fec/sliding_window.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "fec_test_util.hpp"
#include "libwzp/fec/symbol_layout.hpp"

namespace wzp::fec {
namespace {

using test::make_frame;

struct Packet {
  uint32_t frame = 0;  // the frame it follows
  bool repair = false;
  uint32_t first = 0;
  uint16_t frames = 0;
  uint16_t index = 0;
  std::vector<uint8_t> symbol;
};

// What a WindowEncoder of width `window` sends for frames 0..count-1, with
// `repair` repair symbols after each frame.
std::vector<Packet> encode(uint16_t window, uint16_t repair, uint32_t count) {
  WindowEncoder encoder;
  encoder.reset(window);
  std::vector<Packet> out;
  for (uint32_t n = 0; n < count; ++n) {
    auto frame = make_frame(n);
    encoder.add(n, frame, n * 960);
    Packet source{n, false};
    source.symbol.resize(kSymbolPrefixSize + frame.size());
    write_source_symbol(frame, n * 960, source.symbol);
    out.push_back(source);
    for (uint16_t j = 0; j < repair; ++j) {
      Packet p{n, true, encoder.first_frame(), encoder.frames(), j};
      p.symbol.resize(encoder.symbol_size());
      encoder.repair(j, p.symbol);
      out.push_back(p);
    }
  }
  return out;
}

// Feeds the packets `arrives` keeps to a solver; records when (after which
// frame's packets) each frame became known, and checks what it rebuilt.
std::map<uint32_t, uint32_t> decode(const std::vector<Packet> &packets,
                                    const std::vector<bool> &arrives, WindowSolver &solver) {
  std::map<uint32_t, uint32_t> known_after;
  uint32_t now = 0;
  auto recovered = [&](uint32_t number, std::span<const uint8_t> symbol) {
    auto frame = read_source_symbol(symbol);
    ASSERT_TRUE(frame) << number;
    EXPECT_EQ(frame->timestamp, number * 960) << number;
    auto expected = make_frame(number);
    EXPECT_EQ(std::vector<uint8_t>(frame->frame.begin(), frame->frame.end()), expected) << number;
    EXPECT_TRUE(known_after.emplace(number, now).second) << number << " twice";
  };
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet &p = packets[i];
    now = p.frame;
    if (!arrives[i]) continue;
    if (p.repair) {
      solver.add_repair(p.first, p.frames, p.index, p.symbol, recovered);
    } else {
      known_after.emplace(p.frame, p.frame);
      solver.add_source(p.frame, p.symbol, recovered);
    }
  }
  return known_after;
}

TEST(SlidingWindow, CoefficientsAreNeverZero) {
  for (uint32_t last = 0; last < 2000; last += 7) {
    for (uint16_t index = 0; index < 8; ++index) {
      for (uint16_t i = 0; i < kMaxWindowFrames; ++i) {
        EXPECT_NE(window_coefficient(static_cast<uint16_t>(last), index, kMaxWindowFrames, i), 0);
      }
    }
  }
}

TEST(SlidingWindow, TwoLostFramesComeBackFromTheNextFramesRepair) {
  auto packets = encode(4, 1, 8);  // source, repair, source, repair, ...
  std::vector<bool> arrives(packets.size(), true);
  // Frame 3's source and repair, and frame 4's source.
  arrives[3 * 2] = arrives[3 * 2 + 1] = arrives[4 * 2] = false;
  WindowSolver solver;
  auto known_after = decode(packets, arrives, solver);
  ASSERT_EQ(known_after.size(), 8u);
  // Frame 4's repair is one equation for two unknowns; frame 5's is the
  // second.
  EXPECT_EQ(known_after[3], 5u);
  EXPECT_EQ(known_after[4], 5u);
  EXPECT_EQ(solver.equations(), 0u) << "used up";
}

TEST(SlidingWindow, ALostFrameWithItsOwnRepairIsBackAtOnce) {
  auto packets = encode(4, 2, 6);
  std::vector<bool> arrives(packets.size(), true);
  arrives[2 * 3] = false;  // frame 2's source
  WindowSolver solver;
  auto known_after = decode(packets, arrives, solver);
  EXPECT_EQ(known_after.at(2), 2u);
}

// Half of all packets lost in bursts (mean 3), the catastrophic tier's rate
// (six repair symbols per frame) and window (4): nearly every lost frame is
// back within two frames, as bench/live/window_model.py predicts (99.84 %).
TEST(SlidingWindow, HalfThePacketsLostInBurstsAreRebuiltWithinTwoFrames) {
  const uint32_t frames = 3000;
  auto packets = encode(4, 6, frames);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<bool> arrives;
  bool bad = false;
  for (size_t i = 0; i < packets.size(); ++i) {
    bad = bad ? u(rng) >= 1.0 / 3 : u(rng) < 1.0 / 3;  // loss 0.5, mean burst 3
    arrives.push_back(!bad);
  }
  WindowSolver solver;
  auto known_after = decode(packets, arrives, solver);
  uint32_t lost = 0, in_time = 0, within_two = 0;
  for (uint32_t n = 0; n < frames; ++n) {
    auto it = known_after.find(n);
    bool source_arrived = arrives[n * 7];
    if (!source_arrived) ++lost;
    if (it != known_after.end() && it->second <= n + 2) ++within_two;
    if (it != known_after.end() && it->second <= n + 2 && !source_arrived) ++in_time;
  }
  EXPECT_GT(lost, frames * 4 / 10) << "the path lost what it should";
  EXPECT_GE(within_two, frames * 995 / 1000) << in_time << " of " << lost << " rebuilt in time";
}

TEST(SlidingWindow, ADuplicateOrUselessSymbolChangesNothing) {
  auto packets = encode(3, 1, 4);
  WindowSolver solver;
  auto none = [](uint32_t, std::span<const uint8_t>) { FAIL() << "nothing is missing"; };
  for (const auto &p : packets) {
    if (!p.repair) {
      EXPECT_EQ(solver.add_source(p.frame, p.symbol, none), WindowSolver::Result::kUseful);
    }
  }
  EXPECT_EQ(solver.add_source(2, packets[4].symbol, none), WindowSolver::Result::kUnneeded);
  EXPECT_EQ(solver.add_repair(packets[1].first, packets[1].frames, 0, packets[1].symbol, none),
            WindowSolver::Result::kUnneeded);
  EXPECT_EQ(solver.equations(), 0u);
}

TEST(SlidingWindow, BadWindowsAreRefused) {
  WindowSolver solver;
  auto none = [](uint32_t, std::span<const uint8_t>) { FAIL(); };
  std::vector<uint8_t> symbol(20, 1), huge(kMaxSymbolSize + 1, 1);
  EXPECT_EQ(solver.add_repair(10, 0, 0, symbol, none), WindowSolver::Result::kInvalid);
  EXPECT_EQ(solver.add_repair(10, kMaxWindowFrames + 1, 0, symbol, none),
            WindowSolver::Result::kInvalid);
  EXPECT_EQ(solver.add_repair(10, 2, 0, huge, none), WindowSolver::Result::kInvalid);
  EXPECT_EQ(solver.add_repair(10, 2, 0, {}, none), WindowSolver::Result::kInvalid);
  EXPECT_EQ(solver.add_repair(UINT32_MAX, 2, 0, symbol, none), WindowSolver::Result::kStale);
  EXPECT_EQ(solver.add_repair(10, 2, 0, symbol, none), WindowSolver::Result::kUseful);
  EXPECT_EQ(solver.add_repair(5, 2, 0, symbol, none), WindowSolver::Result::kStale);
}

TEST(SlidingWindow, ForgottenFramesTakeTheirEquationsAlong) {
  auto packets = encode(4, 1, 3);
  WindowSolver solver;
  auto none = [](uint32_t, std::span<const uint8_t>) { FAIL(); };
  // Only repair arrives: frames 1's (over frames 0..1) and 2's (0..2), two
  // equations for three frames.
  solver.add_repair(packets[3].first, packets[3].frames, 0, packets[3].symbol, none);
  solver.add_repair(packets[5].first, packets[5].frames, 0, packets[5].symbol, none);
  EXPECT_EQ(solver.equations(), 2u);
  // Reduced, one of them no longer involves frame 0 (frames 1 and 2 only):
  // it stays; the other goes.
  solver.forget_before(1);
  EXPECT_EQ(solver.equations(), 1u);
  solver.forget_before(2);
  EXPECT_EQ(solver.equations(), 0u);
  EXPECT_FALSE(solver.known(0));
  // A jump far ahead forgets everything before the history, and still works.
  std::vector<uint8_t> symbol(kSymbolPrefixSize + 3, 0);
  EXPECT_EQ(solver.add_source(1'000'000, symbol, none), WindowSolver::Result::kUseful);
  EXPECT_TRUE(solver.known(1'000'000));
  EXPECT_EQ(solver.oldest(), 1'000'000 - WindowSolver::kHistory + 1);
}

// The same code through FrameEncoder and FrameDecoder, on the wire: every
// frame comes out once, byte-exact, the lost ones rebuilt or, past the
// deadline, reported lost in order.
EncoderConfig window_of(uint16_t frames, double ratio) {
  EncoderConfig config;
  config.window_frames = frames;
  config.repair_ratio = ratio;
  config.codec = wire::codec::kOpus;
  config.stream_id = 7;
  return config;
}

TEST(SlidingWindowOnTheWire, LostFramesAreRebuiltFromTheFollowingRepair) {
  FrameEncoder encoder(window_of(4, 1.5));
  test::PacketLog packets;
  for (uint32_t n = 0; n < 40; ++n) encoder.push({make_frame(n), n * 960, false}, packets);
  EXPECT_EQ(encoder.stats().source_packets, 40u);
  EXPECT_EQ(encoder.stats().repair_packets, 60u) << "1.5 a frame, the fraction carried over";
  FrameDecoder decoder;
  test::FrameLog frames;
  std::set<uint32_t> dropped;
  for (const auto &p : packets.packets) {
    EXPECT_TRUE(p.header.window);
    bool drop = !p.header.repair && p.header.block_id % 5 == 2;  // every fifth frame's source
    if (drop) dropped.insert(p.header.block_id);
    if (!drop) decoder.push(p.bytes, frames);
  }
  decoder.flush(frames);
  ASSERT_EQ(frames.outcomes.size(), 40u);
  std::set<uint32_t> seen;
  for (const auto &o : frames.outcomes) {
    EXPECT_TRUE(seen.insert(o.frame_number).second) << o.frame_number;
    ASSERT_FALSE(o.lost) << o.frame_number;
    EXPECT_EQ(o.data, make_frame(o.frame_number)) << o.frame_number;
    EXPECT_EQ(o.timestamp, o.frame_number * 960);
    EXPECT_EQ(o.recovered, dropped.count(o.frame_number) == 1) << o.frame_number;
  }
  EXPECT_EQ(decoder.stats().recovered, dropped.size());
}

TEST(SlidingWindowOnTheWire, AFrameBeyondRepairIsReportedLostAtTheDeadline) {
  FrameEncoder encoder(window_of(2, 1.0));
  test::PacketLog packets;
  for (uint32_t n = 0; n < 60; ++n) encoder.push({make_frame(n), n * 960, false}, packets);
  FrameDecoder decoder(DecoderConfig{.deadline = 4800});  // 100 ms: five frames
  test::FrameLog frames;
  for (const auto &p : packets.packets) {
    // Frames 10-13: sources and repair gone. Frame 14's repair (over 13 and
    // 14) brings 13 back; for 10-12 no equation is left.
    if (p.header.block_id >= 10 && p.header.block_id <= 13) continue;
    decoder.push(p.bytes, frames);
    if (p.header.block_id == 19 && p.header.repair) {
      ASSERT_NE(frames.find(12), nullptr) << "settled once six frames newer arrived";
    }
  }
  ASSERT_NE(frames.find(13), nullptr);
  EXPECT_TRUE(frames.find(13)->recovered);
  for (uint32_t n = 10; n <= 12; ++n) {
    const auto *o = frames.find(n);
    ASSERT_NE(o, nullptr) << n;
    EXPECT_TRUE(o->lost) << n;
    EXPECT_EQ(o->timestamp, n * 960) << "estimated from the frame spacing";
  }
  EXPECT_EQ(decoder.stats().unrecoverable, 3u);
  EXPECT_EQ(frames.outcomes.size(), 60u);
}

TEST(SlidingWindowOnTheWire, BadWindowPacketsAreCountedNotFollowed) {
  FrameEncoder encoder(window_of(4, 2.0));
  test::PacketLog packets;
  for (uint32_t n = 0; n < 8; ++n) encoder.push({make_frame(n), n * 960, false}, packets);
  FrameDecoder decoder;
  test::FrameLog frames;
  for (const auto &p : packets.packets) decoder.push(p.bytes, frames);
  auto stats = decoder.stats();
  EXPECT_EQ(stats.received, 8u);
  EXPECT_EQ(stats.unneeded_repair, 16u) << "nothing was missing";
  // Replayed: duplicates and repair for frames long settled.
  for (const auto &p : packets.packets) decoder.push(p.bytes, frames);
  EXPECT_EQ(decoder.stats().duplicates, stats.duplicates + 8u);
  EXPECT_EQ(frames.outcomes.size(), 8u);
}

TEST(SlidingWindowOnTheWire, ASenderThatStartsItsNumberingOverIsFollowed) {
  FrameDecoder decoder;
  test::FrameLog frames;
  for (int run = 0; run < 2; ++run) {
    FrameEncoder encoder(window_of(4, 1.0));  // numbers frames from 0 again
    test::PacketLog packets;
    const uint32_t count = run == 0 ? 1000 : 10;
    for (uint32_t n = 0; n < count; ++n) encoder.push({make_frame(n), n * 960, false}, packets);
    for (const auto &p : packets.packets) decoder.push(p.bytes, frames);
  }
  EXPECT_EQ(decoder.stats().received, 1010u) << "the second run's frames are not late";
}

// A tier probe: the sender leaves its 40 ms window for 20 ms frames in
// blocks, then comes back. The window's frame numbers jump by the frames
// sent in blocks; they were delivered, so none may be reported lost (the
// old spacing would have dated them up to two seconds in the past).
TEST(SlidingWindowOnTheWire, FramesSentInBlocksBetweenWindowsAreNotReportedLost) {
  EncoderConfig blocks = window_of(0, 0.4);
  blocks.block_frames = 5;
  FrameEncoder encoder(window_of(8, 2.5));
  test::PacketLog packets;
  uint32_t timestamp = 0;
  for (uint32_t n = 0; n < 20; ++n, timestamp += 1920) {
    encoder.push({make_frame(n), timestamp, false}, packets);
  }
  ASSERT_TRUE(encoder.set_config(blocks));
  for (uint32_t n = 20; n < 95; ++n, timestamp += 960) {
    encoder.push({make_frame(n), timestamp, false}, packets);
  }
  ASSERT_TRUE(encoder.set_config(window_of(8, 2.5)));
  for (uint32_t n = 95; n < 115; ++n, timestamp += 1920) {
    encoder.push({make_frame(n), timestamp, false}, packets);
  }
  FrameDecoder decoder;
  test::FrameLog frames;
  for (const auto &p : packets.packets) decoder.push(p.bytes, frames);
  decoder.flush(frames);
  EXPECT_EQ(decoder.stats().unrecoverable, 0u);
  EXPECT_EQ(decoder.stats().received, 115u);
  for (const auto &o : frames.outcomes) EXPECT_FALSE(o.lost) << o.frame_number;
}

}  // namespace
}  // namespace wzp::fec
