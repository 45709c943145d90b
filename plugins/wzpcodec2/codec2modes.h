// The Codec2 modes our elements offer: caps names, libcodec2 mode numbers,
// the wzp wire codec ids, and the GEnum behind the encoder's `mode` property.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <string_view>

// Caps of Codec2 frames; `mode` is one of the names below.
#define WZP_CODEC2_CAPS \
  "audio/x-codec2, mode = (string) { 3200, 2400, 1600, 1400, 1300, 1200, 700C }"

namespace wzp::codec2 {

struct Mode {
  int library_mode;  // CODEC2_MODE_*
  std::string_view name;
  uint8_t wire_codec;
};

std::optional<Mode> mode_from_name(std::string_view name);
std::optional<Mode> mode_from_library(int library_mode);

}  // namespace wzp::codec2

G_BEGIN_DECLS
#define GST_TYPE_WZP_CODEC2_MODE (gst_wzp_codec2_mode_get_type())
GType gst_wzp_codec2_mode_get_type(void);
G_END_DECLS
