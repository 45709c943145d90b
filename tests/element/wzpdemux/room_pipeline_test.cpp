// A room member's receive pipeline with real elements: two participants'
// tones, each Opus-encoded and FEC-protected under its own stream id, are
// merged into one packet stream (as one QUIC connection delivers them),
// split by wzpdemux, and each branch built in pad-added runs wzpfecdec !
// wzpjitterbuffer ! opusdec into one audiomixer. Both tones must be heard
// in the mix, and a participant joining and leaving mid-call adds and
// removes a branch while the other plays on.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numbers>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"
#include "tests/support/wait.hpp"

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

// A pipeline description with a demuxer named demux and a mixer named mix
// into a fakesink named out; each participant gets a branch on pad-added,
// torn down (off the streaming thread) on pad-removed.
struct Room {
  GstElement *pipeline = nullptr;
  GstElement *mixer = nullptr;
  GstElement *demux = nullptr;
  std::vector<int16_t> mixed;
  std::atomic<int> branches{0};
  std::atomic<int> branches_removed{0};
  std::mutex lock;
  std::vector<std::string> left;  // source pads removed, in order

  explicit Room(const std::string &senders, const char *demux_properties = "") {
    std::string description = senders + "funnel name=merge ! wzpdemux name=demux " +
                              demux_properties +
                              " audiomixer name=mix ! audio/x-raw,format=S16LE,rate=48000,"
                              "channels=1 ! fakesink name=out sync=false signal-handoffs=true";
    GError *error = nullptr;
    pipeline = gst_parse_launch(description.c_str(), &error);
    EXPECT_NE(pipeline, nullptr) << (error ? error->message : "");
    mixer = gst_bin_get_by_name(GST_BIN(pipeline), "mix");
    demux = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
    GstElement *out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    g_signal_connect(out, "handoff", G_CALLBACK(on_mixed), &mixed);
    gst_object_unref(out);
    g_signal_connect(demux, "pad-added", G_CALLBACK(on_participant), this);
    g_signal_connect(demux, "pad-removed", G_CALLBACK(on_participant_left), this);
  }
  ~Room() {
    g_signal_handlers_disconnect_by_data(demux, this);  // the whole pipeline stops instead
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(mixer);
    gst_object_unref(demux);
    gst_object_unref(pipeline);
  }

  // Plays to EOS; false on an error or after 30 s.
  bool run() {
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      return false;
    }
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *end = gst_bus_timed_pop_filtered(
        bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    gst_object_unref(bus);
    bool eos = end != nullptr && GST_MESSAGE_TYPE(end) == GST_MESSAGE_EOS;
    if (end) gst_message_unref(end);
    return eos;
  }

  guint64 stat(const char *name) {
    GstStructure *stats = nullptr;
    g_object_get(demux, "stats", &stats, nullptr);
    guint64 value = 0;
    EXPECT_TRUE(gst_structure_get_uint64(stats, name, &value)) << name;
    gst_structure_free(stats);
    return value;
  }

  // The mix between two times (seconds from its start).
  std::vector<int16_t> mix_between(double from, double to) const {
    size_t begin = std::min(mixed.size(), static_cast<size_t>(from * kRate));
    size_t end = std::min(mixed.size(), static_cast<size_t>(to * kRate));
    return {mixed.begin() + begin, mixed.begin() + end};
  }

  static void on_participant(GstElement *, GstPad *pad, Room *room) {
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
    g_object_set_data(G_OBJECT(pad), "branch", branch);
    gst_object_unref(branch_sink);
    gst_object_unref(branch_src);
    gst_object_unref(mixer_sink);
    ++room->branches;
  }

  static void on_participant_left(GstElement *, GstPad *pad, Room *room) {
    auto *branch = static_cast<GstElement *>(g_object_get_data(G_OBJECT(pad), "branch"));
    ASSERT_NE(branch, nullptr);
    {
      std::lock_guard guard(room->lock);
      room->left.push_back(GST_PAD_NAME(pad));
    }
    g_object_set_data(G_OBJECT(branch), "room", room);
    // A branch cannot be stopped from the thread streaming into it.
    gst_element_call_async(branch, remove_branch, nullptr, nullptr);
  }

  static void remove_branch(GstElement *branch, gpointer) {
    auto *room = static_cast<Room *>(g_object_get_data(G_OBJECT(branch), "room"));
    GstPad *branch_src = gst_element_get_static_pad(branch, "src");
    GstPad *mixer_sink = gst_pad_get_peer(branch_src);
    gst_element_set_state(branch, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(room->pipeline), branch);
    if (mixer_sink) {
      gst_element_release_request_pad(room->mixer, mixer_sink);
      gst_object_unref(mixer_sink);
    }
    gst_object_unref(branch_src);
    ++room->branches_removed;
  }
};

// One participant's sender: 3 s of a tone (live), Opus, FEC.
std::string participant(int stream_id, double frequency) {
  return "audiotestsrc is-live=true samplesperbuffer=960 volume=0.3 num-buffers=150 name=talker" +
         std::to_string(stream_id) + " freq=" + std::to_string(frequency) +
         " ! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 bitrate=32000"
         " ! wzpfecenc block-size=5 repair-ratio=0.5 name=sender" +
         std::to_string(stream_id) + " stream-id=" + std::to_string(stream_id) + " ! merge. ";
}

// Lets a participant's packets through only between two running times
// (seconds): it joins the room at `from` and is gone at `to`.
void present_only_between(Room &room, int stream_id, double from, double to) {
  std::string name = "sender" + std::to_string(stream_id);
  GstElement *sender = gst_bin_get_by_name(GST_BIN(room.pipeline), name.c_str());
  wzp::test::pass_only_between(sender, from, to);
  gst_object_unref(sender);
}

bool heard(const std::vector<int16_t> &mix, double frequency) {
  return tone_power(mix, frequency) > 100 * tone_power(mix, 3100.0) + 1e-4;
}

TEST(WzpDemuxRoom, BothParticipantsAreHeardInTheMix) {
  Room room(participant(1, kToneA) + participant(2, kToneB));
  ASSERT_TRUE(room.run());
  EXPECT_EQ(room.branches, 2);
  EXPECT_EQ(room.stat("streams-created"), 2u);
  EXPECT_EQ(room.stat("dropped-malformed"), 0u);
  // At least two of the three seconds sent, mixed. Skip the start (branches
  // joining, jitter buffers filling): both tones must stand far above a
  // frequency nobody sent.
  ASSERT_GT(room.mixed.size(), static_cast<size_t>(2 * kRate));
  std::vector<int16_t> steady = room.mix_between(0.5, 10);
  EXPECT_TRUE(heard(steady, kToneA));
  EXPECT_TRUE(heard(steady, kToneB));
}

TEST(WzpDemuxRoom, ParticipantJoinsAndLeavesMidCall) {
  // Alice talks for 3 s; Bob joins at 1 s and falls silent at 2 s.
  Room room(participant(1, kToneA) + participant(2, kToneB), "stream-timeout=400000000");
  present_only_between(room, 2, 1.0, 2.0);
  ASSERT_TRUE(room.run());
  {
    // Bob's pad went away by timeout well before the end; Alice's may time
    // out as the pipeline drains, after her last packet.
    std::lock_guard guard(room.lock);
    ASSERT_FALSE(room.left.empty());
    EXPECT_EQ(room.left.front(), "src_2");
  }
  wzp::test::wait_until([&] { return room.branches_removed >= 1; }, std::chrono::seconds(2));
  EXPECT_EQ(room.branches, 2);
  EXPECT_GE(room.branches_removed, 1);
  EXPECT_EQ(room.stat("streams-created"), 2u);
  EXPECT_GE(room.stat("streams-timed-out"), 1u);

  ASSERT_GT(room.mixed.size(), static_cast<size_t>(2.8 * kRate));
  double end = static_cast<double>(room.mixed.size()) / kRate;
  std::vector<int16_t> alone = room.mix_between(0.2, 0.8);
  std::vector<int16_t> together = room.mix_between(1.3, 1.8);
  std::vector<int16_t> after = room.mix_between(end - 0.4, end);
  EXPECT_TRUE(heard(alone, kToneA));
  EXPECT_FALSE(heard(alone, kToneB));
  EXPECT_TRUE(heard(together, kToneA));
  EXPECT_TRUE(heard(together, kToneB));
  EXPECT_TRUE(heard(after, kToneA));
  EXPECT_FALSE(heard(after, kToneB));
}

}  // namespace
