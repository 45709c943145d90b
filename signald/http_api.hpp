// The HTTP API on its own port (libsoup): GET /presence,
// /presence/{fingerprint}, /healthz and /metrics (Prometheus text format).
// Handlers run on the GLib main loop and take the core mutex.
//
// Each connection carries one request and is closed after the response;
// it gets kHttpDeadline to send it and read the answer, at most
// kMaxHttpConnections are open at once, and request bodies are refused
// unread (docs/signal.md, "HTTP API").
#pragma once

#include <libsoup/soup.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "signald/core/federation.hpp"
#include "signald/core/server.hpp"
#include "signald/redis_cluster.hpp"

namespace wzp::signald {

class TlsTransport;
class StunResponder;

inline constexpr std::chrono::seconds kHttpDeadline{10};
inline constexpr size_t kMaxHttpConnections = 64;

class HttpApi {
 public:
  HttpApi(std::mutex &core_mutex, Server &server);
  ~HttpApi();
  HttpApi(const HttpApi &) = delete;
  HttpApi &operator=(const HttpApi &) = delete;

  bool listen(const std::string &host, uint16_t port, std::string &error);
  // Adds the federation metrics; the Federation must outlive this.
  void set_federation(const Federation *federation) { federation_ = federation; }
  // Adds the cluster's metrics; unset before the RedisCluster goes.
  void set_cluster(const RedisCluster *cluster) { cluster_ = cluster; }
  // Adds what the TLS fallback refused; it must outlive this.
  void set_tls(const TlsTransport *tls) { tls_ = tls; }
  // Adds what the STUN port answered and ignored; it must outlive the main
  // loop, where /metrics is answered.
  void set_stun(const StunResponder *stun) { stun_ = stun; }
  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }

 private:
  static gboolean on_incoming(GSocketService *, GSocketConnection *connection, GObject *,
                              gpointer self);
  static void on_headers(SoupServer *, SoupServerMessage *message, const char *, GHashTable *,
                         gpointer);
  static void on_request(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                         gpointer self);
  void respond(SoupServerMessage *message, const std::string &path);

  std::mutex &mutex_;
  Server &server_;
  const Federation *federation_ = nullptr;
  const RedisCluster *cluster_ = nullptr;
  const TlsTransport *tls_ = nullptr;
  const StunResponder *stun_ = nullptr;
  SoupServer *soup_ = nullptr;
  GSocketService *service_ = nullptr;
  uint16_t port_ = 0;
  // Connections whose socket is still alive; shared with each socket's
  // finalizer, which may run after this object is gone.
  std::shared_ptr<size_t> open_ = std::make_shared<size_t>(0);
};

}  // namespace wzp::signald
