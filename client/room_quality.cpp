#include "client/room_quality.hpp"

namespace wzp::client {
namespace {

quality::ControllerConfig starting_at(quality::Tier tier) {
  quality::ControllerConfig config;
  config.initial = tier;
  return config;
}

}  // namespace

RoomQuality::RoomQuality(GstElement *sender, GstElement *receiver, quality::Tier initial)
    : quic_sink_(gst_bin_get_by_name(GST_BIN(sender), "net")),
      fec_encoder_(gst_bin_get_by_name(GST_BIN(sender), "fec")),
      settings_(sender, nullptr, starting_at(initial)),
      reporter_(receiver, fec_encoder_) {}

RoomQuality::~RoomQuality() {
  for (GstElement *e : {quic_sink_, fec_encoder_}) {
    if (e != nullptr) gst_object_unref(e);
  }
}

std::optional<quality::PathObservation> RoomQuality::tick() {
  auto path = quic_path_stats(quic_sink_);
  return reporter_.tick(path ? path->rtt_ms : 0, path ? path->jitter_ms : 0);
}

}  // namespace wzp::client
