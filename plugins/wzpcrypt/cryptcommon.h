// What wzpencrypt and wzpdecrypt share: finding the header of a packet,
// reading a key from a property, and time for rekeying.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>

#include "libwzp/crypto/media.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::gst {

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
