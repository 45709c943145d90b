// The HTTP API on its own port (libsoup): GET /presence,
// /presence/{fingerprint}, /healthz and /metrics (Prometheus text format).
// Handlers run on the GLib main loop and take the core mutex.
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <mutex>
#include <string>

#include "signald/core/federation.hpp"
#include "signald/core/server.hpp"

namespace wzp::signald {

class HttpApi {
 public:
  HttpApi(std::mutex &core_mutex, Server &server);
  ~HttpApi();
  HttpApi(const HttpApi &) = delete;
  HttpApi &operator=(const HttpApi &) = delete;

  bool listen(const std::string &host, uint16_t port, std::string &error);
  // Adds the federation metrics; the Federation must outlive this.
  void set_federation(const Federation *federation) { federation_ = federation; }
  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }

 private:
  static void on_request(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                         gpointer self);
  void respond(SoupServerMessage *message, const std::string &path);

  std::mutex &mutex_;
  Server &server_;
  const Federation *federation_ = nullptr;
  SoupServer *soup_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace wzp::signald
