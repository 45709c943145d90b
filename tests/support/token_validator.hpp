// A real HTTP token validator, as wzp-signald's --auth-url expects one
// (docs/signal.md, "Bearer tokens"), served by libsoup on a thread of its
// own in the test's process: the token "good-token" passes (200, valid),
// anything else is refused (401, not valid).
#pragma once

#include <libsoup/soup.h>

#include <cstring>
#include <string>
#include <thread>

namespace wzp::test {

class TokenValidator {
 public:
  TokenValidator() {
    context_ = g_main_context_new();
    server_ = soup_server_new(nullptr, nullptr);
    soup_server_add_handler(
        server_, "/validate",
        [](SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer) {
          SoupMessageBody *body = soup_server_message_get_request_body(msg);
          GBytes *bytes = soup_message_body_flatten(body);
          gsize size = 0;
          std::string text(static_cast<const char *>(g_bytes_get_data(bytes, &size)));
          text.resize(size);
          g_bytes_unref(bytes);
          bool good = text.find("\"good-token\"") != std::string::npos;
          const char *reply = good ? "{\"valid\":true}" : "{\"valid\":false}";
          soup_server_message_set_status(msg, good ? 200 : 401, nullptr);
          soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC, reply,
                                           std::strlen(reply));
        },
        nullptr, nullptr);
    g_main_context_push_thread_default(context_);
    soup_server_listen_local(server_, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr);
    g_main_context_pop_thread_default(context_);
    GSList *uris = soup_server_get_uris(server_);
    port_ = g_uri_get_port(static_cast<GUri *>(uris->data));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    loop_ = g_main_loop_new(context_, FALSE);
    thread_ = std::thread([this] {
      g_main_context_push_thread_default(context_);
      g_main_loop_run(loop_);
      g_main_context_pop_thread_default(context_);
    });
  }
  ~TokenValidator() {
    while (!g_main_loop_is_running(loop_)) std::this_thread::yield();
    g_main_loop_quit(loop_);
    thread_.join();
    g_object_unref(server_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }
  TokenValidator(const TokenValidator &) = delete;
  TokenValidator &operator=(const TokenValidator &) = delete;
  // The daemon's --auth-url.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/validate"; }

 private:
  GMainContext *context_;
  SoupServer *server_;
  GMainLoop *loop_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace wzp::test
