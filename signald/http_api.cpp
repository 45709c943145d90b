#include "signald/http_api.hpp"

#include <gio/gio.h>

#include <nlohmann/json.hpp>

#include "libwzp/base/host_port.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/stream/tcp_listener.hpp"
#include "signald/stun_responder.hpp"
#include "signald/tls_transport.hpp"

namespace wzp::signald {

namespace {

void reply(SoupServerMessage *message, guint status, const char *content_type,
           const std::string &body) {
  // libsoup 3.2 keeps a kept-alive connection's socket after the client
  // closes it (CLOSE_WAIT, one fd per request): one request per connection.
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Connection",
                               "close");
  soup_server_message_set_status(message, status, nullptr);
  soup_server_message_set_response(message, content_type, SOUP_MEMORY_COPY, body.data(),
                                   body.size());
}

nlohmann::json user_json(const signal::PresenceUser &user) {
  nlohmann::json j = {{"fingerprint", user.fingerprint}, {"devices", user.devices}};
  j["alias"] = user.alias ? nlohmann::json(*user.alias) : nlohmann::json(nullptr);
  return j;
}

std::string json_text(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Presence names who is online: for the operator, on this host only.
bool from_loopback(SoupServerMessage *message) {
  GSocketAddress *remote = soup_server_message_get_remote_address(message);
  if (remote == nullptr || !G_IS_INET_SOCKET_ADDRESS(remote)) return false;
  gchar *text =
      g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
  bool loopback = base::is_loopback_address(text);
  g_free(text);
  return loopback;
}

struct OpenCount {
  std::shared_ptr<size_t> open;
};

void socket_gone(gpointer data, GObject *) {
  auto *count = static_cast<OpenCount *>(data);
  --*count->open;
  delete count;
}

// Shutting the socket down makes libsoup see the end of the stream, fail
// whatever it was reading or writing, and drop the connection.
gboolean deadline_passed(gpointer data) {
  if (auto *socket = static_cast<GObject *>(g_weak_ref_get(static_cast<GWeakRef *>(data)));
      socket != nullptr) {
    g_socket_shutdown(G_SOCKET(socket), TRUE, TRUE, nullptr);
    g_object_unref(socket);
  }
  return G_SOURCE_REMOVE;
}

void free_weak_ref(gpointer data) {
  g_weak_ref_clear(static_cast<GWeakRef *>(data));
  delete static_cast<GWeakRef *>(data);
}

}  // namespace

HttpApi::HttpApi(std::mutex &core_mutex, Server &server) : mutex_(core_mutex), server_(server) {
  soup_ = soup_server_new("server-header", "wzp-signald", nullptr);
  soup_server_add_early_handler(soup_, nullptr, on_headers, nullptr, nullptr);
  soup_server_add_handler(soup_, nullptr, on_request, this, nullptr);
}

HttpApi::~HttpApi() {
  if (service_ != nullptr) {
    g_socket_service_stop(service_);
    g_socket_listener_close(G_SOCKET_LISTENER(service_));
    g_object_unref(service_);
  }
  soup_server_disconnect(soup_);
  g_object_unref(soup_);
}

bool HttpApi::listen(const std::string &host, uint16_t port, std::string &error) {
  service_ = stream::listen_tcp(host, port, G_CALLBACK(on_incoming), this, port_, error);
  return service_ != nullptr;
}

gboolean HttpApi::on_incoming(GSocketService *, GSocketConnection *connection, GObject *,
                              gpointer self) {
  auto *api = static_cast<HttpApi *>(self);
  if (*api->open_ >= kMaxHttpConnections) {
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
    return TRUE;
  }
  GSocket *socket = g_socket_connection_get_socket(connection);
  ++*api->open_;
  g_object_weak_ref(G_OBJECT(socket), socket_gone, new OpenCount{api->open_});
  auto *weak = new GWeakRef;
  g_weak_ref_init(weak, socket);
  g_timeout_add_full(G_PRIORITY_DEFAULT,
                     static_cast<guint>(std::chrono::milliseconds(kHttpDeadline).count()),
                     deadline_passed, weak, free_weak_ref);
  GSocketAddress *local = g_socket_connection_get_local_address(connection, nullptr);
  GSocketAddress *remote = g_socket_connection_get_remote_address(connection, nullptr);
  soup_server_accept_iostream(api->soup_, G_IO_STREAM(connection), local, remote, nullptr);
  if (local != nullptr) g_object_unref(local);
  if (remote != nullptr) g_object_unref(remote);
  return TRUE;
}

// Runs once the headers are in, before libsoup reads a body. We take none:
// one is refused, and what the client sends of it anyway is read and
// dropped, not kept (within kHttpDeadline).
void HttpApi::on_headers(SoupServer *, SoupServerMessage *message, const char *, GHashTable *,
                         gpointer) {
  soup_message_body_set_accumulate(soup_server_message_get_request_body(message), FALSE);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers(message);
  SoupEncoding encoding = soup_message_headers_get_encoding(headers);
  bool has_body = encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF ||
                  (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                   soup_message_headers_get_content_length(headers) > 0);
  if (has_body) reply(message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "text/plain", "no body\n");
}

void HttpApi::on_request(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                         gpointer self) {
  static_cast<HttpApi *>(self)->respond(message, path ? path : "/");
}

void HttpApi::respond(SoupServerMessage *message, const std::string &path) {
  const char *method = soup_server_message_get_method(message);
  if (g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0) {
    soup_message_headers_append(soup_server_message_get_response_headers(message), "Allow",
                                "GET, HEAD");
    return reply(message, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
  }
  if (path == "/healthz") return reply(message, SOUP_STATUS_OK, "text/plain", "ok\n");
  if (path == "/metrics") {
    std::string text;
    {
      std::lock_guard lock(mutex_);
      Gauges gauges = server_.gauges();
      if (federation_ != nullptr) gauges.relay_links = federation_->links_up();
      text = render_prometheus(server_.counters(), gauges,
                               federation_ != nullptr ? &federation_->counters() : nullptr,
                               cluster_ != nullptr ? &cluster_->counters() : nullptr);
      if (tls_ != nullptr) text += tls_->metrics();
      if (stun_ != nullptr) text += stun_->metrics();
    }
    return reply(message, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", text);
  }
  if (path.starts_with("/presence") && !from_loopback(message)) {
    return reply(message, SOUP_STATUS_FORBIDDEN, "text/plain",
                 "presence is answered on this host only\n");
  }
  if (path == "/presence") {
    nlohmann::json users = nlohmann::json::array();
    size_t total = 0;
    {
      std::lock_guard lock(mutex_);
      for (const auto &user : server_.presence_list()) users.push_back(user_json(user));
      total = server_.presence_count();
    }
    // The list stops at kMaxPresenceUsers; say so when it did.
    return reply(message, SOUP_STATUS_OK, "application/json",
                 json_text({{"count", users.size()},
                            {"total", total},
                            {"truncated", users.size() < total},
                            {"users", users}}));
  }
  const std::string prefix = "/presence/";
  if (path.starts_with(prefix)) {
    std::string wanted = path.substr(prefix.size());
    std::string why;
    auto parsed = crypto::parse_fingerprint(wanted, &why);
    if (!parsed) {
      return reply(message, SOUP_STATUS_BAD_REQUEST, "application/json",
                   json_text({{"error", "bad fingerprint: " + why}}));
    }
    std::string fingerprint = crypto::format_fingerprint(*parsed);
    std::optional<signal::PresenceUser> user;
    {
      std::lock_guard lock(mutex_);
      user = server_.presence_of(fingerprint);
    }
    if (!user) {
      return reply(message, SOUP_STATUS_NOT_FOUND, "application/json",
                   json_text({{"fingerprint", fingerprint}, {"online", false}}));
    }
    nlohmann::json j = user_json(*user);
    j["online"] = true;
    return reply(message, SOUP_STATUS_OK, "application/json", json_text(j));
  }
  reply(message, SOUP_STATUS_NOT_FOUND, "text/plain", "not found\n");
}

}  // namespace wzp::signald
