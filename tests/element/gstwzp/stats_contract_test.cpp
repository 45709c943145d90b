// Every stats field named in plugins/gstwzp/wzpstats.h is in its element's
// "stats" structure with the type the readers expect: an element that renames
// or retypes one fails here, not as a silent 0 in the client's call summary.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "plugins/gstwzp/wzpstats.h"

namespace {

namespace stats = wzp::gst::stats;

using Fields = std::vector<std::pair<const char *, GType>>;

void expect_fields(const char *factory, const Fields &fields) {
  GstElement *element = gst_element_factory_make(factory, nullptr);
  ASSERT_NE(element, nullptr) << "no element " << factory;
  GstStructure *s = nullptr;
  g_object_get(element, "stats", &s, nullptr);
  ASSERT_NE(s, nullptr) << factory << " has no stats";
  for (const auto &[field, type] : fields) {
    EXPECT_TRUE(gst_structure_has_field_typed(s, field, type))
        << factory << " stats lack " << g_type_name(type) << " '" << field
        << "': " << gst_structure_to_string(s);
  }
  gst_structure_free(s);
  gst_object_unref(element);
}

TEST(StatsContract, FecEncoder) {
  expect_fields("wzpfecenc", {{stats::fec_enc::kFrames, G_TYPE_UINT64},
                              {stats::fec_enc::kSourcePackets, G_TYPE_UINT64},
                              {stats::fec_enc::kRepairPackets, G_TYPE_UINT64}});
}

TEST(StatsContract, FecDecoder) {
  expect_fields("wzpfecdec", {{stats::fec_dec::kReceived, G_TYPE_UINT64},
                              {stats::fec_dec::kRecovered, G_TYPE_UINT64},
                              {stats::fec_dec::kUnrecoverable, G_TYPE_UINT64},
                              {stats::fec_dec::kUnprotected, G_TYPE_UINT64},
                              {stats::fec_dec::kBlocksGivenUp, G_TYPE_UINT64},
                              {stats::fec_dec::kPacketsExpected, G_TYPE_UINT64},
                              {stats::fec_dec::kPacketsArrived, G_TYPE_UINT64}});
}

TEST(StatsContract, JitterBuffer) {
  expect_fields("wzpjitterbuffer", {{stats::jitter::kPlayed, G_TYPE_UINT64},
                                    {stats::jitter::kConcealed, G_TYPE_UINT64},
                                    {stats::jitter::kLate, G_TYPE_UINT64},
                                    {stats::jitter::kCurrentDelay, G_TYPE_UINT64},
                                    {stats::jitter::kShrunk, G_TYPE_UINT64},
                                    {stats::jitter::kCompressed, G_TYPE_UINT64},
                                    {stats::jitter::kCompressedTime, G_TYPE_UINT64}});
}

TEST(StatsContract, QuicSinkAndSource) {
  const Fields fields = {{stats::quic::kRttMs, G_TYPE_DOUBLE},
                         {stats::quic::kRttVarianceMs, G_TYPE_DOUBLE},
                         {stats::quic::kDatagramLoss, G_TYPE_DOUBLE},
                         {stats::quic::kDatagramsSent, G_TYPE_UINT64},
                         {stats::quic::kDatagramsAcked, G_TYPE_UINT64},
                         {stats::quic::kDatagramsLost, G_TYPE_UINT64},
                         {stats::quic::kDatagramsDroppedStale, G_TYPE_UINT64},
                         {stats::quic::kDatagramsDroppedFull, G_TYPE_UINT64},
                         {stats::quic::kCongestionRestarts, G_TYPE_UINT64}};
  expect_fields("wzpquicsink", fields);
  expect_fields("wzpquicsrc", fields);
}

TEST(StatsContract, Decrypt) {
  expect_fields("wzpdecrypt", {{stats::decrypt::kOpened, G_TYPE_UINT64},
                               {stats::decrypt::kUnknownSender, G_TYPE_UINT64},
                               {stats::decrypt::kHeldOpened, G_TYPE_UINT64},
                               {stats::decrypt::kHeldExpired, G_TYPE_UINT64},
                               {stats::decrypt::kHeldEvicted, G_TYPE_UINT64}});
}

}  // namespace
