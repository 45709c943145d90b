// A connection to wzp-signald over TLS and TCP, for networks that block
// UDP (docs/fallback.md): one WebSocket (libsoup) on kSignalPath carrying as
// text messages the signal messages a QUIC connection carries on its stream,
// and as binary messages the sealed media packets it carries as DATAGRAMs.
// Both ends use it: a client dials (on a thread of its own, pinning the
// daemon's certificate as QUIC does), the daemon adopts what its SoupServer
// accepts (on its main context). Media leaves through a StreamSender, so it
// is dropped when stale instead of queueing behind a lost segment.
//
// Public methods are thread-safe; the handlers run on the channel's
// context: keep them short.
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "libwzp/quic/link.hpp"
#include "libwzp/stream/stream_sender.hpp"

namespace wzp::stream {

inline constexpr const char *kSignalPath = "/wzp-signal";
inline constexpr const char *kSignalProtocol = "wzp-signal.1";  // the WebSocket subprotocol

struct ChannelHandlers {
  std::function<void(std::span<const uint8_t>)> on_message;
  std::function<void(std::span<const uint8_t>)> on_datagram;
  std::function<void(const std::string &error)> on_closed;  // "" when clean
};

struct ChannelConfig {
  StreamSenderConfig media;
  // SO_SNDBUF: small, so the kernel cannot hold seconds of media either.
  int socket_send_buffer = 16 * 1024;
  size_t max_message_size = 64 * 1024;  // signal messages, as over QUIC
  // TCP_USER_TIMEOUT: the connection ends when what it sent stays
  // unacknowledged this long (WebSocket pings every 5 s keep something in
  // flight), as a QUIC connection's idle timeout ends it.
  std::chrono::milliseconds dead_after{30000};
};

class WsChannel final : public quic::DatagramPath {
 public:
  // Dials wss://host:port/wzp-signal and waits up to `timeout` for it to
  // open. The certificate must have the SHA-256 `pin` (any spelling), CA or
  // not. nullptr + `error`.
  static std::shared_ptr<WsChannel> dial(const std::string &host, uint16_t port,
                                         const std::string &pin, const ChannelConfig &config,
                                         ChannelHandlers handlers,
                                         std::chrono::milliseconds timeout, std::string &error);
  // Takes over a WebSocket a SoupServer accepted on the calling thread's
  // default context (that thread runs it), with its socket (both are
  // referenced) and the peer's "ip:port".
  static std::shared_ptr<WsChannel> adopt(SoupWebsocketConnection *ws, GSocket *socket,
                                          const std::string &remote_address,
                                          const ChannelConfig &config, ChannelHandlers handlers);
  // Closes (if open) without waiting; no handler runs after it returns.
  ~WsChannel() override;
  WsChannel(const WsChannel &) = delete;
  WsChannel &operator=(const WsChannel &) = delete;

  // Queues a signal message (at most max_message_size bytes); false once closed.
  bool send_message(std::span<const uint8_t> message);
  bool send_datagram(std::span<const uint8_t> datagram) override;
  bool open() const override;
  quic::ConnectionStats stats() const override;
  // Closes cleanly with `reason` after the messages queued before it.
  void close(const std::string &reason);
  bool wait_closed(std::chrono::milliseconds timeout) const;
  // Why it closed; "" while open or after a clean close.
  std::string error() const;
  const std::string &remote_address() const;

  struct Core;

 private:
  WsChannel() = default;
  std::shared_ptr<Core> core_;
  GMainLoop *loop_ = nullptr;  // a dialed channel's own thread
  std::thread thread_;
};

}  // namespace wzp::stream
