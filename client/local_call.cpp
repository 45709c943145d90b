#include "client/local_call.hpp"

#include <sodium.h>

#include <vector>

#include "client/call_media.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::client {
namespace {

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

gboolean on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *run = static_cast<LocalCallRun *>(data);
  if (run->adaptive != nullptr && run->adaptive->on_bus_message(message)) return G_SOURCE_CONTINUE;
  if (follow_latency(message, {run->sender, run->receiver})) return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    run->error = describe_error(message, run->sender);
    g_main_loop_quit(run->loop);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
    if (GST_MESSAGE_SRC(message) == GST_OBJECT(run->sender)) {
      g_timeout_add(
          run->drain_ms,
          [](gpointer d) -> gboolean {
            gst_element_send_event(static_cast<LocalCallRun *>(d)->receiver, gst_event_new_eos());
            return G_SOURCE_REMOVE;
          },
          run);
    } else {
      g_main_loop_quit(run->loop);
    }
  }
  return G_SOURCE_CONTINUE;
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

void LocalCallRun::watch_buses() {
  for (GstElement *pipeline : {sender, receiver}) {
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_add_watch(bus, on_bus, this);
    gst_object_unref(bus);
  }
}

void LocalCallRun::release_pipelines() {
  for (GstElement *pipeline : {sender, receiver}) {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_remove_watch(bus);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  sender = receiver = nullptr;
}

}  // namespace wzp::client
