#include "plugins/wzpcodec2/codec2modes.h"

#include <codec2/codec2.h>

#include <array>

#include "libwzp/wire/header.hpp"

namespace wzp::codec2 {
namespace {

constexpr std::array kModes{
    Mode{CODEC2_MODE_3200, "3200", wire::codec::kCodec2_3200},
    Mode{CODEC2_MODE_2400, "2400", wire::codec::kCodec2_2400},
    Mode{CODEC2_MODE_1600, "1600", wire::codec::kCodec2_1600},
    Mode{CODEC2_MODE_1400, "1400", wire::codec::kCodec2_1400},
    Mode{CODEC2_MODE_1300, "1300", wire::codec::kCodec2_1300},
    Mode{CODEC2_MODE_1200, "1200", wire::codec::kCodec2_1200},
    Mode{CODEC2_MODE_700C, "700C", wire::codec::kCodec2_700C},
};

}  // namespace

std::optional<Mode> mode_from_name(std::string_view name) {
  for (const Mode &mode : kModes) {
    if (mode.name == name) return mode;
  }
  return std::nullopt;
}

std::optional<Mode> mode_from_library(int library_mode) {
  for (const Mode &mode : kModes) {
    if (mode.library_mode == library_mode) return mode;
  }
  return std::nullopt;
}

}  // namespace wzp::codec2

GType gst_wzp_codec2_mode_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {CODEC2_MODE_3200, "3200 bit/s, 20 ms frames", "3200"},
      {CODEC2_MODE_2400, "2400 bit/s, 20 ms frames", "2400"},
      {CODEC2_MODE_1600, "1600 bit/s, 40 ms frames", "1600"},
      {CODEC2_MODE_1400, "1400 bit/s, 40 ms frames", "1400"},
      {CODEC2_MODE_1300, "1300 bit/s, 40 ms frames", "1300"},
      {CODEC2_MODE_1200, "1200 bit/s, 40 ms frames", "1200"},
      {CODEC2_MODE_700C, "700 bit/s, 40 ms frames", "700C"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstWzpCodec2Mode", values));
  }
  return type;
}
