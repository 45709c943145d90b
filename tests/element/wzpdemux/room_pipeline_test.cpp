// A room member's receive pipeline with real elements: two participants'
// tones, each Opus-encoded and FEC-protected under its own stream id, are
// merged into one packet stream (as one QUIC connection delivers them),
// split by wzpdemux, and each branch built in pad-added runs wzpfecdec !
// wzpjitterbuffer ! opusdec into one audiomixer. Both tones must be heard
// in the mix.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace {

constexpr int kRate = 48000;
constexpr double kToneA = 440.0;
constexpr double kToneB = 1250.0;

// Power of one frequency in the signal (Goertzel), per sample.
double tone_power(const std::vector<int16_t> &samples, double frequency) {
  double coefficient = 2.0 * std::cos(2.0 * std::numbers::pi * frequency / kRate);
  double s1 = 0, s2 = 0;
  for (int16_t sample : samples) {
    double s0 = sample / 32768.0 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return power / (static_cast<double>(samples.size()) * samples.size());
}

void on_mixed(GstElement *, GstBuffer *buffer, GstPad *, std::vector<int16_t> *mixed) {
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  const auto *samples = reinterpret_cast<const int16_t *>(map.data);
  mixed->insert(mixed->end(), samples, samples + map.size / sizeof(int16_t));
  gst_buffer_unmap(buffer, &map);
}

struct Room {
  GstElement *pipeline = nullptr;
  GstElement *mixer = nullptr;
  int branches = 0;
};

void on_participant(GstElement *, GstPad *pad, Room *room) {
  GError *error = nullptr;
  GstElement *branch = gst_parse_bin_from_description(
      "wzpfecdec ! wzpjitterbuffer ! opusdec plc=true ! audioconvert ! audioresample", TRUE,
      &error);
  ASSERT_NE(branch, nullptr) << (error ? error->message : "");
  gst_bin_add(GST_BIN(room->pipeline), branch);
  GstPad *branch_sink = gst_element_get_static_pad(branch, "sink");
  GstPad *branch_src = gst_element_get_static_pad(branch, "src");
  GstPad *mixer_sink = gst_element_request_pad_simple(room->mixer, "sink_%u");
  EXPECT_EQ(gst_pad_link(branch_src, mixer_sink), GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent(branch);
  EXPECT_EQ(gst_pad_link(pad, branch_sink), GST_PAD_LINK_OK);
  gst_object_unref(branch_sink);
  gst_object_unref(branch_src);
  gst_object_unref(mixer_sink);
  ++room->branches;
}

std::string participant(int stream_id, double frequency) {
  return "audiotestsrc is-live=true num-buffers=150 samplesperbuffer=960 volume=0.3 freq=" +
         std::to_string(frequency) +
         " ! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 bitrate=32000"
         " ! wzpfecenc block-size=5 repair-ratio=0.5 stream-id=" +
         std::to_string(stream_id) + " ! merge. ";
}

TEST(WzpDemuxRoom, BothParticipantsAreHeardInTheMix) {
  std::string description = participant(1, kToneA) + participant(2, kToneB) +
                            "funnel name=merge ! wzpdemux name=demux "
                            "audiomixer name=mix ! audio/x-raw,format=S16LE,rate=48000,channels=1"
                            " ! fakesink name=out sync=false signal-handoffs=true";
  GError *error = nullptr;
  Room room;
  room.pipeline = gst_parse_launch(description.c_str(), &error);
  ASSERT_NE(room.pipeline, nullptr) << (error ? error->message : "");
  room.mixer = gst_bin_get_by_name(GST_BIN(room.pipeline), "mix");
  GstElement *demux = gst_bin_get_by_name(GST_BIN(room.pipeline), "demux");
  GstElement *out = gst_bin_get_by_name(GST_BIN(room.pipeline), "out");
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_participant), &room);

  std::vector<int16_t> mixed;
  g_signal_connect(out, "handoff", G_CALLBACK(on_mixed), &mixed);
  ASSERT_NE(gst_element_set_state(room.pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(room.pipeline);
  GstMessage *end = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  ASSERT_NE(end, nullptr) << "no EOS within 30 s";
  EXPECT_EQ(GST_MESSAGE_TYPE(end), GST_MESSAGE_EOS) << GST_MESSAGE_SRC_NAME(end);
  gst_message_unref(end);
  gst_object_unref(bus);

  GstStructure *stats = nullptr;
  g_object_get(demux, "stats", &stats, nullptr);
  guint64 created = 0, dropped = 0;
  gst_structure_get_uint64(stats, "streams-created", &created);
  gst_structure_get_uint64(stats, "dropped-malformed", &dropped);
  gst_structure_free(stats);
  gst_element_set_state(room.pipeline, GST_STATE_NULL);

  EXPECT_EQ(room.branches, 2);
  EXPECT_EQ(created, 2u);
  EXPECT_EQ(dropped, 0u);
  // At least two of the three seconds sent, mixed.
  ASSERT_GT(mixed.size(), static_cast<size_t>(2 * kRate));
  // Skip the start (branches joining, jitter buffer filling); both tones
  // must stand far above a frequency nobody sent.
  std::vector<int16_t> steady(mixed.begin() + kRate / 2, mixed.end());
  double noise = tone_power(steady, 3100.0);
  EXPECT_GT(tone_power(steady, kToneA), 100 * noise + 1e-4);
  EXPECT_GT(tone_power(steady, kToneB), 100 * noise + 1e-4);

  gst_object_unref(room.mixer);
  gst_object_unref(demux);
  gst_object_unref(out);
  gst_object_unref(room.pipeline);
}

}  // namespace
