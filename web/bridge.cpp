#include "web/bridge.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "libwzp/base/host_port.hpp"
#include "libwzp/base/token_bucket.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/stream/https.hpp"

namespace wzp::web {
namespace {

using json = nlohmann::json;

// Long enough for a browser to use; a new one is made at every start.
constexpr std::chrono::hours kSelfSignedValidity{24 * 30};

void respond(SoupServerMessage *message, guint status, const char *type, const std::string &body) {
  soup_server_message_set_status(message, status, nullptr);
  soup_server_message_set_response(message, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

std::string error_json(const std::string &code, const std::string &message) {
  return json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

// Set on a WebSocket once we sent its close: libsoup still calls it open
// until the close is on the wire, but nothing may follow it.
constexpr const char *kClosing = "wzp-web-closing";

bool closing(SoupWebsocketConnection *ws) {
  return g_object_get_data(G_OBJECT(ws), kClosing) != nullptr ||
         soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_OPEN;
}

void send_text(SoupWebsocketConnection *ws, const std::string &text) {
  if (!closing(ws)) soup_websocket_connection_send_text(ws, text.c_str());
}

}  // namespace

struct Bridge::Connection {
  SoupWebsocketConnection *ws = nullptr;
  std::string address;
  std::shared_ptr<BrowserSession> session;
  base::TokenBucket bucket;
  uint64_t flooded = 0;  // messages dropped by the bucket
};

namespace {
// A flooding browser hears of it once, then every 16th drop, and is closed
// once it has had as many dropped as its burst holds four times over (a
// page never comes near: it sends about a dozen messages in all).
constexpr uint64_t kFloodReplyEvery = 16;
constexpr uint64_t kFloodCloseBursts = 4;
}  // namespace

std::unique_ptr<Bridge> Bridge::start(const ServerOptions &options, std::string &error) {
  if (options.certificate_file.empty() != options.key_file.empty()) {
    error = "--cert and --key go together";
    return nullptr;
  }
  std::unique_ptr<Bridge> self(new Bridge);
  self->options_ = options;
  GTlsCertificate *certificate = stream::load_tls_certificate(
      options.certificate_file, options.key_file, kSelfSignedValidity, self->fingerprint_, error);
  if (certificate == nullptr) return nullptr;
  self->soup_ = soup_server_new("server-header", "wzp-web", nullptr);
  soup_server_add_handler(self->soup_, nullptr, on_request, self.get(), nullptr);
  soup_server_add_websocket_handler(self->soup_, "/ws", nullptr, nullptr, on_websocket, self.get(),
                                    nullptr);
  // Sessions are counted by host; the gate's waiting connections too.
  self->gate_ = std::make_unique<stream::TlsGate>(
      self->soup_, certificate, options.limits.waiting, [](std::string_view remote) {
        auto parsed = base::parse_host_port(remote);
        return parsed ? parsed->host : std::string(remote);
      });
  g_object_unref(certificate);
  if (!self->gate_->listen(options.address, options.port, error)) return nullptr;
  self->port_ = self->gate_->port();
  return self;
}

Bridge::~Bridge() {
  for (auto &[ws, connection] : connections_) {
    g_signal_handlers_disconnect_by_data(ws, this);
    connection->session.reset();  // leaves its room
    g_object_unref(ws);
  }
  connections_.clear();
  for (SoupWebsocketConnection *ws : refused_) {
    g_signal_handlers_disconnect_by_data(ws, this);
    g_object_unref(ws);
  }
  refused_.clear();
  gate_.reset();
  if (soup_ != nullptr) {
    soup_server_disconnect(soup_);
    g_object_unref(soup_);
  }
}

std::string Bridge::metrics() const {
  std::string out = "wzp_web_sessions_active " + std::to_string(connections_.size()) + "\n";
  std::map<std::string, uint64_t> counters = counters_;
  if (gate_) {
    out += "wzp_web_connections_waiting " + std::to_string(gate_->waiting()) + "\n";
    const stream::TlsGateCounts &gate = gate_->counts();
    counters["refused_waiting_full"] = gate.refused_full;
    counters["refused_waiting_per_address"] = gate.refused_source;
    counters["closed_tls_failed"] = gate.failed;
    counters["closed_waiting_timeout"] = gate.timed_out;
  }
  for (const auto &[name, value] : counters) {
    out += "wzp_web_" + name + "_total " + std::to_string(value) + "\n";
  }
  return out;
}

void Bridge::on_request(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                        gpointer data) {
  auto *self = static_cast<Bridge *>(data);
  std::string_view p = path;
  if (std::string_view(soup_server_message_get_method(message)) != "GET") {
    return respond(message, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
  }
  if (p == "/metrics") return respond(message, SOUP_STATUS_OK, "text/plain", self->metrics());
  if (p == "/healthz") return respond(message, SOUP_STATUS_OK, "text/plain", "ok\n");
  constexpr std::string_view kRoom = "/room/", kCall = "/call/", kAnswer = "/answer/";
  std::string_view prefix = p.starts_with(kRoom)     ? kRoom
                            : p.starts_with(kCall)   ? kCall
                            : p.starts_with(kAnswer) ? kAnswer
                                                     : std::string_view();
  if (!prefix.empty()) {
    // The page reads the name from its own address; refuse here only what
    // could never join or call (the bridge's parser has the last word).
    gchar *name = g_uri_unescape_string(path + prefix.size(), nullptr);
    std::string why = "not a name";
    bool valid =
        name != nullptr && (prefix == kRoom ? crypto::valid_room_name(name, &why)
                                            : *name != '\0' && std::strlen(name) <= kMaxNameBytes);
    g_free(name);
    if (!valid) return respond(message, SOUP_STATUS_NOT_FOUND, "text/plain", why + "\n");
    soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control",
                                 "no-store");
    return respond(message, SOUP_STATUS_OK, "text/html; charset=utf-8", kPageHtml);
  }
  respond(message, SOUP_STATUS_NOT_FOUND, "text/plain",
          "open /room/<name> to join a room, /call/@<alias> to call, /answer/<alias> to be "
          "called\n");
}

void Bridge::on_websocket(SoupServer *, SoupServerMessage *message, const char *,
                          SoupWebsocketConnection *ws, gpointer data) {
  auto *self = static_cast<Bridge *>(data);
  GSocket *socket = self->gate_->pass(message);
  if (socket == nullptr) {  // the gate closed it meanwhile: its time was up
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "timed out");
    return;
  }
  g_object_unref(socket);
  const char *host = soup_server_message_get_remote_host(message);
  self->accept(ws, host != nullptr ? host : "");
}

void Bridge::accept(SoupWebsocketConnection *ws, const std::string &address) {
  count("sessions");
  const char *refusal = nullptr;
  if (connections_.size() >= options_.limits.sessions) {
    refusal = "the bridge is full";
    count("refused_full");
  } else if (per_address_[address] >= options_.limits.sessions_per_address) {
    refusal = "too many sessions from your address";
    count("refused_per_address");
  }
  if (refusal != nullptr) {
    refused_.insert(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws)));
    g_signal_connect(ws, "closed", G_CALLBACK(on_refused_closed), this);
    return close(ws, "too_many_sessions", refusal);
  }
  // Messages up to 16 times the limit reach us and get a clear error;
  // bigger ones make libsoup close the connection (counted on "error").
  soup_websocket_connection_set_max_incoming_payload_size(ws, 16 * options_.limits.message_bytes);
  auto connection = std::make_unique<Connection>(Connection{
      SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws)), address, nullptr,
      base::TokenBucket(options_.limits.messages_per_second, options_.limits.message_burst,
                        std::chrono::steady_clock::now())});
  uint64_t id = next_id_++;
  BrowserSession::Output output;
  output.send = [ws](const std::string &text) { send_text(ws, text); };
  output.refuse = [this, ws](const std::string &code, const std::string &text) {
    count("refused_" + code);
    send_text(ws, error_json(code, text));
  };
  output.close = [this, ws](const std::string &code, const std::string &text) {
    if (closing(ws)) return;
    count("closed_" + code);
    close(ws, code, text);
  };
  connection->session = std::make_shared<BrowserSession>(id, options_.bridge, output);
  ++per_address_[address];
  connections_[ws] = std::move(connection);
  g_signal_connect(ws, "message", G_CALLBACK(on_message), this);
  g_signal_connect(ws, "error", G_CALLBACK(on_error), this);
  g_signal_connect(ws, "closed", G_CALLBACK(on_closed), this);
}

void Bridge::close(SoupWebsocketConnection *ws, const std::string &code, const std::string &text) {
  send_text(ws, error_json(code, text));
  g_object_set_data(G_OBJECT(ws), kClosing, GINT_TO_POINTER(1));
  // The reason is what the browser's close event shows; it may hold 123 bytes.
  soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                  text.substr(0, 123).c_str());
}

void Bridge::on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data) {
  auto *self = static_cast<Bridge *>(data);
  auto it = self->connections_.find(ws);
  // What arrives after our close is not read.
  if (it == self->connections_.end() || closing(ws)) return;
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->count("dropped_binary");
    send_text(ws, error_json("bad_message", "text messages only"));
    return;
  }
  self->on_text(*it->second, message);
}

void Bridge::on_error(SoupWebsocketConnection *, GError *, gpointer data) {
  static_cast<Bridge *>(data)->count("websocket_errors");
}

void Bridge::on_closed(SoupWebsocketConnection *ws, gpointer data) {
  auto *self = static_cast<Bridge *>(data);
  auto it = self->connections_.find(ws);
  if (it == self->connections_.end()) return;
  if (--self->per_address_[it->second->address] == 0) {
    self->per_address_.erase(it->second->address);
  }
  g_signal_handlers_disconnect_by_data(ws, self);
  self->connections_.erase(it);  // the session leaves its room
  g_object_unref(ws);
}

void Bridge::on_refused_closed(SoupWebsocketConnection *ws, gpointer data) {
  auto *self = static_cast<Bridge *>(data);
  if (self->refused_.erase(ws) == 0) return;
  g_signal_handlers_disconnect_by_data(ws, self);
  g_object_unref(ws);
}

void Bridge::on_text(Connection &connection, GBytes *message) {
  count("messages");
  if (!connection.bucket.take(std::chrono::steady_clock::now())) {
    count("dropped_rate_limited");
    if (connection.flooded >=
        kFloodCloseBursts * static_cast<uint64_t>(options_.limits.message_burst)) {
      count("closed_flood");
      return close(connection.ws, "flood",
                   "too many messages: " + std::to_string(connection.flooded) + " dropped");
    }
    if (connection.flooded++ % kFloodReplyEvery == 0) {
      send_text(connection.ws, error_json("rate_limited", "too many messages: dropped"));
    }
    return;
  }
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(message, &size));
  if (size > options_.limits.message_bytes) {
    count("dropped_too_big");
    send_text(connection.ws,
              error_json("message_too_big", "a message may hold " +
                                                std::to_string(options_.limits.message_bytes) +
                                                " bytes; this one held " + std::to_string(size)));
    return;
  }
  ParsedBrowserMessage parsed = parse_browser_message(std::string_view(data, size));
  if (!parsed.message) {
    count("dropped_bad_message");
    send_text(connection.ws, error_json("bad_message", parsed.error));
    return;
  }
  // Keeps the session alive through its own message, should it end it.
  std::shared_ptr<BrowserSession> session = connection.session;
  session->handle(*parsed.message);
}

}  // namespace wzp::web
