// wzpjitterbuffer's caps follow the frames they describe. Upstream sends new
// caps right before the first frame of a new codec (wzpfecdec on a codec
// switch), but frames wait here for their playout time, and frames of the
// old codec may still arrive after the new caps (FEC recovery): so caps are
// remembered per codec id and sent downstream just before the first frame
// of that codec is played.
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/wzpjitter/gstwzpjitterbuffer_private.hpp"

namespace wzp::jitter_element {

void note_caps(State &state, GstCaps *caps) {
  gst_caps_replace(&state.caps.untied, caps);
  gst_caps_replace(&state.caps.latest, caps);
}

void tie_caps(State &state, GstBuffer *frame) {
  if (state.caps.untied == nullptr) return;
  if (WzpHeaderMeta *meta = wzp_buffer_get_header_meta(frame)) {
    gst_caps_replace(&state.caps.by_codec[meta->header.codec], state.caps.untied);
  }
  gst_caps_replace(&state.caps.untied, nullptr);
}

GstCaps *caps_before(State &state, GstBuffer *frame) {
  GstCaps *wanted = state.caps.latest;
  if (frame != nullptr) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(frame);
    if (meta != nullptr && state.caps.by_codec[meta->header.codec] != nullptr) {
      wanted = state.caps.by_codec[meta->header.codec];
    }
  } else if (state.caps.sent != nullptr) {
    wanted = state.caps.sent;  // the decoder conceals in the format it has
  }
  if (wanted == nullptr || wanted == state.caps.sent ||
      (state.caps.sent != nullptr && gst_caps_is_equal(wanted, state.caps.sent))) {
    return nullptr;
  }
  gst_caps_replace(&state.caps.sent, wanted);
  return gst_caps_ref(wanted);
}

void forget_sent_caps(State &state) { gst_caps_replace(&state.caps.sent, nullptr); }

void clear_caps(State &state) {
  gst_caps_replace(&state.caps.untied, nullptr);
  gst_caps_replace(&state.caps.latest, nullptr);
  gst_caps_replace(&state.caps.sent, nullptr);
  for (GstCaps *&caps : state.caps.by_codec) gst_caps_replace(&caps, nullptr);
}

}  // namespace wzp::jitter_element
