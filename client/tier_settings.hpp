// The one place a quality tier becomes element settings: the sender's
// pipeline is built with them and AdaptiveQuality changes them mid-call.
#pragma once

#include <gst/gst.h>

#include "libwzp/quality/tier.hpp"

namespace wzp::client {

// The sender's elements a tier drives; any may be null (absent).
struct TierElements {
  GstElement *voice_encoder = nullptr;  // wzpvoiceenc
  GstElement *opus_encoder = nullptr;   // a plain opusenc, where there is no wzpvoiceenc
  GstElement *fec_encoder = nullptr;    // wzpfecenc
};

// Sets `tier` on `elements`. Enum properties are set by nick; a nick the
// element does not know is a g_critical.
void apply_tier(const quality::TierProfile &tier, const TierElements &elements);

}  // namespace wzp::client
