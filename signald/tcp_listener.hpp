// A TCP port whose connections the daemon accepts itself before handing
// them on (the HTTP API to libsoup, the TLS fallback to its own handshake
// first), so each can be counted and given a deadline, which libsoup has no
// setting for.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <string>

namespace wzp::signald {

// Listens on numeric `host` and `port` (0: any free one, then in
// `bound_port`) and calls `on_incoming`, a GSocketService "incoming"
// handler, with `data`. nullptr, with `error` saying why, if it cannot.
GSocketService *listen_tcp(const std::string &host, uint16_t port, GCallback on_incoming,
                           gpointer data, uint16_t &bound_port, std::string &error);

}  // namespace wzp::signald
