#include "client/local_call.hpp"

#include <sodium.h>

#include <vector>

#include "libwzp/wire/header.hpp"

namespace wzp::client {
namespace {

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

bool agree_keys_locally(crypto::CallKeys &caller_keys, crypto::CallKeys &callee_keys,
                        std::string &error) {
  auto caller = crypto::Identity::generate();
  auto callee = crypto::Identity::generate();
  crypto::CallId call_id{};
  randombytes_buf(call_id.data(), call_id.size());
  crypto::Offerings offers{{1}, {wire::codec::kOpus, wire::codec::kCodec2_1200}, {0}};
  crypto::HandshakeInitiator initiator(caller, call_id, callee.fingerprint(), offers, now_ms());
  crypto::ReplayGuard guard;
  crypto::HandshakeResponder responder(callee, offers, guard);
  std::vector<uint8_t> answer, confirm;
  auto e = responder.on_offer(initiator.offer(), now_ms(), &caller.fingerprint(), answer);
  if (e == crypto::HandshakeError::kOk) e = initiator.on_answer(answer, confirm, caller_keys);
  if (e == crypto::HandshakeError::kOk) e = responder.on_confirm(confirm, callee_keys);
  if (e != crypto::HandshakeError::kOk) error = std::string("handshake: ") + crypto::to_string(e);
  return e == crypto::HandshakeError::kOk;
}

uint16_t receiver_port(GstElement *receiver) {
  GstElement *net = gst_bin_get_by_name(GST_BIN(receiver), "net");
  guint port = 0;
  g_object_get(net, "bound-port", &port, nullptr);
  gst_object_unref(net);
  return static_cast<uint16_t>(port);
}

std::string receiver_fingerprint(GstElement *receiver) {
  GstElement *net = gst_bin_get_by_name(GST_BIN(receiver), "net");
  gchar *value = nullptr;
  g_object_get(net, "fingerprint", &value, nullptr);
  gst_object_unref(net);
  std::string result = value != nullptr ? value : "";
  g_free(value);
  return result;
}

bool wait_connected(GstElement *sender, std::chrono::milliseconds timeout) {
  GstElement *net = gst_bin_get_by_name(GST_BIN(sender), "net");
  gboolean connected = FALSE;
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       !connected && std::chrono::steady_clock::now() < deadline;) {
    g_usleep(20 * 1000);
    g_object_get(net, "connected", &connected, nullptr);
  }
  gst_object_unref(net);
  return connected;
}

}  // namespace wzp::client
