// Handing a wzp::crypto::MediaSession to wzpencrypt / wzpdecrypt through a
// GstContext of type WZP_CRYPTO_CONTEXT_TYPE, for elements and applications
// alike (link wzp_crypto). Header-only so an application
// can use it without linking the plugin: the boxed type is registered by
// name on first use, by whichever side comes first.
//
//   auto session = std::make_shared<wzp::crypto::MediaSession>();
//   session->sender = std::make_unique<wzp::crypto::MediaSender>(keys.send);
//   session->receiver.add_sender(0, 0, keys.receive);
//   GstContext *context = wzp_crypto_context_new(session);
//   gst_element_set_context(pipeline, context);  // or answer need-context
//   gst_context_unref(context);
#pragma once

#include <gst/gst.h>

#include <memory>

#include "libwzp/crypto/session.hpp"

#define WZP_CRYPTO_CONTEXT_TYPE "wzp.crypto.session"

using WzpCryptoSessionRef = std::shared_ptr<wzp::crypto::MediaSession>;

inline GType wzp_crypto_session_get_type() {
  static GType type = [] {
    GType existing = g_type_from_name("WzpCryptoSession");
    if (existing) return existing;
    return g_boxed_type_register_static(
        "WzpCryptoSession",
        [](gpointer ref) -> gpointer {
          return new WzpCryptoSessionRef(*static_cast<WzpCryptoSessionRef *>(ref));
        },
        [](gpointer ref) { delete static_cast<WzpCryptoSessionRef *>(ref); });
  }();
  return type;
}

inline GstContext *wzp_crypto_context_new(const WzpCryptoSessionRef &session) {
  GstContext *context = gst_context_new(WZP_CRYPTO_CONTEXT_TYPE, TRUE);
  WzpCryptoSessionRef ref = session;
  gst_structure_set(gst_context_writable_structure(context), "session",
                    wzp_crypto_session_get_type(), &ref, nullptr);
  return context;
}

// The session a context carries, or null.
inline WzpCryptoSessionRef wzp_crypto_context_get_session(GstContext *context) {
  if (g_strcmp0(gst_context_get_context_type(context), WZP_CRYPTO_CONTEXT_TYPE) != 0) return {};
  const GstStructure *s = gst_context_get_structure(context);
  const GValue *value = gst_structure_get_value(s, "session");
  if (!value || !G_VALUE_HOLDS(value, wzp_crypto_session_get_type())) return {};
  auto *ref = static_cast<WzpCryptoSessionRef *>(g_value_get_boxed(value));
  return ref ? *ref : WzpCryptoSessionRef{};
}
