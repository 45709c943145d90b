#include "client/room_media.hpp"

#include <cstdio>

#include "client/call_media.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpquiclink.h"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {

namespace stats = wzp::gst::stats;
namespace {

constexpr const char *kMixCaps = "audio/x-raw,format=S16LE,rate=48000,channels=1";

// wzpvoicedec decodes Opus or Codec2 as the caps wzpfecdec derives from the
// packets' codec id say, so a branch follows its sender across tier changes.
std::string branch_description() {
  return std::string(
             "wzpfecdec name=fec ! wzpjitterbuffer name=jitter ! wzpvoicedec ! audioconvert ! "
             "audioresample ! "
             "capsfilter name=tail caps=\"") +
         kMixCaps + "\"";
}

// A named element's pad, ghosted on the bin.
void ghost(GstElement *bin, const char *element_name, const char *pad_name) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(bin), element_name);
  GstPad *pad = gst_element_get_static_pad(element, pad_name);
  gst_element_add_pad(bin, gst_ghost_pad_new(pad_name, pad));
  gst_object_unref(pad);
  gst_object_unref(element);
}

// The branch's pads, ghosted by name.
GstElement *make_branch(GError **gerror) {
  GstElement *branch = gst_parse_bin_from_description(branch_description().c_str(), FALSE, gerror);
  if (branch == nullptr) return nullptr;
  ghost(branch, "fec", "sink");
  ghost(branch, "tail", "src");
  return branch;
}

uint64_t branch_stat(GstElement *branch, const char *element, const char *field) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(branch), element);
  if (e == nullptr) return 0;
  GstStructure *stats = nullptr;
  g_object_get(e, "stats", &stats, nullptr);
  uint64_t value = stats_u64(stats, field);
  if (stats != nullptr) gst_structure_free(stats);
  gst_object_unref(e);
  return value;
}

RoomReceiver::MemberPlayout read_playout(GstElement *branch, uint32_t sender_id) {
  RoomReceiver::MemberPlayout p;
  p.sender_id = sender_id;
  p.played = branch_stat(branch, "jitter", stats::jitter::kPlayed);
  p.concealed = branch_stat(branch, "jitter", stats::jitter::kConcealed);
  p.delay_ms = branch_stat(branch, "jitter", stats::jitter::kCurrentDelay) / 1'000'000;
  p.recovered = branch_stat(branch, "fec", stats::fec_dec::kRecovered);
  return p;
}

void add_to(RoomReceiver::MemberPlayout &sum, const RoomReceiver::MemberPlayout &p) {
  sum.sender_id = p.sender_id;
  sum.played += p.played;
  sum.recovered += p.recovered;
  sum.concealed += p.concealed;
  sum.delay_ms = p.delay_ms;
  sum.playing = sum.playing || p.playing;
}

}  // namespace

std::vector<RoomReceiver::MemberPlayout> RoomReceiver::playout() const {
  std::lock_guard guard(lock_);
  std::map<uint32_t, MemberPlayout> sums = finished_;
  for (const auto &[branch, sender_id] : branches_) {
    MemberPlayout live = read_playout(branch, sender_id);
    live.playing = true;
    add_to(sums[sender_id], live);
  }
  std::vector<MemberPlayout> out;
  for (const auto &[id, p] : sums) out.push_back(p);
  return out;
}

std::unique_ptr<RoomReceiver> RoomReceiver::build(
    const RoomReceiverConfig &config, const std::shared_ptr<crypto::MediaSession> &session,
    std::string &error) {
  std::string description =
      config.packet_source + " ! wzpdecrypt name=crypt ! wzpdemux name=demux " +
      // Keeps the mix running on time when no member is heard.
      "audiotestsrc wave=silence is-live=true samplesperbuffer=960 ! " + kMixCaps +
      " ! mix. audiomixer name=mix ! " + kMixCaps + " ! " +
      (config.output_wav.empty() ? config.audio_sink : "wavenc ! filesink name=output");
  GError *gerror = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &gerror);
  if (pipeline == nullptr) {
    error = gerror != nullptr ? gerror->message : "could not build the room pipeline";
    g_clear_error(&gerror);
    return nullptr;
  }
  std::unique_ptr<RoomReceiver> self(new RoomReceiver);
  self->pipeline_ = pipeline;
  self->demux_ = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
  self->mixer_ = gst_bin_get_by_name(GST_BIN(pipeline), "mix");
  if (!config.output_wav.empty()) {
    GstElement *output = gst_bin_get_by_name(GST_BIN(pipeline), "output");
    g_object_set(output, "location", config.output_wav.c_str(), nullptr);
    gst_object_unref(output);
  }
  // Only our decryptor gets the room session: the packet source may hold
  // other crypto elements (tests put senders there).
  GstElement *crypt = gst_bin_get_by_name(GST_BIN(pipeline), "crypt");
  GstContext *context = wzp_crypto_context_new(session);
  gst_element_set_context(crypt, context);
  gst_context_unref(context);
  gst_object_unref(crypt);
  if (config.link) {
    GstElement *net = gst_bin_get_by_name(GST_BIN(pipeline), "net");
    if (net == nullptr) {
      error = "the packet source has no element named net to take the link";
      return nullptr;
    }
    GstContext *link_context = wzp_quic_link_context_new(config.link);
    gst_element_set_context(net, link_context);
    gst_context_unref(link_context);
    gst_object_unref(net);
  }
  g_signal_connect(self->demux_, "pad-added", G_CALLBACK(on_stream_added), self.get());
  g_signal_connect(self->demux_, "pad-removed", G_CALLBACK(on_stream_removed), self.get());
  return self;
}

RoomReceiver::~RoomReceiver() {
  g_signal_handlers_disconnect_by_data(demux_, this);
  {
    // A queued teardown still uses this object.
    std::unique_lock guard(lock_);
    removals_done_.wait(guard, [this] { return removals_pending_ == 0; });
  }
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(demux_);
  gst_object_unref(mixer_);
  gst_object_unref(pipeline_);
}

void RoomReceiver::remove_participant(uint32_t sender_id) {
  gboolean existed = FALSE;
  g_signal_emit_by_name(demux_, "remove-stream", guint{sender_id}, &existed);
}

void RoomReceiver::finish() {
  // A branch may hold the stream's EOS (its jitter buffer playing out);
  // removing the branches releases their mixer pads, so only the silent
  // input, ended by the EOS, is left for the mixer to wait for.
  g_signal_emit_by_name(demux_, "clear");
  gst_element_send_event(pipeline_, gst_event_new_eos());
}

RoomReceiver::Counts RoomReceiver::counts() const {
  std::lock_guard guard(lock_);
  return counts_;
}

uint64_t RoomReceiver::active_branches() const {
  std::lock_guard guard(lock_);
  return counts_.branches_added - counts_.branches_removed;
}

// On the demuxer's streaming thread: build the branch, link it to a new
// mixer pad, start it, then link the stream into it.
void RoomReceiver::on_stream_added(GstElement *, GstPad *pad, RoomReceiver *self) {
  GError *gerror = nullptr;
  GstElement *branch = make_branch(&gerror);
  if (branch == nullptr) {
    GST_ELEMENT_ERROR(self->demux_, CORE, MISSING_PLUGIN, ("cannot build a room branch"),
                      ("%s", gerror != nullptr ? gerror->message : "unknown"));
    g_clear_error(&gerror);
    return;
  }
  gst_bin_add(GST_BIN(self->pipeline_), branch);
  GstPad *branch_sink = gst_element_get_static_pad(branch, "sink");
  GstPad *branch_src = gst_element_get_static_pad(branch, "src");
  GstPad *mixer_sink = gst_element_request_pad_simple(self->mixer_, "sink_%u");
  bool linked = gst_pad_link(branch_src, mixer_sink) == GST_PAD_LINK_OK;
  gst_element_sync_state_with_parent(branch);
  linked = linked && gst_pad_link(pad, branch_sink) == GST_PAD_LINK_OK;
  if (!linked) {
    GST_ELEMENT_ERROR(self->demux_, CORE, NEGOTIATION, ("cannot link a room branch"),
                      ("stream pad %s", GST_PAD_NAME(pad)));
  }
  g_object_set_data(G_OBJECT(pad), "wzp-room-branch", branch);
  gst_object_unref(branch_sink);
  gst_object_unref(branch_src);
  gst_object_unref(mixer_sink);
  guint sender_id = 0;  // wzpdemux names its pads src_<stream id> = the sender id
  std::sscanf(GST_PAD_NAME(pad), "src_%u", &sender_id);
  std::lock_guard guard(self->lock_);
  ++self->counts_.branches_added;
  self->branches_[branch] = sender_id;
}

// The stream's EOS has gone through the branch; stopping the branch must
// wait until we are off the thread streaming into it.
void RoomReceiver::on_stream_removed(GstElement *, GstPad *pad, RoomReceiver *self) {
  auto *branch = static_cast<GstElement *>(g_object_get_data(G_OBJECT(pad), "wzp-room-branch"));
  if (branch == nullptr) return;
  {
    std::lock_guard guard(self->lock_);
    ++self->removals_pending_;
  }
  gst_element_call_async(branch, remove_branch, self, nullptr);
}

void RoomReceiver::remove_branch(GstElement *branch, gpointer data) {
  auto *self = static_cast<RoomReceiver *>(data);
  GstPad *branch_src = gst_element_get_static_pad(branch, "src");
  GstPad *mixer_sink = gst_pad_get_peer(branch_src);
  {
    // Its counters are kept for the summary once it is gone.
    std::lock_guard guard(self->lock_);
    auto it = self->branches_.find(branch);
    if (it != self->branches_.end()) {
      add_to(self->finished_[it->second], read_playout(branch, it->second));
      self->branches_.erase(it);
    }
  }
  // Out of the pipeline's state changes from here on, so none can restart it.
  gst_element_set_locked_state(branch, TRUE);
  gst_element_set_state(branch, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self->pipeline_), branch);
  if (mixer_sink != nullptr) {
    gst_element_release_request_pad(self->mixer_, mixer_sink);
    gst_object_unref(mixer_sink);
  }
  gst_object_unref(branch_src);
  std::lock_guard guard(self->lock_);
  ++self->counts_.branches_removed;
  --self->removals_pending_;
  self->removals_done_.notify_all();
}

}  // namespace wzp::client
