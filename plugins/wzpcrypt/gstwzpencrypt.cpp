/**
 * SECTION:element-wzpencrypt
 * @title: wzpencrypt
 * @see_also: wzpdecrypt
 *
 * Encrypts and authenticates wzp packets end to end: ChaCha20-Poly1305 over
 * the payload, with the header (and quality report) as associated data, so
 * relays can read the header but neither read nor alter anything. The
 * 16-byte tag is appended. The key's epoch goes in the header's key_epoch
 * field; the element moves to the next epoch by an HKDF ratchet after
 * `rekey-packets` packets or `rekey-time`, and posts a `wzp-crypto-epoch`
 * element message when it does. Key schedule and nonce layout:
 * docs/crypto.md.
 *
 * With `padding` set to N, each sealed packet is padded to a multiple of N
 * bytes (at most 1500) inside the ciphertext, and the header says so, so
 * an observer sees size classes instead of the codec's frame sizes
 * (docs/crypto.md, "Packet sizes"). Receivers need a wzpdecrypt that knows
 * the padded flag.
 *
 * The key comes from `key` (64 hex digits) or `key-file` for experiments,
 * or, for applications, from a wzp::crypto::MediaSession handed over in a
 * GstContext of type "wzp.crypto.session" (plugins/gstwzp/wzpcryptcontext.h).
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc ! wzpfecenc ! wzpencrypt key-file=call.key !
 *     wzpdecrypt key-file=call.key ! wzpfecdec ! opusdec ! autoaudiosink
 * ]| Audio encrypted and decrypted again in one pipeline (pipelines/crypt-loopback.sh).
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc ! wzpfecenc ! wzpencrypt key-file=call.key
 *     rekey-time=60000000000 ! wzpquicsink
 * ]| The sending half of a call, moving to a new key every minute.
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc ! wzpfecenc ! wzpencrypt key-file=call.key
 *     padding=64 ! wzpquicsink
 * ]| Every packet 64, 128, ... bytes long, whatever the speech.
 */
#include "gstwzpencrypt.h"

#include <sodium.h>

#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "cryptcommon.h"
#include "libwzp/crypto/padding.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpmeta.h"

GST_DEBUG_CATEGORY_STATIC(wzp_encrypt_debug);
#define GST_CAT_DEFAULT wzp_encrypt_debug

namespace {

enum {
  PROP_REKEY_PACKETS = wzp::gst::kFirstElementProperty,
  PROP_REKEY_TIME,
  PROP_PADDING,
  PROP_STATS,
};

constexpr guint64 kDefaultRekeyPackets = guint64{1} << 24;

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                                                            GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

struct Settings : wzp::gst::KeySettings {
  guint64 rekey_packets = kDefaultRekeyPackets;
  guint64 rekey_time = 0;
  guint padding = 0;
};

struct Stats {
  guint64 sealed = 0;
  guint64 padded = 0;
  guint64 unparseable = 0;
  guint64 oversized = 0;
  guint64 sequence_reused = 0;
  guint64 stream_table_full = 0;
  guint64 epoch_mismatch = 0;
  guint epoch = 0;
};

}  // namespace

struct GstWzpEncryptPrivate : wzp::gst::CryptPrivate {
  Settings settings;
  guint padding = 0;  // the streaming thread's copy of settings.padding
  GstBufferPool *pool = nullptr;
  Stats stats;
};

struct _GstWzpEncrypt {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  GstWzpEncryptPrivate *priv;
};

G_DEFINE_TYPE(GstWzpEncrypt, gst_wzp_encrypt, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(wzpencrypt, "wzpencrypt", GST_RANK_NONE, GST_TYPE_WZP_ENCRYPT);

namespace {

GstStructure *make_stats(GstWzpEncrypt *self) {
  std::lock_guard guard(self->priv->state_lock);
  const Stats &s = self->priv->stats;
  return gst_structure_new("application/x-wzp-encrypt-stats", "sealed", G_TYPE_UINT64, s.sealed,
                           "padded", G_TYPE_UINT64, s.padded, "unparseable", G_TYPE_UINT64,
                           s.unparseable, "oversized", G_TYPE_UINT64, s.oversized,
                           "sequence-reused", G_TYPE_UINT64, s.sequence_reused, "stream-table-full",
                           G_TYPE_UINT64, s.stream_table_full, "epoch-mismatch", G_TYPE_UINT64,
                           s.epoch_mismatch, "epoch", G_TYPE_UINT, s.epoch, nullptr);
}

// Builds our own session from the key properties, or asks the application
// for one (need-context), before data flows.
bool prepare_session(GstWzpEncrypt *self) {
  auto *priv = self->priv;
  Settings settings;
  {
    std::lock_guard guard(priv->settings_lock);
    settings = priv->settings;
  }
  if (settings.key_hex.empty() && settings.key_file.empty()) {
    wzp::gst::request_session_unless_present(*priv, GST_ELEMENT(self), self->sinkpad, self->srcpad);
    std::lock_guard guard(priv->state_lock);
    if (priv->session && priv->session->sender) {
      priv->stats.epoch = priv->session->sender->epoch();
      return true;
    }
    if (priv->session) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No usable key"),
                        ("the wzp.crypto.session context has no sender (a receive-only session)"));
      return false;
    }
  }
  std::string error;
  auto secret = wzp::gst::load_secret(settings.key_hex, settings.key_file, error);
  if (!secret) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("No usable key"), ("%s", error.c_str()));
    return false;
  }
  wzp::crypto::SendConfig config{.rekey_packets = settings.rekey_packets,
                                 .rekey_ns = settings.rekey_time};
  auto session = std::make_shared<wzp::crypto::MediaSession>();
  session->sender = std::make_unique<wzp::crypto::MediaSender>(*secret, settings.epoch, config);
  sodium_memzero(secret->data(), secret->size());
  wzp::gst::store_own_session(*priv, std::move(session));
  std::lock_guard guard(priv->state_lock);
  priv->stats.epoch = settings.epoch;
  return true;
}

bool start_pool(GstWzpEncrypt *self) {
  GstBufferPool *pool = gst_buffer_pool_new();
  GstStructure *config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_set_params(config, nullptr, wzp::wire::kMaxPacketSize, 8, 0);
  if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE)) {
    gst_object_unref(pool);
    return false;
  }
  std::lock_guard guard(self->priv->state_lock);
  self->priv->pool = pool;
  return true;
}

void stop_pool(GstWzpEncrypt *self) {
  GstBufferPool *pool;
  {
    std::lock_guard guard(self->priv->state_lock);
    pool = std::exchange(self->priv->pool, nullptr);
  }
  if (pool) {
    gst_buffer_pool_set_active(pool, FALSE);
    gst_object_unref(pool);
  }
}

void post_epoch_message(GstWzpEncrypt *self, guint epoch) {
  GstStructure *s =
      gst_structure_new("wzp-crypto-epoch", "direction", G_TYPE_STRING, "send", "sender-id",
                        G_TYPE_UINT, 0u, "epoch", G_TYPE_UINT, epoch, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// Seals `in` (taken) into a new buffer; nullptr when the packet is dropped
// (counted) or, with `error` set, when it cannot be read.
GstBuffer *seal(GstWzpEncrypt *self, GstBuffer *in, bool &error) {
  auto *priv = self->priv;
  GstMapInfo in_map;
  if (!gst_buffer_map(in, &in_map, GST_MAP_READ)) {
    gst_buffer_unref(in);
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map the input buffer"), (nullptr));
    error = true;
    return nullptr;
  }
  std::span<const uint8_t> bytes(in_map.data, in_map.size);
  wzp::gst::PacketHeader packet;
  GstBuffer *out = nullptr;
  wzp::crypto::SealResult result;
  bool dropped = true;
  size_t plaintext_size = 0;  // the payload as sealed, padding included
  {
    std::lock_guard guard(priv->state_lock);
    bool located = wzp::gst::locate_header(in, bytes, packet);
    const size_t payload_size = located ? bytes.size() - packet.header_size : 0;
    std::optional<size_t> padded;
    if (located && priv->padding > 0) {
      padded = wzp::crypto::padded_payload_size(packet.header_size, payload_size, priv->padding,
                                                wzp::wire::kMaxPacketSize);
    }
    plaintext_size = padded.value_or(payload_size);
    if (!located) {
      ++priv->stats.unparseable;
      GST_DEBUG_OBJECT(self, "dropped a packet without a readable header");
    } else if ((priv->padding > 0 && !padded) ||
               bytes.size() + wzp::crypto::kTagSize > wzp::wire::kMaxPacketSize) {
      ++priv->stats.oversized;
      GST_WARNING_OBJECT(self, "dropped a %zu-byte packet: no room for the tag (and padding)",
                         bytes.size());
    } else if (!priv->session || !priv->session->sender || !priv->pool) {
      GST_WARNING_OBJECT(self, "dropped a packet: no sending key");
    } else if (gst_buffer_pool_acquire_buffer(priv->pool, &out, nullptr) == GST_FLOW_OK) {
      GstMapInfo out_map;
      gst_buffer_map(out, &out_map, GST_MAP_WRITE);
      std::copy(bytes.begin(), bytes.end(), out_map.data);
      std::span<uint8_t> sealed(out_map.data, packet.header_size + plaintext_size);
      if (padded) {
        // The flag goes into the header before sealing: it is associated data.
        wzp::wire::set_padded(sealed, true);
        wzp::crypto::pad(sealed.subspan(packet.header_size), payload_size);
      }
      result = priv->session->sender->seal(
          packet.header.stream_id, packet.header.sequence,
          wzp::gst::packet_time_ns(priv->segment, in), packet.full ? &sealed[3] : nullptr,
          packet.header.key_epoch, sealed.first(packet.header_size),
          sealed.subspan(packet.header_size), out_map.data + sealed.size());
      gst_buffer_unmap(out, &out_map);
      switch (result.status) {
        case wzp::crypto::SealStatus::kOk:
          ++priv->stats.sealed;
          priv->stats.padded += padded.has_value();
          dropped = false;
          break;
        case wzp::crypto::SealStatus::kSequenceReused:
          ++priv->stats.sequence_reused;
          break;
        case wzp::crypto::SealStatus::kStreamTableFull:
          ++priv->stats.stream_table_full;
          break;
        case wzp::crypto::SealStatus::kEpochMismatch:
          ++priv->stats.epoch_mismatch;
          break;
      }
      if (dropped) {
        GST_DEBUG_OBJECT(self, "dropped stream %u sequence %u: %s", packet.header.stream_id,
                         packet.header.sequence, wzp::crypto::to_string(result.status));
      }
      priv->stats.epoch = result.epoch;
    }
  }
  gst_buffer_unmap(in, &in_map);
  if (dropped) {
    if (out) gst_buffer_unref(out);
    gst_buffer_unref(in);
    return nullptr;
  }
  gst_buffer_set_size(
      out, static_cast<gssize>(packet.header_size + plaintext_size + wzp::crypto::kTagSize));
  gst_buffer_copy_into(out, in, GST_BUFFER_COPY_METADATA, 0, -1);
  if (WzpHeaderMeta *meta = wzp_buffer_get_header_meta(out)) {
    meta->header.key_epoch = static_cast<uint8_t>(result.epoch);
    meta->header.padded = plaintext_size != in_map.size - packet.header_size;
  }
  gst_buffer_unref(in);
  if (result.epoch_changed) {
    GST_INFO_OBJECT(self, "now sending under epoch %u", result.epoch);
    post_epoch_message(self, result.epoch);
  }
  return out;
}

GstFlowReturn gst_wzp_encrypt_chain(GstPad *, GstObject *parent, GstBuffer *in) {
  auto *self = GST_WZP_ENCRYPT(parent);
  bool error = false;
  GstBuffer *out = seal(self, in, error);
  if (out == nullptr) return error ? GST_FLOW_ERROR : GST_FLOW_OK;
  return gst_pad_push(self->srcpad, out);
}

// A list (a frame and its repair, from wzpfecenc) stays a list, so the
// sink sends its packets together.
GstFlowReturn gst_wzp_encrypt_chain_list(GstPad *, GstObject *parent, GstBufferList *in) {
  auto *self = GST_WZP_ENCRYPT(parent);
  const guint length = gst_buffer_list_length(in);
  GstBufferList *out = gst_buffer_list_new_sized(length);
  bool error = false;
  for (guint i = 0; i < length && !error; ++i) {
    if (GstBuffer *sealed = seal(self, gst_buffer_ref(gst_buffer_list_get(in, i)), error)) {
      gst_buffer_list_add(out, sealed);
    }
  }
  gst_buffer_list_unref(in);
  if (error || gst_buffer_list_length(out) == 0) {
    gst_buffer_list_unref(out);
    return error ? GST_FLOW_ERROR : GST_FLOW_OK;
  }
  return gst_pad_push_list(self->srcpad, out);
}

gboolean gst_wzp_encrypt_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_ENCRYPT(parent);
  wzp::gst::track_segment(*self->priv, event);
  return gst_pad_event_default(pad, parent, event);
}

void gst_wzp_encrypt_set_context(GstElement *element, GstContext *context) {
  auto *self = GST_WZP_ENCRYPT(element);
  if (wzp::gst::adopt_context_session(*self->priv, context)) {
    GST_INFO_OBJECT(self, "using the session from the application's context");
  }
  GST_ELEMENT_CLASS(gst_wzp_encrypt_parent_class)->set_context(element, context);
}

GstStateChangeReturn gst_wzp_encrypt_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WZP_ENCRYPT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    guint padding;
    {
      std::lock_guard guard(self->priv->settings_lock);
      padding = self->priv->settings.padding;
    }
    {
      std::lock_guard guard(self->priv->state_lock);
      gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
      self->priv->stats = Stats{};
      self->priv->padding = padding;
    }
    if (!prepare_session(self) || !start_pool(self)) return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_wzp_encrypt_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    stop_pool(self);
    wzp::gst::release_own_session(*self->priv);
  }
  return ret;
}

void gst_wzp_encrypt_set_property(GObject *object, guint id, const GValue *value,
                                  GParamSpec *pspec) {
  auto *self = GST_WZP_ENCRYPT(object);
  std::lock_guard guard(self->priv->settings_lock);
  Settings &s = self->priv->settings;
  if (wzp::gst::set_key_property(s, id, value)) return;
  switch (id) {
    case PROP_REKEY_PACKETS:
      s.rekey_packets = g_value_get_uint64(value);
      break;
    case PROP_REKEY_TIME:
      s.rekey_time = g_value_get_uint64(value);
      break;
    case PROP_PADDING:
      s.padding = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_encrypt_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_ENCRYPT(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard guard(self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  if (wzp::gst::get_key_property(s, id, value)) return;
  switch (id) {
    case PROP_REKEY_PACKETS:
      g_value_set_uint64(value, s.rekey_packets);
      break;
    case PROP_REKEY_TIME:
      g_value_set_uint64(value, s.rekey_time);
      break;
    case PROP_PADDING:
      g_value_set_uint(value, s.padding);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_encrypt_finalize(GObject *object) {
  auto *self = GST_WZP_ENCRYPT(object);
  wzp::gst::wipe_key(self->priv->settings);
  delete self->priv;
  G_OBJECT_CLASS(gst_wzp_encrypt_parent_class)->finalize(object);
}

}  // namespace

static void gst_wzp_encrypt_class_init(GstWzpEncryptClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_wzp_encrypt_set_property;
  gobject_class->get_property = gst_wzp_encrypt_get_property;
  gobject_class->finalize = gst_wzp_encrypt_finalize;
  element_class->change_state = gst_wzp_encrypt_change_state;
  element_class->set_context = gst_wzp_encrypt_set_context;

  constexpr auto kRw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_READY);
  wzp::gst::install_key_properties(
      gobject_class,
      "Sending traffic secret as 64 hex digits (write-only; for experiments, "
      "applications use a wzp.crypto.session context)",
      "File holding the sending traffic secret as 64 hex digits");
  g_object_class_install_property(
      gobject_class, PROP_REKEY_PACKETS,
      g_param_spec_uint64("rekey-packets", "Rekey packets",
                          "Move to the next key epoch after this many packets (0: only the "
                          "2^30-packet safety limit)",
                          0, G_MAXUINT64, kDefaultRekeyPackets, kRw));
  g_object_class_install_property(
      gobject_class, PROP_REKEY_TIME,
      g_param_spec_uint64("rekey-time", "Rekey time",
                          "Move to the next key epoch after this much running time in "
                          "nanoseconds (0: never by time)",
                          0, G_MAXUINT64, 0, kRw));
  g_object_class_install_property(
      gobject_class, PROP_PADDING,
      g_param_spec_uint("padding", "Padding",
                        "Pad each sealed packet, inside the ciphertext, to a multiple of this "
                        "many bytes (at most 1500; 0: no padding), so packet sizes show size "
                        "classes instead of speech",
                        0, wzp::wire::kMaxPacketSize, 0, kRw));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed(
          "stats", "Statistics",
          "Packets sealed (and of them padded) and dropped (by reason), and the current epoch",
          GST_TYPE_STRUCTURE, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp encrypt", "Filter/Network/Encryption",
      "Encrypts and authenticates wzp packets end to end (ChaCha20-Poly1305). Example: "
      "gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc ! wzpencrypt "
      "key-file=call.key ! wzpdecrypt key-file=call.key ! wzpfecdec ! opusdec ! autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_encrypt_debug, "wzpencrypt", 0, "wzp media encryption");
}

static void gst_wzp_encrypt_init(GstWzpEncrypt *self) {
  self->priv = new GstWzpEncryptPrivate();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_wzp_encrypt_chain);
  gst_pad_set_chain_list_function(self->sinkpad, gst_wzp_encrypt_chain_list);
  gst_pad_set_event_function(self->sinkpad, gst_wzp_encrypt_sink_event);
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
}
