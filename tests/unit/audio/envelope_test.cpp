#include "libwzp/audio/envelope.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace wzp::audio {
namespace {

// A speech-like loudness contour: bursts of varying level and length.
std::vector<double> contour(size_t windows, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> level(0.05, 0.5);
  std::uniform_int_distribution<int> length(5, 30);
  std::vector<double> out;
  while (out.size() < windows) {
    double l = level(rng);
    for (int i = length(rng); i > 0 && out.size() < windows; --i) out.push_back(l);
    for (int i = length(rng) / 2; i > 0 && out.size() < windows; --i) out.push_back(0.001);
  }
  return out;
}

TEST(Envelope, WindowsAreTheRmsOfTheirSamples) {
  EnvelopeBuilder builder(4);
  std::vector<float> samples = {0.5f, -0.5f, 0.5f, -0.5f, 1.0f, 0.0f, 0.0f, 0.0f, 0.3f};
  builder.add(samples);
  ASSERT_EQ(builder.envelope().size(), 2u);  // the ninth sample waits for its window
  EXPECT_DOUBLE_EQ(builder.envelope()[0], 0.5);
  EXPECT_DOUBLE_EQ(builder.envelope()[1], 0.5);
}

TEST(Envelope, BestLagFindsTheDelay) {
  auto sent = contour(500, 1);
  std::vector<double> received(37, 0.001);  // 37 windows late
  received.insert(received.end(), sent.begin(), sent.end());
  EnvelopeMatch match = best_lag(sent, received, 0, 100, 50);
  EXPECT_EQ(match.lag, 37);
  EXPECT_NEAR(match.correlation, 1.0, 1e-9);
  EXPECT_LT(best_lag(sent, contour(500, 2), 0, 100, 50).correlation, 0.5);
  EXPECT_EQ(best_lag(sent, received, 0, 100, 10000).correlation, -1);  // no overlap that long
}

TEST(Envelope, SegmentedSimilarityRidesDelayChanges) {
  auto sent = contour(1000, 3);
  // The delay grows from 10 to 30 windows halfway, as a jitter buffer does.
  std::vector<double> received(10, 0.001);
  received.insert(received.end(), sent.begin(), sent.begin() + 500);
  received.insert(received.end(), 20, 0.001);
  received.insert(received.end(), sent.begin() + 500, sent.end());
  double whole = best_lag(sent, received, 0, 100, 100).correlation;
  double segmented = segmented_similarity(sent, received, 100, 20, 25);
  EXPECT_GT(segmented, 0.95);
  EXPECT_GT(segmented, whole);
  EXPECT_LT(segmented_similarity(sent, contour(1000, 4), 100, 20, 25), 0.6);
  EXPECT_EQ(segmented_similarity(sent, {}, 100, 0, 5), -1);
}

}  // namespace
}  // namespace wzp::audio
