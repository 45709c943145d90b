// What wzpquicsink and wzpquicsrc share: the QUIC link settings as GObject
// properties (a wzp::quic::LinkConfig), the read-outs of the running link
// (bound-port, fingerprint, stats), and the "wzp.quic.link" GstContext
// through which a sink and a source with the same settings share one
// connection (link wzp_quic). An application may offer a link over a
// connection it already has (wzp::quic::Link::over, e.g. the client's
// connection to wzp-signald) with wzp_quic_link_context_new() and
// gst_element_set_context(); the elements then use it whatever their own
// address, port and TLS settings say.
//
//   // class_init:
//   wzp_quic_link_install_properties(gobject_class, "GstWzpQuicSink");
//   // set_property / get_property, before the element's own ids:
//   if (wzp_quic_link_set_property(*impl, id, value)) return;
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>

#include "libwzp/quic/link.hpp"

#define WZP_QUIC_LINK_CONTEXT_TYPE "wzp.quic.link"

// Ids of the properties wzp_quic_link_install_properties() installs; an
// element numbers its own from WZP_QUIC_LINK_PROP_LAST.
enum WzpQuicLinkProperty : guint {
  WZP_QUIC_LINK_PROP_ROLE = 1,
  WZP_QUIC_LINK_PROP_ADDRESS,
  WZP_QUIC_LINK_PROP_PORT,
  WZP_QUIC_LINK_PROP_BIND_ADDRESS,
  WZP_QUIC_LINK_PROP_BIND_PORT,
  WZP_QUIC_LINK_PROP_ALPN_PROTOCOLS,
  WZP_QUIC_LINK_PROP_CERTIFICATE_FILE,
  WZP_QUIC_LINK_PROP_PRIVATE_KEY_FILE,
  WZP_QUIC_LINK_PROP_SERVER_FINGERPRINT,
  WZP_QUIC_LINK_PROP_MAX_QUEUE_TIME,
  WZP_QUIC_LINK_PROP_IDLE_TIMEOUT,
  WZP_QUIC_LINK_PROP_KEEP_ALIVE_INTERVAL,
  WZP_QUIC_LINK_PROP_CONGESTION_CONTROL,
  WZP_QUIC_LINK_PROP_PATH_MTU_DISCOVERY,
  WZP_QUIC_LINK_PROP_BOUND_PORT,
  WZP_QUIC_LINK_PROP_FINGERPRINT,
  WZP_QUIC_LINK_PROP_STATS,
  WZP_QUIC_LINK_PROP_LAST,
};

// An element's settings and running link, behind separate locks.
struct WzpQuicLinkState {
  std::mutex settings_mutex;
  wzp::quic::LinkConfig settings;
  std::mutex state_mutex;
  std::shared_ptr<wzp::quic::Link> link;
  std::shared_ptr<wzp::quic::Link> offered_link;  // from a "wzp.quic.link" context

  std::shared_ptr<wzp::quic::Link> current_link();
};

// Installs the link properties. Their enum types are registered as
// <type_prefix>Role and <type_prefix>CongestionControl, so each element
// documents its own, and marked as plugin API.
void wzp_quic_link_install_properties(GObjectClass *klass, const gchar *type_prefix);

// FALSE when `id` is not one of the link properties.
gboolean wzp_quic_link_set_property(WzpQuicLinkState &state, guint id, const GValue *value);
gboolean wzp_quic_link_get_property(WzpQuicLinkState &state, guint id, GValue *value);

// A "wzp.quic.link" context offering `link` (it holds a weak reference: the
// caller keeps the link alive while the pipeline runs).
GstContext *wzp_quic_link_context_new(const std::shared_ptr<wzp::quic::Link> &link);

// Keeps the link a "wzp.quic.link" context offers, for the next start.
void wzp_quic_link_set_context(WzpQuicLinkState &state, GstContext *context);

// Asks for a "wzp.quic.link" context (need-context) and reuses the link it
// offers if its settings match ours or it rides someone else's connection; otherwise opens a link
// and announces it (have-context). FALSE + `error` when the link cannot be opened.
gboolean wzp_quic_link_start(GstElement *element, GstDebugCategory *category,
                             WzpQuicLinkState &state, std::string &error);
// Lets go of the link (it closes when its last user does) and logs its
// final statistics.
void wzp_quic_link_stop(GstElement *element, GstDebugCategory *category, WzpQuicLinkState &state);

// The "stats" structure of a link (all zero without one).
GstStructure *wzp_quic_link_stats(const std::shared_ptr<wzp::quic::Link> &link);
