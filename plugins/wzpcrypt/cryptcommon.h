// What wzpencrypt and wzpdecrypt share: the key properties, the session
// (from those or from a GstContext) and segment they keep, finding the
// header of a packet, reading a key, and time for rekeying.
#pragma once

#include <gst/gst.h>

#include <mutex>
#include <optional>
#include <string>

#include "libwzp/crypto/media.hpp"
#include "libwzp/wire/header.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"

namespace wzp::gst {

// Ids of the properties install_key_properties() installs; an element
// numbers its own from kFirstElementProperty.
enum KeyProperty : guint { kPropKey = 1, kPropKeyFile, kPropEpoch, kFirstElementProperty };

// Where an element's own key comes from: `key`, `key-file` and `epoch`.
struct KeySettings {
  std::string key_hex;
  std::string key_file;
  guint epoch = 0;
};

// `key` (write-only) and `key-file` with the element's blurbs, and `epoch`.
void install_key_properties(GObjectClass *klass, const gchar *key_blurb,
                            const gchar *key_file_blurb);
// False when `id` is not a key property. The old key is wiped on change.
bool set_key_property(KeySettings &settings, guint id, const GValue *value);
bool get_key_property(const KeySettings &settings, guint id, GValue *value);
void wipe_key(KeySettings &settings);

// The part of an element's private data both elements have: settings and
// state behind separate locks; the element adds its own fields.
struct CryptPrivate {
  std::mutex settings_lock;
  std::mutex state_lock;
  WzpCryptoSessionRef session;  // from the key properties or a GstContext
  bool session_from_context = false;
  GstSegment segment;
};

// Keeps the segment of a SEGMENT event, for packet_time_ns().
void track_segment(CryptPrivate &priv, GstEvent *event);
// Takes the session a wzp.crypto.session context carries; false if none.
bool adopt_context_session(CryptPrivate &priv, GstContext *context);
// Asks for a session context unless the element already has a session.
void request_session_unless_present(CryptPrivate &priv, GstElement *element, GstPad *sinkpad,
                                    GstPad *srcpad);
// At PAUSED -> READY: a session built from the key properties is dropped
// (and its keys wiped with it); a context's stays with the application.
void release_own_session(CryptPrivate &priv);
// Stores a session built from the key properties.
void store_own_session(CryptPrivate &priv, WzpCryptoSessionRef session);

struct PacketHeader {
  wire::MediaHeader header;
  size_t header_size = 0;  // the AEAD's associated data: header and report as sent
  bool full = false;       // a full header, whose key_epoch byte sits at offset 3
};

// Uses the WzpHeaderMeta when present (mini headers need it), else parses a
// full header from the bytes.
bool locate_header(GstBuffer *buffer, std::span<const uint8_t> bytes, PacketHeader &out);

// The key from the `key` (hex) or `key-file` property; `key` wins. On
// failure `error` says why, without echoing key material.
std::optional<crypto::TrafficSecret> load_secret(const std::string &hex, const std::string &file,
                                                 std::string &error);

// Asks the neighbours (context query) and then the application (need-context
// message) for a wzp.crypto.session context; an answer arrives through the
// element's set_context.
void request_session_context(GstElement *element, GstPad *sinkpad, GstPad *srcpad);

// The buffer's running time (for rekey and overlap timers), falling back to
// the monotonic clock when the buffer has no timestamp.
guint64 packet_time_ns(const GstSegment &segment, GstBuffer *buffer);

}  // namespace wzp::gst
