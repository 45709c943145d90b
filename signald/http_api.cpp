#include "signald/http_api.hpp"

#include <gio/gio.h>

#include <nlohmann/json.hpp>

#include "libwzp/crypto/identity.hpp"

namespace wzp::signald {

namespace {

void reply(SoupServerMessage *message, guint status, const char *content_type,
           const std::string &body) {
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

}  // namespace

HttpApi::HttpApi(std::mutex &core_mutex, Server &server) : mutex_(core_mutex), server_(server) {
  soup_ = soup_server_new("server-header", "wzp-signald", nullptr);
  soup_server_add_handler(soup_, nullptr, on_request, this, nullptr);
}

HttpApi::~HttpApi() {
  soup_server_disconnect(soup_);
  g_object_unref(soup_);
}

bool HttpApi::listen(const std::string &host, uint16_t port, std::string &error) {
  GInetAddress *inet = g_inet_address_new_from_string(host.c_str());
  if (inet == nullptr) {
    error = "HTTP address must be numeric: " + host;
    return false;
  }
  GSocketAddress *address = g_inet_socket_address_new(inet, port);
  g_object_unref(inet);
  GError *gerror = nullptr;
  bool ok = soup_server_listen(soup_, address, static_cast<SoupServerListenOptions>(0), &gerror);
  g_object_unref(address);
  if (!ok) {
    error = gerror->message;
    g_error_free(gerror);
    return false;
  }
  GSList *uris = soup_server_get_uris(soup_);
  if (uris != nullptr)
    port_ = static_cast<uint16_t>(g_uri_get_port(static_cast<GUri *>(uris->data)));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return true;
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
                               federation_ != nullptr ? &federation_->counters() : nullptr);
    }
    return reply(message, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", text);
  }
  if (path == "/presence") {
    nlohmann::json users = nlohmann::json::array();
    {
      std::lock_guard lock(mutex_);
      for (const auto &user : server_.presence_list()) users.push_back(user_json(user));
    }
    return reply(message, SOUP_STATUS_OK, "application/json",
                 json_text({{"count", users.size()}, {"users", users}}));
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
