#include <gtest/gtest.h>

#include "plugins/gstwzp/wzpmeta.h"

namespace {

wzp::wire::MediaHeader sample() {
  wzp::wire::MediaHeader h;
  h.codec = wzp::wire::codec::kOpus;
  h.stream_id = 42;
  h.sequence = 1234;
  h.timestamp = 960;
  return h;
}

TEST(WzpHeaderMeta, SetAndGetOnABuffer) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 40, nullptr);
  EXPECT_EQ(wzp_buffer_get_header_meta(buf), nullptr);
  auto report = wzp::wire::QualityReport::from(0.25, 300, 10, 200);
  wzp_buffer_set_header_meta(buf, sample(), &report, 31);
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buf);
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->header, sample());
  EXPECT_TRUE(meta->has_report);
  EXPECT_EQ(meta->report, report);
  EXPECT_EQ(meta->header_size, 31u);

  // Setting again replaces rather than stacking a second meta.
  wzp_buffer_set_header_meta(buf, sample(), nullptr, 0);
  guint count = 0;
  gpointer state = nullptr;
  while (gst_buffer_iterate_meta_filtered(buf, &state, WZP_HEADER_META_API_TYPE)) ++count;
  EXPECT_EQ(count, 1u);
  EXPECT_FALSE(wzp_buffer_get_header_meta(buf)->has_report);
  gst_buffer_unref(buf);
}

TEST(WzpHeaderMeta, FollowsCopiesButNotAsHeaderOfARegion) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 40, nullptr);
  wzp_buffer_set_header_meta(buf, sample(), nullptr, 24);

  GstBuffer *copy = gst_buffer_copy(buf);
  ASSERT_NE(wzp_buffer_get_header_meta(copy), nullptr);
  EXPECT_EQ(wzp_buffer_get_header_meta(copy)->header, sample());
  EXPECT_EQ(wzp_buffer_get_header_meta(copy)->header_size, 24u);

  GstBuffer *payload = gst_buffer_copy_region(buf, GST_BUFFER_COPY_ALL, 24, 16);
  ASSERT_NE(wzp_buffer_get_header_meta(payload), nullptr);
  EXPECT_EQ(wzp_buffer_get_header_meta(payload)->header_size, 0u);
  EXPECT_EQ(wzp_buffer_get_header_meta(payload)->header.sequence, 1234u);

  gst_buffer_unref(payload);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}

}  // namespace
