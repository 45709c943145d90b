// A TCP port whose connections we accept ourselves before handing them on
// to libsoup (the daemon's HTTP API; TlsGate's handshake first), so each can
// be counted and given a deadline, which libsoup has no setting for.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <string>

namespace wzp::stream {

// Listens on numeric `host` and `port` (0: any free one, then in
// `bound_port`) and calls `on_incoming`, a GSocketService "incoming"
// handler, with `data`. nullptr, with `error` saying why, if it cannot.
GSocketService *listen_tcp(const std::string &host, uint16_t port, GCallback on_incoming,
                           gpointer data, uint16_t &bound_port, std::string &error);

}  // namespace wzp::stream
