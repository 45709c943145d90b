// The daemon's STUN port (--stun-listen): answers each Binding request with
// the address it came from, nothing else (no authentication, no relaying),
// so a client learns how its NAT maps one socket for a second destination
// beside the QUIC port (docs/nat.md, "Hard NATs"). On the GLib main loop;
// an answer is one datagram of 32 bytes (IPv6: 44) per request of at least
// 20, no more than any public STUN server sends.
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>

namespace wzp::signald {

class StunResponder {
 public:
  StunResponder() = default;
  ~StunResponder();
  StunResponder(const StunResponder &) = delete;
  StunResponder &operator=(const StunResponder &) = delete;

  // Binds a numeric host:port (port 0: any) and starts answering.
  bool start(const std::string &host, uint16_t port, std::string &error);
  uint16_t port() const { return port_; }
  uint64_t answered() const { return answered_; }
  // Datagrams that were not a Binding request: left unanswered.
  uint64_t ignored() const { return ignored_; }
  // Both counts for /metrics (docs/signal.md), on the main loop like them.
  std::string metrics() const;

 private:
  static gboolean on_readable(gint fd, GIOCondition condition, gpointer self);
  void receive_all();

  int socket_ = -1;
  guint source_ = 0;
  uint16_t port_ = 0;
  uint64_t answered_ = 0;
  uint64_t ignored_ = 0;
};

}  // namespace wzp::signald
