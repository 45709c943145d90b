// The way into an HTTPS port served by libsoup, for wzp-signald's TLS
// fallback and wzp-web: libsoup has no deadline for a TLS handshake or a
// request, nor a count of either, so the gate accepts each TCP connection
// itself, does its TLS handshake, and hands the TLS stream to libsoup.
// Until the connection's request is answered or becomes a WebSocket it is
// "waiting": at most `waiting` at once, `waiting_per_source` from one
// source, and each closed if it is still waiting after `timeout` (a client
// that sends nothing, half a ClientHello, or half a request). A request
// that is not a WebSocket upgrade is the connection's last: once it is
// answered the connection is closed, so no idle keep-alive outlives the
// deadline. On the main loop.
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wzp::stream {

struct TlsGateLimits {
  size_t waiting = 16;
  size_t waiting_per_source = 8;
  std::chrono::milliseconds timeout{5000};
};

// Connections the gate ended, by why; read from any thread.
struct TlsGateCounts {
  std::atomic<uint64_t> refused_full{0};    // every waiting place taken: closed at once
  std::atomic<uint64_t> refused_source{0};  // its source's places taken: closed at once
  std::atomic<uint64_t> failed{0};          // the TLS handshake failed
  std::atomic<uint64_t> timed_out{0};       // still waiting after the timeout
};

class TlsGate {
 public:
  // The source a remote "host:port" counts against (e.g. its host).
  using SourceOf = std::function<std::string(std::string_view remote)>;

  // Hands connections to `soup` (which must not listen itself) with
  // `certificate`; both are referenced while the gate lives.
  TlsGate(SoupServer *soup, GTlsCertificate *certificate, const TlsGateLimits &limits,
          SourceOf source_of);
  ~TlsGate();
  TlsGate(const TlsGate &) = delete;
  TlsGate &operator=(const TlsGate &) = delete;

  // Listens on numeric `address` and `port` (0: any free one); false + `error`.
  bool listen(const std::string &address, uint16_t port, std::string &error);
  uint16_t port() const { return port_; }
  // For a WebSocket handler: `message`'s connection is a WebSocket now and
  // leaves the gate. Its socket (a new reference), or null when the gate had
  // closed it already (its time was up): then close the WebSocket.
  GSocket *pass(SoupServerMessage *message);
  size_t waiting() const { return waiting_.size(); }
  const TlsGateCounts &counts() const { return counts_; }
  // Stops listening and closes every waiting connection.
  void stop();

  // "host:port" of `message`'s peer, as the gate keys its connections.
  static std::string remote_of(SoupServerMessage *message);

 private:
  struct Waiting {
    GSocketConnection *tcp = nullptr;
    GTlsConnection *tls = nullptr;
    GCancellable *cancel = nullptr;
    std::string source;
    guint timeout = 0;
  };
  static gboolean on_incoming(GSocketService *, GSocketConnection *tcp, GObject *, gpointer data);
  static void on_handshake(GObject *tls, GAsyncResult *result, gpointer data);
  static void on_request_finished(SoupServer *, SoupServerMessage *message, gpointer data);
  // Ends the wait of the connection from `remote`; `close`: and the
  // connection with it.
  void forget(const std::string &remote, bool close);

  SoupServer *soup_;
  GTlsCertificate *certificate_;
  TlsGateLimits limits_;
  SourceOf source_of_;
  GSocketService *service_ = nullptr;
  uint16_t port_ = 0;
  gulong finished_handler_ = 0;
  std::unordered_map<std::string, Waiting> waiting_;  // by remote "host:port"
  std::unordered_map<std::string, size_t> per_source_;
  TlsGateCounts counts_;
};

}  // namespace wzp::stream
