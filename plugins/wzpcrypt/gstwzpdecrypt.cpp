/**
 * SECTION:element-wzpdecrypt
 * @title: wzpdecrypt
 * @see_also: wzpencrypt
 *
 * Authenticates and decrypts wzp packets sealed by wzpencrypt and strips
 * the 16-byte tag. Nothing unauthenticated ever leaves this element: a
 * packet that fails authentication, repeats a sequence number already seen
 * (a sliding window of `replay-window` packets per stream, which tolerates
 * reordering), is older than that window, or names an unknown epoch or
 * sender is dropped and counted in `stats`. When a sender moves to a new
 * epoch, the previous epoch's key is kept for packets still in flight until
 * `overlap-packets` packets of the new epoch arrived or `overlap-time`
 * passed, whichever comes first, then wiped; each change posts a `wzp-crypto-epoch` element
 * message. A packet whose header says it is padded (wzpencrypt's `padding`)
 * loses its padding after it opened; malformed padding drops it, counted as
 * `bad-padding`.
 *
 * The key comes from `key` or `key-file` (one peer sender), or from a
 * wzp::crypto::MediaSession in a GstContext of type "wzp.crypto.session"
 * (several senders, several epochs).
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc ! wzpfecenc ! wzpencrypt key-file=call.key !
 *     wzpdecrypt key-file=call.key ! wzpfecdec ! opusdec ! autoaudiosink
 * ]| Audio encrypted and decrypted again in one pipeline (pipelines/crypt-loopback.sh).
 * |[
 * gst-launch-1.0 wzpquicsrc ! wzpdecrypt key-file=peer.key replay-window=4096 !
 *     wzpfecdec ! opusdec ! autoaudiosink
 * ]| The receiving half of a call over a path that reorders heavily.
 */
#include "gstwzpdecrypt.h"

#include <sodium.h>

#include <mutex>
#include <string>
#include <vector>

#include "cryptcommon.h"
#include "libwzp/crypto/key_wait.hpp"
#include "libwzp/crypto/padding.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpstats.h"

GST_DEBUG_CATEGORY_STATIC(wzp_decrypt_debug);
#define GST_CAT_DEFAULT wzp_decrypt_debug

namespace {

enum {
  PROP_REPLAY_WINDOW = wzp::gst::kFirstElementProperty,
  PROP_OVERLAP_PACKETS,
  PROP_OVERLAP_TIME,
  PROP_STATS,
};

constexpr guint kMinReplayWindow = 64;
constexpr guint kMaxReplayWindow = 1 << 16;

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                                                            GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

struct Settings : wzp::gst::KeySettings {
  wzp::crypto::ReceiveConfig config;
};

struct Stats {
  guint64 opened = 0;
  guint64 unparseable = 0;
  guint64 auth_failed = 0;
  guint64 replayed = 0;
  guint64 too_old = 0;
  guint64 unknown_epoch = 0;
  guint64 unknown_sender = 0;
  guint64 stream_table_full = 0;
  guint64 epoch_changes = 0;
  guint64 held_opened = 0;  // held for want of a key, opened once it came
  guint64 bad_padding = 0;  // authenticated, but its padding was malformed: dropped
};

}  // namespace

struct GstWzpDecryptPrivate : wzp::gst::CryptPrivate {
  Settings settings;
  Stats stats;
  // Packets of senders whose key has not arrived yet (behind state_lock).
  wzp::crypto::KeyWait<GstBuffer *> key_wait;
  // The chain function's lists of held packets to push or drop, reserved
  // for everything KeyWait can hand back at once so the streaming thread
  // does not allocate; only the streaming thread touches them.
  std::vector<GstBuffer *> ready, dropped;
};

struct _GstWzpDecrypt {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  GstWzpDecryptPrivate *priv;
};

G_DEFINE_TYPE(GstWzpDecrypt, gst_wzp_decrypt, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(wzpdecrypt, "wzpdecrypt", GST_RANK_NONE, GST_TYPE_WZP_DECRYPT);

namespace {

GstStructure *make_stats(GstWzpDecrypt *self) {
  std::lock_guard guard(self->priv->state_lock);
  const Stats &s = self->priv->stats;
  GstStructure *stats = gst_structure_new(
      "application/x-wzp-decrypt-stats", wzp::gst::stats::decrypt::kOpened, G_TYPE_UINT64, s.opened,
      "unparseable", G_TYPE_UINT64, s.unparseable, "auth-failed", G_TYPE_UINT64, s.auth_failed,
      "replayed", G_TYPE_UINT64, s.replayed, "too-old", G_TYPE_UINT64, s.too_old, "unknown-epoch",
      G_TYPE_UINT64, s.unknown_epoch, wzp::gst::stats::decrypt::kUnknownSender, G_TYPE_UINT64,
      s.unknown_sender, "stream-table-full", G_TYPE_UINT64, s.stream_table_full, "epoch-changes",
      G_TYPE_UINT64, s.epoch_changes, "bad-padding", G_TYPE_UINT64, s.bad_padding, nullptr);
  const wzp::crypto::KeyWaitCounts &w = self->priv->key_wait.counts();
  gst_structure_set(stats, "held", G_TYPE_UINT64, w.held, wzp::gst::stats::decrypt::kHeldOpened,
                    G_TYPE_UINT64, s.held_opened, wzp::gst::stats::decrypt::kHeldExpired,
                    G_TYPE_UINT64, w.expired, wzp::gst::stats::decrypt::kHeldEvicted, G_TYPE_UINT64,
                    w.evicted + w.refused, "held-now", G_TYPE_UINT64,
                    guint64{self->priv->key_wait.packets()}, nullptr);
  return stats;
}

void count(Stats &stats, wzp::crypto::OpenStatus status) {
  using wzp::crypto::OpenStatus;
  switch (status) {
    case OpenStatus::kOk:
      ++stats.opened;
      break;
    case OpenStatus::kAuthFailed:
      ++stats.auth_failed;
      break;
    case OpenStatus::kReplay:
      ++stats.replayed;
      break;
    case OpenStatus::kTooOld:
      ++stats.too_old;
      break;
    case OpenStatus::kUnknownSender:
      ++stats.unknown_sender;
      break;
    case OpenStatus::kUnknownEpoch:
      ++stats.unknown_epoch;
      break;
    case OpenStatus::kStreamTableFull:
      ++stats.stream_table_full;
      break;
  }
}

bool prepare_session(GstWzpDecrypt *self) {
  auto *priv = self->priv;
  Settings settings;
  {
    std::lock_guard guard(priv->settings_lock);
    settings = priv->settings;
  }
  if (settings.key_hex.empty() && settings.key_file.empty()) {
    wzp::gst::request_session_unless_present(*priv, GST_ELEMENT(self), self->sinkpad, self->srcpad);
    std::lock_guard guard(priv->state_lock);
    if (priv->session) return true;
  }
  std::string error;
  auto secret = wzp::gst::load_secret(settings.key_hex, settings.key_file, error);
  sodium_memzero(settings.key_hex.data(), settings.key_hex.size());
  if (!secret) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No usable key"), ("%s", error.c_str()));
    return false;
  }
  auto session = std::make_shared<wzp::crypto::MediaSession>(settings.config);
  session->receiver.add_sender(0, settings.epoch, *secret);
  sodium_memzero(secret->data(), secret->size());
  wzp::gst::store_own_session(*priv, std::move(session));
  return true;
}

void post_epoch_message(GstWzpDecrypt *self, const wzp::crypto::OpenResult &result) {
  GstStructure *s =
      gst_structure_new("wzp-crypto-epoch", "direction", G_TYPE_STRING, "receive", "sender-id",
                        G_TYPE_UINT, result.sender_id, "epoch", G_TYPE_UINT, result.epoch, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void unref_all(std::vector<GstBuffer *> &buffers) {
  for (GstBuffer *buffer : buffers) gst_buffer_unref(buffer);
  buffers.clear();
}

// Opens one packet in place (tag and any padding stripped on success). A
// packet without its sender's key is left as it came and not counted: the
// caller holds it. One that opened but whose padding is malformed comes back
// as not `parsed`, counted as bad-padding.
wzp::crypto::OpenResult open_packet(GstWzpDecrypt *self, GstBuffer *buffer, uint64_t now_ns,
                                    wzp::gst::PacketHeader &packet, bool &parsed) {
  auto *priv = self->priv;
  wzp::crypto::OpenResult result{wzp::crypto::OpenStatus::kUnknownSender};
  GstMapInfo map;
  parsed = false;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) {
    std::lock_guard guard(priv->state_lock);
    ++priv->stats.unparseable;
    return result;
  }
  std::span<uint8_t> bytes(map.data, map.size);
  size_t opened_size = 0;
  {
    std::lock_guard guard(priv->state_lock);
    parsed = wzp::gst::locate_header(buffer, bytes, packet) &&
             bytes.size() >= packet.header_size + wzp::crypto::kTagSize;
    if (!parsed) {
      ++priv->stats.unparseable;
    } else if (priv->session) {
      size_t payload_end = bytes.size() - wzp::crypto::kTagSize;
      auto payload = bytes.subspan(packet.header_size, payload_end - packet.header_size);
      result = priv->session->receiver.open(
          packet.header.stream_id, packet.header.sequence, packet.header.key_epoch, now_ns,
          bytes.first(packet.header_size), payload, bytes.data() + payload_end);
      opened_size = payload_end;
      if (result.status == wzp::crypto::OpenStatus::kOk && packet.header.padded) {
        auto unpadded = wzp::crypto::unpadded_size(payload);
        if (unpadded) {
          opened_size = packet.header_size + *unpadded;
        } else {
          parsed = false;
          ++priv->stats.bad_padding;
        }
      }
      if (parsed && result.status != wzp::crypto::OpenStatus::kUnknownSender)
        count(priv->stats, result.status);
      priv->stats.epoch_changes += result.epoch_changed;
    }
  }
  gst_buffer_unmap(buffer, &map);
  if (parsed && result.status == wzp::crypto::OpenStatus::kOk) {
    if (packet.header.padded) {
      // What goes on is the packet as it was before padding.
      GstMapInfo header_map;
      if (gst_buffer_map(buffer, &header_map, GST_MAP_WRITE)) {
        wzp::wire::set_padded(std::span(header_map.data, header_map.size), false);
        gst_buffer_unmap(buffer, &header_map);
      }
      if (WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer)) meta->header.padded = false;
    }
    gst_buffer_set_size(buffer, static_cast<gssize>(opened_size));
  }
  if (result.status == wzp::crypto::OpenStatus::kOk) {
    if (result.epoch_changed) {
      GST_INFO_OBJECT(self, "sender %u moved to epoch %u", result.sender_id, result.epoch);
      post_epoch_message(self, result);
    }
  }
  return result;
}

GstFlowReturn gst_wzp_decrypt_chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  auto *self = GST_WZP_DECRYPT(parent);
  auto *priv = self->priv;
  buffer = gst_buffer_make_writable(buffer);
  std::vector<GstBuffer *> &ready = priv->ready;
  std::vector<GstBuffer *> &dropped = priv->dropped;
  uint64_t now_ns = 0;
  {
    // Held packets whose key has come since go first, in arrival order;
    // those held too long go.
    std::lock_guard guard(priv->state_lock);
    now_ns = wzp::gst::packet_time_ns(priv->segment, buffer);
    if (priv->session) {
      auto &receiver = priv->session->receiver;
      priv->key_wait.release([&](uint32_t id) { return receiver.knows_stream(id); }, now_ns, ready,
                             dropped);
    }
    priv->key_wait.expire(now_ns, dropped);
  }
  unref_all(dropped);
  GstFlowReturn ret = GST_FLOW_OK;
  wzp::gst::PacketHeader packet;
  bool parsed = false;
  for (GstBuffer *held : ready) {
    auto result = open_packet(self, held, now_ns, packet, parsed);
    if (parsed && result.status == wzp::crypto::OpenStatus::kOk) {
      {
        std::lock_guard guard(priv->state_lock);
        ++priv->stats.held_opened;
      }
      if (ret == GST_FLOW_OK) {
        ret = gst_pad_push(self->srcpad, held);
        continue;
      }
    } else if (parsed && result.status == wzp::crypto::OpenStatus::kUnknownSender) {
      // The key went again before we got to it (a leave): dropped as such.
      std::lock_guard guard(priv->state_lock);
      ++priv->stats.unknown_sender;
    }
    gst_buffer_unref(held);
  }
  ready.clear();

  auto result = open_packet(self, buffer, now_ns, packet, parsed);
  if (parsed && result.status == wzp::crypto::OpenStatus::kOk) {
    GstFlowReturn pushed = gst_pad_push(self->srcpad, buffer);
    return ret == GST_FLOW_OK ? pushed : ret;
  }
  if (parsed && result.status == wzp::crypto::OpenStatus::kUnknownSender) {
    std::lock_guard guard(priv->state_lock);
    if (priv->session) {
      // Its key may still be on its way (room signaling under loss).
      priv->key_wait.hold(packet.header.stream_id, now_ns, gst_buffer_get_size(buffer), buffer,
                          dropped);
      buffer = nullptr;
    } else {
      ++priv->stats.unknown_sender;
    }
  }
  if (buffer != nullptr) {
    GST_LOG_OBJECT(self, "dropped stream %u sequence %u: %s", packet.header.stream_id,
                   packet.header.sequence,
                   parsed ? wzp::crypto::to_string(result.status) : "unreadable header or padding");
    gst_buffer_unref(buffer);
  }
  unref_all(dropped);
  return ret;
}

gboolean gst_wzp_decrypt_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_DECRYPT(parent);
  wzp::gst::track_segment(*self->priv, event);
  return gst_pad_event_default(pad, parent, event);
}

void gst_wzp_decrypt_set_context(GstElement *element, GstContext *context) {
  auto *self = GST_WZP_DECRYPT(element);
  if (wzp::gst::adopt_context_session(*self->priv, context)) {
    GST_INFO_OBJECT(self, "using the session from the application's context");
  }
  GST_ELEMENT_CLASS(gst_wzp_decrypt_parent_class)->set_context(element, context);
}

GstStateChangeReturn gst_wzp_decrypt_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WZP_DECRYPT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    {
      std::lock_guard guard(self->priv->state_lock);
      gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
      self->priv->stats = Stats{};
      self->priv->key_wait = wzp::crypto::KeyWait<GstBuffer *>();
      // At most every held packet, and the one that could not be held.
      const size_t most = self->priv->key_wait.limits().packets + 1;
      self->priv->ready.reserve(most);
      self->priv->dropped.reserve(most);
    }
    if (!prepare_session(self)) return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_wzp_decrypt_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    std::vector<GstBuffer *> dropped;
    {
      std::lock_guard guard(self->priv->state_lock);
      self->priv->key_wait.clear(dropped);
    }
    unref_all(dropped);
    wzp::gst::release_own_session(*self->priv);
  }
  return ret;
}

void gst_wzp_decrypt_set_property(GObject *object, guint id, const GValue *value,
                                  GParamSpec *pspec) {
  auto *self = GST_WZP_DECRYPT(object);
  std::lock_guard guard(self->priv->settings_lock);
  Settings &s = self->priv->settings;
  if (wzp::gst::set_key_property(s, id, value)) return;
  switch (id) {
    case PROP_REPLAY_WINDOW:
      s.config.replay_window = g_value_get_uint(value);
      break;
    case PROP_OVERLAP_PACKETS:
      s.config.overlap_packets = g_value_get_uint64(value);
      break;
    case PROP_OVERLAP_TIME:
      s.config.overlap_ns = g_value_get_uint64(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_decrypt_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_DECRYPT(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard guard(self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  if (wzp::gst::get_key_property(s, id, value)) return;
  switch (id) {
    case PROP_REPLAY_WINDOW:
      g_value_set_uint(value, s.config.replay_window);
      break;
    case PROP_OVERLAP_PACKETS:
      g_value_set_uint64(value, s.config.overlap_packets);
      break;
    case PROP_OVERLAP_TIME:
      g_value_set_uint64(value, s.config.overlap_ns);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_decrypt_finalize(GObject *object) {
  auto *self = GST_WZP_DECRYPT(object);
  wzp::gst::wipe_key(self->priv->settings);
  std::vector<GstBuffer *> dropped;
  self->priv->key_wait.clear(dropped);
  unref_all(dropped);
  delete self->priv;
  G_OBJECT_CLASS(gst_wzp_decrypt_parent_class)->finalize(object);
}

}  // namespace

static void gst_wzp_decrypt_class_init(GstWzpDecryptClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_wzp_decrypt_set_property;
  gobject_class->get_property = gst_wzp_decrypt_get_property;
  gobject_class->finalize = gst_wzp_decrypt_finalize;
  element_class->change_state = gst_wzp_decrypt_change_state;
  element_class->set_context = gst_wzp_decrypt_set_context;

  constexpr auto kRw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_READY);
  const wzp::crypto::ReceiveConfig defaults;
  wzp::gst::install_key_properties(
      gobject_class,
      "The peer's sending traffic secret as 64 hex digits (write-only; for "
      "experiments, applications use a wzp.crypto.session context)",
      "File holding the peer's sending traffic secret as 64 hex digits");
  g_object_class_install_property(
      gobject_class, PROP_REPLAY_WINDOW,
      g_param_spec_uint("replay-window", "Replay window",
                        "Packets per stream remembered against replay; later-arriving packets "
                        "further behind the newest are dropped (rounded up to a multiple of 64)",
                        kMinReplayWindow, kMaxReplayWindow, defaults.replay_window, kRw));
  g_object_class_install_property(
      gobject_class, PROP_OVERLAP_PACKETS,
      g_param_spec_uint64("overlap-packets", "Overlap packets",
                          "After an epoch change, keep accepting the previous epoch until this "
                          "many packets arrived under the new one, then wipe its key",
                          0, G_MAXUINT64, defaults.overlap_packets, kRw));
  g_object_class_install_property(
      gobject_class, PROP_OVERLAP_TIME,
      g_param_spec_uint64("overlap-time", "Overlap time",
                          "After an epoch change, accept the previous epoch for this long "
                          "(nanoseconds of running time) before wiping its key",
                          0, G_MAXUINT64, defaults.overlap_ns, kRw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Packets opened and dropped by reason (auth-failed, replayed, too-old, "
                         "unknown-epoch, unknown-sender, ...) and epoch changes",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp decrypt", "Filter/Network/Decryption",
      "Authenticates and decrypts wzp packets, dropping forgeries and replays. Example: "
      "gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc ! wzpencrypt "
      "key-file=call.key ! wzpdecrypt key-file=call.key ! wzpfecdec ! opusdec ! autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_decrypt_debug, "wzpdecrypt", 0, "wzp media decryption");
}

static void gst_wzp_decrypt_init(GstWzpDecrypt *self) {
  self->priv = new GstWzpDecryptPrivate();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_wzp_decrypt_chain);
  gst_pad_set_event_function(self->sinkpad, gst_wzp_decrypt_sink_event);
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
}
