// Pictures that carry their frame number: the test and the bench that send
// video through the stack write each raw picture's number into its top row
// as 16x16 black and white blocks before encoding (they survive any sane
// encoder), read it back from the decoded picture, and compare the two
// pictures of that number. Header-only; GStreamer video.
#pragma once

#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace wzp::test {

inline constexpr int kNumberBlock = 16;  // one bit: a 16x16 block
inline constexpr int kNumberBits = 12;   // then one parity block

// The luma plane of `buffer`, rows packed (width * height bytes); empty if
// it does not map.
inline std::vector<uint8_t> copy_luma(GstBuffer *buffer, const GstVideoInfo &info) {
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) return {};
  const int width = GST_VIDEO_INFO_WIDTH(&info), height = GST_VIDEO_INFO_HEIGHT(&info);
  std::vector<uint8_t> luma(static_cast<size_t>(width) * height);
  const auto *data = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int y = 0; y < height; ++y) std::copy_n(data + y * stride, width, &luma[y * width]);
  gst_video_frame_unmap(&frame);
  return luma;
}

// Writes `number` into the top row of the (writable) picture.
inline bool write_number(GstBuffer *buffer, const GstVideoInfo &info, int number) {
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE)) return false;
  auto *luma = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  int ones = 0;
  for (int bit = 0; bit <= kNumberBits; ++bit) {
    const bool one = bit < kNumberBits ? ((number >> bit) & 1) != 0 : ones % 2 == 1;
    ones += one ? 1 : 0;
    for (int y = 0; y < kNumberBlock; ++y) {
      std::fill_n(luma + y * stride + bit * kNumberBlock, kNumberBlock, one ? 235 : 16);
    }
  }
  gst_video_frame_unmap(&frame);
  return true;
}

// The number in a picture's top row, or -1 when the parity does not match.
inline int read_number(const std::vector<uint8_t> &luma, int width) {
  int number = 0, ones = 0;
  for (int bit = 0; bit <= kNumberBits; ++bit) {
    int sum = 0;
    for (int y = 4; y < 12; ++y) {
      for (int x = 4; x < 12; ++x) sum += luma[y * width + bit * kNumberBlock + x];
    }
    const bool one = sum / 64 > 128;
    if (bit == kNumberBits) return one == (ones % 2 == 1) ? number : -1;
    number |= (one ? 1 : 0) << bit;
    ones += one ? 1 : 0;
  }
  return -1;
}

inline double luma_psnr(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  double error = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    error += d * d;
  }
  error /= static_cast<double>(std::max<size_t>(a.size(), 1));
  return error == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / error);
}

}  // namespace wzp::test
