// wzp-web's server: the page at /room/<name>, the signaling WebSocket at
// /ws (same origin), /metrics and /healthz, over HTTPS (libsoup, behind a
// stream::TlsGate that bounds connections before they are WebSockets). One
// BrowserSession per WebSocket, within the limits below; every refusal is
// counted by its reason and shown on /metrics.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "libwzp/stream/tls_gate.hpp"
#include "web/browser_session.hpp"

namespace wzp::web {

struct Limits {
  uint32_t sessions_per_address = 4;  // WebSockets open at once from one address
  uint32_t sessions = 64;             // in all
  size_t message_bytes = 64 * 1024;   // one WebSocket message; an offer is ~5 KB
  // Messages a browser may send: a join, an offer and its ICE candidates
  // fit the burst; more is a flood.
  double messages_per_second = 10;
  double message_burst = 40;
  // Connections not yet a WebSocket nor answered (TLS handshake, request,
  // upgrade): how many, from one address, and for how long (stream::TlsGate).
  // A browser opens a few at once for a page; a slowloris holds many.
  stream::TlsGateLimits waiting{32, 8, std::chrono::milliseconds(5000)};
};

struct ServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 8443;                    // 0: any free port
  std::string certificate_file, key_file;  // both empty: a self-signed certificate
  Limits limits;
  BridgeConfig bridge;
};

class Bridge {
 public:
  // Listening, or null with `error` set.
  static std::unique_ptr<Bridge> start(const ServerOptions &options, std::string &error);
  ~Bridge();
  Bridge(const Bridge &) = delete;
  Bridge &operator=(const Bridge &) = delete;

  uint16_t port() const { return port_; }
  // SHA-256 of the certificate served, "ab:cd:...".
  const std::string &fingerprint() const { return fingerprint_; }
  // The counters as /metrics shows them (Prometheus text format).
  std::string metrics() const;

 private:
  struct Connection;
  Bridge() = default;
  void count(const std::string &what) { ++counters_[what]; }
  void accept(SoupWebsocketConnection *ws, const std::string &address);
  // Sends the error (`code`, `text`) and closes with `text` as the reason.
  static void close(SoupWebsocketConnection *ws, const std::string &code, const std::string &text);
  void on_text(Connection &connection, GBytes *message);
  static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data);
  static void on_error(SoupWebsocketConnection *ws, GError *error, gpointer data);
  static void on_closed(SoupWebsocketConnection *ws, gpointer data);
  static void on_refused_closed(SoupWebsocketConnection *ws, gpointer data);
  static void on_websocket(SoupServer *, SoupServerMessage *message, const char *path,
                           SoupWebsocketConnection *ws, gpointer data);
  static void on_request(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                         gpointer data);

  ServerOptions options_;
  SoupServer *soup_ = nullptr;
  std::unique_ptr<stream::TlsGate> gate_;
  uint16_t port_ = 0;
  std::string fingerprint_;
  uint64_t next_id_ = 1;
  std::map<SoupWebsocketConnection *, std::unique_ptr<Connection>> connections_;
  // Refused WebSockets, held until their close is answered: libsoup cuts a
  // connection it is let go of at once, its close frame perhaps unsent.
  std::set<SoupWebsocketConnection *> refused_;
  std::map<std::string, uint32_t> per_address_;
  std::map<std::string, uint64_t> counters_;
};

// The page, with its script, served at /room/<name>.
extern const char kPageHtml[];

}  // namespace wzp::web
