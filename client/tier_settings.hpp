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

// Sets `tier` on `elements`. `paced_repair` false sends repair unpaced
// whatever the tier says (a room's imposed tier: with paced repair a member
// of the room test lost the last seconds of what it played). `window` false
// keeps blocks where the tier has a sliding window (a room member: the room
// test's slow member was no longer stepped down with it, issue 19's notes).
// Neither is understood yet. Enum properties are set by nick; a nick the
// element does not know is a g_critical.
void apply_tier(const quality::TierProfile &tier, const TierElements &elements,
                bool paced_repair = true, bool window = true);

}  // namespace wzp::client
